//! Idempotency-Key on POST: a retry replays the first answer instead of writing twice.

use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use paperkeep::config::PoolConfig;
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

#[test]
fn the_same_key_while_the_first_request_runs_is_a_conflict() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "B-1", repo.shelves[0], json!({})));
    let path = format!("/api/v1/boxes/{b}/moves");
    let body = json!({"to_location_id": repo.lab, "reason": "conservation"});

    // Hold the box row so that the first move waits inside its transaction.
    let mut blocker = app.db();
    blocker.batch_execute("BEGIN").unwrap();
    diesel::sql_query(format!("SELECT 1 FROM boxes WHERE id = {b} FOR UPDATE")).execute(&mut blocker).unwrap();
    let (url, key, first_path, first_body) = (app.url.clone(), app.admin_key.clone(), path.clone(), body.clone());
    let first = std::thread::spawn(move || {
        let http = reqwest::blocking::Client::new();
        let answer = http
            .post(format!("{url}{first_path}"))
            .bearer_auth(key)
            .header("Idempotency-Key", "move-1")
            .json(&first_body)
            .send()
            .unwrap();
        answer.status().as_u16()
    });
    std::thread::sleep(Duration::from_millis(500));
    let meanwhile = post_with_key(&app, &app.admin_key, "move-1", &path, &body);
    assert!(meanwhile.problem(409)["detail"].as_str().unwrap().contains("still being processed"));
    blocker.batch_execute("COMMIT").unwrap();
    assert_eq!(first.join().unwrap(), 201);
    let after = post_with_key(&app, &app.admin_key, "move-1", &path, &body);
    assert_eq!(after.status, 201);
    assert_eq!(after.header("idempotent-replayed"), Some("true"));
    assert_eq!(count_rows(&app, "movements"), 2, "the first placement and one move");
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
fn keys_are_kept_24_hours() {
    let app = TestApp::spawn();
    let body = json!({"code": "SNV", "name": "Phông Sở Nội vụ"});
    assert_eq!(post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &body).status, 201);
    let mut db = app.db();
    diesel::sql_query("UPDATE idempotency_keys SET created_at = now() - interval '23 hours'").execute(&mut db).unwrap();
    let kept = post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &body);
    assert_eq!(kept.header("idempotent-replayed"), Some("true"));
    diesel::sql_query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'").execute(&mut db).unwrap();
    // Past 24 hours the key is forgotten: the request runs again (and meets the code it made).
    post_with_key(&app, &app.admin_key, "k", "/api/v1/fonds", &body).problem(409);
    // The next recorded key removes the expired one.
    let next = post_with_key(&app, &app.admin_key, "k2", "/api/v1/fonds", &json!({"code": "UB", "name": "Phông"}));
    assert_eq!(next.status, 201);
    assert_eq!(count_rows(&app, "idempotency_keys WHERE key = 'k'"), 0);
    assert_eq!(count_rows(&app, "idempotency_keys WHERE key = 'k2'"), 1);
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
