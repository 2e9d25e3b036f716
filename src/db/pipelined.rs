//! Connections for the look-up by barcode and for the key check of writes: asynchronous, owned
//! by one HTTP worker and shared by all its requests, which are pipelined on them. A blocking
//! pooled connection costs every round trip two thread wake-ups (the request's thread sleeps
//! until PostgreSQL answers); here the worker sends the statements of many requests and reads
//! the answers as they come, and a look-up goes out together with its key check. Only short
//! indexed reads belong here, and no transaction: on a pipelined connection each statement
//! waits for the ones sent before it, and the next request's statements follow.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

use super::Pool;
use super::tls::Target;
use crate::error::{Error, Result};

/// Connections per worker. Measured on 2 cores with a prototype of the look-up: two gave 8,000
/// req/s at p99 6 ms, four 9,000 at p99 10 ms.
const PER_WORKER: usize = 2;

/// These connections run only the look-ups' few prepared statements, each finding rows by key
/// (a barcode, an id), whose plan does not depend on the key: planned once per connection, not
/// again for every execution as PostgreSQL does by default for its first five and whenever a
/// custom plan looks cheaper. A file's summary goes from 3,700 to 9,500 requests a second.
const GENERIC_PLANS: &str = "SET plan_cache_mode = force_generic_plan";

/// One HTTP worker's connections, opened at first use and again after one is lost.
pub struct PipelinedConnections {
    /// Where to connect, or why the pool's URL cannot be followed (`check` stops the start then).
    target: std::result::Result<Target, String>,
    session_settings: String,
    connect_wait: Duration,
    slots: RefCell<Vec<Option<Rc<AsyncPgConnection>>>>,
    next: Cell<usize>,
}

impl PipelinedConnections {
    /// Connections made like `pool`'s (same database and session settings), none open yet.
    pub fn like(pool: &Pool) -> Self {
        PipelinedConnections {
            target: pool.pipelined_target().clone(),
            session_settings: pool.session_settings(),
            connect_wait: pool.connection_timeout(),
            slots: RefCell::new(vec![None; PER_WORKER]),
            next: Cell::new(0),
        }
    }

    /// The next connection in turn, opened if it is not.
    pub async fn get(&self) -> Result<Pipelined> {
        let slot = self.next.get();
        self.next.set((slot + 1) % PER_WORKER);
        let open = self.slots.borrow()[slot].clone();
        let conn = match open {
            Some(conn) => conn,
            None => {
                let conn = Rc::new(self.connect().await?);
                self.slots.borrow_mut()[slot] = Some(conn.clone());
                conn
            }
        };
        Ok(Pipelined { conn, slot })
    }

    async fn connect(&self) -> Result<AsyncPgConnection> {
        self.open().await.map_err(|err| {
            log::warn!("no pipelined database connection: {err}");
            Error::Unavailable("the database is unavailable; retry shortly".into())
        })
    }

    async fn open(&self) -> std::result::Result<AsyncPgConnection, String> {
        let connecting = async {
            let mut conn = self.target.as_ref().map_err(Clone::clone)?.connect().await?;
            let settings = format!("{}; {GENERIC_PLANS}", self.session_settings);
            conn.batch_execute(&settings).await.map_err(|e| e.to_string())?;
            Ok(conn)
        };
        tokio::time::timeout(self.connect_wait, connecting).await.map_err(|_| "timed out".to_string())?
    }

    /// Closes `used` if `outcome` says the database was unavailable (connection lost, statement
    /// timed out), so that the next request in its turn opens a new one.
    pub fn forget_if_lost<R>(&self, used: &Pipelined, outcome: Result<R>) -> Result<R> {
        if let Err(Error::Unavailable(_)) = &outcome {
            let mut slots = self.slots.borrow_mut();
            if slots[used.slot].as_ref().is_some_and(|open| Rc::ptr_eq(open, &used.conn)) {
                slots[used.slot] = None;
            }
        }
        outcome
    }
}

/// A connection handed to one request.
pub struct Pipelined {
    pub conn: Rc<AsyncPgConnection>,
    slot: usize,
}

/// Opens one pipelined connection the way the workers will, at start-up. They connect with
/// tokio-postgres, not libpq (see `db::tls`): a `DATABASE_URL` that works only with libpq's other
/// extras (a password in `~/.pgpass` or `PGPASSWORD`, `sslcert`…) stops the start here, saying
/// so, instead of every look-up and write being answered 503.
pub fn check(pool: &Pool) -> std::result::Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(PipelinedConnections::like(pool).open()).map(drop).map_err(|err| {
        format!(
            "the look-up's and the writes' pipelined connections (tokio-postgres) cannot connect with DATABASE_URL: \
             {err}. They read neither ~/.pgpass nor PG* environment variables, and of libpq's TLS options only \
             sslmode and sslrootcert: give the password in the URL, and no client certificate"
        )
    })
}
