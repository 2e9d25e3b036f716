//! Idempotency-Key on POST: a retry replays the first answer instead of writing twice.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{PgConnection, RunQueryDsl};
use paperkeep::config::PoolConfig;
use paperkeep::db::idempotency::{SWEPT_AT_MOST, sweep};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{id, new_box, repository};
use crate::support::{Answer, TestApp, count_rows};

fn post_with_key(app: &TestApp, api_key: &str, idempotency_key: &str, path: &str, body: &Value) -> Answer {
    app.request_as(Some(api_key), Method::POST, path)
        .header("Idempotency-Key", idempotency_key)
        .json(body)
        .send()
        .into()
}

#[test]
fn a_retry_gets_the_first_answer_and_writes_nothing_more() {
    let app = TestApp::spawn();
    let body = json!({"code": "SNV", "name": "Phông Sở Nội vụ"});
    let first = post_with_key(&app, &app.admin_key, "fonds-1", "/api/v1/fonds", &body);
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = post_with_key(&app, &app.admin_key, "fonds-1", "/api/v1/fonds", &body);
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.text, first.text);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("content-type"), first.header("content-type"));
    assert_eq!(count_rows(&app, "fonds"), 1);
    assert_eq!(count_rows(&app, "events WHERE NOT internal"), 1);

    // The same key for another request is refused; for another API key it is another key.
    let other = post_with_key(&app, &app.admin_key, "fonds-1", "/api/v1/fonds", &json!({"code": "UB", "name": "x"}));
    assert!(other.problem(422)["detail"].as_str().unwrap().contains("different request"));
    let elsewhere =
        post_with_key(&app, &app.admin_key, "fonds-1", "/api/v1/api-keys", &json!({"name": "n", "role": "viewer"}));
    elsewhere.problem(422);
    let manager = app.key("storage_manager");
    let theirs =
        post_with_key(&app, &manager, "fonds-1", "/api/v1/fonds", &json!({"code": "UB", "name": "Phông UBND"}));
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_eq!(theirs.header("idempotent-replayed"), None);

    // Without the header, POST is as before.
    let plain = app.post("/api/v1/fonds", json!({"code": "SGD", "name": "Phông Sở Giáo dục"}));
    assert_eq!(plain.status, 201);
    assert_eq!(count_rows(&app, "fonds"), 3);
}

#[test]
fn a_stored_answer_cannot_be_read_from_the_database_only_replayed() {
    let app = TestApp::spawn();
    let body = json!({"name": "reading room", "role": "viewer"});
    let created = post_with_key(&app, &app.admin_key, "new-key", "/api/v1/api-keys", &body);
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.body["key"].as_str().unwrap().to_string();
    let again = post_with_key(&app, &app.admin_key, "new-key", "/api/v1/api-keys", &body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["key"], secret.as_str());
    // The record holds the answer sealed: neither the secret nor any of the answer's text.
    let stored =
        count_rows(&app, &format!("idempotency_keys WHERE position(convert_to('{secret}', 'UTF8') in body) > 0"));
    assert_eq!(stored, 0);
    assert_eq!(count_rows(&app, "idempotency_keys WHERE position(convert_to('reading room', 'UTF8') in body) > 0"), 0);
    assert_eq!(count_rows(&app, "idempotency_keys WHERE get_byte(body, 0) = 1"), 1);
}

#[test]
fn refusals_are_not_kept_so_a_corrected_world_gets_a_fresh_answer() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "B-1", repo.shelves[0], json!({})));
    let path = format!("/api/v1/boxes/{b}/moves");
    let home = json!({"to_location_id": repo.shelves[0], "reason": "reshelve"});
    post_with_key(&app, &app.admin_key, "move-1", &path, &home).problem(409);
    let again = post_with_key(&app, &app.admin_key, "move-1", &path, &home);
    again.problem(409);
    assert_eq!(again.header("idempotent-replayed"), None);
}

/// A move of a new box to the lab with an Idempotency-Key, sent while another transaction holds
/// the box's row, so that it waits inside its own transaction until `holder` commits.
struct HeldMove {
    path: String,
    body: Value,
    holder: PgConnection,
    answer: std::thread::JoinHandle<Answer>,
}

fn held_move(app: &TestApp, idempotency_key: &str) -> HeldMove {
    let repo = repository(app);
    let b = id(&new_box(app, "B-1", repo.shelves[0], json!({})));
    let path = format!("/api/v1/boxes/{b}/moves");
    let body = json!({"to_location_id": repo.lab, "reason": "conservation"});
    let mut holder = app.db();
    holder.batch_execute("BEGIN").unwrap();
    diesel::sql_query(format!("SELECT 1 FROM boxes WHERE id = {b} FOR UPDATE")).execute(&mut holder).unwrap();
    let request = app
        .request_as(Some(&app.admin_key), Method::POST, &path)
        .header("Idempotency-Key", idempotency_key)
        .json(&body);
    let answer = std::thread::spawn(move || request.send().into());
    std::thread::sleep(Duration::from_millis(500));
    HeldMove { path, body, holder, answer }
}

#[test]
fn the_same_key_while_the_first_request_runs_is_a_conflict() {
    let app = TestApp::spawn();
    let mut first = held_move(&app, "move-1");
    let meanwhile = post_with_key(&app, &app.admin_key, "move-1", &first.path, &first.body);
    assert!(meanwhile.problem(409)["detail"].as_str().unwrap().contains("still being processed"));
    first.holder.batch_execute("COMMIT").unwrap();
    assert_eq!(first.answer.join().unwrap().status, 201);
    let after = post_with_key(&app, &app.admin_key, "move-1", &first.path, &first.body);
    assert_eq!(after.status, 201);
    assert_eq!(after.header("idempotent-replayed"), Some("true"));
    assert_eq!(count_rows(&app, "movements"), 2, "the first placement and one move");
}

#[test]
fn a_key_recorded_by_another_request_meanwhile_undoes_this_one() {
    let app = TestApp::spawn();
    // The move waits inside its transaction for the box...
    let mut moving = held_move(&app, "k'\\\"");
    // ...while a request with the same key (on another instance, say) records its answer.
    app.db()
        .batch_execute(
            r#"INSERT INTO idempotency_keys (api_key_id, key, fingerprint, status, headers, body)
               SELECT id, 'k''\"', '\x00', 201, '[]', '' FROM api_keys WHERE role = 'admin'"#,
        )
        .unwrap();
    moving.holder.batch_execute("COMMIT").unwrap();
    // That one was another request (its fingerprint differs): this move is undone and refused.
    assert!(moving.answer.join().unwrap().problem(422)["detail"].as_str().unwrap().contains("different request"));
    assert_eq!(count_rows(&app, "movements"), 1, "only the first placement: the move was undone");
    assert_eq!(count_rows(&app, "events WHERE type = 'box.moved'"), 0);
}

#[test]
fn keys_with_quotes_and_backslashes_are_kept_like_any_other() {
    let app = TestApp::spawn();
    let body = json!({"code": "SNV", "name": "Phông Sở Nội vụ"});
    for key in ["it's", r"back\slash", r#"q"u'o\te';--"#] {
        let body = json!({"code": format!("F{}", key.len()), "name": body["name"]});
        let first = post_with_key(&app, &app.admin_key, key, "/api/v1/fonds", &body);
        assert_eq!(first.status, 201, "{key}: {}", first.text);
        let again = post_with_key(&app, &app.admin_key, key, "/api/v1/fonds", &body);
        assert_eq!(again.header("idempotent-replayed"), Some("true"), "{key}");
        assert_eq!(again.text, first.text);
        assert_eq!(count_rows(&app, &format!("idempotency_keys WHERE key = '{}'", key.replace('\'', "''"))), 1);
    }
    assert_eq!(count_rows(&app, "fonds"), 3);
}

#[test]
fn an_outage_answer_is_not_kept_so_the_retry_succeeds() {
    let pool = PoolConfig { size: 2, wait_ms: 300, ..PoolConfig::default() };
    let app = TestApp::spawn_with(Default::default(), pool);
    let body = json!({"code": "SNV", "name": "Phông Sở Nội vụ"});
    let held = [app.pooled(), app.pooled()];
    post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &body).problem(503);
    drop(held);
    let retry = post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &body);
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert_eq!(retry.header("idempotent-replayed"), None);
}

#[test]
fn keys_are_kept_24_hours_then_removed() {
    let app = TestApp::spawn();
    let body = json!({"code": "SNV", "name": "Phông Sở Nội vụ"});
    assert_eq!(post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &body).status, 201);
    let mut db = app.db();
    let age = |db: &mut PgConnection, hours: i32| {
        diesel::sql_query(format!("UPDATE idempotency_keys SET created_at = now() - interval '{hours} hours'"))
            .execute(db)
            .unwrap()
    };
    age(&mut db, 23);
    let kept = post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &body);
    assert_eq!(kept.header("idempotent-replayed"), Some("true"));
    // Past 24 hours a record is honoured until the sweep removes it...
    age(&mut db, 25);
    let late = post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &body);
    assert_eq!(late.header("idempotent-replayed"), Some("true"));
    assert_eq!(sweep(&mut db).unwrap(), 1);
    assert_eq!(count_rows(&app, "idempotency_keys"), 0);
    // ...and then the key is forgotten: the request runs again (and meets the code it made),
    post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &body).problem(409);
    // and a request that succeeds with it is recorded afresh.
    let again = post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &json!({"code": "UB", "name": "Phông"}));
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), None);
    assert_eq!(count_rows(&app, "idempotency_keys WHERE key = 'k' AND created_at > now() - interval '1 hour'"), 1);

    // A sweep removes up to 1,000 expired records, the oldest first, and leaves live ones.
    let expired = |db: &mut PgConnection, count: i32| {
        diesel::sql_query(format!(
            "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, created_at, status, headers, body)
             SELECT api_key_id, 'old-' || n, '', now() - interval '25 hours' - n * interval '1 second', 201, '[]', ''
             FROM idempotency_keys, generate_series(1, {count}) AS n WHERE key = 'k'"
        ))
        .execute(db)
        .unwrap()
    };
    expired(&mut db, 1100);
    assert_eq!(sweep(&mut db).unwrap(), SWEPT_AT_MOST);
    assert_eq!(count_rows(&app, "idempotency_keys WHERE key LIKE 'old-%'"), 100);
    assert_eq!(count_rows(&app, "idempotency_keys WHERE key LIKE 'old-%' AND substr(key, 5)::int > 100"), 0);
    assert_eq!(sweep(&mut db).unwrap(), 100);
    assert_eq!(count_rows(&app, "idempotency_keys"), 1, "k, live");

    // The service sweeps by itself: an instance as it starts, then every minute.
    expired(&mut db, 2500);
    let _second = app.second_instance();
    let deadline = Instant::now() + Duration::from_secs(10);
    while count_rows(&app, "idempotency_keys WHERE key LIKE 'old-%'") > 0 {
        assert!(Instant::now() < deadline, "expired records are still there");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(count_rows(&app, "idempotency_keys"), 1);
}

#[test]
fn bad_idempotency_keys_are_refused() {
    let app = TestApp::spawn();
    let body = json!({"code": "SNV", "name": "Phông"});
    for bad in ["", "   ", &"k".repeat(256)] {
        let answer = post_with_key(&app, &app.admin_key, bad, "/api/v1/fonds", &body);
        assert_eq!(answer.problem(400)["errors"][0]["field"], "Idempotency-Key", "{bad:?}");
    }
    let not_ascii: Answer = app
        .request(Method::POST, "/api/v1/fonds")
        .header("Idempotency-Key", reqwest::header::HeaderValue::from_bytes(b"cl\xe9").unwrap())
        .json(&body)
        .send()
        .into();
    not_ascii.problem(400);
    assert_eq!(count_rows(&app, "fonds"), 0);
    assert_eq!(post_with_key(&app, &app.admin_key, &"k".repeat(255), "/api/v1/fonds", &body).status, 201);
}
