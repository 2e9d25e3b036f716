//! The environment, parsed into typed settings once at start-up. Every setting is both an
//! environment variable and a command-line flag (`paperkeep serve --help` lists them).

use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";

pub const DEFAULT_BACKUP_EVERY_HOURS: u64 = 24;
pub const DEFAULT_BACKUP_KEEP_DAYS: u64 = 14;
pub const DEFAULT_DB_WAIT_MS: u64 = 1_000;
pub const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// 100,000 file rows take about 15 MB; a whole archive's file list fits.
pub const DEFAULT_MAX_IMPORT_BYTES: usize = 128 * 1024 * 1024;
/// Requests a second per API key: far above what people and integrations need, low enough that
/// a runaway client cannot crowd out the others.
pub const DEFAULT_RATE_LIMIT: u32 = 500;

/// Where the data lives and how the service talks to it.
#[derive(clap::Args, Debug, Clone)]
pub struct DatabaseConfig {
    /// PostgreSQL URL. Unset: a private PostgreSQL runs under the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory of the private PostgreSQL used when DATABASE_URL is unset.
    #[arg(long, env = "PAPERKEEP_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,

    #[command(flatten)]
    pub pool: PoolConfig,

    #[command(flatten)]
    pub backups: BackupConfig,
}

/// The private PostgreSQL's continuous backups (`db::backup`).
#[derive(clap::Args, Debug, Clone)]
pub struct BackupConfig {
    /// Where the private PostgreSQL's WAL archive and base backups go; meant to be on another
    /// disk, and then it must exist. Default: `<data dir>-backups`, created beside the data
    /// directory.
    #[arg(long, env = "PAPERKEEP_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// Hours between base backups.
    #[arg(long = "backup-every-hours", env = "PAPERKEEP_BACKUP_EVERY_HOURS", default_value_t = DEFAULT_BACKUP_EVERY_HOURS,
          value_parser = clap::value_parser!(u64).range(1..=720))]
    pub every_hours: u64,

    /// Days back to which the data can be recovered: older base backups (but the newest) and the
    /// WAL only they need are removed.
    #[arg(long = "backup-keep-days", env = "PAPERKEEP_BACKUP_KEEP_DAYS", default_value_t = DEFAULT_BACKUP_KEEP_DAYS,
          value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub keep_days: u64,
}

impl DatabaseConfig {
    /// The backup directory, given or beside the data directory.
    pub fn backup_dir(&self) -> PathBuf {
        self.backups.backup_dir.clone().unwrap_or_else(|| {
            let name = self.data_dir.file_name().map_or("data".into(), |n| n.to_string_lossy().into_owned());
            self.data_dir.with_file_name(format!("{name}-backups"))
        })
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct PoolConfig {
    /// Database connections kept open (default: 4 per CPU core, at least 8), of which reads use
    /// at most half; requests beyond them queue, first come first served.
    #[arg(long = "db-pool-size", env = "PAPERKEEP_DB_POOL_SIZE", default_value_t = default_pool_size(),
          value_parser = clap::value_parser!(u32).range(1..=500))]
    pub size: u32,

    /// How long a request waits for a database connection before it is answered 503.
    #[arg(long = "db-wait-ms", env = "PAPERKEEP_DB_WAIT_MS", default_value_t = DEFAULT_DB_WAIT_MS,
          value_parser = clap::value_parser!(u64).range(100..=60_000))]
    pub wait_ms: u64,

    /// Upper bound on any single SQL statement.
    #[arg(long = "statement-timeout-ms", env = "PAPERKEEP_STATEMENT_TIMEOUT_MS",
          default_value_t = DEFAULT_STATEMENT_TIMEOUT_MS, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub statement_timeout_ms: u64,
}

impl PoolConfig {
    pub fn wait(&self) -> Duration {
        Duration::from_millis(self.wait_ms)
    }
}

/// Four connections per core (at least 8), for PostgreSQL on the same machine, reads using at
/// most half. Measured on 2 cores: reads keep every p99 steady at 4 connections; at 8 the file
/// summary's p99 rose from 8 to 13 ms, at 16 stalls of up to a second. Moves, which wait for
/// their commits to reach the disk, went from 1,530–1,680 to 1,700–1,880 req/s at 8.
/// Raise it when PostgreSQL has a machine of its own.
pub fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    (4 * cores).clamp(8, 128)
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            size: default_pool_size(),
            wait_ms: DEFAULT_DB_WAIT_MS,
            statement_timeout_ms: DEFAULT_STATEMENT_TIMEOUT_MS,
        }
    }
}

/// How the HTTP side listens and what it accepts.
#[derive(clap::Args, Debug, Clone)]
pub struct HttpConfig {
    /// Address and port to listen on.
    #[arg(long, env = "PAPERKEEP_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    /// Largest request body accepted; bigger ones are answered 413.
    #[arg(long, env = "PAPERKEEP_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// Largest import upload (`POST /api/v1/imports/…`); bigger ones are answered 413.
    #[arg(long, env = "PAPERKEEP_MAX_IMPORT_BYTES", default_value_t = DEFAULT_MAX_IMPORT_BYTES)]
    pub max_import_bytes: usize,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "PAPERKEEP_WORKERS")]
    pub workers: Option<usize>,

    /// Requests a second each API key may make (bursts up to twice that); 0: no limit.
    #[arg(long = "rate-limit", env = "PAPERKEEP_RATE_LIMIT", default_value_t = DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND.into(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_import_bytes: DEFAULT_MAX_IMPORT_BYTES,
            workers: None,
            rate_limit: DEFAULT_RATE_LIMIT,
        }
    }
}
