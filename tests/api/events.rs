//! The change feed: one event per committed change, none for rolled-back work, and a consumer
//! paging with `after` sees each exactly once even when transactions commit out of order.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{file, fonds, id, move_box, new_box, repository};
use crate::support::{TestApp, count_rows};

/// Reads the feed from `after` to its end; returns the events and the last cursor.
fn read_feed(app: &TestApp, after: Option<&str>, query: &str) -> (Vec<Value>, String) {
    let mut events = Vec::new();
    let mut cursor = after.map(String::from);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/events?after={c}&{query}"),
            None => format!("/api/v1/events?{query}"),
        };
        let page = app.get(&path);
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.items().clone();
        cursor = Some(page.body["next_cursor"].as_str().expect("always a cursor").to_string());
        if items.is_empty() {
            return (events, cursor.unwrap());
        }
        events.extend(items);
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn admin_id(app: &TestApp) -> i64 {
    app.get("/api/v1/api-keys").items()[0]["id"].as_i64().unwrap()
}

#[test]
fn every_committed_change_is_one_event_and_refusals_are_none() {
    let app = TestApp::spawn();
    let (_, start) = read_feed(&app, None, "limit=1000");
    let repo = repository(&app);
    let (created, _) = read_feed(&app, Some(&start), "limit=1000");
    // Building, room, unit, 2 bays, 6 shelves, lab, reading room.
    assert_eq!(types(&created), ["location.created"; 13]);
    let (_, start) = read_feed(&app, Some(&start), "");

    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let b = new_box(&app, "B-1", repo.shelves[0], json!({"fonds_id": snv}));
    let box_id = id(&b);
    assert_eq!(move_box(&app, box_id, json!({"to_location_id": repo.lab, "reason": "conservation"})).status, 201);
    // Refused (already there): no event.
    assert_eq!(move_box(&app, box_id, json!({"to_location_id": repo.lab, "reason": "conservation"})).status, 409);
    assert_eq!(app.patch(&format!("/api/v1/boxes/{box_id}"), "\"2\"", json!({"label": "Hộp 1"})).status, 200);
    let f = file(&app, snv, 1, 100, json!({"box_id": box_id}));
    let assessed =
        app.post("/api/v1/assessments", json!({"file_id": f, "grade": 3, "recommended_treatments": ["backing"]}));
    assert_eq!(assessed.status, 201, "{}", assessed.text);
    let treatment = app.post("/api/v1/treatments", json!({"file_id": f, "pages": "1-50", "type": "backing"}));
    assert_eq!(treatment.status, 201, "{}", treatment.text);
    let t = id(&treatment.body);
    let approve = app.post(&format!("/api/v1/treatments/{t}/transitions"), json!({"to": "approved"}));
    assert_eq!(approve.status, 200, "{}", approve.text);
    let audit = app.post("/api/v1/audits", json!({"location_id": repo.shelves[0], "scanned": []}));
    assert_eq!(audit.status, 201, "{}", audit.text);

    let (events, _) = read_feed(&app, Some(&start), "limit=3");
    assert_eq!(
        types(&events),
        [
            "fonds.created",
            "box.created",
            "box.moved",
            "box.updated",
            "file.created",
            "assessment.created",
            "treatment.created",
            "treatment.transitioned",
            "audit.created"
        ]
    );
    let admin = admin_id(&app);
    for event in &events {
        assert_eq!(event["actor"], admin, "{event}");
        assert!(event["id"].as_str().unwrap().len() == 36, "{event}");
        assert!(event["occurred_at"].is_string(), "{event}");
    }
    assert_eq!(events[1]["subject"], format!("/api/v1/boxes/{box_id}"));
    assert_eq!(events[2]["data"]["to_location_id"], repo.lab);
    assert_eq!(events[3]["data"]["label"], "Hộp 1");
    assert_eq!(events[6]["data"]["pages"], "1-50");
    assert_eq!(events[7]["data"]["to_status"], "approved");
    assert_eq!(events[7]["subject"], format!("/api/v1/treatments/{t}"));

    // Filters: by type, or by resource.
    let (moved, _) = read_feed(&app, None, "types=box.moved");
    assert_eq!(types(&moved), ["box.moved"]);
    let (treatments, _) = read_feed(&app, None, "types=treatment,fonds.created");
    assert_eq!(types(&treatments), ["fonds.created", "treatment.created", "treatment.transitioned"]);
    // And one in the trail only: the first admin key.
    assert_eq!(count_rows(&app, "events"), 13 + 9 + 1);
}

#[test]
fn the_feed_holds_back_behind_an_open_transaction_and_skips_nothing() {
    let app = TestApp::spawn();
    let (_, start) = read_feed(&app, None, "");

    // A writer that has written and not yet committed…
    let mut held = app.db();
    let mut rolled_back = app.db();
    held.batch_execute("BEGIN").unwrap();
    diesel::sql_query("INSERT INTO fonds (code, name, created_by, updated_by) VALUES ('HELD', 'Held', 1, 1)")
        .execute(&mut held)
        .unwrap();
    rolled_back.batch_execute("BEGIN").unwrap();
    diesel::sql_query("INSERT INTO fonds (code, name, created_by, updated_by) VALUES ('GONE', 'Gone', 1, 1)")
        .execute(&mut rolled_back)
        .unwrap();

    // …while others commit after it, concurrently, and a consumer follows the feed.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (url, key) = (app.url.clone(), app.admin_key.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                for n in 0..25 {
                    let answer = http
                        .post(format!("{url}/api/v1/fonds"))
                        .bearer_auth(&key)
                        .json(&json!({"code": format!("W{w}-{n}"), "name": "Phông"}))
                        .send()
                        .unwrap();
                    assert_eq!(answer.status().as_u16(), 201);
                }
            })
        })
        .collect();
    let mut seen: Vec<Value> = Vec::new();
    let mut cursor = start.clone();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let (events, next) = read_feed(&app, Some(&cursor), "limit=7");
        seen.extend(events);
        cursor = next;
    }
    for writer in writers {
        writer.join().unwrap();
    }
    // Nothing after the open transaction's start is shown while it is open.
    let (more, _) = read_feed(&app, Some(&cursor), "");
    seen.extend(more);
    assert!(seen.is_empty(), "the feed overtook an open transaction: {} events", seen.len());

    diesel::sql_query("ROLLBACK").execute(&mut rolled_back).unwrap();
    diesel::sql_query("COMMIT").execute(&mut held).unwrap();
    let (events, _) = read_feed(&app, Some(&cursor), "limit=7");
    seen.extend(events);
    let codes: Vec<&str> = seen.iter().map(|e| e["data"]["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 101, "every committed change once: {codes:?}");
    assert_eq!(codes[0], "HELD", "the held transaction started first");
    assert_eq!(codes.iter().collect::<HashSet<_>>().len(), 101, "no event twice");
    assert!(!codes.contains(&"GONE"), "no event of a rolled-back transaction");
    let ids: HashSet<&str> = seen.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 101);
}

#[test]
fn a_long_poll_answers_as_soon_as_something_happens() {
    let app = TestApp::spawn();
    let (_, start) = read_feed(&app, None, "");
    let (url, key) = (app.url.clone(), app.admin_key.clone());
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        let http = reqwest::blocking::Client::new();
        let answer = http
            .post(format!("{url}/api/v1/fonds"))
            .bearer_auth(&key)
            .json(&json!({"code": "LP", "name": "Phông"}))
            .send();
        assert_eq!(answer.unwrap().status().as_u16(), 201);
    });
    let began = Instant::now();
    let answer = app.get(&format!("/api/v1/events?after={start}&wait=20"));
    writer.join().unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(types(answer.items()), ["fonds.created"]);
    assert!(began.elapsed() < Duration::from_secs(10), "answered when the event came, not at the end of the wait");

    // Nothing new: an empty page after the wait, with a cursor to go on from.
    let began = Instant::now();
    let cursor = answer.body["next_cursor"].as_str().unwrap();
    let empty = app.get(&format!("/api/v1/events?after={cursor}&wait=1"));
    assert!(empty.items().is_empty());
    assert!(began.elapsed() >= Duration::from_secs(1));
    assert_eq!(empty.body["next_cursor"], cursor);
}

#[test]
fn bad_feed_parameters_are_refused() {
    let app = TestApp::spawn();
    app.get("/api/v1/events?after=not-a-cursor").problem(400);
    // Another list's cursor is foreign here.
    for n in 0..3 {
        fonds(&app, &format!("F{n}"), "Phông");
    }
    let fonds_page = app.get("/api/v1/fonds?limit=1");
    let foreign = fonds_page.body["next_cursor"].as_str().unwrap();
    let answer = app.get(&format!("/api/v1/events?after={foreign}"));
    assert_eq!(answer.problem(400)["errors"][0]["field"], "after");
    assert_eq!(app.get("/api/v1/events?limit=0").invalid_fields(), ["limit"]);
    assert_eq!(app.get("/api/v1/events?wait=61").invalid_fields(), ["wait"]);
    assert_eq!(app.get("/api/v1/events?since=1").invalid_fields(), ["since"]);
    let anonymous = app.request_as(None, Method::GET, "/api/v1/events").send();
    assert_eq!(anonymous.unwrap().status().as_u16(), 401);
}

#[test]
fn events_cannot_be_changed() {
    let app = TestApp::spawn();
    fonds(&app, "SNV", "Phông Sở Nội vụ");
    let mut db = app.db();
    let refused = diesel::sql_query("UPDATE events SET type = 'x'").execute(&mut db);
    assert!(refused.is_err());
    let refused = diesel::sql_query("DELETE FROM events").execute(&mut db);
    assert!(refused.is_err());
}
