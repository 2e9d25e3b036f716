//! The `paperkeep` binary as a newcomer runs it: a private PostgreSQL when no DATABASE_URL is
//! set, a first admin key printed once, data kept between starts, a clean stop on SIGTERM.

use std::path::Path;
use std::process::Command;

use crate::support::service::{BINARY, DataDir, serve};
use crate::support::{database_url, fresh_database};

fn printed_key(printed: &[String]) -> Option<String> {
    printed.iter().map(|l| l.trim()).find(|l| l.starts_with("pk_")).map(str::to_string)
}

fn postgres_runs(data_dir: &Path) -> bool {
    data_dir.join("postgres/postmaster.pid").exists()
}

#[test]
fn without_database_url_it_runs_its_own_postgres_and_keeps_the_data() {
    let dir = DataDir::new("data");
    let (data_dir, data) = (dir.path(), dir.as_str());
    let mut first = serve(&[("PAPERKEEP_DATA_DIR", data)]);
    let key = printed_key(&first.printed).expect("the first start prints an admin key");
    assert_eq!(first.get("/api/v1/locations", &key), 200);
    assert!(postgres_runs(data_dir));

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

    // The first start says how to make the first account for the app; `users create` does.
    assert!(first.printed.iter().any(|l| l.contains("paperkeep users create")), "{:?}", first.printed);
    let users = |args: &[&str]| {
        Command::new(BINARY)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("PAPERKEEP_DATA_DIR", data)
            .env("PAPERKEEP_PASSWORD", "giấy dó và hồ CMC")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let made = users(&["users", "create", "--username", "lan", "--name", " Nguyễn Thị Lan ", "--role", "admin"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let refused = users(&["users", "create", "--username", "Lan Nguyễn", "--name", "Lan", "--role", "admin"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("username: must be 2 to 40"), "{refused:?}");

    assert!(first.terminate().success());
    assert!(!postgres_runs(data_dir), "the database server stops with the service");

    // A second start reuses the data: no new key, and the old keys still work.
    let mut second = serve(&[("PAPERKEEP_DATA_DIR", data)]);
    assert_eq!(printed_key(&second.printed), None);
    assert!(second.printed.iter().any(|l| l.contains("paperkeep keys create")), "{:?}", second.printed);
    assert!(!second.printed.iter().any(|l| l.contains("No one can sign in")), "{:?}", second.printed);
    assert_eq!(second.get("/api/v1/locations", &key), 200);
    assert_eq!(second.get("/api/v1/locations", &conservator), 200);
    assert!(second.terminate().success());
    assert!(!postgres_runs(data_dir));
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

/// The pipelined connections speak tokio-postgres, which knows fewer URL options than libpq: a
/// URL only libpq understands stops `serve` at start, saying why, instead of serving 503s.
#[test]
fn a_database_url_the_pipelined_connections_cannot_use_stops_the_start_with_a_message() {
    let url = format!("{}&sslcert=/nonexistent", database_url(&fresh_database()));
    let mut child = Command::new(BINARY)
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("PAPERKEEP_BIND", "127.0.0.1:0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("serve started with a URL its pipelined connections cannot use");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pipelined connections (tokio-postgres) cannot connect"), "{stderr}");
    assert!(stderr.contains("sslcert"), "the message names what was not understood: {stderr}");
}
