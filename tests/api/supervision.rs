//! The service's own PostgreSQL watched: killed with -9 (what the OOM killer does) it is started
//! again, and every write answered 201 is there; when it cannot be started again, the service
//! says why on /readyz and exits, so that whatever runs it sees.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::service::{DataDir, Writers, serve};

/// The postmaster's process id, from its pid file (there once it has started).
fn postmaster(data: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data.join("postgres/postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

#[test]
fn the_private_postgres_killed_twenty_times_is_started_again_and_keeps_every_acknowledged_write() {
    let dir = DataDir::new("supervised");
    let data = dir.path();
    let mut service = serve(&[("PAPERKEEP_DATA_DIR", dir.as_str())]);
    let key = service.printed_key();
    let writers = Writers::start(&service, &key, "W");

    let mut slowest = Duration::ZERO;
    for round in 1..=20 {
        std::thread::sleep(Duration::from_millis(300));
        let killed = postmaster(data).expect("the postmaster's pid");
        kill(Pid::from_raw(killed), Signal::SIGKILL).unwrap();
        let started = Instant::now();
        loop {
            let up = postmaster(data).is_some_and(|pid| pid != killed) && service.ready().is_some_and(|r| r.0 == 200);
            if up {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(5), "round {round}: not serving again within 5 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        slowest = slowest.max(started.elapsed());
        eprintln!("round {round}: serving again after {:?}", started.elapsed());
    }
    std::thread::sleep(Duration::from_millis(300));
    let acknowledged = writers.stop();
    assert!(acknowledged.len() > 100, "writes went on between the kills: {}", acknowledged.len());
    let client = reqwest::blocking::Client::new();
    let mut stored = Vec::new();
    let mut next = "/api/v1/fonds?limit=500".to_string();
    loop {
        let page: serde_json::Value =
            client.get(format!("{}{next}", service.url)).bearer_auth(&key).send().unwrap().json().unwrap();
        stored.extend(page["items"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("/api/v1/fonds?limit=500&cursor={cursor}"),
            None => break,
        }
    }
    let lost: Vec<&String> = acknowledged.iter().filter(|code| !stored.contains(code)).collect();
    assert!(lost.is_empty(), "writes answered 201 but not stored: {lost:?}");
    eprintln!("twenty kills: {} writes acknowledged, none lost; serving again within {slowest:?}", acknowledged.len());
    assert!(service.terminate().success());
}

#[test]
fn a_postgres_that_cannot_start_again_is_said_on_readyz_and_the_service_exits() {
    let dir = DataDir::new("unrecoverable");
    let data = dir.path();
    let mut service = serve(&[("PAPERKEEP_DATA_DIR", dir.as_str())]);
    assert_eq!(service.ready().map(|r| r.0), Some(200));
    // Its cluster directory made unreadable, then the server killed: it cannot come back.
    let cluster = data.join("postgres");
    std::fs::set_permissions(&cluster, std::fs::Permissions::from_mode(0o000)).unwrap();
    kill(Pid::from_raw(postmaster(data).unwrap()), Signal::SIGKILL).unwrap();
    let started = Instant::now();
    let mut said = None;
    let status = loop {
        if let Some(status) = service.child.try_wait().unwrap() {
            break status;
        }
        if let Some((503, why)) = service.ready().filter(|(_, why)| why.contains("PostgreSQL")) {
            said = Some(why);
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the service never gave up");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(3), "the service exits with its own status when its database is lost");
    assert!(said.is_some_and(|why| why.contains("did not start again") || why.contains("stopped unexpectedly")));
    std::fs::set_permissions(&cluster, std::fs::Permissions::from_mode(0o700)).unwrap();
}
