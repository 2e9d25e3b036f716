//! The audit trail: every write with who, when, before and after; admins read it, nobody
//! changes it.

use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::json;

use crate::support::fixtures::{new_box, repository};
use crate::support::{Answer, TestApp};

#[test]
fn the_trail_shows_who_changed_what_with_the_row_before_and_after() {
    let app = TestApp::spawn();
    let place = repository(&app);
    let manager = app.key("storage_manager");
    let manager_id = app.all_pages("/api/v1/api-keys").last().unwrap()["id"].as_i64().unwrap();
    let archive_box = new_box(&app, "HS-1", place.shelves[0], json!({"label": "Hộp 1"}));
    let box_id = archive_box["id"].as_i64().unwrap();
    let relabel: Answer = app
        .request_as(Some(&manager), Method::PATCH, &format!("/api/v1/boxes/{box_id}"))
        .header("If-Match", "\"1\"")
        .json(&json!({"label": "Hộp 12"}))
        .send()
        .into();
    assert_eq!(relabel.status, 200, "{}", relabel.text);
    assert_eq!(app.post(&format!("/api/v1/api-keys/{manager_id}/revoke"), json!(null)).status, 200);

    let trail = app.get(&format!("/api/v1/audit-trail?subject=/api/v1/boxes/{box_id}"));
    let types = trail.strings("type");
    assert_eq!(types, ["box.updated", "box.created"], "newest first");
    let update = &trail.items()[0];
    assert_eq!(update["actor"], manager_id);
    assert_eq!(update["before"]["label"], "Hộp 1");
    assert_eq!(update["data"]["label"], "Hộp 12");
    assert!(update["before"].get("search_key").is_none(), "no internals: {update}");
    assert_eq!(trail.items()[1]["actor"], 1);
    assert!(trail.items()[1]["before"].is_null());

    // Keys are in the trail (never their hashes) but not in the feed.
    let revocations = app.get("/api/v1/audit-trail?types=api_key.revoked");
    let revocation = &revocations.items()[0];
    assert_eq!(revocation["subject"], format!("/api/v1/api-keys/{manager_id}"));
    assert_eq!((revocation["actor"].as_i64(), revocation["internal"].as_bool()), (Some(1), Some(true)));
    assert!(revocation["before"]["revoked_at"].is_null() && revocation["data"]["revoked_at"].is_string());
    assert!(revocation["data"].get("key_hash").is_none());
    let feed = app.settled_feed("");
    assert!(!feed.strings("type").is_empty() && feed.strings("type").iter().all(|t| !t.starts_with("api_key")));

    // Filters and paging.
    let by_manager = app.get(&format!("/api/v1/audit-trail?actor={manager_id}"));
    assert_eq!(by_manager.strings("type"), ["box.updated"]);
    let everything = app.all_pages("/api/v1/audit-trail?limit=3");
    assert_eq!(everything.len() as i64, crate::support::count_rows(&app, "events"));
}

#[test]
fn nobody_changes_the_trail() {
    let app = TestApp::spawn();
    repository(&app);
    for method in [Method::POST, Method::PATCH, Method::PUT, Method::DELETE] {
        Answer::from(app.request(method, "/api/v1/audit-trail").json(&json!({})).send()).problem(405);
    }
    // Not even with the database's own hands: the events table refuses it.
    let mut db = app.db();
    assert!(diesel::sql_query("UPDATE events SET actor = 99").execute(&mut db).is_err());
    assert!(diesel::sql_query("DELETE FROM events").execute(&mut db).is_err());
    // Only an admin reads it.
    let head = app.key("head_conservator");
    Answer::from(app.request_as(Some(&head), Method::GET, "/api/v1/audit-trail").send()).problem(403);
}
