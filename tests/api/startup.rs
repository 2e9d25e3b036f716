//! The `paperkeep` binary as a newcomer runs it: a private PostgreSQL when no DATABASE_URL is
//! set, a first admin key printed once, data kept between starts, a clean stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{database_url, fresh_database};

const BINARY: &str = env!("CARGO_BIN_EXE_paperkeep");

/// A running `paperkeep serve`, with what it printed up to "serving on".
struct Service {
    child: Child,
    url: String,
    printed: Vec<String>,
}

fn serve(envs: &[(&str, &str)]) -> Service {
    let mut command = Command::new(BINARY);
    command
        .env_remove("DATABASE_URL")
        .env("PAPERKEEP_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut service =
        Service { child: command.spawn().expect("paperkeep runs"), url: String::new(), printed: Vec::new() };
    let stdout = service.child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    loop {
        let line = lines_rx.recv_timeout(Duration::from_secs(90)).expect("paperkeep prints that it serves");
        if let Some(rest) = line.strip_prefix("paperkeep serving on ") {
            service.url = rest.split_whitespace().next().unwrap().to_string();
            return service;
        }
        service.printed.push(line);
    }
}

impl Service {
    fn get(&self, path: &str, key: &str) -> u16 {
        reqwest::blocking::Client::new()
            .get(format!("{}{path}", self.url))
            .bearer_auth(key)
            .send()
            .unwrap()
            .status()
            .as_u16()
    }

    /// SIGTERM, and the exit status once stopped.
    fn terminate(&mut self) -> std::process::ExitStatus {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), nix::sys::signal::Signal::SIGTERM)
            .unwrap();
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("paperkeep did not stop within 30 s of SIGTERM");
    }
}

/// A failed test must not leave the service running.
impl Drop for Service {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn printed_key(printed: &[String]) -> Option<String> {
    printed.iter().map(|l| l.trim()).find(|l| l.starts_with("pk_")).map(str::to_string)
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("paperkeep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn postgres_runs(data_dir: &Path) -> bool {
    data_dir.join("postgres/postmaster.pid").exists()
}

#[test]
fn without_database_url_it_runs_its_own_postgres_and_keeps_the_data() {
    let data_dir = scratch_dir("data");
    let data = data_dir.to_str().unwrap();
    let mut first = serve(&[("PAPERKEEP_DATA_DIR", data)]);
    let key = printed_key(&first.printed).expect("the first start prints an admin key");
    assert_eq!(first.get("/api/v1/locations", &key), 200);
    assert!(postgres_runs(&data_dir));

    // `keys create` reaches the same database while the service runs.
    let created = Command::new(BINARY)
        .args(["keys", "create", "--name", "Lan", "--role", "conservator"])
        .env_remove("DATABASE_URL")
        .env("PAPERKEEP_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let conservator =
        printed_key(&String::from_utf8_lossy(&created.stdout).lines().map(String::from).collect::<Vec<_>>())
            .expect("keys create prints the key");
    assert_eq!(first.get("/api/v1/locations", &conservator), 200);

    assert!(first.terminate().success());
    assert!(!postgres_runs(&data_dir), "the database server stops with the service");

    // A second start reuses the data: no new key, and the old keys still work.
    let mut second = serve(&[("PAPERKEEP_DATA_DIR", data)]);
    assert_eq!(printed_key(&second.printed), None);
    assert!(second.printed.iter().any(|l| l.contains("paperkeep keys create")), "{:?}", second.printed);
    assert_eq!(second.get("/api/v1/locations", &key), 200);
    assert_eq!(second.get("/api/v1/locations", &conservator), 200);
    assert!(second.terminate().success());
    assert!(!postgres_runs(&data_dir));
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn with_database_url_and_a_bootstrap_key_it_uses_them() {
    let database = fresh_database();
    let url = database_url(&database);
    let given = "automation-admin-key-0123456789";
    let mut service = serve(&[("DATABASE_URL", &url), ("PAPERKEEP_BOOTSTRAP_KEY", given)]);
    assert_eq!(printed_key(&service.printed), None, "a given key is not printed");
    assert_eq!(service.get("/api/v1/locations", given), 200);
    assert_eq!(service.get("/api/v1/locations", "another-key"), 401);
    assert!(service.terminate().success());
}

#[test]
fn migrate_applies_migrations_and_exits() {
    let database = fresh_database();
    let output = Command::new(BINARY).arg("migrate").env("DATABASE_URL", database_url(&database)).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
}

#[test]
fn a_database_that_cannot_be_reached_is_a_short_message_and_a_failure() {
    let output = Command::new(BINARY)
        .arg("migrate")
        .env("DATABASE_URL", "postgresql://nobody@localhost/none?host=/nonexistent")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("paperkeep: cannot connect to the database"), "{stderr}");
}

#[test]
fn the_openapi_command_prints_the_served_contract() {
    let output = Command::new(BINARY).arg("openapi").output().unwrap();
    assert!(output.status.success());
    let repository = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), repository);
}
