//! Đang ở ngoài / Out in the app: every box away from its shelf, the longest out first, and
//! the ticked ones returned home in one move, all or none.

use paperkeep::keys::model::Role;
use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{id, move_box, new_box, repository};
use crate::support::staff::{location, person, signed_in, token};

#[test]
fn the_boxes_out_are_listed_longest_out_first_and_the_ticked_ones_go_home() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let boxes: Vec<i64> = ["OUT-1", "OUT-2", "OUT-3"]
        .iter()
        .map(|barcode| id(&new_box(&app, barcode, repo.shelves[0], json!({"label": format!("Hộp {barcode}")}))))
        .collect();
    // OUT-3 went first, then OUT-1 to the lab with a note; OUT-2 stays home.
    assert_eq!(
        move_box(&app, boxes[2], json!({"to_location_id": repo.reading_room, "reason": "reading_room"})).status,
        201
    );
    let to_lab = json!({"to_location_id": repo.lab, "reason": "conservation", "note": "Bồi nền"});
    assert_eq!(move_box(&app, boxes[0], to_lab).status, 201);

    person(&app, "xem", Role::Viewer);
    let viewer = signed_in(&app, "xem");
    let page = viewer.get(format!("{}/out", app.url)).send().unwrap().text().unwrap();
    let first = page.find("OUT-3 · Hộp OUT-3").expect("OUT-3 listed");
    let second = page.find("OUT-1 · Hộp OUT-1").expect("OUT-1 listed");
    assert!(first < second, "the longest out first");
    assert!(!page.contains("OUT-2"), "a box at home is not out");
    assert!(page.contains("phục vụ độc giả") && page.contains("tu bổ · Bồi nền") && page.contains("K1-LAB"), "{page}");
    assert!(!page.contains("type=\"checkbox\""), "a viewer returns nothing");
    let refused =
        viewer.post(format!("{}/out/return", app.url)).form(&[("csrf", token(&app, &viewer))]).send().unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    person(&app, "kho", Role::StorageManager);
    let manager = signed_in(&app, "kho");
    let csrf = token(&app, &manager);
    let none = manager.post(format!("{}/out/return", app.url)).form(&[("csrf", csrf.as_str())]).send().unwrap();
    assert_eq!(none.status().as_u16(), 422);
    assert!(none.text().unwrap().contains("Hãy chọn ít nhất một hộp"));

    // A box ticked that is at home already: nothing returns, its row says why.
    let (one, home) = (boxes[0].to_string(), boxes[1].to_string());
    let form = [("csrf", csrf.as_str()), ("box", one.as_str()), ("box", home.as_str())];
    let conflict = manager.post(format!("{}/out/return", app.url)).form(&form).send().unwrap();
    assert_eq!(conflict.status().as_u16(), 409);
    let conflict = conflict.text().unwrap();
    assert!(conflict.contains("Không trả hộp nào: 1 hộp") && conflict.contains("OUT-2 is already at"), "{conflict}");
    assert!(conflict.contains(&format!("value=\"{one}\"")), "what was out is still listed: {conflict}");
    assert_eq!(app.get(&format!("/api/v1/boxes/{}", boxes[0])).body["status"], "out", "none of them moved");

    let three = boxes[2].to_string();
    let returned = manager
        .post(format!("{}/out/return", app.url))
        .form(&[("csrf", csrf.as_str()), ("box", one.as_str()), ("box", three.as_str())])
        .send()
        .unwrap();
    assert_eq!((returned.status().as_u16(), location(&returned)), (303, "/out?returned=2".to_string()));
    let after = manager.get(format!("{}/out?returned=2", app.url)).send().unwrap().text().unwrap();
    assert!(after.contains("Đã trả 2 hộp về vị trí gốc") && after.contains("Không có hộp nào ở ngoài"), "{after}");
    let moved = app.get(&format!("/api/v1/boxes/{}/moves", boxes[2]));
    assert_eq!(moved.items()[0]["reason"], "return");
    let kho = app.all_pages("/api/v1/people").iter().find(|p| p["username"] == "kho").unwrap()["actor_id"].clone();
    assert_eq!(moved.items()[0]["moved_by"], kho, "the person who returned it");
}
