//! Faults: the service killed with -9 in the middle of a write, PostgreSQL stopped under load and
//! started again, a statement that would wait forever, and clients too slow to finish a request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use paperkeep::config::{HttpConfig, PoolConfig};
use paperkeep::db::local::LocalPostgres;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::support::service::{Service, serve};
use crate::support::{Answer, TestApp, count_rows_in, database_url, fixtures, fresh_database};

const KEY: &str = "pk_faults_0123456789abcdef0123456789abcdef";

/// `paperkeep serve` as its own process on `database`, its first admin key `KEY`.
fn service_on(database: &str) -> Service {
    let url = database_url(database);
    serve(&[("DATABASE_URL", url.as_str()), ("PAPERKEEP_BOOTSTRAP_KEY", KEY), ("PAPERKEEP_RATE_LIMIT", "0")])
}

fn post(service: &Service, path: &str, body: &Value) -> Answer {
    Client::new().post(format!("{}{path}", service.url)).bearer_auth(KEY).json(body).send().into()
}

/// The rows of `table` once PostgreSQL has finished with every connection the killed service
/// left behind (rolled back, or committed if its COMMIT was already on the wire).
fn settled_count(database: &str, table: &str) -> i64 {
    let busy = "pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'";
    for _ in 0..100 {
        if count_rows_in(database, busy) == 0 {
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    count_rows_in(database, table)
}

/// Sends `request` on a thread, kills the service with -9 after `delay`, and tells whether the
/// request was cut off (no answer) or answered first.
fn kill_during(service: &mut Service, delay: Duration, request: reqwest::blocking::RequestBuilder) -> bool {
    let sender = thread::spawn(move || request.send().map(|r| r.status().as_u16()));
    thread::sleep(delay);
    service.kill_9();
    sender.join().unwrap().is_err()
}

#[test]
fn a_treatment_batch_cut_off_by_kill_9_is_all_or_nothing() {
    let database = fresh_database();
    let mut service = service_on(&database);
    let fonds = post(&service, "/api/v1/fonds", &json!({"code": "SNV", "name": "Phông Sở Nội vụ"}));
    let file = post(
        &service,
        "/api/v1/files",
        &json!({"fonds_id": fonds.body["id"], "inventory_no": 1, "file_no": 1, "title": "Hồ sơ", "page_count": 100_000}),
    )
    .body["id"]
        .as_i64()
        .unwrap();
    let batch = |round: usize| {
        let entries: Vec<Value> = (0..5_000)
            .map(|i| {
                json!({"file_id": file, "pages": (round * 5_000 + i + 1).to_string(), "type": "backing",
                       "status": "completed", "completed_at": "2026-09-12T16:00:00Z", "after": {"grade": 2}})
            })
            .collect();
        json!({"entries": entries})
    };
    let mut cut_off = 0;
    for (round, delay_ms) in [30, 150, 400, 900].into_iter().enumerate() {
        let request = Client::new()
            .post(format!("{}/api/v1/treatments/batch", service.url))
            .bearer_auth(KEY)
            .timeout(Duration::from_secs(60))
            .json(&batch(round));
        cut_off += kill_during(&mut service, Duration::from_millis(delay_ms), request) as usize;
        let treatments = settled_count(&database, "treatments");
        assert_eq!(treatments % 5_000, 0, "round {round}: a batch was kept in part ({treatments} treatments)");
        assert_eq!(settled_count(&database, "assessments"), treatments, "each completed one has its condition after");
        assert_eq!(settled_count(&database, "events WHERE type = 'treatment.created'"), treatments);
        service = service_on(&database);
    }
    assert!(cut_off >= 1, "no batch was cut off: the test proved nothing");
    // Uninterrupted, the same batch goes in whole.
    let before = settled_count(&database, "treatments");
    let answer = Client::new()
        .post(format!("{}/api/v1/treatments/batch", service.url))
        .bearer_auth(KEY)
        .timeout(Duration::from_secs(120))
        .json(&batch(9))
        .send();
    assert_eq!(Answer::from(answer).status, 201);
    assert_eq!(settled_count(&database, "treatments"), before + 5_000);
}

#[test]
fn an_import_cut_off_by_kill_9_is_all_or_nothing() {
    let database = fresh_database();
    let mut service = service_on(&database);
    assert_eq!(post(&service, "/api/v1/fonds", &json!({"code": "SNV", "name": "Phông Sở Nội vụ"})).status, 201);
    let rows = |round: usize| {
        let mut csv = String::from("fonds_code,inventory_no,file_no,title,leaves\n");
        for n in 1..=20_000 {
            csv.push_str(&format!("SNV,{round},{n},Hồ sơ số {n},{}\n", n % 300 + 1));
        }
        csv
    };
    let mut cut_off = 0;
    for (round, delay_ms) in [100, 600, 1_500].into_iter().enumerate() {
        let request = Client::new()
            .post(format!("{}/api/v1/imports/files", service.url))
            .bearer_auth(KEY)
            .header("Content-Type", "text/csv")
            .timeout(Duration::from_secs(60))
            .body(rows(round + 1));
        cut_off += kill_during(&mut service, Duration::from_millis(delay_ms), request) as usize;
        let files = settled_count(&database, "files");
        assert_eq!(files % 20_000, 0, "round {round}: an import was kept in part ({files} files)");
        assert_eq!(settled_count(&database, "events WHERE type = 'file.created'"), files);
        service = service_on(&database);
    }
    assert!(cut_off >= 1, "no import was cut off: the test proved nothing");
}

/// PostgreSQL stops while four clients write; it comes back two seconds later. Every request is
/// answered (201, or 503 within 2 s), the service reconnects by itself, and every write it
/// acknowledged is there.
#[test]
fn postgres_stopped_under_load_is_503_fast_and_the_service_recovers_by_itself() {
    let Outage { dir, mut postgres, url, key, base, mut server } = Outage::prepare();

    let done = AtomicBool::new(false);
    let outcomes: Vec<(u16, Duration, String, Instant)> = thread::scope(|scope| {
        let writers: Vec<_> = (0..4)
            .map(|writer| {
                let (base, key, done) = (&base, &key, &done);
                scope.spawn(move || {
                    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
                    let mut seen = Vec::new();
                    for n in 0.. {
                        if done.load(Ordering::SeqCst) {
                            break;
                        }
                        let code = format!("W{writer}-{n}");
                        let started = Instant::now();
                        let answer = client
                            .post(format!("{base}/api/v1/fonds"))
                            .bearer_auth(key)
                            .json(&json!({"code": code, "name": "Phông"}))
                            .send();
                        let status = answer.map(|a| a.status().as_u16()).unwrap_or(0);
                        seen.push((status, started.elapsed(), code, started));
                        thread::sleep(Duration::from_millis(20));
                    }
                    seen
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(1_500));
        postgres.stop();
        let stopped_at = Instant::now();
        thread::sleep(Duration::from_secs(2));
        postgres = LocalPostgres::start(&dir).expect("PostgreSQL starts again");
        thread::sleep(Duration::from_secs(4));
        done.store(true, Ordering::SeqCst);
        let mut all: Vec<_> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
        all.push((0, Duration::ZERO, "outage".into(), stopped_at));
        all
    });
    let stopped_at = outcomes.iter().find(|o| o.2 == "outage").unwrap().3;
    let outcomes: Vec<_> = outcomes.into_iter().filter(|o| o.2 != "outage").collect();
    for (status, took, code, _) in &outcomes {
        assert!([201, 503].contains(status), "{code}: {status}");
        assert!(*took < Duration::from_millis(2_200), "{code}: answered {status} after {took:?}");
    }
    assert!(outcomes.iter().any(|o| o.0 == 503), "the outage was seen");
    let recovered = outcomes.iter().filter(|o| o.0 == 201 && o.3 > stopped_at + Duration::from_secs(2)).count();
    assert!(recovered > 0, "writes succeed again once PostgreSQL is back, without a restart");
    // Every acknowledged write is stored.
    let stored: Vec<String> = {
        use diesel::prelude::*;
        use paperkeep::schema::fonds;
        fonds::table.select(fonds::code).load(&mut PgConnection::establish(&url).unwrap()).unwrap()
    };
    for (_, _, code, _) in outcomes.iter().filter(|o| o.0 == 201) {
        assert!(stored.contains(code), "{code} was acknowledged but is missing");
    }
    server.stop();
    postgres.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_statement_timeout_bounds_a_query_that_would_wait_forever() {
    let pool = PoolConfig { statement_timeout_ms: 500, ..PoolConfig::default() };
    let app = TestApp::spawn_with(HttpConfig::default(), pool);
    let place = fixtures::repository(&app);
    let archive_box = fixtures::id(&fixtures::new_box(&app, "HS-1", place.shelves[0], json!({})));
    // Another session holds the box's row lock and does not let go.
    let mut holder = app.db();
    diesel::sql_query("BEGIN").execute(&mut holder).unwrap();
    diesel::sql_query(format!("SELECT 1 FROM boxes WHERE id = {archive_box} FOR UPDATE")).execute(&mut holder).unwrap();
    let started = Instant::now();
    app.patch(&format!("/api/v1/boxes/{archive_box}"), "*", json!({"label": "Hộp 1"})).problem(503);
    assert!(started.elapsed() < Duration::from_secs(2), "answered after {:?}", started.elapsed());
    diesel::sql_query("ROLLBACK").execute(&mut holder).unwrap();
    assert_eq!(app.patch(&format!("/api/v1/boxes/{archive_box}"), "*", json!({"label": "Hộp 1"})).status, 200);

    // The look-up by barcode runs on its own (pipelined) connections: bounded the same way.
    diesel::sql_query("BEGIN").execute(&mut holder).unwrap();
    diesel::sql_query("LOCK TABLE boxes IN ACCESS EXCLUSIVE MODE").execute(&mut holder).unwrap();
    let started = Instant::now();
    app.get("/api/v1/boxes/by-barcode/HS-1").problem(503);
    assert!(started.elapsed() < Duration::from_secs(2), "answered after {:?}", started.elapsed());
    diesel::sql_query("ROLLBACK").execute(&mut holder).unwrap();
    assert_eq!(app.get("/api/v1/boxes/by-barcode/HS-1").status, 200);
}

/// A PostgreSQL of its own (so that a test may stop it), migrated, and the service on it.
struct Outage {
    dir: std::path::PathBuf,
    postgres: LocalPostgres,
    url: String,
    /// The first admin key.
    key: String,
    /// Where the service listens.
    base: String,
    server: paperkeep::app::Running,
}

impl Outage {
    fn prepare() -> Self {
        let dir = nix::unistd::mkdtemp(&std::env::temp_dir().join("paperkeep-outage-XXXXXX")).unwrap();
        let postgres = LocalPostgres::start(&dir).expect("PostgreSQL starts");
        postgres.ensure_database("paperkeep").unwrap();
        let url = postgres.url("paperkeep");
        let mut conn = PgConnection::establish(&url).unwrap();
        paperkeep::db::migrate(&mut conn).unwrap();
        let key = paperkeep::keys::repo::bootstrap(&mut conn, None).unwrap().unwrap();
        let pool = paperkeep::db::pool(&url, &PoolConfig::default()).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = paperkeep::app::spawn(listener, pool, HttpConfig { rate_limit: 0, ..HttpConfig::default() });
        Outage { dir, postgres, url, key, base, server }
    }
}

/// The look-up by barcode's pipelined connections belong to the HTTP workers, not to the pool:
/// while PostgreSQL is down the look-up is answered 503 at once, and once it is back the lost
/// connections are replaced without a restart.
#[test]
fn the_look_up_is_503_while_postgres_is_down_and_works_again_by_itself() {
    let Outage { dir, mut postgres, key, base, mut server, .. } = Outage::prepare();
    let look_up = format!("{base}/api/v1/boxes/by-barcode/HS-1");
    // One client: one HTTP connection, served by one worker, which opens its connections.
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let status = || client.get(&look_up).bearer_auth(&key).send().unwrap().status().as_u16();
    for _ in 0..4 {
        assert_eq!(status(), 404, "no box has this barcode");
    }

    postgres.stop();
    for _ in 0..4 {
        let started = Instant::now();
        assert_eq!(status(), 503);
        assert!(started.elapsed() < Duration::from_secs(2), "answered after {:?}", started.elapsed());
    }
    postgres = LocalPostgres::start(&dir).expect("PostgreSQL starts again");
    let answers: Vec<u16> = (0..6).map(|_| status()).collect();
    assert!(answers.iter().all(|s| [404, 503].contains(s)), "{answers:?}");
    assert_eq!(answers[4..], [404, 404], "the look-up works again: {answers:?}");
    server.stop();
    postgres.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Fifty clients that start a request and never finish it (headers or body) hold no worker and
/// no database connection: everyone else is served as usual, and a request whose headers never
/// complete is closed by the service.
#[test]
fn slow_clients_cannot_starve_the_others() {
    let app = TestApp::spawn();
    let address = app.url.trim_start_matches("http://").to_string();
    let mut stalled: Vec<TcpStream> = (0..50)
        .map(|n| {
            let mut stream = TcpStream::connect(&address).unwrap();
            let start = if n % 2 == 0 {
                "GET /api/v1/locations HTTP/1.1\r\nHost: x\r\n".to_string()
            } else {
                format!(
                    "POST /api/v1/fonds HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
                     Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"code\": ",
                    app.admin_key
                )
            };
            stream.write_all(start.as_bytes()).unwrap();
            stream
        })
        .collect();
    for _ in 0..20 {
        let started = Instant::now();
        assert_eq!(app.get("/api/v1/locations").status, 200);
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    }
    // Unfinished headers are cut off (408) after the request timeout.
    let half_headers = &mut stalled[0];
    half_headers.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut answer = Vec::new();
    let closed = half_headers.read_to_end(&mut answer).is_ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(closed, "the half-sent request is still open after 15 s");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
}
