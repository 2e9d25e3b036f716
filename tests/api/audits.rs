//! Shelf audits: compare a scan with the records, keep the result, reconcile once.

use reqwest::Method;
use serde_json::json;

use crate::support::fixtures::{id, move_box, new_box, reconciled_audit, repository, space};
use crate::support::{Answer, TestApp, count_rows};

fn barcodes(list: &serde_json::Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|b| b["barcode"].as_str().unwrap()).collect()
}

#[test]
fn an_audit_lists_expected_found_missing_unexpected_and_unknown() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let shelf = repo.shelves[0];
    for barcode in ["A", "B", "C"] {
        new_box(&app, barcode, shelf, json!({}));
    }
    new_box(&app, "ELSEWHERE", repo.shelves[4], json!({}));
    let audit = app.post(
        "/api/v1/audits",
        json!({"location_id": shelf, "scanned": ["A", "c", "ELSEWHERE", "GHOST-1", "A", "a", "GHOST-1"]}),
    );
    assert_eq!(audit.status, 201, "{}", audit.text);
    let body = &audit.body;
    assert_eq!(audit.header("location"), Some(format!("/api/v1/audits/{}", body["id"]).as_str()));
    assert_eq!(barcodes(&body["expected"]), ["A", "B", "C"]);
    assert_eq!(barcodes(&body["found"]), ["A", "C"]);
    assert_eq!(barcodes(&body["missing"]), ["B"]);
    assert_eq!(barcodes(&body["unexpected"]), ["ELSEWHERE"]);
    assert_eq!(body["unexpected"][0]["recorded_path_code"], "K1-P02-G05-2-2", "says where it is recorded");
    assert_eq!(body["unknown"], json!(["GHOST-1"]));
    // A barcode scanned more than once, in any case, is one duplicate, listed as first scanned.
    assert_eq!(body["duplicates"], json!(["A", "GHOST-1"]), "duplicates counted once, reported");
    assert_eq!(
        body["counts"],
        json!({"expected": 3, "scanned": 4, "found": 2, "missing": 1, "unexpected": 1, "unknown": 1, "duplicates": 2})
    );
    assert_eq!(body["reconciled_at"], serde_json::Value::Null);
    assert_eq!(app.get(&format!("/api/v1/audits/{}", body["id"])).body, *body, "it is kept");
    let listed = app.get(&format!("/api/v1/audits?location_id={shelf}"));
    assert_eq!(listed.items().len(), 1);
    assert_eq!(listed.items()[0]["counts"]["missing"], 1);
    assert!(app.get(&format!("/api/v1/audits?location_id={}", repo.shelves[1])).items().is_empty());
}

#[test]
fn a_barcode_scanned_in_three_cases_is_one_duplicate() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "GdDt-003", repo.shelves[0], json!({}));
    let scanned = json!(["GdDt-003", "gddt-003", "GDDT-003"]);
    let audit = app.post("/api/v1/audits", json!({"location_id": repo.shelves[0], "scanned": scanned}));
    assert_eq!(audit.status, 201, "{}", audit.text);
    assert_eq!(audit.body["duplicates"], json!(["GdDt-003"]));
    assert_eq!(
        (audit.body["counts"]["scanned"].as_i64(), audit.body["counts"]["duplicates"].as_i64()),
        (Some(1), Some(1))
    );
}

#[test]
fn reconciling_corrects_the_records_once() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let shelf = repo.shelves[0];
    let a = id(&new_box(&app, "A", shelf, json!({})));
    let b = id(&new_box(&app, "B", shelf, json!({})));
    let stray = id(&new_box(&app, "STRAY", repo.shelves[4], json!({})));
    let audit = app.post("/api/v1/audits", json!({"location_id": shelf, "scanned": ["A", "STRAY"]}));
    let audit_id = audit.body["id"].as_i64().unwrap();

    let reconciled = app.post(&format!("/api/v1/audits/{audit_id}/reconcile"), json!(null));
    assert_eq!(reconciled.status, 200, "{}", reconciled.text);
    assert!(reconciled.body["reconciled_at"].is_string());
    let stray_now = app.get(&format!("/api/v1/boxes/{stray}"));
    assert_eq!(stray_now.body["current_location"]["id"], shelf, "the unexpected box is recorded where it was found");
    let correction = app.get(&format!("/api/v1/boxes/{stray}/moves")).items()[0].clone();
    assert_eq!(
        (correction["reason"].as_str(), correction["audit_id"].as_i64()),
        (Some("audit_correction"), Some(audit_id))
    );
    assert_eq!(app.get(&format!("/api/v1/boxes/{b}")).body["status"], "missing");
    assert_eq!(app.get(&format!("/api/v1/boxes/{a}")).body["status"], "on_shelf");
    assert_eq!(app.get("/api/v1/boxes?status=missing").strings("barcode"), ["B"]);

    // Twice changes nothing more.
    let (movements, versions) =
        (count_rows(&app, "movements"), app.get(&format!("/api/v1/boxes/{b}")).body["version"].clone());
    let again = app.post(&format!("/api/v1/audits/{audit_id}/reconcile"), json!(null));
    assert_eq!(again.status, 200);
    assert_eq!(again.body["reconciled_at"], reconciled.body["reconciled_at"]);
    assert_eq!(count_rows(&app, "movements"), movements);
    assert_eq!(app.get(&format!("/api/v1/boxes/{b}")).body["version"], versions);

    // A missing box that turns up and is moved is no longer missing.
    move_box(&app, b, json!({"to_location_id": repo.shelves[1], "reason": "reshelve"}));
    assert_eq!(app.get(&format!("/api/v1/boxes/{b}")).body["status"], "on_shelf");
    app.post("/api/v1/audits/999/reconcile", json!(null)).problem(404);
}

#[test]
fn a_missing_box_found_by_a_later_audit_is_found_again() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let a = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    let first = app.post("/api/v1/audits", json!({"location_id": repo.shelves[0], "scanned": []}));
    app.post(&format!("/api/v1/audits/{}/reconcile", first.body["id"]), json!(null));
    assert_eq!(app.get(&format!("/api/v1/boxes/{a}")).body["status"], "missing");
    let second = app.post("/api/v1/audits", json!({"location_id": repo.shelves[0], "scanned": ["a"]}));
    assert_eq!(barcodes(&second.body["found"]), ["A"]);
    app.post(&format!("/api/v1/audits/{}/reconcile", second.body["id"]), json!(null));
    assert_eq!(app.get(&format!("/api/v1/boxes/{a}")).body["status"], "on_shelf");
}

#[test]
fn the_boxes_found_on_a_full_shelf_take_the_space_of_the_missing_ones() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let shelf = repo.shelves[0];
    let barcodes: Vec<String> = (1..=8).map(|n| format!("K-{n}")).collect();
    let boxes: Vec<i64> = barcodes.iter().map(|b| id(&new_box(&app, b, shelf, json!({})))).collect();
    let stray = id(&new_box(&app, "STRAY", repo.shelves[1], json!({})));
    assert_eq!(space(&app, shelf)["free_mm"], 0, "full");
    // Elsewhere, a missing box keeps its space: nothing needs it.
    let kept = id(&new_box(&app, "KEPT", repo.shelves[2], json!({})));
    reconciled_audit(&app, repo.shelves[2], json!([]));
    assert_eq!(app.get(&format!("/api/v1/boxes/{kept}")).body["holds_space"], true);

    // K-8 is not there; the stray stands in its place.
    let mut scanned = barcodes[..7].to_vec();
    scanned.push("STRAY".into());
    reconciled_audit(&app, shelf, json!(scanned));
    let stray_now = app.get(&format!("/api/v1/boxes/{stray}")).body;
    assert_eq!(stray_now["current_location"]["id"], shelf);
    let gone = app.get(&format!("/api/v1/boxes/{}", boxes[7])).body;
    assert_eq!((gone["status"].as_str(), gone["holds_space"].as_bool()), (Some("missing"), Some(false)));
    let shelf_space = space(&app, shelf);
    assert_eq!((shelf_space["used_mm"].as_i64(), shelf_space["box_count"].as_i64()), (Some(1000), Some(8)));
    assert_eq!(space(&app, repo.shelves[1])["used_mm"], 0);

    // Found there later, it needs room the shelf no longer has.
    app.post(&format!("/api/v1/boxes/{}/found", boxes[7]), json!({})).problem(409);
    assert_eq!(move_box(&app, boxes[7], json!({"to_location_id": repo.shelves[3], "reason": "reshelve"})).status, 201);
    assert_eq!(space(&app, shelf)["used_mm"], 1000);
}

#[test]
fn a_missing_box_scanned_by_a_later_audit_is_found_with_a_movement() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "B", repo.shelves[0], json!({})));
    reconciled_audit(&app, repo.shelves[0], json!([]));
    assert_eq!(app.post(&format!("/api/v1/boxes/{b}/lost"), json!({"note": "thất lạc"})).status, 201);
    let audit = reconciled_audit(&app, repo.shelves[0], json!(["b"]));
    let found = app.get(&format!("/api/v1/boxes/{b}/moves")).items()[0].clone();
    assert_eq!((found["reason"].as_str(), found["audit_id"].as_i64()), (Some("found"), audit["id"].as_i64()));
    let box_now = app.get(&format!("/api/v1/boxes/{b}")).body;
    assert_eq!((box_now["status"].as_str(), box_now["holds_space"].as_bool()), (Some("on_shelf"), Some(true)));
    assert_eq!(space(&app, repo.shelves[0])["used_mm"], 125);
}

#[test]
fn audit_input_is_checked() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    assert_eq!(
        app.post("/api/v1/audits", json!({"location_id": 987_654, "scanned": ["A"]})).invalid_fields(),
        ["location_id"]
    );
    assert_eq!(
        app.post("/api/v1/audits", json!({"location_id": repo.bays[0], "scanned": []})).invalid_fields(),
        ["location_id"]
    );
    assert_eq!(
        app.post("/api/v1/audits", json!({"location_id": repo.shelves[0], "scanned": ["ok", "", "x".repeat(65)]}))
            .invalid_fields(),
        ["scanned[1]", "scanned[2]"]
    );
    assert_eq!(app.post("/api/v1/audits", json!({"location_id": repo.shelves[0]})).invalid_fields(), ["scanned"]);
    app.get("/api/v1/audits/424242").problem(404);
    let viewer = app.key("viewer");
    let answer: Answer = app
        .request_as(Some(&viewer), Method::POST, "/api/v1/audits")
        .json(&json!({"location_id": repo.shelves[0], "scanned": []}))
        .send()
        .into();
    answer.problem(403);
}

#[test]
fn the_lab_can_be_audited_too() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let a = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    move_box(&app, a, json!({"to_location_id": repo.lab, "reason": "conservation"}));
    let audit = app.post("/api/v1/audits", json!({"location_id": repo.lab, "scanned": ["A"]}));
    assert_eq!(barcodes(&audit.body["found"]), ["A"]);
}
