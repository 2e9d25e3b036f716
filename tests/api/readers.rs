//! The reading room's readers and working calendar over the API: registration with identity
//! numbers normalised or refused (never changed unsaid), masked for those who do not serve
//! readers, look-up by card and words, suspension and expiry; closures that never overlap, and
//! deadlines in working days.

use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Answer, TestApp};

fn minh() -> Value {
    json!({"full_name": "Trần Văn Minh", "identity_type": "cccd", "identity_no": " 0012 3456-7890 ",
           "organisation": "Trường Đại học Khoa học Xã hội và Nhân văn", "purpose": "official",
           "referral": "Giấy giới thiệu số 12/GGT ngày 02/12/2026", "topic": "Ruộng đất Nam Kỳ 1945–1954"})
}

fn with(mut body: Value, changes: Value) -> Value {
    body.as_object_mut().unwrap().extend(changes.as_object().unwrap().clone());
    body
}

#[test]
fn a_reader_is_registered_with_their_identity_number_normalised_or_refused() {
    let app = TestApp::spawn();
    let desk = app.key("reading_room");
    let post = |body: Value| -> Answer {
        app.request_as(Some(&desk), Method::POST, "/api/v1/readers").json(&body).send().into()
    };

    let registered = post(minh());
    assert_eq!(registered.status, 201, "{}", registered.text);
    let reader = &registered.body;
    assert_eq!(reader["identity_no"], "001234567890", "spaces and dashes dropped, and said so by the answer");
    assert_eq!((reader["reader_no"].as_str().unwrap(), reader["status"].as_str().unwrap()), ("DG-000001", "active"));
    assert_eq!(reader["nationality"], "VN");

    for (changes, field) in [
        (json!({"identity_no": "0012 3456 789O"}), "identity_no"),
        (json!({"identity_no": "12345"}), "identity_no"),
        (json!({"identity_type": "cmnd", "identity_no": "1234567890"}), "identity_no"),
        (json!({"identity_type": "passport", "identity_no": "Đ1234567"}), "identity_no"),
        (json!({"referral": null}), "referral"),
        (json!({"purpose": "personal"}), "referral"),
        (json!({"nationality": "Việt Nam"}), "nationality"),
        (json!({"card_expires_on": "2020-01-01"}), "card_expires_on"),
    ] {
        let refused = post(with(minh(), changes.clone()));
        let problem = refused.problem(422);
        assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{changes}: {problem}");
    }
    // The same document again: refused, naming whose it is.
    let twice = post(with(minh(), json!({"identity_no": "001234567890", "full_name": "Trần V. Minh"})));
    assert!(twice.problem(409)["detail"].as_str().unwrap().contains("DG-000001"), "{}", twice.text);
    // A passport in lower case is kept upper-cased.
    let foreign = json!({"full_name": "Jane Doe", "identity_type": "passport", "identity_no": "x1234567",
                         "nationality": "gb", "purpose": "personal", "card_expires_on": chrono::Utc::now().date_naive()});
    let foreign = post(foreign);
    assert_eq!(foreign.status, 201, "{}", foreign.text);
    assert_eq!(
        (foreign.body["identity_no"].clone(), foreign.body["nationality"].clone()),
        (json!("X1234567"), json!("GB"))
    );
}

#[test]
fn identity_numbers_are_shown_whole_only_to_those_who_serve_readers() {
    let app = TestApp::spawn();
    let desk = app.key("reading_room");
    let registered: Answer = app.request_as(Some(&desk), Method::POST, "/api/v1/readers").json(&minh()).send().into();
    let id = registered.body["id"].as_i64().unwrap();
    let viewer = app.key("viewer");
    let as_key = |key: &str, path: &str| -> Answer { app.request_as(Some(key), Method::GET, path).send().into() };

    assert_eq!(as_key(&viewer, &format!("/api/v1/readers/{id}")).body["identity_no"], "••••••••7890");
    assert_eq!(as_key(&viewer, "/api/v1/readers").items()[0]["identity_no"], "••••••••7890");
    assert_eq!(as_key(&desk, &format!("/api/v1/readers/{id}")).body["identity_no"], "001234567890");
    assert_eq!(as_key(&desk, "/api/v1/readers/by-number/dg-000001").body["id"], id, "the card, scanned");
    // The feed and the trail, read by other services, carry it masked.
    let feed = app.settled_feed("");
    let event = feed.items().iter().find(|e| e["type"] == "reader.created").unwrap().clone();
    assert_eq!(event["data"]["identity_no"], "••••••••7890");
    assert!(!feed.text.contains("001234567890") && !app.get("/api/v1/audit-trail").text.contains("001234567890"));
}

#[test]
fn readers_are_found_by_card_or_words_and_suspended_with_why() {
    let app = TestApp::spawn();
    assert_eq!(app.post("/api/v1/readers", minh()).status, 201);
    let other = json!({"full_name": "Nguyễn Thị Hoa", "identity_type": "cccd", "identity_no": "079123456789",
                       "purpose": "personal", "card_expires_on": chrono::Utc::now().date_naive()});
    let hoa = app.post("/api/v1/readers", other);
    let names = |query: &str| -> Vec<String> {
        app.get(&format!("/api/v1/readers?{query}"))
            .items()
            .iter()
            .map(|r| r["full_name"].as_str().unwrap().into())
            .collect()
    };
    assert_eq!(names("q=tran%20minh"), ["Trần Văn Minh"], "words in any order, without accents");
    assert_eq!(names("q=DG-000002"), ["Nguyễn Thị Hoa"]);
    assert_eq!(names("q=100%25"), Vec::<String>::new(), "a wildcard is taken as typed");

    let path = format!("/api/v1/readers/{}", hoa.body["id"]);
    let patch =
        |body: Value| -> Answer { app.request(Method::PATCH, &path).header("If-Match", "*").json(&body).send().into() };
    patch(json!({"suspended": true})).problem(422);
    let suspended = patch(json!({"suspended": true, "suspended_why": "Làm rách tài liệu"}));
    assert_eq!(
        (suspended.body["status"].clone(), suspended.body["suspended_why"].clone()),
        (json!("suspended"), json!("Làm rách tài liệu"))
    );
    assert_eq!(names("status=suspended"), ["Nguyễn Thị Hoa"]);
    assert_eq!(patch(json!({"suspended": false})).body["status"], "active");
    patch(json!({"purpose": "official"})).problem(422);

    // A card whose last day has passed: expired.
    diesel::sql_query(format!("UPDATE readers SET card_expires_on = current_date - 1 WHERE id = {}", hoa.body["id"]))
        .execute(&mut app.db())
        .unwrap();
    assert_eq!(app.get(&path).body["status"], "expired");
    assert_eq!(names("status=expired"), ["Nguyễn Thị Hoa"]);
    assert_eq!(names("status=active"), ["Trần Văn Minh"]);
}

#[test]
fn closures_never_overlap_and_deadlines_skip_them() {
    let app = TestApp::spawn();
    let tet = app.post(
        "/api/v1/closures",
        json!({"first_day": "2027-02-05", "last_day": "2027-02-12", "name": "Tết Nguyên đán"}),
    );
    assert_eq!(tet.status, 201, "{}", tet.text);
    let overlapping =
        app.post("/api/v1/closures", json!({"first_day": "2027-02-12", "last_day": "2027-02-15", "name": "Nghỉ bù"}));
    assert!(overlapping.problem(409)["detail"].as_str().unwrap().contains("Tết Nguyên đán"), "{}", overlapping.text);
    app.post("/api/v1/closures", json!({"first_day": "2027-03-02", "last_day": "2027-03-01", "name": "Ngược"}))
        .problem(422);
    let half = json!({"first_day": "2027-03-01", "last_day": "2027-03-02", "part": "morning", "name": "Họp"});
    app.post("/api/v1/closures", half).problem(422);
    let morning =
        app.post("/api/v1/closures", json!({"first_day": "2027-02-15", "part": "morning", "name": "Họp cơ quan"}));
    assert_eq!(morning.status, 201);
    let viewer = app.key("viewer");
    let refused: Answer = app
        .request_as(Some(&viewer), Method::POST, "/api/v1/closures")
        .json(&json!({"first_day": "2027-04-30", "name": "30/4"}))
        .send()
        .into();
    refused.problem(403);

    // Received on Thursday 4 February 2027 at 16:00 (Việt Nam): an hour that day, then Tết,
    // Monday's afternoon only, then three hours on Tuesday: due on the 16th at 10:30.
    let due = app.get("/api/v1/calendar/due?from=2027-02-04T09:00:00Z&working_days=1");
    assert_eq!(due.body["due_at"], "2027-02-16T03:30:00Z", "{}", due.text);
    app.get("/api/v1/calendar/due?from=2027-02-04T09:00:00Z&working_days=0").problem(422);
    assert_eq!(app.get("/api/v1/closures?year=2027").items().len(), 2);
    assert_eq!(app.get("/api/v1/closures?year=2026").items().len(), 0);

    let gone: Answer = app.request(Method::DELETE, &format!("/api/v1/closures/{}", tet.body["id"])).send().into();
    assert_eq!(gone.status, 204);
    let due = app.get("/api/v1/calendar/due?from=2027-02-04T09:00:00Z&working_days=1");
    assert_eq!(due.body["due_at"], "2027-02-05T09:00:00Z", "Tết open again");
}

#[test]
fn readers_not_seen_for_the_rules_time_are_anonymised_and_their_counts_stay() {
    let app = TestApp::spawn();
    crate::support::fixtures::repository(&app);
    let register = |name: &str, identity: &str| {
        let body = json!({"full_name": name, "identity_type": "cccd", "identity_no": identity,
                          "purpose": "official", "referral": "Giấy giới thiệu số 7", "topic": "Địa bạ"});
        let answer = app.post("/api/v1/readers", body);
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["id"].as_i64().unwrap()
    };
    let (old, recent, inside) = (
        register("Trần Văn Cũ", "001234567890"),
        register("Nguyễn Thị Mới", "079123456789"),
        register("Lê Văn Đang", "001099000111"),
    );
    for reader in [old, inside] {
        assert_eq!(app.post("/api/v1/visits", json!({"reader_id": reader})).status, 201);
    }
    let visit = app.get(&format!("/api/v1/visits?reader_id={old}")).items()[0]["id"].clone();
    assert_eq!(app.post(&format!("/api/v1/visits/{visit}/check-out"), json!({})).status, 200);
    // Six years ago: the old reader registered and came; the one inside registered then too.
    diesel::sql_query(format!(
        "UPDATE readers SET created_at = now() - interval '6 years', updated_at = now() - interval '6 years'
         WHERE id IN ({old}, {inside})"
    ))
    .execute(&mut app.db())
    .unwrap();
    diesel::sql_query(format!(
        "UPDATE visits SET checked_in_at = now() - interval '6 years', checked_out_at = now() - interval '6 years' + interval '2 hours' WHERE reader_id = {old}"
    ))
    .execute(&mut app.db())
    .unwrap();

    let desk = app.key("reading_room");
    let refused: Answer =
        app.request_as(Some(&desk), Method::POST, "/api/v1/readers/anonymise").json(&json!({})).send().into();
    refused.problem(403);
    let done = app.post("/api/v1/readers/anonymise", json!({}));
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["reader_ids"], json!([old]), "the recent one is kept, and the one inside is being served");

    let gone = app.get(&format!("/api/v1/readers/{old}")).body;
    assert_eq!((gone["status"].clone(), gone["full_name"].clone()), (json!("anonymised"), json!("Độc giả đã ẩn danh")));
    assert!(gone["referral"].is_null() && gone["topic"].is_null() && gone["identity_no"] != "001234567890");
    // The feed keeps nothing of them either; their visit still counts.
    let feed = app.settled_feed("types=reader").text;
    assert!(!feed.contains("Trần Văn Cũ") && feed.contains("Nguyễn Thị Mới"), "{feed}");
    assert_eq!(app.get(&format!("/api/v1/visits?reader_id={old}")).items().len(), 1);
    let from = (chrono::Utc::now() - chrono::Duration::days(6 * 366)).date_naive();
    let report = app.get(&format!("/api/v1/reports/activity?from={from}"));
    assert_eq!(report.body["reading_room"]["user_days"], 2);

    // Named: at once; not twice, not while being served, and closed to changes and requests.
    app.post("/api/v1/readers/anonymise", json!({"reader_id": old})).problem(409);
    app.post("/api/v1/readers/anonymise", json!({"reader_id": inside})).problem(409);
    app.post("/api/v1/readers/anonymise", json!({"reader_id": 999_999})).problem(422);
    assert_eq!(app.post("/api/v1/readers/anonymise", json!({"reader_id": recent})).body["reader_ids"], json!([recent]));
    app.patch(&format!("/api/v1/readers/{old}"), "*", json!({"topic": "x"})).problem(409);
    app.post("/api/v1/visits", json!({"reader_id": old})).problem(409);
}
