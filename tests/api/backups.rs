//! The private PostgreSQL's continuous backups: base backups and the WAL archive recover the
//! data as it was at any moment since the first backup, record by record; what cannot be
//! recovered, or written, is said.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::service::{BINARY, DataDir, Service, serve};

/// `paperkeep <args>` on the data directory `data`.
fn paperkeep(data: &DataDir, args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("PAPERKEEP_DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("paperkeep runs")
}

fn said(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn new_fonds(service: &Service, key: &str, code: &str) {
    let answer = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/fonds", service.url))
        .bearer_auth(key)
        .json(&json!({"code": code, "name": format!("Phông {code} — lưu trữ")}))
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201, "{code}");
}

/// Every item of a paged list, following its cursors.
fn all(service: &Service, key: &str, path: &str) -> Vec<Value> {
    let (client, mut items) = (reqwest::blocking::Client::new(), Vec::new());
    let mut next = format!("{path}?limit=500");
    loop {
        let page: Value = client.get(format!("{}{next}", service.url)).bearer_auth(key).send().unwrap().json().unwrap();
        let got = page["items"].as_array().unwrap();
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) if !got.is_empty() => next = format!("{path}?limit=500&cursor={cursor}"),
            _ => return items,
        }
    }
}

/// The change feed, once it shows the creation of fonds `last` (its horizon may trail the writes
/// a moment).
fn feed(service: &Service, key: &str, last: &str) -> Vec<Value> {
    let client = reqwest::blocking::Client::new();
    let mut items = Vec::new();
    wait_until(&format!("the feed to show {last}"), || {
        let page: Value = client
            .get(format!("{}/api/v1/events?limit=1000", service.url))
            .bearer_auth(key)
            .send()
            .unwrap()
            .json()
            .unwrap();
        items = page["items"].as_array().unwrap().clone();
        items.iter().any(|event| event.to_string().contains(&format!("\"code\":\"{last}\"")))
    });
    items
}

/// The service's metric `name`.
fn metric(service: &Service, name: &str) -> Option<f64> {
    let text = reqwest::blocking::get(format!("{}/metrics", service.url)).unwrap().text().unwrap();
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Waits (up to a minute) until `done`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "{what} within a minute");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The complete base backups `backup list` names.
fn listed(data: &DataDir) -> Vec<String> {
    let output = paperkeep(data, &["backup", "list"]);
    assert!(output.status.success(), "{}", said(&output));
    // Each backup's line begins with its name, the moment it started: 20261205T143000.123Z.
    said(&output).lines().filter(|l| l.starts_with("20")).map(|l| l.split_whitespace().next().unwrap().into()).collect()
}

#[test]
fn recovery_to_a_moment_holds_exactly_the_writes_committed_by_then() {
    let data = DataDir::new("recovered-from");
    let service = serve(&[("PAPERKEEP_DATA_DIR", data.as_str())]);
    let key = service.printed_key();
    // The service takes its first base backup as it starts.
    wait_until("a first base backup", || listed(&data).len() == 1);
    wait_until("the backup's age in the metrics", || {
        metric(&service, "paperkeep_backup_base_age_seconds").is_some_and(|age| age < 60.0)
    });
    assert_eq!(metric(&service, "paperkeep_backup_failing"), Some(0.0));
    assert!(service.ready().is_some_and(|(status, body)| status == 200 && !body.contains("backups_failing")));

    for n in 1..=5 {
        new_fonds(&service, &key, &format!("A{n}"));
    }
    let taken = paperkeep(&data, &["backup", "now"]);
    assert!(taken.status.success(), "{}", said(&taken));
    assert_eq!(listed(&data).len(), 2);
    for n in 1..=5 {
        new_fonds(&service, &key, &format!("B{n}"));
    }
    std::thread::sleep(Duration::from_millis(1100));
    let moment = chrono::Utc::now().to_rfc3339();
    std::thread::sleep(Duration::from_millis(1100));
    for n in 1..=5 {
        new_fonds(&service, &key, &format!("C{n}"));
    }
    let (fonds, events) = (all(&service, &key, "/api/v1/fonds"), feed(&service, &key, "C5"));

    // Refused: before the first backup, in the future, into a directory holding something.
    let into = DataDir::new("recovered-into");
    for (to, why) in [
        ("2000-01-01T00:00:00Z", "recovery is possible from"),
        ("2099-01-01 00:00:00+07:00", "recovery is possible from"),
    ] {
        let refused = paperkeep(&data, &["recover", "--to", to, "--into", into.as_str()]);
        assert!(!refused.status.success() && said(&refused).contains(why), "{to}: {}", said(&refused));
        assert!(!into.path().join("postgres").exists(), "nothing is written when refused");
    }
    let bad = paperkeep(&data, &["recover", "--to", "yesterday", "--into", into.as_str()]);
    assert!(!bad.status.success() && said(&bad).contains("2026-12-05T14:30:00+07:00"), "{}", said(&bad));
    std::fs::create_dir_all(into.path()).unwrap();
    std::fs::write(into.path().join("notes.txt"), "giữ lại").unwrap();
    let occupied = paperkeep(&data, &["recover", "--to", &moment, "--into", into.as_str()]);
    assert!(said(&occupied).contains("is not empty"), "{}", said(&occupied));
    assert_eq!(std::fs::read_to_string(into.path().join("notes.txt")).unwrap(), "giữ lại");
    std::fs::remove_file(into.path().join("notes.txt")).unwrap();

    let recovered = paperkeep(&data, &["recover", "--to", &moment, "--into", into.as_str()]);
    assert!(recovered.status.success(), "{}", said(&recovered));
    assert!(said(&recovered).contains(&format!("PAPERKEEP_DATA_DIR={}", into.as_str())));
    drop(service);
    let restored = serve(&[("PAPERKEEP_DATA_DIR", into.as_str())]);
    let committed_by_then = |item: &&Value| !item.to_string().contains("\"code\":\"C");
    let expected_fonds: Vec<Value> = fonds.iter().filter(committed_by_then).cloned().collect();
    let expected_feed: Vec<Value> = events.iter().filter(committed_by_then).cloned().collect();
    assert_eq!(expected_fonds.len(), 10);
    assert_eq!(all(&restored, &key, "/api/v1/fonds"), expected_fonds);
    assert_eq!(feed(&restored, &key, "B5"), expected_feed);
    assert!(expected_feed.len() < events.len());
    // The recovered data is a database like any other: it takes writes.
    new_fonds(&restored, &key, "D1");
}

#[test]
fn a_base_backup_killed_halfway_is_not_listed_and_the_next_one_succeeds() {
    let data = DataDir::new("backup-killed");
    let _service = serve(&[("PAPERKEEP_DATA_DIR", data.as_str())]);
    wait_until("a first base backup", || listed(&data).len() == 1);
    let before = listed(&data);
    let base = data.backups().join("base");
    let mut taking = Command::new(BINARY)
        .args(["backup", "now"])
        .env_remove("DATABASE_URL")
        .env("PAPERKEEP_DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let partial_with_files = |base: &Path| {
        std::fs::read_dir(base).unwrap().filter_map(|e| e.ok()).any(|e| {
            e.file_name().to_string_lossy().ends_with(".partial")
                && std::fs::read_dir(e.path()).is_ok_and(|mut files| files.next().is_some())
        })
    };
    wait_until("a base backup being written", || partial_with_files(&base));
    taking.kill().unwrap();
    taking.wait().unwrap();
    assert_eq!(listed(&data), before, "the backup cut off is not listed");
    let next = paperkeep(&data, &["backup", "now"]);
    assert!(next.status.success(), "{}", said(&next));
    assert_eq!(listed(&data).len(), 2);
    assert!(!partial_with_files(&base), "the cut-off backup was removed");
}

#[test]
fn backups_that_cannot_be_written_are_said_while_the_service_keeps_serving() {
    let parent = DataDir::new("backups-elsewhere");
    std::fs::create_dir_all(parent.path()).unwrap();
    let unwritable = parent.path().join("read-only");
    std::fs::create_dir_all(&unwritable).unwrap();
    std::fs::set_permissions(&unwritable, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut cases = vec![
        (parent.path().join("not-mounted"), "does not exist"),
        (unwritable.clone(), "the last base backup failed"),
    ];
    // A disk that is full: a 1 MB tmpfs, where the machine lets us mount one (as root).
    let full = Mounted::tmpfs(&parent.path().join("full"));
    match &full {
        Some(full) => cases.push((full.0.clone(), "No space left on device")),
        None => eprintln!("backups to a full disk not tried: mounting a tmpfs is not allowed here"),
    }
    for (backup_dir, why) in cases {
        let data = DataDir::new(&format!("backups-{}", backup_dir.file_name().unwrap().to_string_lossy()));
        let service =
            serve(&[("PAPERKEEP_DATA_DIR", data.as_str()), ("PAPERKEEP_BACKUP_DIR", backup_dir.to_str().unwrap())]);
        let key = service.printed_key();
        wait_until("backups said to fail", || {
            service.ready().is_some_and(|(_, body)| body.contains("backups_failing"))
        });
        let (status, body) = service.ready().unwrap();
        assert_eq!(status, 200, "the service is ready all the same");
        assert!(body.contains(why), "{body}");
        assert_eq!(metric(&service, "paperkeep_backup_failing"), Some(1.0));
        // Writes go on, and are kept.
        new_fonds(&service, &key, "E1");
        assert!(all(&service, &key, "/api/v1/fonds").iter().any(|f| f["code"] == "E1"));
        let kept = std::fs::read_dir(backup_dir.join("base")).map_or(0, |entries| entries.count());
        assert!(kept <= 1, "nothing but the lock file is left in {}", backup_dir.display());
    }
    std::fs::set_permissions(&unwritable, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A tmpfs mounted for a test, unmounted when dropped.
struct Mounted(std::path::PathBuf);

impl Mounted {
    fn tmpfs(at: &Path) -> Option<Mounted> {
        std::fs::create_dir_all(at).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs"])
            .arg(at)
            .output()
            .is_ok_and(|output| output.status.success());
        mounted.then(|| Mounted(at.to_path_buf()))
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}
