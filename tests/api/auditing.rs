//! Kiểm kê giá / Shelf audit in the app: a shelf's boxes scanned (or pasted) against its record,
//! the audit kept, reconciled, and a missing box found.

use paperkeep::keys::model::Role;
use reqwest::blocking::Client;
use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{new_box, repository};
use crate::support::staff::{location, person, signed_in, token};

fn page(app: &TestApp, browser: &Client, path: &str) -> (u16, String) {
    let answer = browser.get(format!("{}{path}", app.url)).send().unwrap();
    (answer.status().as_u16(), answer.text().unwrap())
}

fn label(app: &TestApp, place: i64) -> String {
    app.get(&format!("/api/v1/locations/{place}")).body["barcode"].as_str().unwrap().to_string()
}

#[test]
fn a_shelf_audited_by_scanning_then_reconciled_and_a_missing_box_found() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    for barcode in ["KK-1", "KK-2", "KK-3"] {
        new_box(&app, barcode, repo.shelves[0], json!({"label": format!("Hộp {barcode}")}));
    }
    new_box(&app, "LẠ-1", repo.shelves[1], json!({}));
    person(&app, "kho", Role::StorageManager);
    let kho = signed_in(&app, "kho");
    let shelf = label(&app, repo.shelves[0]);

    let (_, start) = page(&app, &kho, "/audit?at=NOWHERE");
    assert!(start.contains("Không có giá hay nơi làm việc nào"), "{start}");
    // One box found (scanned twice), one recorded elsewhere, a code naming nothing, a shelf label.
    let other_shelf = label(&app, repo.shelves[1]);
    let query = format!("/audit?at={shelf}&box=KK-1&box=kk-1&box=LẠ-1&box=NOPE&add={other_shelf}");
    let (status, scanning) = page(&app, &kho, &query);
    assert_eq!(status, 200);
    for expected in [
        "Đã thấy 1/3 hộp theo hồ sơ · 4 mã ngoài hồ sơ giá này",
        "đã quét ở dòng 1",
        "hộp lạ: hồ sơ ghi ở",
        "không có hộp nào mã này",
        "không phải hộp",
        "class=\"ticked\"",
    ] {
        assert!(scanning.contains(expected), "{expected}: {scanning}");
    }

    // Finished with a batch pasted (KK-2, and KK-1 again): kept, nothing changed yet.
    let csrf = token(&app, &kho);
    let form = [
        ("csrf", csrf.as_str()),
        ("at", shelf.as_str()),
        ("box", "KK-1"),
        ("box", "LẠ-1"),
        ("box", "NOPE"),
        ("pasted", "KK-2\r\nKK-1\r\n\r\n"),
    ];
    let finished = kho.post(format!("{}/audit", app.url)).form(&form).send().unwrap();
    assert_eq!(finished.status().as_u16(), 303);
    let result = location(&finished);
    assert!(result.starts_with("/audit/"), "{result}");
    let (_, kept) = page(&app, &kho, &result);
    assert!(kept.contains("Thấy 2/3 · thiếu 1 · hộp lạ 1 · mã không rõ 1"), "{kept}");
    assert!(kept.contains("Đối chiếu hồ sơ") && !kept.contains("/found\""), "{kept}");
    assert_eq!(app.get("/api/v1/boxes/by-barcode/KK-3").body["status"], "on_shelf");

    // Reconciled: KK-3 missing, LẠ-1 moved here; then KK-3 turns up.
    let post = |path: &str, extra: &[(&str, &str)]| {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(extra);
        kho.post(format!("{}{path}", app.url)).form(&form).send().unwrap()
    };
    let reconciled = post(&format!("{result}/reconcile"), &[]);
    assert_eq!((reconciled.status().as_u16(), location(&reconciled)), (303, format!("{result}?reconciled=1")));
    assert_eq!(app.get("/api/v1/boxes/by-barcode/KK-3").body["status"], "missing");
    let moved_here = app.get("/api/v1/boxes/by-barcode/LẠ-1").body;
    assert_eq!(moved_here["current_location"]["id"], repo.shelves[0]);
    let (_, after) = page(&app, &kho, &format!("{result}?reconciled=1"));
    assert!(after.contains("Đã đối chiếu hồ sơ theo kết quả kiểm kê") && after.contains("/found\""), "{after}");
    let missing_id = app.get("/api/v1/boxes/by-barcode/KK-3").body["id"].to_string();
    let found = post(&format!("{result}/found"), &[("box", &missing_id)]);
    assert_eq!((found.status().as_u16(), location(&found)), (303, format!("{result}?found=KK-3")));
    assert_eq!(app.get("/api/v1/boxes/by-barcode/KK-3").body["status"], "on_shelf");
    let history = app.get(&format!("/api/v1/boxes/{missing_id}/moves"));
    assert_eq!(history.items()[0]["reason"], "found");
    // Found twice: refused on the page, nothing written.
    let again = post(&format!("{result}/found"), &[("box", &missing_id)]);
    assert_eq!(again.status().as_u16(), 409);
    assert!(again.text().unwrap().contains("Chưa ghi được là tìm thấy"));
    // A box that was not missing from this audit.
    let not_missing = app.get("/api/v1/boxes/by-barcode/KK-1").body["id"].to_string();
    assert_eq!(post(&format!("{result}/found"), &[("box", &not_missing)]).status().as_u16(), 409);
    assert_eq!(page(&app, &kho, "/audit/999999").0, 404);

    // The start lists it; a viewer sees the result but has no audit screen.
    let (_, start) = page(&app, &kho, "/audit");
    assert!(start.contains(&format!("href=\"{result}\"")) && start.contains("đã đối chiếu"), "{start}");
    person(&app, "xem", Role::Viewer);
    let viewer = signed_in(&app, "xem");
    assert_eq!(page(&app, &viewer, "/audit").0, 403);
    let (status, seen) = page(&app, &viewer, &result);
    assert_eq!(status, 200);
    assert!(!seen.contains("/found\""), "no buttons for a viewer: {seen}");
}

#[test]
fn a_pasted_batch_is_checked_before_anything_is_kept() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "DÁN-1", repo.shelves[0], json!({}));
    person(&app, "kho", Role::StorageManager);
    let kho = signed_in(&app, "kho");
    let (shelf, csrf) = (label(&app, repo.shelves[0]), token(&app, &kho));
    let finish = |pasted: &str| {
        let form = [("csrf", csrf.as_str()), ("at", shelf.as_str()), ("pasted", pasted)];
        let answer = kho.post(format!("{}/audit", app.url)).form(&form).send().unwrap();
        (answer.status().as_u16(), answer.text().unwrap())
    };
    let audits = || app.get("/api/v1/audits").items().len();

    // 10,001 codes: refused on the field, the text kept.
    let too_many: String = (0..10_001).map(|n| format!("HS{n:07}\n")).collect();
    let (status, refused) = finish(&too_many);
    assert_eq!(status, 422);
    assert!(refused.contains("Có 10.001 mã, nhiều hơn mức 10.000 mã") && refused.contains("aria-invalid"), "{refused}");
    // A line no scanner sends.
    let (status, refused) = finish(&format!("DÁN-1\n{}", "x".repeat(10_000)));
    assert_eq!(status, 422);
    assert!(refused.contains("dài quá 64 ký tự"), "{refused}");
    assert_eq!(audits(), 0, "nothing kept");

    // 10,000 pasted, decomposed Vietnamese among them: kept, the box found as stored.
    let mut batch: String = (1..10_000).map(|n| format!("HS{n:07}\r\n")).collect();
    batch.push_str("DA\u{301}N-1");
    let (status, _) = finish(&batch);
    assert_eq!(status, 303);
    let kept = app.get("/api/v1/audits").items()[0].clone();
    assert_eq!((kept["counts"]["found"].as_i64(), kept["counts"]["unknown"].as_i64()), (Some(1), Some(9_999)));
}
