//! Visits to the reading room over the API: checked in and out at the desk, once at a time,
//! never out before in.

use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{id, repository};

#[test]
fn a_reader_is_checked_in_and_out_once_at_a_time() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let body = json!({"full_name": "Trần Văn Minh", "identity_type": "cccd", "identity_no": "001234567890",
                      "purpose": "personal"});
    let minh = id(&app.post("/api/v1/readers", body).body);

    let came = app.post("/api/v1/visits", json!({"reader_id": minh, "at": "2026-12-01T01:30:00Z"}));
    assert_eq!(came.status, 201, "{}", came.text);
    assert_eq!(came.body["location_id"], repo.reading_room, "the archive's only reading room");
    let twice = app.post("/api/v1/visits", json!({"reader_id": minh}));
    assert!(twice.problem(409)["detail"].as_str().unwrap().contains("already"), "{}", twice.text);
    assert_eq!(app.get("/api/v1/visits?open=true").items().len(), 1);

    let out = format!("/api/v1/visits/{}/check-out", came.body["id"]);
    let early = app.post(&out, json!({"at": "2026-12-01T01:00:00Z"}));
    assert_eq!(early.problem(422)["errors"][0]["field"], "at");
    app.post(&out, json!({"at": "2099-01-01T00:00:00Z"})).problem(422);
    let left = app.post(&out, json!({"at": "2026-12-01T04:30:00Z"}));
    assert_eq!(left.status, 200, "{}", left.text);
    assert_eq!(left.body["checked_out_at"], "2026-12-01T04:30:00Z");
    app.post(&out, json!({})).problem(409);
    assert_eq!(app.get("/api/v1/visits?open=true").items().len(), 0);
    // In again the next day.
    assert_eq!(app.post("/api/v1/visits", json!({"reader_id": minh})).status, 201);

    // Not a reading room; an unknown reader; a suspended one.
    app.post("/api/v1/visits", json!({"reader_id": minh, "location_id": repo.lab})).problem(422);
    app.post("/api/v1/visits", json!({"reader_id": 999_999})).problem(422);
    let body = json!({"full_name": "Nguyễn Thị Hoa", "identity_type": "cccd", "identity_no": "079123456789",
                      "purpose": "personal"});
    let hoa = id(&app.post("/api/v1/readers", body).body);
    let suspend = json!({"suspended": true, "suspended_why": "Vi phạm nội quy"});
    assert_eq!(app.patch(&format!("/api/v1/readers/{hoa}"), "*", suspend).status, 200);
    assert!(
        app.post("/api/v1/visits", json!({"reader_id": hoa})).problem(409)["detail"]
            .as_str()
            .unwrap()
            .contains("suspended")
    );
}
