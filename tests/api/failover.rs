//! Failover: with a `DATABASE_URL` naming a primary and its synchronous standby
//! (`target_session_attrs=read-write`), the service follows a promotion without a restart and
//! keeps every write it acknowledged.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use paperkeep::db::local::LocalPostgres;

use crate::support::service::{Writers, serve};

/// libpq's multi-host form, both servers reached through their sockets.
fn both(servers: [&LocalPostgres; 2], attributes: &str) -> String {
    let hosts: Vec<String> = servers.iter().map(|s| s.socket_dir().to_string_lossy().replace('/', "%2F")).collect();
    format!("postgresql://postgres@{}/paperkeep?target_session_attrs={attributes}", hosts.join(","))
}

fn postmaster(server: &LocalPostgres) -> i32 {
    let text = std::fs::read_to_string(server.socket_dir().join("postmaster.pid")).unwrap();
    text.lines().next().unwrap().trim().parse().unwrap()
}

#[test]
fn a_promoted_standby_takes_the_writes_within_five_seconds_and_none_acknowledged_is_lost() {
    let primary = LocalPostgres::start_scratch().expect("the primary starts");
    primary.ensure_database("paperkeep").unwrap();
    let standby = LocalPostgres::start_scratch_standby(&primary, "standby").expect("the standby starts");
    let mut admin = PgConnection::establish(&primary.url("paperkeep")).unwrap();
    // Every commit waits for the standby to have it (the scratch server's default is not to); set
    // after the standby's copy was made, or, promoted, it would wait for a standby of its own.
    for setting in [
        "ALTER DATABASE paperkeep SET synchronous_commit = on",
        "ALTER SYSTEM SET synchronous_standby_names = '*'",
        "SELECT pg_reload_conf()",
    ] {
        admin.batch_execute(setting).unwrap();
    }
    let service = serve(&[("DATABASE_URL", &both([&primary, &standby], "read-write"))]);
    let key = service.printed_key();

    let writers = Writers::start(&service, &key, "F");
    std::thread::sleep(Duration::from_millis(1500));
    // The primary stopped hard; only the standby is left, read-only: 503 meanwhile.
    kill(Pid::from_raw(postmaster(&primary)), Signal::SIGKILL).unwrap();
    // Its connections found dead, then every host refused: 503, saying why.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // (The primary's backends may answer a moment more: killed alone, the postmaster leaves
        // them to notice.)
        let (status, body) = service.ready().unwrap();
        if status == 503 && body.contains("session is read-only") {
            break;
        }
        assert!(Instant::now() < deadline, "/readyz says why: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let promoted = Instant::now();
    PgConnection::establish(&standby.url("postgres")).unwrap().batch_execute("SELECT pg_promote()").unwrap();
    let deadline = promoted + Duration::from_secs(5);
    let switched = loop {
        if let Some(first) = writers.first_after(promoted) {
            break first - promoted;
        }
        assert!(Instant::now() < deadline, "no write reached the new primary within 5 s of its promotion");
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(1000));
    let acknowledged = writers.stop();
    let mut on_new_primary = PgConnection::establish(&standby.url("paperkeep")).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let stored: Vec<String> =
        diesel::RunQueryDsl::load::<Code>(diesel::sql_query("SELECT code FROM fonds"), &mut on_new_primary)
            .unwrap()
            .into_iter()
            .map(|c| c.code)
            .collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|code| !stored.contains(code)).collect();
    assert!(lost.is_empty(), "acknowledged but not on the new primary: {lost:?}");
    assert!(acknowledged.len() > 20, "writes went on: {}", acknowledged.len());
    eprintln!(
        "failover: {} writes acknowledged, none lost; writing again {switched:?} after the promotion",
        acknowledged.len()
    );
    assert_eq!(service.ready().map(|r| r.0), Some(200));
}
