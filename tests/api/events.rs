//! The change feed: one event per committed change, none for rolled-back work, and a consumer
//! paging with `after` sees each exactly once even when transactions commit out of order.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{file, fonds, id, location, move_box, new_box, repository};
use crate::support::{TestApp, count_rows, decoded_cursor};

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
    assert_eq!(events[7]["data"]["status"], "approved");
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
    let write = |conn: &mut diesel::PgConnection, code: &str| {
        conn.batch_execute("BEGIN").unwrap();
        diesel::sql_query(format!(
            "INSERT INTO events (type, subject, data) VALUES ('fonds.created', '/api/v1/fonds/0', '{{\"code\": \"{code}\"}}')"
        ))
        .execute(conn)
        .unwrap();
    };
    write(&mut held, "HELD");
    write(&mut rolled_back, "GONE");

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
    // A typo never passes silently; what only the trail shows is not in the feed.
    for types in ["bogus", "box.movd,fonds", "api_key.created", "webhook"] {
        let refused = app.get(&format!("/api/v1/events?types={types}"));
        assert_eq!(refused.invalid_fields(), ["types"], "{types}");
        let unknown = types.split(',').next().unwrap();
        assert!(refused.body["errors"][0]["message"].as_str().unwrap().contains(&format!("`{unknown}`")));
    }
    assert_eq!(app.get("/api/v1/audit-trail?types=api_key,bogus").invalid_fields(), ["types"]);
    assert_eq!(app.get("/api/v1/audit-trail?types=api_key.created,box").status, 200);
    // Not base64, not JSON, not a feed cursor, naming no event of this feed: 400, saying so.
    let feed_id = decoded_cursor(app.get("/api/v1/events").body["next_cursor"].as_str().unwrap())[0].clone();
    let encode =
        |value: Value| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, value.to_string());
    let impossible = encode(json!([feed_id, [99999999, "6f1a0c9e-4b3d-4c2a-9e8f-0a1b2c3d4e5f"]]));
    for cursor in ["%%%".to_string(), encode(json!("text")).replace('"', ""), "bm90IGpzb24".into(), impossible] {
        let refused = app.get(&format!("/api/v1/events?after={cursor}"));
        assert_eq!(refused.problem(400)["errors"][0]["field"], "after", "{cursor}");
    }
    assert_eq!(app.get("/api/v1/events?wait=61").invalid_fields(), ["wait"]);
    assert_eq!(app.get("/api/v1/events?since=1").invalid_fields(), ["since"]);
    let anonymous = app.request_as(None, Method::GET, "/api/v1/events").send();
    assert_eq!(anonymous.unwrap().status().as_u16(), 401);
}

/// What a cursor holds (cursors are opaque to readers; the tests look inside).
#[test]
fn a_reader_of_some_types_goes_past_the_others_once() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let (_, start) = read_feed(&app, None, "types=fonds");
    // The cursor names the last event read past, though none was shown.
    let last = app.all_pages("/api/v1/audit-trail?limit=1")[0].clone();
    assert_eq!(decoded_cursor(&start)[1][1], last["id"]);
    let b = id(&new_box(&app, "B-1", repo.shelves[0], json!({})));
    move_box(&app, b, json!({"to_location_id": repo.lab, "reason": "conservation"}));
    let quiet = app.get(&format!("/api/v1/events?types=fonds&after={start}"));
    assert!(quiet.items().is_empty());
    let moved = app.get("/api/v1/audit-trail?limit=1").items()[0].clone();
    let skipped = quiet.body["next_cursor"].as_str().unwrap();
    assert_eq!(decoded_cursor(skipped)[1][1], moved["id"], "past the box's events");
    fonds(&app, "SNV", "Phông Sở Nội vụ");
    let (found, _) = read_feed(&app, Some(skipped), "types=fonds");
    assert_eq!(types(&found), ["fonds.created"]);
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

/// What the trail got since the last look (`seen` entries ago), oldest first, after checking
/// that each event carries what a GET of its subject answers now; a deletion carries what the
/// subject was (`gone`, read before deleting).
#[track_caller]
/// Readers' events carry them as every key sees them: a viewer's GET (identity numbers
/// masked), not an admin's.
fn new_events_match_gets(app: &TestApp, viewer: &str, seen: &mut usize, gone: &[Value]) -> Vec<String> {
    let trail = app.all_pages("/api/v1/audit-trail?limit=500");
    let mut new: Vec<Value> = trail[..trail.len() - *seen].to_vec();
    new.reverse();
    *seen = trail.len();
    for event in &new {
        assert_eq!(event["data_schema"], 2, "{event}");
        let subject = event["subject"].as_str().unwrap();
        if event["type"].as_str().unwrap().ends_with(".deleted") {
            assert_eq!(app.get(subject).status, 404);
            assert!(gone.contains(&event["data"]), "a deletion carries the last representation: {event}");
            assert_eq!(event["before"], event["data"]);
            continue;
        }
        let now: crate::support::Answer = match subject.starts_with("/api/v1/readers/") {
            true => app.request_as(Some(viewer), reqwest::Method::GET, subject).send().into(),
            false => app.get(subject),
        };
        assert_eq!(now.status, 200, "{subject}: {}", now.text);
        assert_eq!(event["data"], now.body, "{} of {subject}", event["type"]);
    }
    new.iter().map(|event| event["type"].as_str().unwrap().to_string()).collect()
}

#[test]
fn every_event_carries_what_a_get_of_its_subject_answers() {
    let app = TestApp::spawn();
    let viewer = app.key("viewer");
    let (mut seen, mut types) = (0, Vec::new());
    // After each write: its events, checked against GETs of their subjects.
    let mut step = |gone: &[Value]| {
        let new = new_events_match_gets(&app, &viewer, &mut seen, gone);
        types.extend(new.clone());
        new
    };
    step(&[]);

    // Locations: a tree, shelving, a rename that renames everything below, a deletion.
    let building = id(&location(&app, None, "building", "K1", json!({})));
    step(&[]);
    let room = id(&location(&app, Some(building), "room", "P02", json!({"name": "Phòng kho 2"})));
    step(&[]);
    let unit = id(&location(&app, Some(room), "unit", "G05", json!({})));
    step(&[]);
    let shelving = app.post(
        &format!("/api/v1/locations/{unit}/shelving"),
        json!({"bays": 2, "shelves_per_bay": 3, "capacity_mm": 1000}),
    );
    assert_eq!(shelving.status, 201, "{}", shelving.text);
    assert_eq!(step(&[]), ["location.created"; 8]);
    let shelves: Vec<i64> = shelving.body["shelves"].as_array().unwrap().iter().map(id).collect();
    let lab = id(&location(&app, Some(building), "workspace", "LAB", json!({"purpose": "conservation_lab"})));
    step(&[]);
    let renamed = app.patch(&format!("/api/v1/locations/{room}"), "\"1\"", json!({"code": "P03"}));
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    // The room, its unit, 2 bays and 6 shelves: each says its new path, once.
    assert_eq!(step(&[]), ["location.updated"; 10]);
    let trail = app.get("/api/v1/audit-trail?types=location.updated&limit=10");
    let shelf = trail.items().iter().find(|e| e["data"]["kind"] == "shelf").unwrap();
    assert!(shelf["data"]["path_code"].as_str().unwrap().starts_with("K1-P03-G05-"), "{shelf}");
    assert!(shelf["before"]["path_code"].as_str().unwrap().starts_with("K1-P02-G05-"), "{shelf}");
    assert_eq!(shelf["data"]["version"], 2, "a location whose path changed has a new version");
    let doomed = id(&location(&app, Some(unit), "bay", "X", json!({})));
    step(&[]);
    let last = app.get(&format!("/api/v1/locations/{doomed}")).body;
    assert_eq!(app.delete(&format!("/api/v1/locations/{doomed}")).status, 204);
    step(&[last]);

    // Boxes: registered, changed, moved, audited (and so found missing), reconciled, lost, found.
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    step(&[]);
    let b = id(&new_box(&app, "B-1", shelves[0], json!({"fonds_id": snv})));
    step(&[]);
    assert_eq!(app.patch(&format!("/api/v1/boxes/{b}"), "\"1\"", json!({"label": "Hộp 1"})).status, 200);
    step(&[]);
    assert_eq!(move_box(&app, b, json!({"to_location_id": lab, "reason": "conservation"})).status, 201);
    step(&[]);
    assert_eq!(move_box(&app, b, json!({"reason": "return"})).status, 201);
    step(&[]);
    let stray = id(&new_box(&app, "B-2", shelves[1], json!({})));
    step(&[]);
    let audit = app.post("/api/v1/audits", json!({"location_id": shelves[0], "scanned": ["B-2"]}));
    assert_eq!(audit.status, 201, "{}", audit.text);
    step(&[]);
    let reconciled = app.post(&format!("/api/v1/audits/{}/reconcile", id(&audit.body)), json!(null));
    assert_eq!(reconciled.status, 200, "{}", reconciled.text);
    assert_eq!(step(&[]), ["box.updated", "box.moved", "audit.reconciled"]);
    assert_eq!(app.get(&format!("/api/v1/boxes/{b}")).body["status"], "missing");
    assert_eq!(app.get(&format!("/api/v1/boxes/{stray}")).body["current_location"]["id"], shelves[0]);
    // Written off, then found where it is recorded.
    for (action, body) in [("lost", json!({"note": "thất lạc"})), ("found", json!({}))] {
        let answer = app.post(&format!("/api/v1/boxes/{b}/{action}"), body);
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_eq!(step(&[]), ["box.moved"]);
    }

    // Holdings: fonds and files, changed; files imported.
    assert_eq!(app.patch(&format!("/api/v1/fonds/{snv}"), "\"1\"", json!({"creator": "Sở Nội vụ"})).status, 200);
    step(&[]);
    let f = file(&app, snv, 1, 100, json!({"box_id": b}));
    step(&[]);
    assert_eq!(app.patch(&format!("/api/v1/files/{f}"), "\"1\"", json!({"title": "Tập công văn"})).status, 200);
    step(&[]);
    let imported = app
        .request(Method::POST, "/api/v1/imports/files")
        .header("Content-Type", "text/csv")
        .body("fonds_code,inventory_no,file_no,title,leaves,box_barcode\nSNV,2,1,Hồ sơ,10,B-1\nSNV,2,2,Hồ sơ,12,\n")
        .send();
    assert_eq!(imported.unwrap().status().as_u16(), 201);
    assert_eq!(step(&[]), ["file.created"; 2]);

    // Conservation: a survey, a treatment proposed, approved and completed with the condition
    // after, a batch, vocabulary terms.
    let assessed = app.post(
        "/api/v1/assessments",
        json!({"file_id": f, "pages": "1-50", "grade": 3, "ph": 4.6, "recommended_treatments": ["backing"]}),
    );
    assert_eq!(assessed.status, 201, "{}", assessed.text);
    step(&[]);
    let t = id(&app.post("/api/v1/treatments", json!({"file_id": f, "pages": "1-50", "type": "backing"})).body);
    step(&[]);
    for step_to in
        [json!({"to": "approved"}), json!({"to": "in_progress"}), json!({"to": "completed", "after": {"grade": 2}})]
    {
        let answer = app.post(&format!("/api/v1/treatments/{t}/transitions"), step_to);
        assert_eq!(answer.status, 200, "{}", answer.text);
        step(&[]);
    }
    let batch = app.post(
        "/api/v1/treatments/batch",
        json!({"entries": [{"file_id": f, "pages": "60-70", "type": "mending", "status": "completed",
                            "completed_at": "2026-01-05T10:00:00Z", "after": {"grade": 1}},
                           {"file_id": f, "pages": "71", "type": "cleaning"}]}),
    );
    assert_eq!(batch.status, 201, "{}", batch.text);
    assert_eq!(step(&[]), ["assessment.created", "treatment.created", "treatment.created"]);
    let withdrawn =
        app.post(&format!("/api/v1/assessments/{}/withdrawal", id(&assessed.body)), json!({"reason": "Ghi nhầm"}));
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    step(&[]);
    let term = app.post(
        "/api/v1/vocabularies/material/terms",
        json!({"code": "tissue", "label_vi": "Giấy", "label_en": "Tissue"}),
    );
    assert_eq!(term.status, 201, "{}", term.text);
    step(&[]);
    let relabel = app.patch("/api/v1/vocabularies/material/terms/tissue", "\"1\"", json!({"label_en": "Tissue paper"}));
    assert_eq!(relabel.status, 200, "{}", relabel.text);
    step(&[]);

    // The reading room: a reader registered and changed, a closure made and removed, a request.
    let reader = app.post(
        "/api/v1/readers",
        json!({"full_name": "Trần Văn Minh", "identity_type": "cccd", "identity_no": "001234567890", "purpose": "personal"}),
    );
    assert_eq!(reader.status, 201, "{}", reader.text);
    step(&[]);
    let changed = app.patch(&format!("/api/v1/readers/{}", id(&reader.body)), "\"1\"", json!({"topic": "Địa bạ"}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    step(&[]);
    let closure = app.post("/api/v1/closures", json!({"first_day": "2027-02-05", "name": "Tết"}));
    step(&[]);
    let closure_path = format!("/api/v1/closures/{}", id(&closure.body));
    let last = app.get(&closure_path).body;
    assert_eq!(app.delete(&closure_path).status, 204);
    step(&[last]);
    let asked = json!({"reader_id": id(&reader.body), "kind": "read", "lines": [{"file_id": f}]});
    assert_eq!(app.post("/api/v1/reading-requests", asked).status, 201);
    step(&[]);
    let shelved = id(&new_box(&app, "B-SECRET", shelves[2], json!({})));
    step(&[]);
    let secret = json!({"fonds_id": snv, "inventory_no": 9, "file_no": 1, "title": "Hồ sơ mật", "page_count": 3,
                        "access": "restricted", "box_id": shelved});
    let secret = id(&app.post("/api/v1/files", secret).body);
    step(&[]);
    let asked = json!({"reader_id": id(&reader.body), "kind": "read", "lines": [{"file_id": secret}]});
    let asked = app.post("/api/v1/reading-requests", asked);
    step(&[]);
    let decided =
        app.post(&format!("/api/v1/reading-requests/{}/decision", id(&asked.body)), json!({"approved": true}));
    assert_eq!(decided.status, 200, "{}", decided.text);
    step(&[]);
    let cancelled =
        app.post(&format!("/api/v1/reading-requests/{}/cancel", id(&asked.body)), json!({"reason": "Không đến"}));
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    step(&[]);
    let rr = id(&location(&app, Some(building), "workspace", "RR", json!({"purpose": "reading_room"})));
    step(&[]);
    let visit = app.post("/api/v1/visits", json!({"reader_id": id(&reader.body), "location_id": rr}));
    assert_eq!(visit.status, 201, "{}", visit.text);
    step(&[]);
    assert_eq!(app.post(&format!("/api/v1/visits/{}/check-out", id(&visit.body)), json!({})).status, 200);
    step(&[]);
    // A file served: its box taken from the pull list, delivered, the file issued, kept for
    // the next day, issued again, given back, and the box home.
    let read_box = id(&new_box(&app, "B-READ", shelves[3], json!({})));
    step(&[]);
    let readable = json!({"fonds_id": snv, "inventory_no": 9, "file_no": 2, "title": "Hồ sơ đọc", "page_count": 3,
                          "box_id": read_box});
    let readable = id(&app.post("/api/v1/files", readable).body);
    step(&[]);
    let asked = json!({"reader_id": id(&reader.body), "kind": "read", "lines": [{"file_id": readable}]});
    let asked = app.post("/api/v1/reading-requests", asked);
    assert_eq!(step(&[]), ["reading_request.created"]);
    assert_eq!(app.post("/api/v1/pull-list/take", json!({"box_ids": [read_box]})).status, 200);
    assert_eq!(step(&[]), ["reading_request.retrieving"]);
    let to_rr = json!({"to_location_id": rr, "reason": "reading_room"});
    assert_eq!(app.post(&format!("/api/v1/boxes/{read_box}/moves"), to_rr).status, 201);
    assert_eq!(step(&[]), ["box.moved", "reading_request.delivered"]);
    assert_eq!(app.post("/api/v1/visits", json!({"reader_id": id(&reader.body), "location_id": rr})).status, 201);
    step(&[]);
    let hand = json!({"request_id": id(&asked.body), "line_no": 1});
    let issued = app.post("/api/v1/handovers", hand.clone());
    assert_eq!(issued.status, 201, "{}", issued.text);
    assert_eq!(step(&[]), ["reading_request.issued", "handover.issued"]);
    let kept = json!({"leaves": 3, "keep": true});
    assert_eq!(app.post(&format!("/api/v1/handovers/{}/return", id(&issued.body)), kept).status, 200);
    assert_eq!(step(&[]), ["reading_request.held", "handover.returned"]);
    let issued = app.post("/api/v1/handovers", hand);
    step(&[]);
    assert_eq!(app.post(&format!("/api/v1/handovers/{}/return", id(&issued.body)), json!({"leaves": 3})).status, 200);
    assert_eq!(step(&[]), ["reading_request.returned", "handover.returned"]);
    assert_eq!(app.post(&format!("/api/v1/boxes/{read_box}/moves"), json!({"reason": "return"})).status, 201);
    assert_eq!(step(&[]), ["box.moved", "reading_request.closed"]);
    assert_eq!(app.patch("/api/v1/reading-rules", "\"1\"", json!({"keep_days": 10})).status, 200);
    step(&[]);
    let copy = json!({"reader_id": id(&reader.body), "kind": "copy_certified", "format": "pdf",
                      "lines": [{"file_id": readable, "pages": "1-2"}]});
    let copy = app.post("/api/v1/reading-requests", copy);
    step(&[]);
    let approved =
        app.post(&format!("/api/v1/reading-requests/{}/copy-transitions", id(&copy.body)), json!({"to": "approved"}));
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(step(&[]), ["reading_request.copy_transitioned"]);

    // A reader who asks that their personal data be removed.
    let leaving = app.post(
        "/api/v1/readers",
        json!({"full_name": "Lê Văn Tám", "identity_type": "cccd", "identity_no": "001099000111", "purpose": "personal"}),
    );
    step(&[]);
    assert_eq!(app.post("/api/v1/readers/anonymise", json!({"reader_id": id(&leaving.body)})).status, 200);
    assert_eq!(step(&[]), ["reader.anonymised"]);

    // What only the trail shows: keys and webhooks.
    let key = app.post("/api/v1/api-keys", json!({"name": "Trần Văn Nam", "role": "viewer"}));
    step(&[]);
    assert_eq!(app.post(&format!("/api/v1/api-keys/{}/revoke", id(&key.body)), json!(null)).status, 200);
    step(&[]);
    let hook = app.post("/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook"}));
    step(&[]);
    assert_eq!(app.post(&format!("/api/v1/webhooks/{}/deactivate", id(&hook.body)), json!(null)).status, 200);
    step(&[]);
    // And staff accounts, made on the command line and changed in the app.
    let admin = crate::support::staff::person(&app, "quantri", paperkeep::keys::model::Role::Admin);
    assert_eq!(step(&[]), ["person.created"]);
    let browser = crate::support::staff::signed_in(&app, "quantri");
    let token = crate::support::staff::token(&app, &browser);
    let renamed = browser
        .post(format!("{}/people/{}", app.url, admin.id))
        .form(&[("csrf", token.as_str()), ("version", "1"), ("display_name", "Quản trị viên"), ("role", "admin")])
        .send()
        .unwrap();
    assert_eq!(renamed.status().as_u16(), 303);
    assert_eq!(step(&[]), ["person.updated"]);

    types.sort_unstable();
    types.dedup();
    let mut all: Vec<&str> = paperkeep::events::model::EVENT_TYPES.iter().map(|(name, _)| *name).collect();
    all.sort_unstable();
    assert_eq!(types, all, "every type of event was checked");
}

fn event_ids(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["id"].as_str().unwrap()).collect()
}

/// The id of the first event a webhook of `database` would send next, of type `prefix`.
fn next_for_webhook(database: &str, prefix: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Next {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut conn = diesel::PgConnection::establish(&crate::support::database_url(database)).unwrap();
    diesel::sql_query(format!(
        "SELECT e.id::text AS id FROM events e, webhooks w
         WHERE (e.tx, e.position) > (w.cursor_tx, w.cursor_position) AND e.type LIKE '{prefix}.%'
         ORDER BY e.tx, e.position LIMIT 1"
    ))
    .get_result::<Next>(&mut conn)
    .unwrap()
    .id
}

fn webhook_secret(database: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Secret {
        #[diesel(sql_type = diesel::sql_types::Text)]
        secret: String,
    }
    let mut conn = diesel::PgConnection::establish(&crate::support::database_url(database)).unwrap();
    diesel::sql_query("SELECT secret FROM webhooks").get_result::<Secret>(&mut conn).unwrap().secret
}

#[test]
fn the_feed_goes_on_after_the_archive_is_restored_elsewhere() {
    use paperkeep::imports::repo::restore;
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    // A catalogue has read the first 7 events; a subscriber follows boxes from now on.
    let first = app.get("/api/v1/events?limit=7");
    let read_so_far = first.body["next_cursor"].as_str().unwrap().to_string();
    let hook = app.post("/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook", "types": ["box"]}));
    assert_eq!(hook.status, 201, "{}", hook.text);
    for n in 1..=3 {
        new_box(&app, &format!("SNV-{n}"), repo.shelves[0], json!({"fonds_id": snv}));
    }
    let (original, end) = read_feed(&app, None, "limit=1000");
    let first_for_hook = next_for_webhook(&app.database, "box");
    let exported = app.request(Method::GET, "/api/v1/export").send().unwrap().text().unwrap();
    assert!(!exported.contains(hook.body["secret"].as_str().unwrap()), "the secret is sealed");
    // The old server goes on after the export.
    fonds(&app, "LATE", "Phông");
    let (_, beyond_export) = read_feed(&app, Some(&end), "");

    // Restored elsewhere, with the key the export was made with.
    let database = crate::support::fresh_database();
    let mut conn = diesel::PgConnection::establish(&crate::support::database_url(&database)).unwrap();
    let restored = restore(&mut conn, exported.as_bytes(), Some(&app.admin_key)).expect("the export restores");
    assert_eq!(restored.counts["events"].as_u64().unwrap() as usize, count_rows(&app, "events") as usize - 1);
    assert!(restored.new_secrets.is_empty());
    assert_eq!(webhook_secret(&database), hook.body["secret"].as_str().unwrap(), "the subscriber's secret");
    assert_eq!(next_for_webhook(&database, "box"), first_for_hook, "the subscriber goes on where it was");
    drop(conn);
    let copy = TestApp::serving(database, &app.admin_key);

    // From the start: every event once, in the original order; from a cursor given out before:
    // the rest; then what is new.
    let (replayed, _) = read_feed(&copy, None, "limit=5");
    assert_eq!(event_ids(&replayed), event_ids(&original));
    let (rest, end_of_copy) = read_feed(&copy, Some(&read_so_far), "limit=5");
    assert_eq!(event_ids(&rest), event_ids(&original[7..]));
    let (none, same) = read_feed(&copy, Some(&end), "");
    assert!(none.is_empty());
    assert_eq!(same, end_of_copy);
    fonds(&copy, "NEW", "Phông mới");
    let (new, _) = read_feed(&copy, Some(&end), "");
    assert_eq!(types(&new), ["fonds.created"]);
    assert_eq!(new[0]["data"]["code"], "NEW");

    // A cursor this database cannot continue is refused, saying why.
    let refused = copy.get(&format!("/api/v1/events?after={beyond_export}"));
    assert!(refused.problem(400)["detail"].as_str().unwrap().contains("does not have"), "{}", refused.text);
    let other = TestApp::spawn();
    fonds(&other, "X", "Phông");
    let (_, foreign) = read_feed(&other, None, "");
    let refused = copy.get(&format!("/api/v1/events?after={foreign}"));
    assert!(refused.problem(400)["detail"].as_str().unwrap().contains("another database"), "{}", refused.text);

    // Without the key, the subscriber gets a new secret, to be handed over; a wrong key restores
    // nothing.
    let database = crate::support::fresh_database();
    let mut conn = diesel::PgConnection::establish(&crate::support::database_url(&database)).unwrap();
    let wrong = restore(&mut conn, exported.as_bytes(), Some("pk_not_the_exporter"));
    assert!(matches!(wrong, Err(paperkeep::error::Error::Invalid(ref errors)) if errors[0].field == "key"));
    assert_eq!(crate::support::count_rows_in(&database, "events"), 0);
    let restored = restore(&mut conn, exported.as_bytes(), None).expect("the export restores");
    let (id, url, secret) = &restored.new_secrets[0];
    assert_eq!((*id, url.as_str()), (hook.body["id"].as_i64().unwrap(), "http://127.0.0.1:9/hook"));
    assert!(secret.starts_with("whsec_") && secret != hook.body["secret"].as_str().unwrap());
    assert_eq!(&webhook_secret(&database), secret);
    drop(conn);
    crate::support::drop_database(&database);
}
