//! A private PostgreSQL server for one data directory, run from the installed server binaries.
//!
//! `paperkeep serve` uses it when `DATABASE_URL` is unset (the data persists), and the test
//! harness uses it with a throw-away directory. The server listens only on a Unix socket inside
//! its data directory, so it never collides with another server or exposes a port (but for the
//! TLS tests' server, which also listens on 127.0.0.1). PostgreSQL refuses to run as root; when
//! we are root, it runs as the `postgres` OS user.
//!
//! The service's own server is watched: when it dies (the OOM killer, a `kill -9`), it is
//! started again at once — PostgreSQL replays its write-ahead log, so every committed write is
//! there — and if it cannot be, after a few tries the service exits so that whatever runs it sees.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User, chown, geteuid};

const SOCKET_PORT: u16 = 5432;
/// The TLS listener's certificate and key, in the cluster directory.
const CERTIFICATE: &str = "server.crt";
const KEY: &str = "server.key";
/// Longest path a Unix socket address can hold (sun_path is 108 bytes with the final NUL).
const MAX_SOCKET_PATH: usize = 107;
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Starts in a row after the service's server died, before the service gives up: the first at
/// once, the pause before each next one growing by this much (its backends take a moment to
/// notice and leave).
const RESTARTS: u32 = 6;
const RESTART_PAUSE: Duration = Duration::from_millis(300);
/// The service's exit status when its server is gone for good.
pub const SERVER_LOST: i32 = 3;

/// Why the service's own server is not serving, while it is being started again.
static TROUBLE: Mutex<Option<String>> = Mutex::new(None);

/// What is wrong with the service's own server now, if anything (for `/readyz`).
pub fn trouble() -> Option<String> {
    TROUBLE.lock().map(|t| t.clone()).unwrap_or_default()
}

fn report(trouble: Option<String>) {
    if let Ok(mut now) = TROUBLE.lock() {
        *now = trouble;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(
        "no DATABASE_URL is set and no PostgreSQL server binaries (initdb, postgres) were found on PATH \
         or under /usr/lib/postgresql/*/bin. Install the PostgreSQL server (Debian/Ubuntu: \
         `apt-get install postgresql`; Fedora: `dnf install postgresql-server`; macOS: \
         `brew install postgresql`) or set DATABASE_URL to an existing database."
    )]
    NoServerBinaries,
    #[error(
        "running as root, but there is no `postgres` OS user to run the database server as \
         (PostgreSQL refuses root). Create it (the PostgreSQL package does), run paperkeep as an \
         ordinary user, or set DATABASE_URL."
    )]
    NoPostgresUser,
    #[error(
        "the data directory path {0} is too long for a Unix socket; set PAPERKEEP_DATA_DIR to a \
         shorter path"
    )]
    PathTooLong(PathBuf),
    #[error("{0}")]
    Io(String),
    #[error("initdb failed: {0}")]
    Initdb(String),
    #[error("PostgreSQL did not start: {reason}. Its log is {log}:\n{tail}")]
    Start { reason: String, log: String, tail: String },
    #[error("cannot prepare database {0}: {1}")]
    Setup(String, String),
}

/// What kind of server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// Every commit reaches the disk: the service's own data.
    Durable,
    /// fsync off and the directory removed at stop: for tests only.
    Scratch,
    /// A cluster restored from a base backup, replaying archived WAL: durable, but never
    /// created, watched or archiving.
    Recovering,
}

pub struct LocalPostgres {
    data_dir: PathBuf,
    cluster_dir: PathBuf,
    durability: Durability,
    tls: Option<TlsListener>,
    tools: Tools,
    /// The shell command that copies each finished WAL segment to the backups, if any.
    archive_command: Option<String>,
    /// The server we started; `None` when another process of ours already runs it, or when
    /// it is watched (the service's own).
    server: Option<RunningServer>,
    watch: Option<Watch>,
}

/// The watcher of the service's server: it holds the running server and starts it again when
/// it dies, until asked to stop.
struct Watch {
    stopping: Arc<AtomicBool>,
    /// The server's process now.
    pid: Arc<AtomicI32>,
    stopped: mpsc::Receiver<()>,
}

struct RunningServer {
    pid: Pid,
    exited: mpsc::Receiver<()>,
}

/// A running server, reached through its socket.
#[derive(Clone)]
pub struct Handle {
    tools: Tools,
    socket_dir: PathBuf,
    port: u16,
}

impl Handle {
    pub fn tools(&self) -> &Tools {
        &self.tools
    }

    /// `pg_basebackup` of this server into `into` (plain, with the WAL it needs, at once).
    pub fn base_backup(&self, into: &Path) -> Command {
        let mut command = self.tools.command("pg_basebackup");
        command.arg("--pgdata").arg(into).arg("--host").arg(&self.socket_dir);
        command.args(["--port", &self.port.to_string(), "--username=postgres", "--no-password"]);
        command.args(["--wal-method=stream", "--checkpoint=fast"]);
        command
    }

    /// A URL for `database` on this server (see [`LocalPostgres::url`]).
    pub fn url(&self, database: &str) -> String {
        socket_url(&self.socket_dir, self.port, database)
    }
}

/// What it takes to run PostgreSQL's client tools (pg_basebackup, pg_archivecleanup…) on a
/// server's files, as the user the server runs as.
#[derive(Clone)]
pub struct Tools {
    binaries: PathBuf,
    run_as: Option<User>,
}

impl Tools {
    pub fn find() -> Result<Self, LocalError> {
        let binaries = find_server_binaries().ok_or(LocalError::NoServerBinaries)?;
        let run_as = if geteuid().is_root() {
            Some(User::from_name("postgres").ok().flatten().ok_or(LocalError::NoPostgresUser)?)
        } else {
            None
        };
        Ok(Self { binaries, run_as })
    }

    /// `program` (a server binary, or any program on PATH), to be run as the server's user.
    pub fn command(&self, program: &str) -> Command {
        let installed = self.binaries.join(program);
        let mut command = Command::new(if installed.is_file() { installed } else { PathBuf::from(program) });
        as_user(&mut command, self.run_as.as_ref());
        command.stdin(Stdio::null());
        command
    }

    /// Gives `path` to the server's user (when we are root), so that the server can use it.
    pub fn hand_over(&self, path: &Path) -> Result<(), String> {
        match &self.run_as {
            Some(user) => chown(path, Some(user.uid), Some(user.gid))
                .map_err(|e| format!("cannot hand {} to the postgres user: {e}", path.display())),
            None => Ok(()),
        }
    }
}

/// Where a scratch server also listens over TCP, on 127.0.0.1, and the certificate it presents
/// there (PEM): for the tests of TLS connections.
pub struct TlsListener {
    pub port: u16,
    pub certificate_pem: String,
    pub key_pem: String,
}

impl LocalPostgres {
    /// Starts the server for `data_dir`, creating the cluster on first use, watched. When a
    /// server already runs on that directory (another `paperkeep` command), it is joined, not
    /// started.
    pub fn start(data_dir: &Path) -> Result<Self, LocalError> {
        Self::launch(data_dir.to_path_buf(), Durability::Durable, None, None)
    }

    /// `start`, the server archiving each finished WAL segment with `archive_command`.
    pub fn start_archiving(data_dir: &Path, archive_command: String) -> Result<Self, LocalError> {
        Self::launch(data_dir.to_path_buf(), Durability::Durable, None, Some(archive_command))
    }

    /// Starts a server on a cluster restored from a backup, unwatched: it replays the archived
    /// WAL its settings name, and if it cannot, it stops and its log says why.
    pub fn start_recovering(data_dir: &Path) -> Result<Self, LocalError> {
        Self::launch(data_dir.to_path_buf(), Durability::Recovering, None, None)
    }

    /// Starts a throw-away server in a fresh temporary directory; `stop` removes it.
    pub fn start_scratch() -> Result<Self, LocalError> {
        Self::launch(scratch_dir()?, Durability::Scratch, None, None)
    }

    /// Starts a throw-away streaming standby of `primary` (a base backup of it, following its
    /// WAL; `pg_promote()` makes it a primary), named `name` in the primary's
    /// `synchronous_standby_names`.
    pub fn start_scratch_standby(primary: &LocalPostgres, name: &str) -> Result<Self, LocalError> {
        let dir = scratch_dir()?;
        let cluster = dir.join("postgres");
        primary.tools.hand_over(&dir).map_err(LocalError::Io)?;
        let copied = primary
            .handle()
            .base_backup(&cluster)
            .arg("--write-recovery-conf")
            .output()
            .map_err(|e| io_error("cannot run pg_basebackup", e))?;
        if !copied.status.success() {
            return Err(LocalError::Io(String::from_utf8_lossy(&copied.stderr).trim().to_string()));
        }
        forget_socket(&cluster).map_err(LocalError::Io)?;
        let mut conf = OpenOptions::new()
            .append(true)
            .open(cluster.join("postgresql.auto.conf"))
            .map_err(|e| io_error("cannot name the standby", e))?;
        std::io::Write::write_all(&mut conf, format!("cluster_name = '{name}'\n").as_bytes())
            .map_err(|e| io_error("cannot name the standby", e))?;
        Self::launch(dir, Durability::Scratch, None, None)
    }

    /// Starts a throw-away server that also listens on 127.0.0.1 at `tls.port`, with TLS.
    pub fn start_scratch_with_tls(tls: TlsListener) -> Result<Self, LocalError> {
        Self::launch(scratch_dir()?, Durability::Scratch, Some(tls), None)
    }

    fn launch(
        data_dir: PathBuf,
        durability: Durability,
        tls: Option<TlsListener>,
        archive_command: Option<String>,
    ) -> Result<Self, LocalError> {
        let tools = Tools::find()?;
        fs::create_dir_all(&data_dir).map_err(|e| io_error("cannot create the data directory", e))?;
        let data_dir = data_dir.canonicalize().map_err(|e| io_error("cannot resolve the data directory", e))?;
        let cluster_dir = data_dir.join("postgres");
        let socket = cluster_dir.join(format!(".s.PGSQL.{}", port(&tls)));
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(LocalError::PathTooLong(data_dir));
        }
        let mut local =
            Self { data_dir, cluster_dir, durability, tls, tools, archive_command, server: None, watch: None };
        // The server user must own its directories; we (root) can still read them.
        for dir in [&local.data_dir, &local.cluster_dir] {
            fs::create_dir_all(dir).map_err(|e| io_error("cannot create the cluster directory", e))?;
            local.tools.hand_over(dir).map_err(LocalError::Io)?;
        }
        if !local.cluster_dir.join("PG_VERSION").exists() && durability != Durability::Recovering {
            local.initdb()?;
        }
        local.write_certificate()?;
        if local.accepts_connections() {
            log::info!("joining the PostgreSQL server already running in {}", local.cluster_dir.display());
            return Ok(local);
        }
        let server = local.spawn_server()?;
        match durability {
            Durability::Durable => local.watch = Some(local.watch(server)?),
            Durability::Scratch | Durability::Recovering => local.server = Some(server),
        }
        Ok(local)
    }

    /// Watches `server`: when it exits unasked, starts it again (`RESTARTS` tries), else exits
    /// the process with `SERVER_LOST`.
    fn watch(&self, server: RunningServer) -> Result<Watch, LocalError> {
        let stopping = Arc::new(AtomicBool::new(false));
        let pid = Arc::new(AtomicI32::new(server.pid.as_raw()));
        let (stopped_tx, stopped) = mpsc::channel();
        // The same server, to start again: not watched itself, and it removes nothing on drop.
        let again = Self {
            data_dir: self.data_dir.clone(),
            cluster_dir: self.cluster_dir.clone(),
            durability: self.durability,
            tls: None,
            tools: self.tools.clone(),
            archive_command: self.archive_command.clone(),
            server: None,
            watch: None,
        };
        let (asked_to_stop, current) = (stopping.clone(), pid.clone());
        thread::Builder::new()
            .name("postgres-watch".into())
            .spawn(move || {
                let mut server = server;
                loop {
                    let _ = server.exited.recv();
                    if asked_to_stop.load(Ordering::SeqCst) {
                        let _ = stopped_tx.send(());
                        return;
                    }
                    log::error!("PostgreSQL stopped unexpectedly; starting it again (it replays its log)");
                    report(Some("PostgreSQL stopped unexpectedly and is being started again".into()));
                    server = again.start_again();
                    current.store(server.pid.as_raw(), Ordering::SeqCst);
                    report(None);
                    log::warn!("PostgreSQL is running again");
                    // Asked to stop meanwhile: this one is stopped too.
                    if asked_to_stop.load(Ordering::SeqCst) {
                        let _ = kill(server.pid, Signal::SIGINT);
                    }
                }
            })
            .map_err(|e| io_error("cannot start a thread", e))?;
        Ok(Watch { stopping, pid, stopped })
    }

    /// The server started again after it died; the process exits when it cannot be.
    fn start_again(&self) -> RunningServer {
        let mut tries = 0;
        loop {
            // Its backends leave once they notice it gone; until then it cannot start.
            thread::sleep(RESTART_PAUSE * tries);
            tries += 1;
            match self.spawn_server() {
                Ok(server) => return server,
                Err(err) if tries < RESTARTS => {
                    log::error!("PostgreSQL did not start again (try {tries} of {RESTARTS}): {err}");
                    report(Some(format!("PostgreSQL did not start again (try {tries} of {RESTARTS}): {err}")));
                }
                Err(err) => {
                    log::error!("PostgreSQL did not start again after {RESTARTS} tries; stopping the service: {err}");
                    eprintln!("paperkeep: its PostgreSQL did not start again after {RESTARTS} tries: {err}");
                    std::process::exit(SERVER_LOST);
                }
            }
        }
    }

    /// The directory holding the server's Unix socket (for `psql -h`, `pgbench -h`).
    pub fn socket_dir(&self) -> &Path {
        &self.cluster_dir
    }

    /// What it takes to reach this server and run PostgreSQL's tools on it, from any thread.
    pub fn handle(&self) -> Handle {
        Handle { tools: self.tools.clone(), socket_dir: self.cluster_dir.clone(), port: port(&self.tls) }
    }

    /// The URL of the server running on `data_dir`, if one is.
    pub fn running(data_dir: &Path) -> Option<String> {
        let cluster_dir = data_dir.canonicalize().ok()?.join("postgres");
        let url = socket_url(&cluster_dir, SOCKET_PORT, "postgres");
        cluster_dir.join(format!(".s.PGSQL.{SOCKET_PORT}")).exists().then_some(url)
    }

    /// Waits until a recovering server has replayed its WAL up to its target and become a
    /// primary; a connection to it then.
    pub fn wait_promoted(&self) -> Result<PgConnection, String> {
        #[derive(diesel::QueryableByName)]
        struct Recovering {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            recovering: bool,
        }
        loop {
            if self.server.as_ref().is_some_and(|server| server.exited.try_recv().is_ok()) {
                return Err("PostgreSQL stopped while replaying the archived WAL".into());
            }
            let mut conn = PgConnection::establish(&self.url("postgres")).map_err(|e| e.to_string())?;
            let state: Recovering = diesel::sql_query("SELECT pg_is_in_recovery() AS recovering")
                .get_result(&mut conn)
                .map_err(|e| e.to_string())?;
            if !state.recovering {
                return Ok(conn);
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The directory of the server binaries in use (initdb, postgres, pgbench…).
    pub fn binaries() -> Option<PathBuf> {
        find_server_binaries()
    }

    /// A URL for `database` on this server, reaching it through its socket only. No host before
    /// the path: tokio-postgres (the pipelined connections) would try it over TCP first, and
    /// reach whatever else listens on that port.
    pub fn url(&self, database: &str) -> String {
        socket_url(&self.cluster_dir, port(&self.tls), database)
    }

    /// Creates `database` unless it exists.
    pub fn ensure_database(&self, database: &str) -> Result<(), LocalError> {
        let setup = |e: &dyn std::fmt::Display| LocalError::Setup(database.into(), e.to_string());
        let mut conn = PgConnection::establish(&self.url("postgres")).map_err(|e| setup(&e))?;
        let exists = diesel::sql_query("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(database)
            .execute(&mut conn)
            .map_err(|e| setup(&e))?;
        if exists == 0 {
            diesel::sql_query(format!("CREATE DATABASE \"{database}\"")).execute(&mut conn).map_err(|e| setup(&e))?;
        }
        Ok(())
    }

    /// Stops the server if we started it (fast shutdown: open transactions roll back), and
    /// removes a scratch directory. Joined servers are left to their owner.
    pub fn stop(&mut self) {
        if let Some(watch) = self.watch.take() {
            watch.stopping.store(true, Ordering::SeqCst);
            halt(|| Pid::from_raw(watch.pid.load(Ordering::SeqCst)), &watch.stopped);
        }
        if let Some(server) = self.server.take() {
            halt(|| server.pid, &server.exited);
        }
        if self.durability == Durability::Scratch {
            let _ = fs::remove_dir_all(&self.data_dir);
        }
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("postgres.log")
    }

    fn initdb(&self) -> Result<(), LocalError> {
        log::info!("creating a PostgreSQL cluster in {}", self.cluster_dir.display());
        let mut command = self.tools.command("initdb");
        command.arg("--pgdata").arg(&self.cluster_dir).args([
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ]);
        if self.durability == Durability::Scratch {
            command.arg("--no-sync");
        }
        let output = command.output().map_err(|e| LocalError::Initdb(e.to_string()))?;
        if !output.status.success() {
            return Err(LocalError::Initdb(String::from_utf8_lossy(&output.stderr).trim().to_string()));
        }
        Ok(())
    }

    /// The TLS listener's certificate and key, in the cluster directory and the server user's
    /// (PostgreSQL refuses a key others can read).
    fn write_certificate(&self) -> Result<(), LocalError> {
        let Some(tls) = &self.tls else { return Ok(()) };
        for (name, pem) in [(CERTIFICATE, &tls.certificate_pem), (KEY, &tls.key_pem)] {
            let path = self.cluster_dir.join(name);
            let unwritten = |e: &dyn std::fmt::Display| io_error("cannot write the TLS certificate", e);
            fs::write(&path, pem).map_err(|e| unwritten(&e))?;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).map_err(|e| unwritten(&e))?;
            self.tools.hand_over(&path).map_err(|e| unwritten(&e))?;
        }
        Ok(())
    }

    fn spawn_server(&self) -> Result<RunningServer, LocalError> {
        let log_path = self.log_path();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| io_error("cannot open the PostgreSQL log", e))?;
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let mut command = self.tools.command("postgres");
        command
            .arg("-D")
            .arg(&self.cluster_dir)
            .arg("-k")
            .arg(&self.cluster_dir)
            .args(["-p", &port(&self.tls).to_string()])
            .args(["-c", "listen_addresses=", "-c", "unix_socket_permissions=0700"])
            .args(["-c", "max_connections=200", "-c", "shared_buffers=128MB"])
            .stdout(log.try_clone().map_err(|e| io_error("cannot open the PostgreSQL log", e))?)
            .stderr(log)
            // Its own process group: a Ctrl-C in the terminal reaches us, and we stop it in order.
            .process_group(0);
        if self.tls.is_some() {
            command.args(["-c", "listen_addresses=127.0.0.1", "-c", "ssl=on"]);
            command.args(["-c", &format!("ssl_cert_file={CERTIFICATE}"), "-c", &format!("ssl_key_file={KEY}")]);
        }
        if self.durability == Durability::Scratch {
            command.args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }
        if let Some(archive_command) = &self.archive_command {
            // A segment is archived when full, or after a minute with any write in it.
            command.args(["-c", "archive_mode=on", "-c", "archive_timeout=60"]);
            command.args(["-c", &format!("archive_command={archive_command}")]);
        }
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                // If our process dies without stopping the server (kill -9), the server stops too.
                nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from)
            });
        }
        // The parent-death signal follows the thread that spawned the child, so a thread that
        // lives exactly as long as the server spawns and reaps it.
        let (started_tx, started_rx) = mpsc::channel();
        let (exited_tx, exited_rx) = mpsc::channel();
        thread::Builder::new()
            .name("postgres".into())
            .spawn(move || match command.spawn() {
                Ok(mut child) => {
                    let _ = started_tx.send(Ok(child.id()));
                    let _ = child.wait();
                    let _ = exited_tx.send(());
                }
                Err(err) => {
                    let _ = started_tx.send(Err(err));
                }
            })
            .map_err(|e| io_error("cannot start a thread", e))?;
        let pid = started_rx
            .recv()
            .map_err(|e| io_error("the server thread ended", e))?
            .map_err(|e| io_error("cannot run postgres", e))?;
        let server = RunningServer { pid: Pid::from_raw(pid as i32), exited: exited_rx };

        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if server.exited.try_recv().is_ok() {
                return Err(self.start_error("it exited during start-up", log_start));
            }
            if self.accepts_connections() {
                log::info!("PostgreSQL running in {} (log: {})", self.cluster_dir.display(), log_path.display());
                return Ok(server);
            }
            if Instant::now() > deadline {
                let _ = kill(server.pid, Signal::SIGQUIT);
                return Err(self.start_error("it did not accept connections within a minute", log_start));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn accepts_connections(&self) -> bool {
        self.cluster_dir.join(format!(".s.PGSQL.{}", port(&self.tls))).exists()
            && PgConnection::establish(&self.url("postgres")).is_ok()
    }

    fn start_error(&self, reason: &str, log_start: u64) -> LocalError {
        let log = self.log_path();
        let mut tail = String::new();
        if let Ok(mut file) = File::open(&log) {
            let _ = file.seek(SeekFrom::Start(log_start));
            let _ = file.read_to_string(&mut tail);
        }
        let tail: Vec<&str> = tail.lines().rev().take(15).collect();
        LocalError::Start {
            reason: reason.into(),
            log: log.display().to_string(),
            tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        }
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Stops the server `pid` says (fast shutdown: open transactions roll back), forcing it if it
/// has not stopped in time; `gone` says when it has.
fn halt(pid: impl Fn() -> Pid, gone: &mpsc::Receiver<()>) {
    let _ = kill(pid(), Signal::SIGINT);
    if gone.recv_timeout(STOP_TIMEOUT).is_err() {
        log::warn!("PostgreSQL did not stop within {STOP_TIMEOUT:?}; forcing it");
        let _ = kill(pid(), Signal::SIGQUIT);
        let _ = gone.recv_timeout(STOP_TIMEOUT);
    }
    log::info!("PostgreSQL stopped");
}

/// The server's port: its socket's name and, with TLS, its TCP port.
fn port(tls: &Option<TlsListener>) -> u16 {
    tls.as_ref().map_or(SOCKET_PORT, |tls| tls.port)
}

/// Removes the socket's lock file from a copy of a cluster: a server keeps its socket in its
/// cluster, so a copy of it holds the lock file too, and a server started on the copy would
/// take it for a server running there.
pub fn forget_socket(cluster: &Path) -> Result<(), String> {
    for entry in fs::read_dir(cluster).into_iter().flatten().filter_map(|e| e.ok()) {
        if entry.file_name().to_string_lossy().starts_with(".s.PGSQL.") {
            fs::remove_file(entry.path()).map_err(|e| format!("cannot remove {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn socket_url(socket_dir: &Path, port: u16, database: &str) -> String {
    format!("postgresql://postgres@/{database}?host={}&port={port}", percent_encode(&socket_dir.to_string_lossy()))
}

fn scratch_dir() -> Result<PathBuf, LocalError> {
    let template = std::env::temp_dir().join("paperkeep-pg-XXXXXX");
    nix::unistd::mkdtemp(&template).map_err(|e| io_error("cannot create a temporary directory", e))
}

/// Runs `command` as `user` (when we are root), with a home directory it can enter.
fn as_user(command: &mut Command, user: Option<&User>) {
    if let Some(user) = user {
        command.uid(user.uid.as_raw()).gid(user.gid.as_raw()).current_dir("/").env("HOME", &user.dir);
    }
}

/// Where packages put the server binaries: `<root>/<version>/bin`.
const PACKAGE_ROOTS: [&str; 3] = ["/usr/lib/postgresql", "/usr/local/lib/postgresql", "/opt/homebrew/opt"];
const FIXED_DIRS: [&str; 1] = ["/usr/local/pgsql/bin"];

/// The directory holding both `initdb` and `postgres`: from PATH first, then the usual
/// package locations, newest version first.
fn find_server_binaries() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    search_server_binaries(path, &PACKAGE_ROOTS, &FIXED_DIRS)
}

fn search_server_binaries(path: Vec<PathBuf>, package_roots: &[&str], fixed: &[&str]) -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    let mut packaged: Vec<PathBuf> = package_roots
        .iter()
        .filter_map(|root| fs::read_dir(root).ok())
        .flat_map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path().join("bin")))
        .collect();
    packaged.sort_by_key(|dir| std::cmp::Reverse(version_of(dir)));
    let found = path.into_iter().chain(packaged).chain(fixed.iter().map(PathBuf::from)).find(|dir| has_both(dir))?;
    // PATH may hold symlinks (/usr/local/bin/postgres); the real directory has the other tools.
    Some(found.join("postgres").canonicalize().ok()?.parent()?.to_path_buf())
}

/// The major version in a path such as `/usr/lib/postgresql/15/bin`, for ordering.
fn version_of(dir: &Path) -> u32 {
    dir.parent()
        .and_then(|d| d.file_name())
        .and_then(|name| name.to_string_lossy().trim_start_matches("postgresql@").parse().ok())
        .unwrap_or(0)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn io_error(what: &str, err: impl std::fmt::Display) -> LocalError {
    LocalError::Io(format!("{what}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_install(root: &Path, version: &str) -> PathBuf {
        let bin = root.join(version).join("bin");
        fs::create_dir_all(&bin).unwrap();
        for program in ["initdb", "postgres"] {
            fs::write(bin.join(program), "").unwrap();
        }
        bin
    }

    #[test]
    fn the_newest_packaged_server_is_found_after_path() {
        let root = std::env::temp_dir().join(format!("paperkeep-bins-{}", std::process::id()));
        let old = fake_install(&root, "13");
        let new = fake_install(&root, "16");
        let root_text = root.to_str().unwrap();
        assert_eq!(search_server_binaries(vec![], &[root_text], &[]), Some(new));
        assert_eq!(search_server_binaries(vec![old.clone()], &[root_text], &[]), Some(old));
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn without_server_binaries_the_message_says_what_to_install_or_set() {
        assert_eq!(search_server_binaries(vec![PathBuf::from("/nonexistent")], &["/nonexistent"], &[]), None);
        let message = LocalError::NoServerBinaries.to_string();
        assert!(message.contains("apt-get install postgresql") && message.contains("DATABASE_URL"), "{message}");
    }
}
