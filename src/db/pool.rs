//! The connection pool. Callers wait at most `PAPERKEEP_DB_WAIT_MS` for a connection, every
//! statement is bounded by `PAPERKEEP_STATEMENT_TIMEOUT_MS`, and a connection is checked with a
//! ping only when it has been idle for a while: one in steady use is known to be alive, and
//! pinging it would cost every request a round trip (measured: 12% of look-up throughput).

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, ManageConnection, PooledConnection, R2D2Connection};

use super::tls::Target;
use crate::config::PoolConfig;

/// A connection idle for longer is pinged before use (the server may have restarted).
const TRUSTED_FOR: Duration = Duration::from_secs(1);

pub type PooledConn = PooledConnection<Manager>;

/// The pooled connections, and where and how they connect (the look-up's pipelined
/// connections, `db::pipelined`, connect the same way).
#[derive(Clone)]
pub struct Pool {
    connections: r2d2::Pool<Manager>,
    /// Where the pipelined connections connect, read from the URL once (the root certificates
    /// included), or why they cannot.
    pipelined_target: std::result::Result<Target, String>,
    settings: SessionSettings,
}

impl Pool {
    /// A connection, waiting at most the configured time for one.
    pub fn get(&self) -> Result<PooledConn, r2d2::Error> {
        self.connections.get()
    }

    pub fn max_size(&self) -> u32 {
        self.connections.max_size()
    }

    /// How long a caller waits for a connection.
    pub fn connection_timeout(&self) -> Duration {
        self.connections.connection_timeout()
    }

    /// How the pipelined connections reach the same database (`db::tls`).
    pub fn pipelined_target(&self) -> &std::result::Result<Target, String> {
        &self.pipelined_target
    }

    /// What each connection sets for its session, as SQL.
    pub fn session_settings(&self) -> String {
        self.settings.sql()
    }
}

/// A pool whose connections bound every statement and whose callers wait at most `wait_ms`
/// for a connection, so that a database outage becomes a fast 503 rather than a hang.
pub fn pool(url: &str, config: &PoolConfig) -> Result<Pool, r2d2::Error> {
    let settings = SessionSettings { statement_timeout: Duration::from_millis(config.statement_timeout_ms) };
    let connections = r2d2::Pool::builder()
        .max_size(config.size)
        .min_idle(Some(config.size.min(4)))
        .connection_timeout(config.wait())
        .connection_customizer(Box::new(settings.clone()))
        .error_handler(Box::new(RememberError))
        .build(Manager(ConnectionManager::new(url)))?;
    Ok(Pool { connections, pipelined_target: Target::of(url), settings })
}

/// Why the pool last failed to connect, and when: said in the 503 of a request that found no
/// connection (a server down, every host a read-only standby…).
static LAST_ERROR: std::sync::Mutex<Option<(Instant, String)>> = std::sync::Mutex::new(None);
/// How long a connection error explains the 503s after it.
const ERROR_EXPLAINS: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct RememberError;

impl r2d2::HandleError<diesel::r2d2::Error> for RememberError {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        log::error!("{error}");
        // libpq says each host's failure on its own line: the last says the most.
        let text = error.to_string();
        let reason = text.lines().filter_map(|line| line.split_once("failed: ")).map(|(_, why)| why.trim()).next_back();
        if let Ok(mut last) = LAST_ERROR.lock() {
            *last = Some((Instant::now(), reason.unwrap_or(text.trim()).to_string()));
        }
    }
}

/// The pool's latest connection error, if recent.
pub fn last_error() -> Option<String> {
    let last = LAST_ERROR.lock().ok()?;
    last.as_ref().filter(|(when, _)| when.elapsed() < ERROR_EXPLAINS).map(|(_, why)| why.clone())
}

/// A PostgreSQL connection that knows when it was last returned to the pool, and whether it
/// failed while out (then the pool discards it).
pub struct Connection {
    conn: PgConnection,
    returned_at: Instant,
    lost: bool,
}

impl Connection {
    /// Marks the connection as lost: the pool will close it instead of reusing it.
    pub fn mark_lost(&mut self) {
        self.lost = true;
    }
}

impl Deref for Connection {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

pub struct Manager(ConnectionManager<PgConnection>);

impl ManageConnection for Manager {
    type Connection = Connection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Connection, Self::Error> {
        Ok(Connection { conn: self.0.connect()?, returned_at: Instant::now(), lost: false })
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), Self::Error> {
        if conn.returned_at.elapsed() < TRUSTED_FOR {
            return Ok(());
        }
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    /// Called as the connection comes back to the pool.
    fn has_broken(&self, conn: &mut Connection) -> bool {
        conn.returned_at = Instant::now();
        conn.lost || self.0.has_broken(&mut conn.conn)
    }
}

#[derive(Debug, Clone)]
struct SessionSettings {
    statement_timeout: Duration,
}

impl SessionSettings {
    fn sql(&self) -> String {
        let timeout = self.statement_timeout.as_millis();
        format!(
            "SET statement_timeout = {timeout}; SET idle_in_transaction_session_timeout = {timeout}; \
             SET TIME ZONE 'UTC'"
        )
    }
}

impl CustomizeConnection<Connection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut Connection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&self.sql()).map_err(diesel::r2d2::Error::QueryError)
    }
}
