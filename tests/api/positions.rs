//! Positions on a shelf: one box each, the lowest free one when none is asked for, kept while
//! a box is out, given up with its space.

use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{id, move_box, new_box, reconciled_audit, repository};

#[test]
fn a_position_on_a_shelf_is_one_boxs() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let shelf = repo.shelves[0];
    let position = |answer: &serde_json::Value| answer["position"].as_i64().unwrap();
    let c = new_box(&app, "C", shelf, json!({"position": 3}));
    assert_eq!(position(&new_box(&app, "A", shelf, json!({}))), 1, "the lowest free position");
    assert_eq!(position(&new_box(&app, "B", shelf, json!({}))), 2);
    assert_eq!(position(&new_box(&app, "D", shelf, json!({}))), 4, "after the boxes, with no gap");
    let taken = app.post("/api/v1/boxes", json!({"barcode": "E", "home_location_id": shelf, "position": 3}));
    let detail = taken.problem(409)["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("position 3") && detail.contains("box C"), "names the box there: {detail}");
    for bad in [0, -1] {
        let refused = app.post("/api/v1/boxes", json!({"barcode": "E", "home_location_id": shelf, "position": bad}));
        assert_eq!(refused.invalid_fields(), ["position"]);
    }

    // A move onto a taken position is refused, naming the box; without one, the lowest free.
    let other = id(&new_box(&app, "X", repo.shelves[1], json!({})));
    let onto_c = move_box(&app, other, json!({"to_location_id": shelf, "reason": "reshelve", "position": 3}));
    assert!(onto_c.problem(409)["detail"].as_str().unwrap().contains("box C"), "{}", onto_c.text);
    // C goes to the reading room: its place is kept for it.
    move_box(&app, id(&c), json!({"to_location_id": repo.reading_room, "reason": "reading_room"}));
    let moved = move_box(&app, other, json!({"to_location_id": shelf, "reason": "reshelve"}));
    assert_eq!((moved.status, moved.body["position"].as_i64()), (201, Some(5)), "{}", moved.text);
    let contents = app.get(&format!("/api/v1/locations/{shelf}/boxes"));
    let places: Vec<(i64, &str, &str)> = contents
        .items()
        .iter()
        .map(|b| (b["position"].as_i64().unwrap(), b["barcode"].as_str().unwrap(), b["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        places,
        [(1, "A", "on_shelf"), (2, "B", "on_shelf"), (3, "C", "out"), (4, "D", "on_shelf"), (5, "X", "on_shelf")]
    );
    let out = &contents.items()[2];
    assert_eq!((out["location_id"].as_i64(), out["shelf_id"].as_i64()), (Some(repo.reading_room), Some(shelf)));
    let back = move_box(&app, id(&c), json!({"reason": "return"}));
    assert_eq!(back.body["position"], 3, "back to its place");

    // On its own shelf a box may take a free position, not its own again.
    let along = move_box(&app, other, json!({"to_location_id": shelf, "reason": "reshelve", "position": 7}));
    assert_eq!((along.status, along.body["position"].as_i64()), (201, Some(7)), "{}", along.text);
    move_box(&app, other, json!({"to_location_id": shelf, "reason": "reshelve", "position": 7})).problem(409);
    move_box(&app, other, json!({"to_location_id": shelf, "reason": "reshelve"})).problem(409);
    let numbers: Vec<i64> = app
        .get(&format!("/api/v1/locations/{shelf}/boxes"))
        .items()
        .iter()
        .map(|b| b["position"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4, 7], "a free position is a gap in the numbers");
}

#[test]
fn boxes_of_one_request_trade_places_and_may_not_share_one() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let shelf = repo.shelves[0];
    new_box(&app, "A", shelf, json!({}));
    new_box(&app, "B", shelf, json!({}));
    new_box(&app, "C", repo.shelves[1], json!({}));
    new_box(&app, "D", repo.shelves[1], json!({}));
    let swap = app.post(
        "/api/v1/moves",
        json!({"reason": "reshelve", "moves": [
            {"barcode": "A", "to_location_id": shelf, "position": 2},
            {"barcode": "B", "to_location_id": shelf, "position": 1}]}),
    );
    assert_eq!(swap.status, 201, "{}", swap.text);
    let order = app.get(&format!("/api/v1/locations/{shelf}/boxes")).strings("barcode");
    assert_eq!(order, ["B", "A"]);

    let clash = app.post(
        "/api/v1/moves",
        json!({"reason": "reshelve", "moves": [
            {"barcode": "C", "to_location_id": shelf, "position": 5},
            {"barcode": "D", "to_location_id": shelf, "position": 5}]}),
    );
    let errors = clash.problem(409)["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["field"], "moves[1]");
    assert!(errors[0]["message"].as_str().unwrap().contains("box C"), "{errors:?}");
    // Several boxes without positions take the lowest free ones, in the request's order.
    let placed = app.post(
        "/api/v1/moves",
        json!({"reason": "reshelve", "moves": [
            {"barcode": "D", "to_location_id": shelf}, {"barcode": "C", "to_location_id": shelf}]}),
    );
    let positions: Vec<i64> =
        placed.body["movements"].as_array().unwrap().iter().map(|m| m["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, [3, 4]);
}

#[test]
fn a_written_off_box_gives_its_place_up_and_takes_a_free_one_when_found() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let shelf = repo.shelves[0];
    let a = id(&new_box(&app, "A", shelf, json!({})));
    new_box(&app, "B", shelf, json!({}));
    reconciled_audit(&app, shelf, json!(["B"]));
    app.post(&format!("/api/v1/boxes/{a}/lost"), json!({"note": "Không thấy"}));
    assert_eq!(app.get(&format!("/api/v1/boxes/{a}")).body["position"], serde_json::Value::Null);
    assert_eq!(new_box(&app, "C", shelf, json!({}))["position"], 1, "its place is free");
    let found = app.post(&format!("/api/v1/boxes/{a}/found"), json!({}));
    assert_eq!((found.status, found.body["position"].as_i64()), (201, Some(3)), "{}", found.text);
}
