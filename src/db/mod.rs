//! The database: connection pool, migrations, and the private PostgreSQL used when no
//! `DATABASE_URL` is given.

pub mod backup;
mod enums;
pub mod idempotency;
pub mod local;
pub mod pipelined;
mod pool;
pub mod search;
pub mod tls;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::pg::PgConnection;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool};
use diesel::{BoolExpressionMethods, Connection, ExpressionMethods, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseConfig;
pub(crate) use enums::text_enum;
use local::LocalPostgres;
pub use pool::{Pool, PooledConn, last_error as pool_error, pool};

diesel::define_sql_function! {
    /// PostgreSQL's `lower()`, so that case-insensitive comparisons use the same folding (and
    /// the same indexes) as the database.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Ids up to which [`one_of`] writes `= $1 OR = $2 …`.
const FEW_IDS: usize = 4;

/// `column` is one of `ids`, written so that PostgreSQL keeps one plan for it on each connection:
/// a few ids as `= $1 OR = $2 …`, more as `= ANY($1)`, which it plans again on every execution
/// (not knowing the array's length, it prices a kept plan for many ids).
pub fn one_of<QS, C>(column: C, ids: &[i64]) -> Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>>
where
    C: BoxableExpression<QS, Pg, SqlType = BigInt>
        + diesel::expression::ValidGrouping<(), IsAggregate = diesel::expression::is_aggregate::No>
        + Copy
        + 'static,
    QS: 'static,
{
    if ids.is_empty() || ids.len() > FEW_IDS {
        return Box::new(column.eq_any(ids.to_vec()));
    }
    let each = ids.iter().map(|&id| -> Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>> { Box::new(column.eq(id)) });
    each.reduce(|either, or| Box::new(either.or(or))).expect("at least one id")
}

/// A `sql_query` whose text never changes, prepared once per connection like the query
/// builder's statements (Diesel keeps it by its text), so that PostgreSQL keeps its plan.
/// Diesel prepares no `sql_query` by itself: it cannot know the text is fixed.
pub struct Kept<Q>(pub Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Kept<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Kept<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Kept<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, C> RunQueryDsl<C> for Kept<Q> {}

/// Runs `work` in a transaction whose writes are `actor`'s (the events it records take their
/// actor from `paperkeep.actor`).
pub fn transaction_by<R, E>(
    conn: &mut PgConnection,
    actor: i64,
    work: impl FnOnce(&mut PgConnection) -> Result<R, E>,
) -> Result<R, E>
where
    E: From<diesel::result::Error>,
{
    transaction_in(conn, &begin_by(actor), |conn| Ok((work(conn)?, String::new())))
}

/// The message that begins a transaction whose writes are `actor`'s: BEGIN and the setting in
/// one batch, a round trip less than a statement of its own.
pub fn begin_by(actor: i64) -> String {
    format!("BEGIN; SELECT set_config('paperkeep.actor', '{actor}', true)")
}

/// Diesel's `transaction`, with the statements whose results nobody reads sent in the messages
/// that begin and end it: `begin` (statements after BEGIN), and the last ones `work` gives
/// beside its result (sent before COMMIT). If any of them fails, nothing commits.
pub fn transaction_in<R, E>(
    conn: &mut PgConnection,
    begin: &str,
    work: impl FnOnce(&mut PgConnection) -> Result<(R, String), E>,
) -> Result<R, E>
where
    E: From<diesel::result::Error>,
{
    if let Err(err) = AnsiTransactionManager::begin_transaction_sql(conn, begin) {
        // BEGIN may have run before a later statement failed: Diesel would not know to end it.
        let _ = conn.batch_execute("ROLLBACK");
        return Err(err.into());
    }
    let outcome = work(conn).and_then(|(value, last)| {
        let commit = if last.is_empty() { "COMMIT".to_string() } else { format!("{last}; COMMIT") };
        // Diesel learns from libpq that the transaction is over, committed or not.
        conn.batch_execute(&commit)?;
        Ok(value)
    });
    let open = AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth();
    match outcome {
        Err(err) if !matches!(open, Ok(None)) => match AnsiTransactionManager::rollback_transaction(conn) {
            // A broken connection's rollback error says less than the error that broke it.
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(err),
            Err(rollback) => Err(rollback.into()),
        },
        outcome => outcome,
    }
}

/// A `jsonb` column read straight into `T` (and written out as `T`).
#[derive(Debug, Clone, serde::Serialize, diesel::deserialize::FromSqlRow)]
#[serde(transparent)]
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned> diesel::deserialize::FromSql<diesel::sql_types::Jsonb, Pg> for Json<T> {
    /// Straight from the bytes, without building a `serde_json::Value` first.
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        // jsonb's binary form: a version byte (1), then the JSON text.
        match value.as_bytes().split_first() {
            Some((1, text)) => Ok(Json(serde_json::from_slice(text)?)),
            _ => Err("unsupported jsonb encoding version".into()),
        }
    }
}

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");
/// Name of the database the private PostgreSQL serves.
pub const LOCAL_DATABASE: &str = "paperkeep";
/// Advisory lock key held while migrating, so that instances starting together take turns.
const MIGRATION_LOCK: i64 = 0x7061_7065_726b_6570; // "paperkep"

/// Why the service could not get to its database at start-up. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Local(#[from] local::LocalError),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("cannot open the connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
}

/// The configured database, migrated and ready, with the private server (if any) kept
/// running for as long as this value lives.
pub struct Database {
    pub pool: Pool,
    pub url: String,
    /// Where the private server's backups go (none with `DATABASE_URL`).
    pub backups: Option<backup::Backups>,
    // Declared last: dropped after the pool has closed its connections.
    server: Option<LocalPostgres>,
}

impl Database {
    pub fn open(config: &DatabaseConfig) -> Result<Self, StartError> {
        let (url, server, backups) = match &config.database_url {
            Some(url) => (url.clone(), None, None),
            None => {
                let backups = backup::Backups::of(config);
                let server = LocalPostgres::start_archiving(&config.data_dir, backups.archive_command())?;
                if let Err(err) = backups.prepare(server.handle().tools()) {
                    // The service serves regardless; /readyz and the log say backups fail.
                    log::error!("backups cannot be made: {err}");
                }
                server.ensure_database(LOCAL_DATABASE)?;
                (server.url(LOCAL_DATABASE), Some(server), Some(backups))
            }
        };
        let applied = migrate(&mut PgConnection::establish(&url)?)?;
        for name in &applied {
            log::info!("applied migration {name}");
        }
        let pool = pool(&url, &config.pool)?;
        Ok(Self { pool, url, backups, server })
    }

    /// The private server, if the service runs its own.
    pub fn server(&self) -> Option<local::Handle> {
        self.server.as_ref().map(LocalPostgres::handle)
    }
}

/// Applies pending migrations under an advisory lock; returns the names of those applied.
pub fn migrate(conn: &mut PgConnection) -> Result<Vec<String>, StartError> {
    diesel::sql_query("SELECT pg_advisory_lock($1)").bind::<BigInt, _>(MIGRATION_LOCK).execute(conn)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|err| StartError::Migrate(err.to_string()));
    diesel::sql_query("SELECT pg_advisory_unlock($1)").bind::<BigInt, _>(MIGRATION_LOCK).execute(conn)?;
    applied
}
