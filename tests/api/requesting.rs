//! Reading requests over the API: each line decided servable or not by the service, with the
//! reasons a reader understands; deadlines in working days; the pull list, one box a pull in
//! shelf order.

use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{fonds, id, move_box, new_box, repository};
use crate::support::{Answer, TestApp, count_rows};

/// A reader registered at the desk; their id.
fn reader(app: &TestApp, name: &str, identity: &str) -> i64 {
    let body = json!({"full_name": name, "identity_type": "cccd", "identity_no": identity, "purpose": "personal"});
    let answer = app.post("/api/v1/readers", body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    id(&answer.body)
}

fn request(app: &TestApp, reader: i64, files: &[i64]) -> Answer {
    let lines: Vec<Value> = files.iter().map(|f| json!({"file_id": f})).collect();
    app.post("/api/v1/reading-requests", json!({"reader_id": reader, "kind": "read", "lines": lines}))
}

/// Each line's servability and its reasons' codes.
fn decided(request: &Value) -> Vec<(String, Vec<String>)> {
    request["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            let reasons = line["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string());
            (line["servable"].as_str().unwrap().to_string(), reasons.collect())
        })
        .collect()
}

#[test]
fn three_files_asked_one_refused_for_its_condition_two_pulled_in_one_walk() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    // Box X on shelf 1-2 holds files 1 and 2; box Y on shelf 1-1 holds file 3, whose pages are
    // unusable; box W on shelf 1-1 holds file 4, asked for by another reader.
    let x = id(&new_box(&app, "SNV-X", repo.shelves[1], json!({"fonds_id": snv})));
    let y = id(&new_box(&app, "SNV-Y", repo.shelves[0], json!({"fonds_id": snv})));
    let w = id(&new_box(&app, "SNV-W", repo.shelves[0], json!({"fonds_id": snv})));
    let file = |no: i32, in_box: i64| crate::support::fixtures::file(&app, snv, no, 40, json!({"box_id": in_box}));
    let (one, two, three, four) = (file(1, x), file(2, x), file(3, y), file(4, w));
    let worn = json!({"file_id": three, "pages": "10-12", "grade": 4});
    assert_eq!(app.post("/api/v1/assessments", worn).status, 201);
    let minh = reader(&app, "Trần Văn Minh", "001234567890");
    let hoa = reader(&app, "Nguyễn Thị Hoa", "079123456789");

    let desk = app.key("reading_room");
    let lines = json!([{"file_id": one}, {"file_id": two}, {"file_id": three}]);
    let asked: Answer = app
        .request_as(Some(&desk), Method::POST, "/api/v1/reading-requests")
        .json(&json!({"reader_id": minh, "kind": "read", "lines": lines, "received_at": "2026-11-30T03:00:00Z"}))
        .send()
        .into();
    assert_eq!(asked.status, 201, "{}", asked.text);
    assert_eq!(asked.body["status"], "submitted");
    assert_eq!(
        decided(&asked.body),
        [
            ("original".into(), vec![]),
            ("original".into(), vec![]),
            ("not_servable".into(), vec!["condition".to_string()])
        ]
    );
    let refused = &asked.body["lines"][2]["reasons"][0];
    assert!(
        refused["vi"].as_str().unwrap().contains("hư hỏng nặng") && refused["en"].as_str().unwrap().contains("damaged")
    );
    // Received on Monday 30 November at 10:00 (Việt Nam): due on Tuesday at 10:00.
    assert_eq!(asked.body["due_at"], "2026-12-01T03:00:00Z");
    assert_eq!(request(&app, hoa, &[four]).status, 201);

    // One pull a box, in shelf order: W (shelf 1-1) first, then X (1-2) with both its files;
    // not Y, whose only file cannot be served.
    let pulls = app.get("/api/v1/pull-list");
    let boxes: Vec<(&str, usize)> = pulls.body["boxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["barcode"].as_str().unwrap(), b["lines"].as_array().unwrap().len()))
        .collect();
    assert_eq!(boxes, [("SNV-W", 1), ("SNV-X", 2)]);
    assert_eq!(pulls.body["lines"], 3);
    let feed = app.settled_feed("types=reading_request");
    assert_eq!(feed.items().len(), 2);
}

#[test]
fn every_reason_a_line_cannot_be_served_is_said() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let shelved = |barcode: &str| id(&new_box(&app, barcode, repo.shelves[0], json!({"fonds_id": snv})));
    let file = |no: i32, extra: Value| crate::support::fixtures::file(&app, snv, no, 40, extra);
    let closed = file(1, json!({"box_id": shelved("B1"), "access": "closed"}));
    let restricted = file(2, json!({"box_id": shelved("B2"), "access": "restricted"}));
    let unboxed = file(3, json!({}));
    let away_box = shelved("B4");
    let away = file(4, json!({"box_id": away_box}));
    assert_eq!(move_box(&app, away_box, json!({"to_location_id": repo.lab, "reason": "conservation"})).status, 201);
    let in_reading_room_box = shelved("B5");
    let in_reading_room = file(5, json!({"box_id": in_reading_room_box}));
    let to_reading_room = json!({"to_location_id": repo.reading_room, "reason": "reading_room"});
    assert_eq!(move_box(&app, in_reading_room_box, to_reading_room).status, 201);
    let treated = file(6, json!({"box_id": shelved("B6")}));
    assert_eq!(
        app.post("/api/v1/treatments", json!({"file_id": treated, "pages": "1-5", "type": "mending"})).status,
        201
    );
    let mouldy = file(7, json!({"box_id": shelved("B7")}));
    let mould = json!({"file_id": mouldy, "grade": 2, "damages": [{"type": "mould", "severity": 2, "active": true}]});
    assert_eq!(app.post("/api/v1/assessments", mould).status, 201);
    let minh = reader(&app, "Trần Văn Minh", "001234567890");

    let asked = request(&app, minh, &[closed, restricted, unboxed, away, in_reading_room, treated, mouldy]);
    assert_eq!(asked.status, 201, "{}", asked.text);
    let expect =
        |servable: &str, reasons: &[&str]| (servable.to_string(), reasons.iter().map(|r| r.to_string()).collect());
    assert_eq!(
        decided(&asked.body),
        vec![
            expect("not_servable", &["closed_access"]),
            expect("original", &["needs_approval"]),
            expect("not_servable", &["no_box"]),
            expect("not_servable", &["box_away"]),
            expect("original", &[]),
            expect("not_servable", &["in_treatment"]),
            expect("not_servable", &["condition"]),
        ]
    );
    // A line of conditional access: the request awaits approval, due in seven working days.
    assert_eq!(asked.body["status"], "awaiting_approval");
    assert_eq!(asked.body["lines"][1]["status"], "awaiting_approval");
    let (received, due) = (asked.body["received_at"].as_str().unwrap(), asked.body["due_at"].as_str().unwrap());
    let days =
        chrono::DateTime::parse_from_rfc3339(due).unwrap() - chrono::DateTime::parse_from_rfc3339(received).unwrap();
    assert!(days >= chrono::Duration::days(9), "seven working days span a weekend at least: {received} → {due}");

    // Nothing servable: the request says so.
    let nothing = request(&app, minh, &[closed, unboxed]);
    assert_eq!(nothing.body["status"], "not_servable");
    // A missing box.
    let lost_box = shelved("B8");
    let lost = file(8, json!({"box_id": lost_box}));
    diesel::sql_query(format!("UPDATE boxes SET missing = true WHERE id = {lost_box}")).execute(&mut app.db()).unwrap();
    assert_eq!(decided(&request(&app, minh, &[lost]).body), vec![expect("not_servable", &["box_missing"])]);
}

#[test]
fn a_reader_has_at_most_ten_files_and_a_file_one_reader_at_a_time() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = id(&new_box(&app, "B1", repo.shelves[0], json!({"fonds_id": snv})));
    let files: Vec<i64> =
        (1..=12).map(|no| crate::support::fixtures::file(&app, snv, no, 10, json!({"box_id": held}))).collect();
    let minh = reader(&app, "Trần Văn Minh", "001234567890");
    let hoa = reader(&app, "Nguyễn Thị Hoa", "079123456789");

    let first = request(&app, minh, &files[..8]);
    assert!(decided(&first.body).iter().all(|(servable, _)| servable == "original"));
    // Two more fit; the eleventh does not.
    let second = request(&app, minh, &files[8..11]);
    let reasons: Vec<Vec<String>> = decided(&second.body).into_iter().map(|(_, r)| r).collect();
    assert_eq!(reasons, [vec![], vec![], vec!["reader_limit".to_string()]]);

    // A file another reader has in hand.
    diesel::sql_query(format!(
        "UPDATE request_lines SET status = 'in_use' WHERE request_id = {} AND file_id = {}",
        first.body["id"], files[0]
    ))
    .execute(&mut app.db())
    .unwrap();
    let wanted = request(&app, hoa, &[files[0], files[11]]);
    let reasons: Vec<Vec<String>> = decided(&wanted.body).into_iter().map(|(_, r)| r).collect();
    assert_eq!(reasons, [vec!["in_use_elsewhere".to_string()], vec![]]);
}

#[test]
fn files_found_by_words_are_checked_before_asking_and_nothing_is_recorded() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let shelved = id(&new_box(&app, "B1", repo.shelves[0], json!({"fonds_id": snv})));
    let titled = |no: i32, title: &str, extra: Value| {
        let mut extra = extra;
        extra["title"] = json!(title);
        extra["box_id"] = json!(shelved);
        crate::support::fixtures::file(&app, snv, no, 10, extra)
    };
    let open = titled(1, "Công văn của Sở Nội vụ về tuyển dụng năm 1975", json!({}));
    let closed = titled(2, "Công văn của Sở Nội vụ về nhân sự năm 1976", json!({"access": "closed"}));
    let others: Vec<i64> = (3..=12).map(|no| titled(no, &format!("Hồ sơ khác số {no}"), json!({}))).collect();
    let minh = reader(&app, "Trần Văn Minh", "001234567890");
    assert_eq!(request(&app, minh, &others[..10]).status, 201);
    let before: i64 = count_rows(&app, "reading_requests") + count_rows(&app, "events");

    // Found by words without accents, in any order; each checked.
    let found = app.get("/api/v1/files?q=noi%20vu%20cong%20van");
    let ids: Vec<i64> = found.body["items"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{}", found.text);
    let lines: Vec<Value> = ids.iter().map(|f| json!({"file_id": f})).collect();
    let checked = app.post("/api/v1/reading-requests/check", json!({"lines": lines}));
    assert_eq!(checked.status, 200, "{}", checked.text);
    let by_file = |answer: &Answer, file: i64| {
        let line = answer.body["lines"].as_array().unwrap().iter().find(|l| l["file_id"] == file).unwrap().clone();
        decided(&json!({"lines": [line]})).remove(0)
    };
    assert_eq!(by_file(&checked, open), ("original".to_string(), vec![]));
    assert_eq!(by_file(&checked, closed), ("not_servable".to_string(), vec!["closed_access".to_string()]));
    assert!(checked.body["lines"][0]["reasons"].as_array().unwrap().iter().all(|r| r["vi"].is_string()));
    // For a reader with ten files already: their limit is said too.
    let for_minh = app.post("/api/v1/reading-requests/check", json!({"reader_id": minh, "lines": [{"file_id": open}]}));
    assert_eq!(by_file(&for_minh, open), ("not_servable".to_string(), vec!["reader_limit".to_string()]));
    let after: i64 = count_rows(&app, "reading_requests") + count_rows(&app, "events");
    assert_eq!(after, before, "a check records nothing");

    // Bad checks.
    let field = |answer: Answer| answer.problem(422)["errors"][0]["field"].as_str().unwrap().to_string();
    assert_eq!(field(app.post("/api/v1/reading-requests/check", json!({"lines": []}))), "lines");
    let twice = json!({"lines": [{"file_id": open}, {"file_id": open}]});
    assert_eq!(field(app.post("/api/v1/reading-requests/check", twice)), "lines[1].file_id");
    let unknown = json!({"lines": [{"file_id": 999_999}]});
    assert_eq!(field(app.post("/api/v1/reading-requests/check", unknown)), "lines[0].file_id");
    let nobody = json!({"reader_id": 999_999, "lines": [{"file_id": open}]});
    assert_eq!(field(app.post("/api/v1/reading-requests/check", nobody)), "reader_id");
}

#[test]
fn bad_requests_and_readers_who_may_not_ask_are_refused() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = id(&new_box(&app, "B1", repo.shelves[0], json!({"fonds_id": snv})));
    let files: Vec<i64> =
        (1..=11).map(|no| crate::support::fixtures::file(&app, snv, no, 10, json!({"box_id": held}))).collect();
    let minh = reader(&app, "Trần Văn Minh", "001234567890");
    let field = |answer: &Answer| -> Vec<String> {
        let errors = answer.problem(422)["errors"].as_array().unwrap().clone();
        errors.iter().map(|e| e["field"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(field(&request(&app, minh, &[])), ["lines"]);
    assert_eq!(field(&request(&app, minh, &files)), ["lines"]);
    assert_eq!(field(&request(&app, minh, &[files[0], files[0]])), ["lines[1].file_id"]);
    assert_eq!(field(&request(&app, minh, &[files[0], 999_999])), ["lines[1].file_id"]);
    assert_eq!(field(&request(&app, 999_999, &[files[0]])), ["reader_id"]);
    let read_pages = json!({"reader_id": minh, "kind": "read", "lines": [{"file_id": files[0], "pages": "1-2"}]});
    assert_eq!(field(&app.post("/api/v1/reading-requests", read_pages)), ["lines[0].pages"]);
    let copy =
        json!({"reader_id": minh, "kind": "copy", "format": "pdf", "lines": [{"file_id": files[0], "pages": "5-50"}]});
    assert_eq!(field(&app.post("/api/v1/reading-requests", copy)), ["lines[0].pages"]);
    let copy = json!({"reader_id": minh, "kind": "copy", "lines": [{"file_id": files[0], "pages": "2-4"}]});
    assert_eq!(field(&app.post("/api/v1/reading-requests", copy.clone())), ["format"]);
    let copy =
        json!({"reader_id": minh, "kind": "copy", "format": "pdf", "lines": [{"file_id": files[0], "pages": "2-4"}]});
    let copied = app.post("/api/v1/reading-requests", copy);
    assert_eq!((copied.status, copied.body["lines"][0]["pages"].clone()), (201, json!("2-4")));
    let viewer = app.key("viewer");
    let body = json!({"reader_id": minh, "kind": "read", "lines": [{"file_id": files[0]}]});
    let refused: Answer =
        app.request_as(Some(&viewer), Method::POST, "/api/v1/reading-requests").json(&body).send().into();
    refused.problem(403);

    // A suspended reader, and one whose card has expired.
    let path = format!("/api/v1/readers/{minh}");
    let suspend = json!({"suspended": true, "suspended_why": "Làm rách tài liệu"});
    let suspended: Answer = app.request(Method::PATCH, &path).header("If-Match", "*").json(&suspend).send().into();
    assert_eq!(suspended.status, 200);
    assert!(request(&app, minh, &[files[0]]).problem(409)["detail"].as_str().unwrap().contains("Làm rách tài liệu"));
    let hoa = reader(&app, "Nguyễn Thị Hoa", "079123456789");
    diesel::sql_query(format!("UPDATE readers SET card_expires_on = current_date - 1 WHERE id = {hoa}"))
        .execute(&mut app.db())
        .unwrap();
    assert!(request(&app, hoa, &[files[0]]).problem(409)["detail"].as_str().unwrap().contains("expired"));
}

#[test]
fn conditional_access_is_approved_or_refused_once_by_an_admin() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = id(&new_box(&app, "B1", repo.shelves[0], json!({"fonds_id": snv})));
    let file = |no: i32, access: &str| {
        crate::support::fixtures::file(&app, snv, no, 10, json!({"box_id": held, "access": access}))
    };
    let (open, restricted, other) = (file(1, "open"), file(2, "restricted"), file(3, "restricted"));
    let minh = reader(&app, "Trần Văn Minh", "001234567890");
    let first = request(&app, minh, &[open, restricted]);
    let second = request(&app, minh, &[other]);
    let decide = |request: &Answer, key: Option<&str>, body: Value| -> Answer {
        let path = format!("/api/v1/reading-requests/{}/decision", request.body["id"]);
        app.request_as(Some(key.unwrap_or(&app.admin_key)), Method::POST, &path).json(&body).send().into()
    };
    // Not the desk's to decide; refusing needs why.
    let desk = app.key("reading_room");
    decide(&first, Some(&desk), json!({"approved": true})).problem(403);
    decide(&first, None, json!({"approved": false})).problem(422);

    let approved = decide(&first, None, json!({"approved": true, "note": "Đúng mục đích nghiên cứu"}));
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
    let statuses: Vec<&str> =
        approved.body["lines"].as_array().unwrap().iter().map(|l| l["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["submitted", "approved"]);
    assert!(approved.body["decided_at"].is_string() && approved.body["decision_note"] == "Đúng mục đích nghiên cứu");

    let refused = decide(&second, None, json!({"approved": false, "note": "Tài liệu chưa được giải mật"}));
    assert_eq!(
        (refused.body["status"].clone(), refused.body["lines"][0]["status"].clone()),
        (json!("refused"), json!("refused"))
    );
    // Once: approving a refused request, or deciding one again, is refused.
    assert!(
        decide(&second, None, json!({"approved": true})).problem(409)["detail"]
            .as_str()
            .unwrap()
            .contains("decided already")
    );
    decide(&first, None, json!({"approved": false, "note": "Đổi ý"})).problem(409);
    // An approved line is pulled; a refused one is not.
    let pulled = app.get("/api/v1/pull-list");
    let files: Vec<i64> =
        pulled.body["boxes"][0]["lines"].as_array().unwrap().iter().map(|l| l["file_id"].as_i64().unwrap()).collect();
    assert_eq!(files, [open, restricted]);
}

#[test]
fn a_request_is_cancelled_with_why_unless_it_is_over_or_in_hand() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = id(&new_box(&app, "B1", repo.shelves[0], json!({"fonds_id": snv})));
    let files: Vec<i64> =
        (1..=3).map(|no| crate::support::fixtures::file(&app, snv, no, 10, json!({"box_id": held}))).collect();
    let minh = reader(&app, "Trần Văn Minh", "001234567890");
    let asked = request(&app, minh, &files[..2]);
    let cancel = |request: &Answer, body: Value| {
        app.post(&format!("/api/v1/reading-requests/{}/cancel", request.body["id"]), body)
    };
    cancel(&asked, json!({})).problem(422);
    let cancelled = cancel(&asked, json!({"reason": "Độc giả không đến"}));
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["cancel_reason"], "Độc giả không đến");
    assert!(cancelled.body["lines"].as_array().unwrap().iter().all(|l| l["status"] == "cancelled"));
    cancel(&asked, json!({"reason": "Lần nữa"})).problem(409);
    assert_eq!(app.get("/api/v1/pull-list").body["lines"], 0, "nothing left to fetch");

    // One the reader has in hand is returned first.
    let in_hand = request(&app, minh, &files[2..]);
    diesel::sql_query(format!("UPDATE request_lines SET status = 'in_use' WHERE request_id = {}", in_hand.body["id"]))
        .execute(&mut app.db())
        .unwrap();
    assert!(cancel(&in_hand, json!({"reason": "Nhầm"})).problem(409)["detail"].as_str().unwrap().contains("in hand"));
}
