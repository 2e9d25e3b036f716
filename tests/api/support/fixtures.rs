//! Building blocks for tests: a repository tree made through the API.

use serde_json::{Value, json};

use super::TestApp;

/// Creates a location and returns its body, asserting 201.
#[track_caller]
pub fn location(app: &TestApp, parent_id: Option<i64>, kind: &str, code: &str, extra: Value) -> Value {
    let mut body = json!({"parent_id": parent_id, "kind": kind, "code": code});
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    let answer = app.post("/api/v1/locations", body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

pub fn id(location: &Value) -> i64 {
    location["id"].as_i64().expect("an id")
}

/// Building K1 → room P02 → unit G05; returns their ids.
pub fn building_room_unit(app: &TestApp) -> (i64, i64, i64) {
    let building = id(&location(app, None, "building", "K1", json!({"name": "Kho 1"})));
    let room = id(&location(app, Some(building), "room", "P02", json!({"name": "Phòng kho 2"})));
    let unit = id(&location(app, Some(room), "unit", "G05", json!({"name": "Giá 5"})));
    (building, room, unit)
}
