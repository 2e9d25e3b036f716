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

/// A small repository: K1 → P02 → G05 with bays 1–2 of shelves 1–3 (1000 mm each), and in
/// the building a conservation lab and a reading room.
pub struct Repository {
    pub room: i64,
    pub unit: i64,
    pub bays: Vec<i64>,
    /// In path order: 1-1, 1-2, 1-3, 2-1, 2-2, 2-3.
    pub shelves: Vec<i64>,
    pub lab: i64,
    pub reading_room: i64,
}

pub fn repository(app: &TestApp) -> Repository {
    let (building, room, unit) = building_room_unit(app);
    let shelving = app.post(
        &format!("/api/v1/locations/{unit}/shelving"),
        json!({"bays": 2, "shelves_per_bay": 3, "capacity_mm": 1000}),
    );
    assert_eq!(shelving.status, 201, "{}", shelving.text);
    let ids = |key: &str| shelving.body[key].as_array().unwrap().iter().map(id).collect::<Vec<_>>();
    let lab = id(&location(
        app,
        Some(building),
        "workspace",
        "LAB",
        json!({"purpose": "conservation_lab", "name": "Phòng tu bổ"}),
    ));
    let reading_room =
        id(&location(app, Some(building), "workspace", "RR", json!({"purpose": "reading_room", "name": "Phòng đọc"})));
    Repository { room, unit, bays: ids("bays"), shelves: ids("shelves"), lab, reading_room }
}

/// Registers a box on `home`, asserting 201; extra fields are merged into the request.
#[track_caller]
pub fn new_box(app: &TestApp, barcode: &str, home: i64, extra: Value) -> Value {
    let mut body = json!({"barcode": barcode, "home_location_id": home});
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    let answer = app.post("/api/v1/boxes", body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

/// Audits `shelf` with these barcodes scanned and reconciles it, asserting 200; the audit.
#[track_caller]
pub fn reconciled_audit(app: &TestApp, shelf: i64, scanned: Value) -> Value {
    let audit = app.post("/api/v1/audits", json!({"location_id": shelf, "scanned": scanned}));
    assert_eq!(audit.status, 201, "{}", audit.text);
    let reconciled = app.post(&format!("/api/v1/audits/{}/reconcile", id(&audit.body)), Value::Null);
    assert_eq!(reconciled.status, 200, "{}", reconciled.text);
    reconciled.body
}

/// Moves a box and returns the answer.
pub fn move_box(app: &TestApp, box_id: i64, body: Value) -> super::Answer {
    app.post(&format!("/api/v1/boxes/{box_id}/moves"), body)
}

/// The `space` of a location.
pub fn space(app: &TestApp, location: i64) -> Value {
    app.get(&format!("/api/v1/locations/{location}")).body["space"].clone()
}

/// Creates a fonds and returns its id.
#[track_caller]
pub fn fonds(app: &TestApp, code: &str, name: &str) -> i64 {
    let answer = app.post("/api/v1/fonds", json!({"code": code, "name": name}));
    assert_eq!(answer.status, 201, "{}", answer.text);
    id(&answer.body)
}

/// Creates a file in `fonds_id` with `page_count` pages and returns its id.
#[track_caller]
pub fn file(app: &TestApp, fonds_id: i64, file_no: i32, page_count: i32, extra: Value) -> i64 {
    let mut body = json!({"fonds_id": fonds_id, "inventory_no": 1, "file_no": file_no,
                          "title": format!("Hồ sơ số {file_no}"), "page_count": page_count});
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    let answer = app.post("/api/v1/files", body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    id(&answer.body)
}
