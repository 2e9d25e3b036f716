//! The `paperkeep` binary run as a process of its own (to stop it, or kill it with -9).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BINARY: &str = env!("CARGO_BIN_EXE_paperkeep");

/// A running `paperkeep serve`, with what it printed up to "serving on".
pub struct Service {
    pub child: Child,
    pub url: String,
    pub printed: Vec<String>,
}

pub fn serve(envs: &[(&str, &str)]) -> Service {
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
    pub fn get(&self, path: &str, key: &str) -> u16 {
        reqwest::blocking::Client::new()
            .get(format!("{}{path}", self.url))
            .bearer_auth(key)
            .send()
            .unwrap()
            .status()
            .as_u16()
    }

    /// SIGTERM, and the exit status once stopped.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
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

    /// SIGKILL: no shutdown, no rollback by the service, requests cut off where they are.
    pub fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

/// A data directory of its own for a private PostgreSQL, removed (with the backups beside it)
/// when dropped.
pub struct DataDir(pub PathBuf);

impl DataDir {
    pub fn new(name: &str) -> Self {
        let dir = DataDir(std::env::temp_dir().join(format!("paperkeep-{name}-{}", std::process::id())));
        dir.remove();
        dir
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// Where its backups go by default.
    pub fn backups(&self) -> PathBuf {
        self.0.with_file_name(format!("{}-backups", self.0.file_name().unwrap().to_string_lossy()))
    }

    fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_dir_all(self.backups());
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        self.remove();
    }
}

impl Service {
    /// `/readyz`'s status and body; none once the service is gone.
    pub fn ready(&self) -> Option<(u16, String)> {
        let answer =
            reqwest::blocking::Client::new().get(format!("{}/readyz", self.url)).timeout(Duration::from_secs(5)).send();
        let answer = answer.ok()?;
        Some((answer.status().as_u16(), answer.text().ok()?))
    }

    /// The admin key it printed at its first start.
    pub fn printed_key(&self) -> String {
        self.printed.iter().map(|l| l.trim()).find(|l| l.starts_with("pk_")).expect("a first admin key").to_string()
    }
}

/// Two writers creating fonds through a service as fast as it answers, each write's code kept
/// with the moment it was answered 201; 503s and cut-off requests are tried again, any other
/// answer fails the test.
pub struct Writers {
    running: std::sync::Arc<std::sync::atomic::AtomicBool>,
    acknowledged: std::sync::Arc<std::sync::Mutex<Vec<(String, std::time::Instant)>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Writers {
    pub fn start(service: &Service, key: &str, prefix: &str) -> Self {
        use std::sync::atomic::Ordering;
        let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let threads = (0..2)
            .map(|writer| {
                let (running, acknowledged) = (running.clone(), acknowledged.clone());
                let (url, key, prefix) = (service.url.clone(), key.to_string(), prefix.to_string());
                std::thread::spawn(move || {
                    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
                    let mut n = 0;
                    while running.load(Ordering::SeqCst) {
                        n += 1;
                        let code = format!("{prefix}{writer}-{n}");
                        let sent = client
                            .post(format!("{url}/api/v1/fonds"))
                            .bearer_auth(&key)
                            .json(&serde_json::json!({"code": code, "name": "Phông ghi thử"}))
                            .send();
                        match sent.map(|answer| answer.status().as_u16()) {
                            Ok(201) => acknowledged.lock().unwrap().push((code, std::time::Instant::now())),
                            Ok(503) | Err(_) => std::thread::sleep(Duration::from_millis(20)),
                            Ok(other) => panic!("{code}: {other}"),
                        }
                    }
                })
            })
            .collect();
        Writers { running, acknowledged, threads }
    }

    /// When the first write after `moment` was answered 201, if one was.
    pub fn first_after(&self, moment: std::time::Instant) -> Option<std::time::Instant> {
        self.acknowledged.lock().unwrap().iter().map(|(_, at)| *at).find(|at| *at > moment)
    }

    /// Stops them; the codes answered 201.
    pub fn stop(self) -> Vec<String> {
        self.running.store(false, std::sync::atomic::Ordering::SeqCst);
        for thread in self.threads {
            thread.join().expect("a writer saw only 201, 503 or a cut-off request");
        }
        self.acknowledged.lock().unwrap().iter().map(|(code, _)| code.clone()).collect()
    }
}
