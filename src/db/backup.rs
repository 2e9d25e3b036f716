//! Continuous backups of the private PostgreSQL, with PostgreSQL's own tools: the server copies
//! every finished WAL segment into `<backup dir>/wal` (its `archive_command`), and base backups
//! (`pg_basebackup`) go to `<backup dir>/base/<start time>` on a schedule. Together they recover
//! the data as it was at any moment since the oldest base backup kept.
//!
//! A base backup is written under `<name>.partial` and renamed once complete with its
//! description (`paperkeep-backup.json`) inside: a backup cut off halfway is never listed, and
//! the next one removes it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::sql_types::{Nullable, Text, Timestamptz};
use diesel::{Connection, RunQueryDsl};
use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};

use super::local::{Handle, LocalPostgres, Tools};
use crate::config::DatabaseConfig;

/// The description a complete base backup carries.
const DESCRIPTION: &str = "paperkeep-backup.json";
const PARTIAL: &str = ".partial";
/// How often the schedule looks at the backups, and how long after a failed base backup it
/// tries again.
const LOOK_EVERY: Duration = Duration::from_secs(30);
const RETRY_AFTER: Duration = Duration::from_secs(300);
/// How long recovery may wait for the running server to archive its current WAL segment.
const SWITCH_WAIT: Duration = Duration::from_secs(15);
/// Why a base backup is not taken when another is (`paperkeep backup now` beside the schedule).
const BUSY: &str = "another base backup is being taken";

/// Where the backups of one data directory go, and how long they are kept.
#[derive(Clone)]
pub struct Backups {
    dir: PathBuf,
    /// Given by the operator (then it must exist: a disk not mounted is not replaced by a
    /// directory on the data's own disk), or the default beside the data directory.
    given: bool,
    every: chrono::Duration,
    keep: chrono::Duration,
}

/// One complete base backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaseBackup {
    pub name: String,
    pub started: DateTime<Utc>,
    /// When it was complete: the earliest moment it can be recovered to.
    pub finished: DateTime<Utc>,
    /// The first WAL segment it needs.
    pub start_wal: String,
    pub bytes: u64,
}

/// How the backups are doing, for `/readyz` and `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct Health {
    pub newest_base_backup: Option<DateTime<Utc>>,
    pub wal_archived_until: Option<DateTime<Utc>>,
    /// Why backups are failing, if they are.
    pub failing: Option<String>,
}

static HEALTH: Mutex<Option<Health>> = Mutex::new(None);

/// The backups' health, when this service takes them (it runs its own PostgreSQL).
pub fn health() -> Option<Health> {
    HEALTH.lock().map(|h| h.clone()).unwrap_or_default()
}

impl Backups {
    pub fn of(config: &DatabaseConfig) -> Self {
        let dir = config.backup_dir();
        Self {
            // The server and its tools run elsewhere (in its cluster, or `/`).
            dir: std::path::absolute(&dir).unwrap_or(dir),
            given: config.backups.backup_dir.is_some(),
            every: chrono::Duration::hours(config.backups.every_hours as i64),
            keep: chrono::Duration::days(config.backups.keep_days as i64),
        }
    }

    /// Backups in `dir`, with the default schedule and retention.
    pub fn at(dir: PathBuf) -> Self {
        Self {
            dir,
            given: true,
            every: chrono::Duration::hours(crate::config::DEFAULT_BACKUP_EVERY_HOURS as i64),
            keep: chrono::Duration::days(crate::config::DEFAULT_BACKUP_KEEP_DAYS as i64),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn wal_dir(&self) -> PathBuf {
        self.dir.join("wal")
    }

    fn base_dir(&self) -> PathBuf {
        self.dir.join("base")
    }

    /// The default directory created (and given to the server's user); a given one must exist.
    pub fn prepare(&self, tools: &Tools) -> Result<(), String> {
        if !self.given && !self.dir.exists() {
            fs::create_dir_all(&self.dir).map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
            tools.hand_over(&self.dir)?;
        }
        self.exists()
    }

    fn exists(&self) -> Result<(), String> {
        match self.dir.is_dir() {
            true => Ok(()),
            false => Err(format!("the backup directory {} does not exist", self.dir.display())),
        }
    }

    /// The server's `archive_command`: each segment copied, flushed to the disk and only then
    /// given its name, so that a segment in the archive is always whole. A segment archived
    /// before (the server stopped before it heard) is accepted when it is the same.
    pub fn archive_command(&self) -> String {
        let wal = quoted(&self.wal_dir());
        let dir = quoted(&self.dir);
        format!(
            "test -d {dir} && {{ test -d {wal} || mkdir {wal}; }} && if test -f {wal}/%f; then cmp -s %p {wal}/%f; \
             else cp %p {wal}/%f.part && sync {wal}/%f.part && mv {wal}/%f.part {wal}/%f; fi"
        )
    }

    /// The complete base backups, oldest first.
    pub fn list(&self) -> Vec<BaseBackup> {
        let mut found: Vec<BaseBackup> = fs::read_dir(self.base_dir())
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok())
            .filter(|entry| !entry.file_name().to_string_lossy().ends_with(PARTIAL))
            .filter_map(|entry| fs::read(entry.path().join(DESCRIPTION)).ok())
            .filter_map(|text| serde_json::from_slice(&text).ok())
            .collect();
        found.sort_by_key(|backup| backup.finished);
        found
    }

    /// The moments the data can be recovered to: from the end of the oldest base backup to the
    /// newest WAL archived (or the newest base backup's end, if later).
    pub fn range(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let backups = self.list();
        let (first, newest) = (backups.first()?.finished, backups.last()?.finished);
        let archived = fs::read_dir(self.wal_dir())
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok())
            .filter(|entry| !entry.file_name().to_string_lossy().ends_with(".part"))
            .filter_map(|entry| entry.metadata().ok()?.modified().ok())
            .max()
            .map(DateTime::<Utc>::from);
        Some((first, archived.map_or(newest, |archived| archived.max(newest))))
    }

    /// Takes a base backup of the running `server` now, then removes what is older than kept.
    pub fn take(&self, server: &Handle) -> Result<BaseBackup, String> {
        self.exists()?;
        let tools = server.tools();
        let base = self.base_dir();
        run(tools.command("mkdir").arg("-p").arg(&base))?;
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(base.join(".lock"))
            .map_err(|e| format!("cannot open {}: {e}", base.join(".lock").display()))?;
        let _taking = Flock::lock(lock, FlockArg::LockExclusiveNonblock).map_err(|_| BUSY.to_string())?;
        // Partial backups left by a take that was cut off: no one is writing them now.
        for entry in fs::read_dir(&base).into_iter().flatten().filter_map(|e| e.ok()) {
            if entry.file_name().to_string_lossy().ends_with(PARTIAL) {
                log::warn!("removing {}, a base backup cut off before it was complete", entry.path().display());
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        let started = Utc::now();
        let name = started.format("%Y%m%dT%H%M%S%.3fZ").to_string();
        let partial = base.join(format!("{name}{PARTIAL}"));
        let taken = run(tools.command("mkdir").args(["-m", "0700"]).arg(&partial))
            .and_then(|()| run(server.base_backup(&partial).args(["--label", &format!("paperkeep {name}")])));
        let described = taken.and_then(|()| {
            let backup = BaseBackup {
                name: name.clone(),
                started,
                finished: Utc::now(),
                start_wal: start_wal(&partial)?,
                bytes: size_of(&partial),
            };
            let text = serde_json::to_vec_pretty(&backup).map_err(|e| e.to_string())?;
            write_synced(&partial.join(DESCRIPTION), &text)?;
            fs::rename(&partial, base.join(&name)).map_err(|e| format!("cannot name the backup {name}: {e}"))?;
            sync_dir(&base)?;
            Ok(backup)
        });
        if described.is_err() {
            let _ = fs::remove_dir_all(&partial);
        }
        let backup = described?;
        self.prune(tools);
        Ok(backup)
    }

    /// Removes the base backups older than kept (never the newest) and the archived WAL that
    /// only they needed.
    fn prune(&self, tools: &Tools) {
        let backups = self.list();
        let horizon = Utc::now() - self.keep;
        let Some(oldest_kept) = backups.iter().position(|b| b.finished >= horizon).or(backups.len().checked_sub(1))
        else {
            return;
        };
        for old in &backups[..oldest_kept] {
            log::info!("removing base backup {}, older than kept", old.name);
            if let Err(err) = fs::remove_dir_all(self.base_dir().join(&old.name)) {
                log::warn!("base backup {} not removed: {err}", old.name);
            }
        }
        let cleanup = run(tools.command("pg_archivecleanup").arg(self.wal_dir()).arg(&backups[oldest_kept].start_wal));
        if let Err(err) = cleanup {
            log::warn!("archived WAL older than the oldest base backup not removed: {err}");
        }
    }

    /// Restores the data as it was at `to` into the empty directory `into` (a data directory
    /// `paperkeep serve` can then run on): the newest base backup complete by then, and the
    /// archived WAL replayed up to `to`. `live` is the running server's URL, if any, asked
    /// first to archive the segment it is writing.
    pub fn recover(&self, to: DateTime<Utc>, into: &Path, live: Option<&str>) -> Result<BaseBackup, String> {
        if fs::read_dir(into).is_ok_and(|mut entries| entries.next().is_some()) {
            return Err(format!("{} is not empty: recovery writes into a new or empty directory", into.display()));
        }
        if let Some(url) = live {
            archive_current_segment(url);
        }
        let (first, last) =
            self.range().ok_or(format!("there is no complete base backup in {}", self.dir.display()))?;
        if to < first || to > last {
            return Err(format!(
                "{} is outside what the backups hold: recovery is possible from {} to {}",
                to.to_rfc3339(),
                first.to_rfc3339(),
                last.to_rfc3339()
            ));
        }
        let backup = self.list().into_iter().rfind(|b| b.finished <= to).expect("the range starts at a backup");
        let tools = Tools::find().map_err(|e| e.to_string())?;
        fs::create_dir_all(into).map_err(|e| format!("cannot create {}: {e}", into.display()))?;
        tools.hand_over(into)?;
        let cluster = into.join("postgres");
        run(tools.command("cp").arg("-a").arg(self.base_dir().join(&backup.name)).arg(&cluster))?;
        fs::remove_file(cluster.join(DESCRIPTION)).map_err(|e| e.to_string())?;
        super::local::forget_socket(&cluster)?;
        // PostgreSQL runs only on a cluster no one else may read.
        fs::set_permissions(&cluster, fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
        let settings = format!(
            "\n# Recovery by paperkeep from base backup {}\nrestore_command = 'cp {}/%f \"%p\"'\n\
             recovery_target_time = '{}'\nrecovery_target_action = 'promote'\n",
            backup.name,
            quoted(&self.wal_dir()).replace('\'', "''"),
            to.to_rfc3339()
        );
        let mut conf = fs::read_to_string(cluster.join("postgresql.auto.conf")).unwrap_or_default();
        conf.push_str(&settings);
        fs::write(cluster.join("postgresql.auto.conf"), conf).map_err(|e| e.to_string())?;
        fs::write(cluster.join("recovery.signal"), "").map_err(|e| e.to_string())?;
        let server = LocalPostgres::start_recovering(into).map_err(|e| e.to_string())?;
        let mut conn = server
            .wait_promoted()
            .map_err(|e| format!("recovery did not finish: {e}; see {}", server.log_path().display()))?;
        // Promoted: the recovery settings are spent, and the cluster starts like any other.
        for setting in ["restore_command", "recovery_target_time", "recovery_target_action"] {
            diesel::sql_query(format!("ALTER SYSTEM RESET {setting}")).execute(&mut conn).map_err(|e| e.to_string())?;
        }
        Ok(backup)
    }
}

/// Takes base backups of the service's own server when due, and keeps [`health`] up to date.
pub fn schedule(backups: Backups, server: Handle) -> crate::upkeep::Periodic {
    let mut failed: Option<(Instant, String)> = None;
    *HEALTH.lock().unwrap_or_else(|e| e.into_inner()) = Some(Health::default());
    crate::upkeep::every("backups", LOOK_EVERY, move || {
        let mut problems = Vec::new();
        let due = backups.list().last().is_none_or(|newest| Utc::now() - newest.finished >= backups.every);
        if let Err(missing) = backups.exists() {
            problems.push(missing);
        } else if due && failed.as_ref().is_none_or(|(when, _)| when.elapsed() >= RETRY_AFTER) {
            failed = match backups.take(&server) {
                Ok(backup) => {
                    log::info!("base backup {} taken ({} MB)", backup.name, backup.bytes / 1_000_000);
                    None
                }
                Err(busy) if busy == BUSY => None,
                Err(err) => {
                    log::error!("base backup failed: {err}");
                    Some((Instant::now(), err))
                }
            };
        }
        if let Some((_, err)) = &failed {
            problems.push(format!("the last base backup failed: {err}"));
        }
        let archiver = archiver(&server.url("postgres"));
        match &archiver {
            Ok(state) if state.failing() => {
                let message = format!(
                    "WAL segment {} could not be archived (last tried {}); PostgreSQL keeps it and tries again, its log says why",
                    state.last_failed_wal.as_deref().unwrap_or("?"),
                    state.last_failed_time.map_or("?".into(), |t| t.to_rfc3339())
                );
                log::error!("{message}");
                problems.push(message);
            }
            Ok(_) => {}
            Err(err) => log::warn!("the archiver's state not read: {err}"),
        }
        let health = Health {
            newest_base_backup: backups.list().last().map(|b| b.finished),
            wal_archived_until: archiver.ok().and_then(|state| state.last_archived_time),
            failing: (!problems.is_empty()).then(|| problems.join("; ")),
        };
        *HEALTH.lock().unwrap_or_else(|e| e.into_inner()) = Some(health);
    })
}

#[derive(diesel::QueryableByName)]
struct Archiver {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_archived_time: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    last_failed_wal: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_failed_time: Option<DateTime<Utc>>,
}

impl Archiver {
    /// The latest try failed.
    fn failing(&self) -> bool {
        self.last_failed_time.is_some_and(|failed| self.last_archived_time.is_none_or(|archived| failed > archived))
    }
}

fn archiver(url: &str) -> Result<Archiver, String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query("SELECT last_archived_time, last_failed_wal, last_failed_time FROM pg_stat_archiver")
        .get_result(&mut conn)
        .map_err(|e| e.to_string())
}

/// Asks the running server to close the WAL segment it is writing and waits (a while) until it
/// is archived, so that recovery can reach up to now.
fn archive_current_segment(url: &str) {
    #[derive(diesel::QueryableByName)]
    struct Segment {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let Ok(mut conn) = PgConnection::establish(url) else { return };
    let current = diesel::sql_query(
        "SELECT pg_walfile_name(pg_current_wal_lsn()) AS name FROM (SELECT pg_switch_wal()) AS switched",
    )
    .get_result::<Segment>(&mut conn);
    let Ok(current) = current else { return };
    let deadline = Instant::now() + SWITCH_WAIT;
    while Instant::now() < deadline {
        let archived = diesel::sql_query("SELECT coalesce(last_archived_wal, '') AS name FROM pg_stat_archiver")
            .get_result::<Segment>(&mut conn);
        if archived.is_ok_and(|archived| archived.name.get(..24) >= current.name.get(..24)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    log::warn!("the current WAL segment {} was not archived within {SWITCH_WAIT:?}", current.name);
}

/// The first WAL segment a base backup needs, from its `backup_label`.
fn start_wal(backup: &Path) -> Result<String, String> {
    let label = fs::read_to_string(backup.join("backup_label")).map_err(|e| format!("no backup_label: {e}"))?;
    label
        .lines()
        .find_map(|line| line.strip_prefix("START WAL LOCATION:")?.split("(file ").nth(1)?.strip_suffix(')'))
        .map(str::to_string)
        .ok_or_else(|| "backup_label names no start WAL file".to_string())
}

fn size_of(path: &Path) -> u64 {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            fs::read_dir(path).into_iter().flatten().filter_map(|e| e.ok()).map(|e| size_of(&e.path())).sum()
        }
        Ok(meta) => meta.len(),
        Err(_) => 0,
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut file = fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn sync_dir(dir: &Path) -> Result<(), String> {
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| format!("cannot flush {}: {e}", dir.display()))
}

/// Runs `command`; its error output is the error.
fn run(command: &mut Command) -> Result<(), String> {
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        // A tool outlives no paperkeep killed meanwhile: what it was writing is left as partial.
        command.pre_exec(|| nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(std::io::Error::from));
    }
    let output = command.output().map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stderr).trim().to_string()),
    }
}

/// `path` for the shell, in single quotes; `%` doubled for PostgreSQL's command templates.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''").replace('%', "%%"))
}

/// When `time` is, as a Unix time in seconds, for metrics.
pub fn unix_seconds(time: DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

/// The backups' gauges, in the Prometheus text format.
pub fn metrics(health: &Health) -> String {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    let mut text = String::new();
    let mut gauge = |name: &str, help: &str, value: Option<f64>| {
        if let Some(value) = value {
            text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"));
        }
    };
    gauge(
        "paperkeep_backup_base_age_seconds",
        "Seconds since the newest complete base backup finished.",
        health.newest_base_backup.map(|t| now - unix_seconds(t)),
    );
    gauge(
        "paperkeep_backup_wal_archived_until_seconds",
        "When the newest WAL segment was archived (Unix time): recovery reaches up to about then.",
        health.wal_archived_until.map(unix_seconds),
    );
    gauge(
        "paperkeep_backup_failing",
        "1 while backups fail (/readyz says why), else 0.",
        Some(health.failing.is_some() as u8 as f64),
    );
    text
}
