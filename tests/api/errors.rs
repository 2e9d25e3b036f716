//! Every error is application/problem+json, whatever produced it.

use paperkeep::config::{HttpConfig, PoolConfig};
use reqwest::Method;
use serde_json::json;

use crate::support::{Answer, TestApp, count_rows, fixtures};

#[test]
fn unknown_route_is_a_404_problem() {
    let app = TestApp::spawn();
    let problem = app.get("/api/v1/nothing-here").problem(404).clone();
    assert_eq!(problem["type"], "urn:paperkeep:problem:not-found");
    app.get("/nothing-here").problem(404);
}

#[test]
fn wrong_method_is_a_405_problem_naming_the_allowed_ones() {
    let app = TestApp::spawn();
    let answer: Answer = app.request(Method::PUT, "/api/v1/locations").send().into();
    answer.problem(405);
    assert_eq!(answer.header("allow"), Some("POST, GET"));
    let answer: Answer = app.request(Method::POST, "/api/v1/locations/1").send().into();
    answer.problem(405);
    assert_eq!(answer.header("allow"), Some("GET, PATCH, DELETE"));
}

#[test]
fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn();
    for body in ["{\"kind\":", "not json", "{\"kind\": \"building\",}", ""] {
        let answer: Answer = app
            .request(Method::POST, "/api/v1/locations")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .into();
        answer.problem(400);
    }
}

#[test]
fn a_body_that_is_not_json_is_a_415_problem() {
    let app = TestApp::spawn();
    let body = r#"{"kind": "building", "code": "K1"}"#;
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut request = app.request(Method::POST, "/api/v1/locations").body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        Answer::from(request.send()).problem(415);
    }
    // application/*+json is JSON too.
    let answer: Answer = app
        .request(Method::POST, "/api/v1/locations")
        .header("content-type", "application/merge-patch+json")
        .body(body)
        .send()
        .into();
    assert_eq!(answer.status, 201, "{}", answer.text);
}

#[test]
fn a_body_over_the_limit_is_a_413_problem() {
    let app = TestApp::spawn_with(HttpConfig { max_body_bytes: 1024, ..HttpConfig::default() }, PoolConfig::default());
    let notes = "x".repeat(2000);
    let answer = app.post("/api/v1/locations", json!({"kind": "building", "code": "K1", "notes": notes}));
    answer.problem(413);
    let count: i64 = count_rows(&app, "locations");
    assert_eq!(count, 0, "nothing was written");
}

#[test]
fn invalid_input_lists_every_bad_field() {
    let app = TestApp::spawn();
    // Missing fields, all of them.
    assert_eq!(app.post("/api/v1/locations", json!({})).invalid_fields(), ["code", "kind"]);
    // Wrong types and unknown fields, all of them.
    let answer = app.post("/api/v1/locations", json!({"kind": 5, "code": null, "version": 3, "created_by": 1}));
    assert_eq!(answer.invalid_fields(), ["code", "created_by", "kind", "version"]);
    // Values out of range, all of them, with the rules that tie fields together.
    let answer = app.post(
        "/api/v1/locations",
        json!({"kind": "shelf", "code": "bad code", "name": "", "notes": "n".repeat(2001), "purpose": "loan"}),
    );
    assert_eq!(answer.invalid_fields(), ["capacity_mm", "code", "name", "notes", "purpose"]);
    // A body that is JSON but not an object.
    assert_eq!(app.post("/api/v1/locations", json!([1, 2])).invalid_fields(), ["body"]);
}

#[test]
fn bad_path_parameters_are_a_400_problem() {
    let app = TestApp::spawn();
    let problem = app.get("/api/v1/locations/abc").problem(400).clone();
    assert_eq!(problem["errors"][0]["field"], "id");
    app.get("/api/v1/locations/99999999999999999999").problem(400);
    app.get("/api/v1/locations/0").problem(404);
}

#[test]
fn bad_query_parameters_are_named() {
    let app = TestApp::spawn();
    assert_eq!(app.get("/api/v1/locations?limit=501").invalid_fields(), ["limit"]);
    assert_eq!(app.get("/api/v1/locations?limit=0").invalid_fields(), ["limit"]);
    assert_eq!(app.get("/api/v1/locations?limit=ten&kind=floor").invalid_fields(), ["kind", "limit"]);
    assert_eq!(app.get("/api/v1/locations?parnt_id=1").invalid_fields(), ["parnt_id"]);
    assert_eq!(app.get("/api/v1/locations?limit=500").status, 200);
    app.get("/api/v1/locations?cursor=garbage").problem(400);
    app.get("/api/v1/locations?cursor=WzFd").problem(400);
}

#[test]
fn a_lost_database_is_a_fast_503_and_never_a_hang() {
    let pool = PoolConfig { wait_ms: 1000, ..PoolConfig::default() };
    let app = TestApp::spawn_with(HttpConfig::default(), pool);
    fixtures::building_room_unit(&app);
    crate::support::drop_database(&app.database);
    let started = std::time::Instant::now();
    let answer = app.get("/api/v1/locations");
    answer.problem(503);
    assert!(answer.header("retry-after").is_some());
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "answered in {:?}", started.elapsed());
    app.get("/readyz").problem(503);
    assert_eq!(app.get("/healthz").status, 200, "the process itself is alive");
}

#[test]
fn an_exhausted_pool_is_a_fast_503() {
    let pool = PoolConfig { size: 1, wait_ms: 500, ..PoolConfig::default() };
    let app = TestApp::spawn_with(HttpConfig::default(), pool);
    let held = app.pooled();
    let started = std::time::Instant::now();
    app.get("/api/v1/locations").problem(503);
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "answered in {:?}", started.elapsed());
    let unknown: Answer = app.request_as(Some("pk_not_a_key_at_all"), Method::GET, "/api/v1/locations").send().into();
    unknown.problem(401);
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "a refused key takes no pooled connection");
    drop(held);
    assert_eq!(app.get("/api/v1/locations").status, 200, "it recovers once a connection is free");
}

#[test]
fn reads_take_at_most_half_the_pool_and_writes_the_rest() {
    use diesel::connection::SimpleConnection;
    let pool = PoolConfig { size: 2, wait_ms: 1000, ..PoolConfig::default() };
    let app = std::sync::Arc::new(TestApp::spawn_with(HttpConfig::default(), pool));
    let repo = fixtures::repository(&app);
    let b = fixtures::id(&fixtures::new_box(&app, "HALF-1", repo.shelves[0], json!({})));
    // A read of the fonds waits on this lock, holding its connection and the one read permit.
    let mut locker = app.db();
    locker.batch_execute("BEGIN; LOCK TABLE fonds IN ACCESS EXCLUSIVE MODE").unwrap();
    let reader = {
        let app = app.clone();
        std::thread::spawn(move || app.get("/api/v1/fonds").status)
    };
    std::thread::sleep(std::time::Duration::from_millis(300));

    let moved = fixtures::move_box(&app, b, json!({"to_location_id": repo.lab, "reason": "conservation"}));
    assert_eq!(moved.status, 201, "a write takes the other connection: {}", moved.text);
    app.get(&format!("/api/v1/boxes/{b}")).problem(503);

    locker.batch_execute("ROLLBACK").unwrap();
    assert_eq!(reader.join().unwrap(), 200);
    assert_eq!(app.get(&format!("/api/v1/boxes/{b}")).status, 200, "reads go on once the read is done");
}
