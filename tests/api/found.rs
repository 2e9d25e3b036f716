//! Missing boxes: found where they are recorded, written off as lost, and found again.

use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{id, move_box, new_box, reconciled_audit, repository, space};

#[test]
fn a_missing_box_is_found_where_it_is_recorded() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let shelf = repo.shelves[0];
    let b = id(&new_box(&app, "SNV-12", shelf, json!({"position": 4})));
    app.post(&format!("/api/v1/boxes/{b}/found"), json!({})).problem(409);
    reconciled_audit(&app, shelf, json!([]));
    let missing = app.get(&format!("/api/v1/boxes/{b}"));
    assert_eq!((missing.body["status"].as_str(), missing.body["holds_space"].as_bool()), (Some("missing"), Some(true)));
    assert_eq!(space(&app, shelf)["used_mm"], 125, "a missing box keeps its place to be found in");

    // Reshelving it where it is recorded is refused, and says what to do instead.
    let in_place = move_box(&app, b, json!({"to_location_id": shelf, "reason": "reshelve"}));
    assert!(in_place.problem(409)["detail"].as_str().unwrap().contains("/found"), "{}", in_place.text);

    let stale = app.request(reqwest::Method::POST, &format!("/api/v1/boxes/{b}/found")).header("If-Match", "\"1\"");
    assert_eq!(crate::support::Answer::from(stale.json(&json!({})).send()).status, 412);
    let found = app.post(&format!("/api/v1/boxes/{b}/found"), json!({"note": "Nằm sau hộp bên cạnh"}));
    assert_eq!(found.status, 201, "{}", found.text);
    assert_eq!(
        (found.body["reason"].as_str(), found.body["from_location_id"].as_i64(), found.body["to_location_id"].as_i64()),
        (Some("found"), Some(shelf), Some(shelf))
    );
    assert_eq!((found.body["position"].as_i64(), found.body["note"].as_str()), (Some(4), Some("Nằm sau hộp bên cạnh")));
    let box_now = app.get(&format!("/api/v1/boxes/{b}"));
    assert_eq!((box_now.body["status"].as_str(), box_now.body["position"].as_i64()), (Some("on_shelf"), Some(4)));
    assert_eq!(space(&app, shelf)["used_mm"], 125, "its space was kept, not taken twice");
    let reasons = app.get(&format!("/api/v1/boxes/{b}/moves")).strings("reason");
    assert_eq!(reasons, ["found", "intake"]);
    let feed = app.settled_feed("types=box.moved");
    assert_eq!(feed.items().last().unwrap()["data"], found.body, "the feed carries the movement");

    app.post(&format!("/api/v1/boxes/{b}/found"), json!({})).problem(409);
    app.post("/api/v1/boxes/999999/found", json!({})).problem(404);
    assert_eq!(app.post(&format!("/api/v1/boxes/{b}/found"), json!({"where": "x"})).invalid_fields(), ["where"]);
}

#[test]
fn a_lost_box_gives_its_space_up_until_it_is_found() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let shelf = repo.shelves[0];
    let a = id(&new_box(&app, "A", shelf, json!({})));
    let b = id(&new_box(&app, "B", shelf, json!({})));
    let lost = |box_id: i64, body| app.post(&format!("/api/v1/boxes/{box_id}/lost"), body);
    assert!(lost(a, json!({"note": "?"})).problem(409)["detail"].as_str().unwrap().contains("not missing"));
    reconciled_audit(&app, shelf, json!([]));

    assert_eq!(lost(a, json!({})).invalid_fields(), ["note"], "why is required");
    assert_eq!(lost(a, json!({"note": "  "})).invalid_fields(), ["note"]);
    for box_id in [a, b] {
        let written_off = lost(box_id, json!({"note": "Không tìm thấy sau ba lần kiểm tra"}));
        assert_eq!(written_off.status, 201, "{}", written_off.text);
        assert_eq!(written_off.body["reason"], "lost");
    }
    lost(a, json!({"note": "again"})).problem(409);
    let box_a = app.get(&format!("/api/v1/boxes/{a}")).body;
    assert_eq!((box_a["status"].as_str(), box_a["holds_space"].as_bool()), (Some("lost"), Some(false)));
    assert!(box_a["lost_at"].is_string());
    assert_eq!(box_a["current_location"]["id"], shelf, "it is still recorded where it was last");
    assert_eq!((space(&app, shelf)["used_mm"].as_i64(), space(&app, shelf)["box_count"].as_i64()), (Some(0), Some(0)));
    assert!(app.get(&format!("/api/v1/locations/{shelf}/boxes")).items().is_empty(), "lost boxes stand nowhere");
    assert_eq!(app.get("/api/v1/boxes?status=lost").strings("barcode"), ["A", "B"]);
    assert!(app.get("/api/v1/boxes?status=missing").items().is_empty());

    // Found where it was recorded: it takes its space again.
    assert_eq!(app.post(&format!("/api/v1/boxes/{a}/found"), json!({})).status, 201);
    let box_a = app.get(&format!("/api/v1/boxes/{a}")).body;
    assert_eq!((box_a["status"].as_str(), box_a["holds_space"].as_bool()), (Some("on_shelf"), Some(true)));
    assert_eq!(box_a["lost_at"], serde_json::Value::Null);
    assert_eq!(space(&app, shelf)["used_mm"], 125);

    // Its shelf filled meanwhile: it is moved where there is room, which finds it too.
    for n in 0..7 {
        new_box(&app, &format!("NEW-{n}"), shelf, json!({}));
    }
    let full = app.post(&format!("/api/v1/boxes/{b}/found"), json!({}));
    assert!(full.problem(409)["detail"].as_str().unwrap().contains("move it"), "{}", full.text);
    let moved = move_box(&app, b, json!({"to_location_id": repo.shelves[1], "reason": "reshelve"}));
    assert_eq!(moved.status, 201, "{}", moved.text);
    let box_b = app.get(&format!("/api/v1/boxes/{b}")).body;
    assert_eq!((box_b["status"].as_str(), box_b["holds_space"].as_bool()), (Some("on_shelf"), Some(true)));
    assert_eq!(space(&app, repo.shelves[1])["used_mm"], 125);
    assert_eq!(space(&app, shelf)["used_mm"], 1000, "nothing given back that it did not hold");
    assert_eq!(app.get(&format!("/api/v1/boxes/{b}/moves")).strings("reason"), ["reshelve", "lost", "intake"]);
}
