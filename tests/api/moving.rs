//! Chuyển hộp / Move in the app: a destination, boxes scanned one by one with what stands in
//! each one's way, then one move of them all or of none.

use paperkeep::keys::model::Role;
use reqwest::blocking::Client;
use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{id, new_box, repository};
use crate::support::staff::{location, person, signed_in, token};

fn page(app: &TestApp, browser: &Client, query: &str) -> (u16, String) {
    let answer = browser.get(format!("{}/move{query}", app.url)).send().unwrap();
    (answer.status().as_u16(), answer.text().unwrap())
}

#[test]
fn boxes_scanned_to_a_shelf_are_checked_row_by_row_then_moved_together() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let label =
        |place: i64| app.get(&format!("/api/v1/locations/{place}")).body["barcode"].as_str().unwrap().to_string();
    // Shelf 2 takes 1,000 mm: 875 already used, room for one standard box.
    new_box(&app, "WIDE", repo.shelves[1], json!({"width_mm": 875}));
    for barcode in ["MV-1", "MV-2", "MV-3"] {
        new_box(&app, barcode, repo.shelves[0], json!({"label": format!("Hộp {barcode}")}));
    }
    person(&app, "kho", Role::StorageManager);
    let kho = signed_in(&app, "kho");

    let (_, start) = page(&app, &kho, "");
    assert!(start.contains("Nơi đến") && start.contains("Phòng tu bổ"), "a workspace offered: {start}");
    let (_, nowhere) = page(&app, &kho, "?to=K9-NOWHERE");
    assert!(nowhere.contains("Không có vị trí nào có nhãn hoặc mã này"));

    let to = label(repo.shelves[1]);
    let shelf_0 = label(repo.shelves[0]);
    let query = format!("?to={to}&box=MV-1&box=mv-1&box=NOPE&box={shelf_0}&box=WIDE&add=MV-2");
    let (status, rows) = page(&app, &kho, &query);
    assert_eq!(status, 200);
    for expected in [
        "MV-1 · Hộp MV-1",
        "đã quét ở dòng 1",
        "không có hộp nào mã này",
        "không phải hộp",
        "hộp đã ở nơi đến",
        "giá hết chỗ: chỉ còn trống 0,000 m",
    ] {
        assert!(rows.contains(expected), "{expected}: {rows}");
    }
    assert!(rows.contains("còn trống 0,125 m"), "the destination's room: {rows}");

    // Refused whole, each row saying why; then the clean list moves.
    let csrf = token(&app, &kho);
    let post = |boxes: &[&str]| {
        let mut form = vec![("csrf", csrf.as_str()), ("to", to.as_str()), ("reason", "reshelve")];
        form.extend(boxes.iter().map(|b| ("box", *b)));
        kho.post(format!("{}/move", app.url)).form(&form).send().unwrap()
    };
    let refused = post(&["MV-1", "WIDE"]);
    assert_eq!(refused.status().as_u16(), 409);
    let refused = refused.text().unwrap();
    assert!(refused.contains("Không hộp nào được chuyển") && refused.contains("class=\"refused\""), "{refused}");
    assert_eq!(app.get("/api/v1/boxes/by-barcode/MV-1").body["current_location"]["id"], repo.shelves[0]);
    let moved = post(&["MV-1"]);
    assert_eq!(moved.status().as_u16(), 303);
    assert_eq!(location(&moved), format!("/move?to={to}&moved=1"));
    let (_, after) = page(&app, &kho, &format!("?to={to}&moved=1"));
    assert!(after.contains("Đã chuyển 1 hộp"), "{after}");
    let box_now = app.get("/api/v1/boxes/by-barcode/MV-1").body;
    assert_eq!(box_now["current_location"]["id"], repo.shelves[1]);
    let history = app.get(&format!("/api/v1/boxes/{}/moves", id(&box_now)));
    assert_eq!(history.items()[0]["reason"], "reshelve");

    // Nothing scanned, or a reason the service keeps for itself: refused on the page.
    assert_eq!(post(&[]).status().as_u16(), 422);
    let form = [("csrf", csrf.as_str()), ("to", to.as_str()), ("reason", "intake"), ("box", "MV-2")];
    assert_eq!(kho.post(format!("{}/move", app.url)).form(&form).send().unwrap().status().as_u16(), 422);
    // A viewer has no move screen.
    person(&app, "xem", Role::Viewer);
    assert_eq!(page(&app, &signed_in(&app, "xem"), "").0, 403);
}

#[test]
fn scanned_boxes_return_each_to_its_own_home() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let out = id(&new_box(&app, "HOME-1", repo.shelves[0], json!({})));
    new_box(&app, "HOME-2", repo.shelves[1], json!({}));
    let to_lab = json!({"to_location_id": repo.lab, "reason": "conservation"});
    assert_eq!(crate::support::fixtures::move_box(&app, out, to_lab).status, 201);
    person(&app, "kho", Role::StorageManager);
    let kho = signed_in(&app, "kho");

    let (_, start) = page(&app, &kho, "");
    assert!(start.contains("href=\"/move?to=home\""), "offered beside the workspaces: {start}");
    let (status, rows) = page(&app, &kho, "?to=home&box=HOME-1&box=HOME-2");
    assert_eq!(status, 200);
    assert!(rows.contains("vị trí gốc của từng hộp") && rows.contains("hộp đã ở vị trí gốc"), "{rows}");
    assert!(
        rows.contains("value=\"return\" selected") && !rows.contains("value=\"reshelve\""),
        "a return only: {rows}"
    );

    let csrf = token(&app, &kho);
    let post = |reason: &str| {
        let form = [("csrf", csrf.as_str()), ("to", "home"), ("reason", reason), ("box", "HOME-1")];
        kho.post(format!("{}/move", app.url)).form(&form).send().unwrap()
    };
    assert_eq!(post("reshelve").status().as_u16(), 422, "a move home is a return");
    let returned = post("return");
    assert_eq!((returned.status().as_u16(), location(&returned)), (303, "/move?to=home&moved=1".to_string()));
    let home_now = app.get(&format!("/api/v1/boxes/{out}")).body;
    assert_eq!(
        (home_now["status"].as_str(), home_now["current_location"]["id"].as_i64()),
        (Some("on_shelf"), Some(repo.shelves[0]))
    );
}

#[test]
fn rows_whose_reasons_differ_each_keep_their_own() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    for barcode in ["RR-1", "RR-2", "RR-3"] {
        new_box(&app, barcode, repo.shelves[0], json!({}));
    }
    let shelf = app.get(&format!("/api/v1/locations/{}", repo.shelves[1]));
    let to = shelf.body["barcode"].as_str().unwrap().to_string();
    person(&app, "kho", Role::StorageManager);
    let kho = signed_in(&app, "kho");
    let (_, listed) = page(&app, &kho, &format!("?to={to}&box=RR-1&box=RR-2"));
    assert!(listed.contains("name=\"row_reason\" form=\"confirm-form\""), "a reason per row: {listed}");

    let csrf = token(&app, &kho);
    let post = |rows: &[(&str, &str)]| {
        let mut form = vec![("csrf", csrf.as_str()), ("to", to.as_str()), ("reason", "exhibition")];
        for (barcode, reason) in rows {
            form.extend([("box", *barcode), ("row_reason", *reason)]);
        }
        kho.post(format!("{}/move", app.url)).form(&form).send().unwrap()
    };
    // Refused (a box unknown): each row keeps the reason chosen for it.
    let refused = post(&[("RR-1", ""), ("RR-2", "digitization"), ("NOPE", "")]);
    assert_eq!(refused.status().as_u16(), 409);
    assert!(refused.text().unwrap().contains("<option value=\"digitization\" selected>"));
    assert_eq!(post(&[("RR-1", ""), ("RR-2", "digitization"), ("RR-3", "loan")]).status().as_u16(), 303);
    let reason = |barcode: &str| {
        let moved = app.get(&format!("/api/v1/boxes/by-barcode/{barcode}")).body;
        app.get(&format!("/api/v1/boxes/{}/moves", id(&moved))).items()[0]["reason"].clone()
    };
    assert_eq!(
        (reason("RR-1"), reason("RR-2"), reason("RR-3")),
        (json!("exhibition"), json!("digitization"), json!("loan"))
    );
}
