//! Serving readers over the API: boxes taken from the pull list, delivered by a move into the
//! reading room, files issued and given back in the hand-over book, the box home again; the
//! reading room's rules; one reader at a time under a thousand concurrent issues.

use diesel::RunQueryDsl;
use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::support::fixtures::{fonds, id, move_box, new_box, repository};
use crate::support::{Answer, TestApp, count_rows};

/// A reader registered and checked in; their id.
fn reader_in(app: &TestApp, identity: &str) -> i64 {
    let body = json!({"full_name": "Trần Văn Minh", "identity_type": "other", "identity_no": identity,
                      "purpose": "personal"});
    let reader = id(&app.post("/api/v1/readers", body).body);
    assert_eq!(app.post("/api/v1/visits", json!({"reader_id": reader})).status, 201);
    reader
}

fn ask(app: &TestApp, reader: i64, files: &[i64]) -> Answer {
    let lines: Vec<Value> = files.iter().map(|f| json!({"file_id": f})).collect();
    let asked = app.post("/api/v1/reading-requests", json!({"reader_id": reader, "kind": "read", "lines": lines}));
    assert_eq!(asked.status, 201, "{}", asked.text);
    asked
}

fn statuses(request: &Value) -> (String, Vec<String>) {
    let lines = request["lines"].as_array().unwrap().iter().map(|l| l["status"].as_str().unwrap().to_string());
    (request["status"].as_str().unwrap().to_string(), lines.collect())
}

fn request_now(app: &TestApp, request: &Answer) -> (String, Vec<String>) {
    statuses(&app.get(&format!("/api/v1/reading-requests/{}", request.body["id"])).body)
}

fn owned(status: &str, lines: &[&str]) -> (String, Vec<String>) {
    (status.to_string(), lines.iter().map(|s| s.to_string()).collect())
}

fn issue(app: &TestApp, request: &Answer, line: i32) -> Answer {
    app.post("/api/v1/handovers", json!({"request_id": request.body["id"], "line_no": line}))
}

fn to_reading_room(app: &TestApp, box_id: i64, room: i64) -> Answer {
    move_box(app, box_id, json!({"to_location_id": room, "reason": "reading_room"}))
}

fn home(app: &TestApp, box_id: i64) -> Answer {
    move_box(app, box_id, json!({"reason": "return"}))
}

#[test]
fn a_box_is_pulled_delivered_its_files_issued_and_given_back_and_it_goes_home() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let x = id(&new_box(&app, "SNV-X", repo.shelves[1], json!({"fonds_id": snv})));
    let file = |no: i32| crate::support::fixtures::file(&app, snv, no, 40, json!({"box_id": x}));
    let (one, two) = (file(1), file(2));
    let minh = reader_in(&app, "READER01");
    let asked = ask(&app, minh, &[one, two]);

    // Not before its box is in the reading room.
    assert!(issue(&app, &asked, 1).problem(409)["detail"].as_str().unwrap().contains("submitted"));
    let storage = app.key("storage_manager");
    let take = |body: Value| -> Answer {
        app.request_as(Some(&storage), Method::POST, "/api/v1/pull-list/take").json(&body).send().into()
    };
    assert_eq!(take(json!({"box_ids": [999_999]})).problem(422)["errors"][0]["field"], "box_ids[0]");
    let taken = take(json!({}));
    assert_eq!(taken.status, 200, "{}", taken.text);
    assert_eq!((taken.body["boxes"][0]["barcode"].clone(), taken.body["lines"].clone()), (json!("SNV-X"), json!(2)));
    assert_eq!(taken.body["boxes"][0]["lines"][0]["status"], "in_retrieval");
    assert_eq!(request_now(&app, &asked), owned("in_retrieval", &["in_retrieval", "in_retrieval"]));

    // Delivered: a movement into the reading room.
    assert_eq!(to_reading_room(&app, x, repo.reading_room).status, 201);
    let delivered = app.get(&format!("/api/v1/reading-requests/{}", asked.body["id"]));
    assert_eq!(statuses(&delivered.body), owned("ready", &["ready", "ready"]));
    assert!(delivered.body["delivered_at"].is_string());
    assert_eq!(app.get("/api/v1/pull-list").body["lines"], 0);

    let issued = issue(&app, &asked, 1);
    assert_eq!(issued.status, 201, "{}", issued.text);
    assert_eq!((issued.body["leaves_issued"].clone(), issued.body["overdue"].clone()), (json!(40), json!(false)));
    assert_eq!(request_now(&app, &asked), owned("ready", &["in_use", "ready"]));
    issue(&app, &asked, 1).problem(409);
    // The box stays while a reader has a file of it.
    assert!(home(&app, x).problem(409)["detail"].as_str().unwrap().contains("in the hands of reader"));

    // Given back with a leaf short: remarks say so; kept for the next day.
    let back = format!("/api/v1/handovers/{}/return", id(&issued.body));
    assert_eq!(app.post(&back, json!({"leaves": 39, "keep": true})).problem(422)["errors"][0]["field"], "remarks");
    let kept = app.post(&back, json!({"leaves": 39, "remarks": "Thiếu tờ 12", "keep": true}));
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!((kept.body["kept"].clone(), kept.body["leaves_returned"].clone()), (json!(true), json!(39)));
    assert!(app.post(&back, json!({"leaves": 40})).problem(409)["detail"].as_str().unwrap().contains("already"));
    assert_eq!(request_now(&app, &asked), owned("ready", &["held", "ready"]));
    // The next day, again, then for good.
    let again = issue(&app, &asked, 1);
    assert_eq!(again.status, 201, "{}", again.text);
    let back = format!("/api/v1/handovers/{}/return", id(&again.body));
    assert_eq!(app.post(&back, json!({"leaves": 40})).status, 200);
    assert_eq!(app.get("/api/v1/handovers?open=true").items().len(), 0);
    assert_eq!(app.get(&format!("/api/v1/handovers?reader_id={minh}")).items().len(), 2);

    // The second file was never taken: kept for the reader until the request is cancelled.
    assert!(home(&app, x).problem(409)["detail"].as_str().unwrap().contains("kept for reader"));
    let cancelled = app.post(&format!("/api/v1/reading-requests/{}/cancel", asked.body["id"]), json!({"reason": "Đủ"}));
    assert_eq!(statuses(&cancelled.body), owned("returned", &["returned", "cancelled"]));
    assert_eq!(home(&app, x).status, 201);
    assert_eq!(request_now(&app, &asked), owned("closed", &["closed", "cancelled"]));

    let feed = app.settled_feed("types=reading_request,handover");
    let types: Vec<&str> = feed.items().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "reading_request.created",
            "reading_request.retrieving",
            "reading_request.delivered",
            "reading_request.issued",
            "handover.issued",
            "reading_request.held",
            "handover.returned",
            "reading_request.issued",
            "handover.issued",
            "reading_request.returned",
            "handover.returned",
            "reading_request.cancelled",
            "reading_request.closed",
        ]
    );
}

#[test]
fn files_are_issued_only_from_the_reading_room_to_a_reader_who_is_in() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let x = id(&new_box(&app, "SNV-X", repo.shelves[1], json!({"fonds_id": snv})));
    let paged = crate::support::fixtures::file(&app, snv, 1, 40, json!({"box_id": x, "numbering": "page"}));
    let body = json!({"full_name": "Nguyễn Thị Hoa", "identity_type": "other", "identity_no": "READER02",
                      "purpose": "personal"});
    let hoa = id(&app.post("/api/v1/readers", body).body);
    let asked = ask(&app, hoa, &[paged]);
    assert_eq!(to_reading_room(&app, x, repo.reading_room).status, 201);
    assert!(issue(&app, &asked, 1).problem(409)["detail"].as_str().unwrap().contains("not checked in"));
    assert_eq!(app.post("/api/v1/visits", json!({"reader_id": hoa})).status, 201);
    // Numbered in pages: its leaves are counted at the desk.
    assert_eq!(issue(&app, &asked, 1).problem(422)["errors"][0]["field"], "leaves");
    issue(&app, &asked, 2).problem(422);
    app.post("/api/v1/handovers", json!({"request_id": 999_999, "line_no": 1})).problem(422);
    // The box cannot leave while the file is kept for her; the file put in another box can.
    let body = json!({"to_location_id": repo.lab, "reason": "conservation"});
    assert!(move_box(&app, x, body).problem(409)["detail"].as_str().unwrap().contains("kept for reader"));
    let y = id(&new_box(&app, "SNV-Y", repo.shelves[2], json!({"fonds_id": snv})));
    assert_eq!(app.patch(&format!("/api/v1/files/{paged}"), "*", json!({"box_id": y})).status, 200);
    let body = json!({"request_id": asked.body["id"], "line_no": 1, "leaves": 20});
    let refused = app.post("/api/v1/handovers", body.clone());
    assert!(refused.problem(409)["detail"].as_str().unwrap().contains("not in the reading room"), "{}", refused.text);
    assert_eq!(app.patch(&format!("/api/v1/files/{paged}"), "*", json!({"box_id": x})).status, 200);
    let issued = app.post("/api/v1/handovers", body);
    assert_eq!((issued.status, issued.body["leaves_issued"].clone()), (201, json!(20)));
    let desk = app.key("viewer");
    let path = format!("/api/v1/handovers/{}/return", id(&issued.body));
    let refused: Answer = app.request_as(Some(&desk), Method::POST, &path).json(&json!({"leaves": 20})).send().into();
    refused.problem(403);

    // The book is written once: no change to an entry, no deletion.
    let mut db = app.db();
    let entry = id(&issued.body);
    for statement in [
        format!("UPDATE handovers SET leaves_issued = 1 WHERE id = {entry}"),
        format!("DELETE FROM handovers WHERE id = {entry}"),
    ] {
        let err = diesel::sql_query(statement).execute(&mut db).unwrap_err().to_string();
        assert!(err.contains("written once"), "{err}");
    }
}

#[test]
fn the_rules_set_the_limit_grade_3_and_the_days_a_file_is_kept() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let x = id(&new_box(&app, "SNV-X", repo.shelves[1], json!({"fonds_id": snv})));
    let files: Vec<i64> =
        (1..=3).map(|no| crate::support::fixtures::file(&app, snv, no, 10, json!({"box_id": x}))).collect();
    let poor = json!({"file_id": files[2], "pages": "1-2", "grade": 3});
    assert_eq!(app.post("/api/v1/assessments", poor).status, 201);
    let minh = reader_in(&app, "READER01");

    let rules = app.get("/api/v1/reading-rules");
    assert_eq!(
        (rules.body["files_at_once"].clone(), rules.body["keep_days"].clone(), rules.body["serve_grade_3"].clone()),
        (json!(10), json!(14), json!(true))
    );
    let desk = app.key("reading_room");
    let refused: Answer = app
        .request_as(Some(&desk), Method::PATCH, "/api/v1/reading-rules")
        .header("If-Match", "*")
        .json(&json!({"files_at_once": 2}))
        .send()
        .into();
    refused.problem(403);
    assert_eq!(
        app.patch("/api/v1/reading-rules", "*", json!({"files_at_once": 0})).problem(422)["errors"][0]["field"],
        "files_at_once"
    );
    app.patch("/api/v1/reading-rules", "\"7\"", json!({"keep_days": 3})).problem(412);
    let changed = app.patch("/api/v1/reading-rules", "\"1\"", json!({"files_at_once": 2, "serve_grade_3": false}));
    assert_eq!((changed.status, changed.body["version"].clone()), (200, json!(2)), "{}", changed.text);

    let lines: Vec<Value> = files.iter().map(|f| json!({"file_id": f})).collect();
    let three = app.post("/api/v1/reading-requests", json!({"reader_id": minh, "kind": "read", "lines": lines}));
    assert!(three.problem(422)["errors"][0]["message"].as_str().unwrap().contains("at most 2"));
    let asked = ask(&app, minh, &files[1..]);
    let reasons: Vec<&str> =
        asked.body["lines"][1]["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["condition"], "grade 3 is not served by this archive's rule");

    // Kept past the days allowed: overdue.
    let asked = ask(&app, minh, &files[..1]);
    assert_eq!(to_reading_room(&app, x, repo.reading_room).status, 201);
    let issued = issue(&app, &asked, 1);
    assert_eq!(issued.status, 201, "{}", issued.text);
    assert_eq!(app.get("/api/v1/handovers?overdue=true").items().len(), 0);
    // Issued fifteen days ago (the book itself refuses such a change: its guard is lifted for it).
    diesel::connection::SimpleConnection::batch_execute(
        &mut app.db(),
        &format!(
            "ALTER TABLE handovers DISABLE TRIGGER handovers_written_once;
             UPDATE handovers SET issued_at = now() - interval '15 days' WHERE id = {};
             ALTER TABLE handovers ENABLE TRIGGER handovers_written_once;",
            id(&issued.body)
        ),
    )
    .unwrap();
    let overdue = app.get("/api/v1/handovers?overdue=true");
    assert_eq!(overdue.items().len(), 1, "{}", overdue.text);
    assert_eq!(overdue.items()[0]["overdue"], true);
}

#[test]
fn a_thousand_issues_of_one_file_at_once_give_it_to_one_reader() {
    let pool = paperkeep::config::PoolConfig { wait_ms: 30_000, ..paperkeep::config::PoolConfig::default() };
    let app = TestApp::spawn_with(paperkeep::config::HttpConfig::default(), pool);
    let other = app.second_instance();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let x = id(&new_box(&app, "SNV-X", repo.shelves[1], json!({"fonds_id": snv})));
    let wanted = crate::support::fixtures::file(&app, snv, 1, 40, json!({"box_id": x}));
    // Twenty readers asked for it before anyone had it: each line is ready once the box is in.
    let requests: Vec<i64> =
        (0..20).map(|n| id(&ask(&app, reader_in(&app, &format!("READER{n:02}")), &[wanted]).body)).collect();
    assert_eq!(to_reading_room(&app, x, repo.reading_room).status, 201);

    let (threads, each) = (100, 10);
    let start = std::sync::Barrier::new(threads);
    let urls = [app.url.as_str(), other.url.as_str()];
    let answers: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (start, requests, key) = (&start, &requests, &app.admin_key);
                scope.spawn(move || {
                    let client = Client::new();
                    start.wait();
                    (0..each)
                        .map(|n| {
                            let request = requests[(t * each + n) % requests.len()];
                            let body = json!({"request_id": request, "line_no": 1});
                            let sent =
                                client.post(format!("{}/api/v1/handovers", urls[t % 2])).bearer_auth(key).json(&body);
                            sent.send().map(|r| r.status().as_u16()).unwrap_or(0)
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(answers.len(), 1000);
    assert_eq!(answers.iter().filter(|s| **s == 201).count(), 1, "exactly one issue");
    assert_eq!(answers.iter().filter(|s| **s == 409).count(), 999, "the others refused: {:?}", {
        let mut odd: Vec<_> = answers.iter().filter(|s| ![201, 409].contains(*s)).collect();
        odd.dedup();
        odd
    });
    assert_eq!(count_rows(&app, "handovers"), 1);
}

#[test]
fn a_copy_order_is_priced_from_the_list_and_made_once_its_box_is_in() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let x = id(&new_box(&app, "SNV-X", repo.shelves[1], json!({"fonds_id": snv})));
    let (one, two) = (
        crate::support::fixtures::file(&app, snv, 1, 40, json!({"box_id": x})),
        crate::support::fixtures::file(&app, snv, 2, 6, json!({"box_id": x})),
    );
    let minh = reader_in(&app, "READER01");
    let prices = json!({"page_price_paper": 2500, "page_price_pdf": 1000, "certification_price": 30000});
    assert_eq!(app.patch("/api/v1/reading-rules", "*", prices).status, 200);
    let body = json!({"reader_id": minh, "kind": "copy_certified", "format": "paper",
                      "lines": [{"file_id": one, "pages": "1-10, 12"}, {"file_id": two}]});
    let asked = app.post("/api/v1/reading-requests", body);
    assert_eq!(asked.status, 201, "{}", asked.text);
    // 11 + 6 pages on paper, two files certified.
    assert_eq!(
        asked.body["copy"],
        json!({"format": "paper", "pages": 17, "fee": 17 * 2500 + 2 * 30000, "status": "estimated"})
    );
    let step = |to: &str| {
        app.post(&format!("/api/v1/reading-requests/{}/copy-transitions", asked.body["id"]), json!({"to": to}))
    };
    assert!(step("produced").problem(409)["detail"].as_str().unwrap().contains("cannot become produced"));
    assert_eq!(step("approved").body["copy"]["status"], "approved");
    assert!(step("produced").problem(409)["detail"].as_str().unwrap().contains("reading room"));
    assert_eq!(to_reading_room(&app, x, repo.reading_room).status, 201);
    let produced = step("produced");
    assert_eq!(produced.status, 200, "{}", produced.text);
    assert_eq!(statuses(&produced.body), owned("returned", &["returned", "returned"]));
    step("cancelled").problem(409);
    assert_eq!(step("delivered").body["copy"]["status"], "delivered");
    assert_eq!(home(&app, x).status, 201, "the originals are free to go home");

    let read = ask(&app, minh, &[one]);
    assert_eq!(read.body["copy"], Value::Null);
    app.post(&format!("/api/v1/reading-requests/{}/copy-transitions", read.body["id"]), json!({"to": "approved"}))
        .problem(409);
}

/// A moment's day in Việt Nam.
fn local_day(at: &Value) -> chrono::NaiveDate {
    let at = chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap()).unwrap();
    at.with_timezone(&paperkeep::reading::model::local_offset()).date_naive()
}

#[test]
fn the_reports_reading_room_figures_reconcile_with_the_records() {
    use std::collections::BTreeSet;
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let x = id(&new_box(&app, "SNV-X", repo.shelves[1], json!({"fonds_id": snv})));
    let files: Vec<i64> =
        (1..=4).map(|no| crate::support::fixtures::file(&app, snv, no, 10, json!({"box_id": x}))).collect();
    assert_eq!(app.post("/api/v1/assessments", json!({"file_id": files[2], "grade": 4})).status, 201);
    let register = |identity: &str| {
        let body =
            json!({"full_name": "Độc giả", "identity_type": "other", "identity_no": identity, "purpose": "personal"});
        id(&app.post("/api/v1/readers", body).body)
    };
    let (minh, hoa) = (register("READER01"), register("READER02"));
    // Visits over three days; Hoa comes twice on one day (one user day). The hours are the
    // archive's, whatever the time of day the test runs.
    let today = chrono::Utc::now();
    let offset = paperkeep::reading::model::local_offset();
    let midnight = today.with_timezone(&offset).date_naive().and_hms_opt(0, 0, 0).unwrap();
    let midnight = midnight.and_local_timezone(offset).unwrap().with_timezone(&chrono::Utc);
    for (reader, days_ago, hour, stayed) in [(minh, 2, 9, 2), (minh, 1, 9, 3), (hoa, 1, 8, 1), (hoa, 1, 14, 1)] {
        let at = midnight - chrono::Duration::days(days_ago) + chrono::Duration::hours(hour);
        let came = app.post("/api/v1/visits", json!({"reader_id": reader, "at": at}));
        assert_eq!(came.status, 201, "{}", came.text);
        let left = json!({"at": at + chrono::Duration::hours(stayed)});
        assert_eq!(app.post(&format!("/api/v1/visits/{}/check-out", came.body["id"]), left).status, 200);
    }
    assert_eq!(app.post("/api/v1/visits", json!({"reader_id": minh})).status, 201);
    // Minh reads two files and cannot have the third; Hoa orders certified copies, then asks
    // for something she no longer wants.
    let read = ask(&app, minh, &files[..3]);
    let copy = json!({"reader_id": hoa, "kind": "copy_certified", "format": "pdf", "lines": [{"file_id": files[3]}]});
    let copy = app.post("/api/v1/reading-requests", copy);
    let dropped = ask(&app, hoa, &files[..1]);
    assert_eq!(
        app.post(&format!("/api/v1/reading-requests/{}/cancel", dropped.body["id"]), json!({"reason": "Thôi"})).status,
        200
    );
    assert_eq!(app.post("/api/v1/pull-list/take", json!({})).status, 200);
    assert_eq!(to_reading_room(&app, x, repo.reading_room).status, 201);
    // File 1 given back at noon, kept, and issued again: one checkout that day.
    for keep in [true, false] {
        let issued = issue(&app, &read, 1);
        assert_eq!(issued.status, 201, "{}", issued.text);
        let back = json!({"leaves": 10, "keep": keep});
        assert_eq!(app.post(&format!("/api/v1/handovers/{}/return", id(&issued.body)), back).status, 200);
    }
    let issued = issue(&app, &read, 2);
    assert_eq!(app.post(&format!("/api/v1/handovers/{}/return", id(&issued.body)), json!({"leaves": 10})).status, 200);
    for to in ["approved", "produced"] {
        let path = format!("/api/v1/reading-requests/{}/copy-transitions", copy.body["id"]);
        assert_eq!(app.post(&path, json!({"to": to})).status, 200);
    }

    let from = (today - chrono::Duration::days(5)).date_naive();
    let report = app.get(&format!("/api/v1/reports/activity?from={from}&to={}", today.date_naive()));
    assert_eq!(report.status, 200, "{}", report.text);
    let room = &report.body["reading_room"];

    // The same figures, counted from the records as the API lists them.
    let visits = app.all_pages("/api/v1/visits");
    let user_days: BTreeSet<(i64, chrono::NaiveDate)> =
        visits.iter().map(|v| (v["reader_id"].as_i64().unwrap(), local_day(&v["checked_in_at"]))).collect();
    let hours: f64 = visits
        .iter()
        .filter(|v| v["checked_out_at"].is_string())
        .map(|v| {
            let at = |field: &str| chrono::DateTime::parse_from_rfc3339(v[field].as_str().unwrap()).unwrap();
            (at("checked_out_at") - at("checked_in_at")).num_seconds() as f64 / 3600.0
        })
        .sum();
    let book = app.all_pages("/api/v1/handovers");
    let checkouts: BTreeSet<(i64, i64, chrono::NaiveDate)> = book
        .iter()
        .map(|h| (h["reader_id"].as_i64().unwrap(), h["file_id"].as_i64().unwrap(), local_day(&h["issued_at"])))
        .collect();
    let served: BTreeSet<i64> = book.iter().map(|h| h["file_id"].as_i64().unwrap()).collect();
    assert_eq!(room["user_days"], user_days.len(), "Minh on two days (and today), Hoa on one");
    assert_eq!(room["user_days"], 4);
    assert!((room["user_hours"].as_f64().unwrap() - hours).abs() < 1e-6 && hours == 7.0);
    assert_eq!((room["readers"].clone(), room["new_readers"].clone()), (json!(2), json!(2)));
    assert_eq!(
        (room["files_served"].clone(), room["checkouts"].clone()),
        (json!(served.len()), json!(checkouts.len()))
    );
    assert_eq!((served.len(), checkouts.len()), (2, 2), "file 1 issued twice on one day: one checkout");
    assert_eq!(room["boxes_pulled"], 1);

    let requests = app.all_pages("/api/v1/reading-requests");
    let count = |keep: &dyn Fn(&Value) -> bool| requests.iter().filter(|r| keep(r)).count();
    let figures = &room["requests"];
    assert_eq!(figures["received"], requests.len());
    assert_eq!(figures["filled"], count(&|r| r["delivered_at"].is_string() || r["copy"]["status"] == "produced"));
    assert_eq!(figures["cancelled"], count(&|r| r["status"] == "cancelled"));
    assert_eq!(
        (figures["received"].clone(), figures["filled"].clone(), figures["cancelled"].clone()),
        (json!(3), json!(2), json!(1))
    );
    assert_eq!((figures["certified_copies"].clone(), figures["pages_copied"].clone()), (json!(1), json!(10)));
    assert_eq!(figures["fees"], copy.body["copy"]["fee"]);
    assert_eq!(room["refused_lines"], json!([{"reason": "condition", "lines": 1}]));

    // Time to deliver, in working hours, as the calendar counts it.
    let calendar = paperkeep::reading::model::Calendar::default();
    let delivered = app.get(&format!("/api/v1/reading-requests/{}", read.body["id"])).body;
    let at = |field: &str| chrono::DateTime::parse_from_rfc3339(delivered[field].as_str().unwrap()).unwrap().to_utc();
    let hours = calendar.working_time(at("received_at"), at("delivered_at")).num_seconds() as f64 / 3600.0;
    let times = room["time_to_deliver"].as_array().unwrap();
    let read_times = times.iter().find(|t| t["kind"] == "read").unwrap();
    assert_eq!(read_times["delivered"], 1);
    assert!((read_times["median_hours"].as_f64().unwrap() - (hours * 100.0).round() / 100.0).abs() < 1e-9);
    assert_eq!(
        (read_times["within_deadline"].clone(), read_times["share_within_deadline"].clone()),
        (json!(1), json!(1.0))
    );

    let csv =
        app.request(Method::GET, &format!("/api/v1/reports/activity?from={from}")).header("Accept", "text/csv").send();
    let csv = csv.unwrap().text().unwrap();
    assert!(
        csv.contains("reading room,visits,user days,4") && csv.contains("reading room,refused: condition,lines,1"),
        "{csv}"
    );
}

#[test]
fn a_digitized_file_is_served_as_its_copy_at_once_to_several_readers_and_never_pulled() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let in_lab = id(&new_box(&app, "SNV-D", repo.shelves[0], json!({"fonds_id": snv})));
    assert_eq!(move_box(&app, in_lab, json!({"to_location_id": repo.lab, "reason": "conservation"})).status, 201);
    let brittle = crate::support::fixtures::file(&app, snv, 1, 30, json!({"box_id": in_lab}));
    assert_eq!(app.post("/api/v1/assessments", json!({"file_id": brittle, "grade": 4})).status, 201);
    // Refused as the original; once digitized, served as its copy whatever the original's state.
    let minh = reader_in(&app, "READER1");
    let checked = |reader: i64| {
        let body = json!({"reader_id": reader, "lines": [{"file_id": brittle}]});
        let answer = app.post("/api/v1/reading-requests/check", body);
        let line = answer.body["lines"][0].clone();
        let codes: Vec<String> = line["reasons"].as_array().unwrap().iter().map(|r| r["code"].to_string()).collect();
        (line["servable"].as_str().unwrap().to_string(), codes.join(","))
    };
    assert_eq!(checked(minh), ("not_servable".into(), "\"condition\",\"box_away\"".into()));
    let patch = json!({"digital_copy": "SO-SNV-1-1"});
    let patched: Answer = app
        .request(Method::PATCH, &format!("/api/v1/files/{brittle}"))
        .header("If-Match", "*")
        .json(&patch)
        .send()
        .into();
    assert_eq!((patched.status, patched.body["digital_copy"].clone()), (200, json!("SO-SNV-1-1")));
    assert_eq!(checked(minh), ("copy".into(), "\"digital_copy\"".into()));

    // Ready as asked, delivered at once, nothing to fetch; issued without its box.
    let asked = ask(&app, minh, &[brittle]);
    assert_eq!(statuses(&asked.body), owned("ready", &["ready"]));
    assert_eq!(asked.body["delivered_at"], asked.body["received_at"]);
    assert!(app.get("/api/v1/pull-list").body["boxes"].as_array().unwrap().is_empty(), "never pulled");
    let issued = issue(&app, &asked, 1);
    assert_eq!((issued.status, issued.body["copy"].clone()), (201, json!(true)), "{}", issued.text);
    // Another reader is shown the same copy meanwhile.
    let hoa = reader_in(&app, "READER2");
    let also = ask(&app, hoa, &[brittle]);
    assert_eq!(issue(&app, &also, 1).status, 201, "a copy is not one reader's at a time");
    // Given back, the line is over: no box to go home.
    let back = app.post(&format!("/api/v1/handovers/{}/return", issued.body["id"]), json!({"leaves": 30}));
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(request_now(&app, &asked), owned("closed", &["closed"]));
    // The lab's box may go home with the copy in a reader's hands.
    assert_eq!(home(&app, in_lab).status, 201);

    // Conditional access is approved first; the copy is then at hand.
    let restricted = json!({"access": "restricted"});
    let patched: Answer = app
        .request(Method::PATCH, &format!("/api/v1/files/{brittle}"))
        .header("If-Match", "*")
        .json(&restricted)
        .send()
        .into();
    assert_eq!(patched.status, 200);
    let lan = reader_in(&app, "READER3");
    let waiting = ask(&app, lan, &[brittle]);
    assert_eq!(statuses(&waiting.body), owned("awaiting_approval", &["awaiting_approval"]));
    let decided =
        app.post(&format!("/api/v1/reading-requests/{}/decision", waiting.body["id"]), json!({"approved": true}));
    assert_eq!(statuses(&decided.body), owned("ready", &["ready"]));
    assert!(decided.body["delivered_at"].is_string());
    // A digital copy cleared: `null`; an empty one refused.
    let cleared: Answer = app
        .request(Method::PATCH, &format!("/api/v1/files/{brittle}"))
        .header("If-Match", "*")
        .json(&json!({"digital_copy": null}))
        .send()
        .into();
    assert_eq!(cleared.body["digital_copy"], Value::Null);
    let empty: Answer = app
        .request(Method::PATCH, &format!("/api/v1/files/{brittle}"))
        .header("If-Match", "*")
        .json(&json!({"digital_copy": ""}))
        .send()
        .into();
    assert_eq!(empty.problem(422)["errors"][0]["field"], "digital_copy");
}
