//! Holdings: fonds and files.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{file, fonds, id, new_box, repository};
use crate::support::{Answer, TestApp};

#[test]
fn fonds_are_created_found_and_changed() {
    let app = TestApp::spawn();
    let created = app.post(
        "/api/v1/fonds",
        json!({"code": "SNV", "name": "Phông Sở Nội vụ", "creator": "Sở Nội vụ tỉnh Thanh Hoá", "year_from": 1945, "year_to": 1975}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("etag"), Some("\"1\""));
    let snv = id(&created.body);
    fonds(&app, "UBND", "Phông Ủy ban hành chính tỉnh");
    app.post("/api/v1/fonds", json!({"code": "snv", "name": "x"})).problem(409);
    assert_eq!(app.get("/api/v1/fonds?q=so%20noi%20vu").strings("code"), ["SNV"]);
    assert_eq!(app.get("/api/v1/fonds?q=uy%20ban").strings("code"), ["UBND"]);
    assert_eq!(app.all_pages("/api/v1/fonds?limit=1").len(), 2);
    let path = format!("/api/v1/fonds/{snv}");
    assert_eq!(app.patch(&path, "\"1\"", json!({"year_from": 1980})).invalid_fields(), ["year_to"]);
    let changed = app.patch(&path, "\"1\"", json!({"name": "Phông Sở Nội vụ tỉnh Thanh Hoá", "creator": null}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!((changed.body["creator"].clone(), changed.body["version"].clone()), (Value::Null, json!(2)));
    assert_eq!(
        app.post("/api/v1/fonds", json!({"code": "", "name": "", "year_from": 99})).invalid_fields(),
        ["code", "name", "year_from"]
    );
}

#[test]
fn files_are_numbered_uniquely_within_an_inventory() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let created = app.post(
        "/api/v1/files",
        json!({"fonds_id": snv, "inventory_no": 1, "file_no": 37, "title": "Tập công văn của Sở Nội vụ năm 1976",
               "date_from": "1976-01-05", "date_to": "1976-12-30", "page_count": 250, "archive_code": "H26.01-1-37"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let body = &created.body;
    assert_eq!((body["numbering"].as_str(), body["access"].as_str()), (Some("leaf"), Some("open")), "defaults");
    assert_eq!(body["fonds_code"], "SNV");
    assert_eq!(body["box"], Value::Null);
    let again = json!({"fonds_id": snv, "inventory_no": 1, "file_no": 37, "title": "x", "page_count": 1});
    assert!(app.post("/api/v1/files", again).problem(409)["detail"].as_str().unwrap().contains("number"));
    file(&app, snv, 37, 10, json!({"inventory_no": 2}));
    let same_code = json!({"fonds_id": snv, "inventory_no": 3, "file_no": 1, "title": "x", "page_count": 1, "archive_code": "h26.01-1-37"});
    assert!(app.post("/api/v1/files", same_code).problem(409)["detail"].as_str().unwrap().contains("archive code"));
}

#[test]
fn file_input_is_validated() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let post = |body: Value| app.post("/api/v1/files", body);
    assert_eq!(
        post(json!({"fonds_id": 999, "inventory_no": 1, "file_no": 1, "title": "x", "page_count": 5})).invalid_fields(),
        ["fonds_id"]
    );
    assert_eq!(
        post(json!({"fonds_id": snv, "inventory_no": 0, "file_no": 1, "title": "", "page_count": 0, "numbering": "sheet"}))
            .invalid_fields(),
        ["numbering"]
    );
    assert_eq!(
        post(json!({"fonds_id": snv, "inventory_no": 0, "file_no": 1, "title": "", "page_count": 0})).invalid_fields(),
        ["inventory_no", "page_count", "title"]
    );
    assert_eq!(
        post(json!({"fonds_id": snv, "inventory_no": 1, "file_no": 1, "title": "x", "page_count": 3,
                    "date_from": "1980-01-01", "date_to": "1979-01-01"}))
        .invalid_fields(),
        ["date_to"]
    );
    assert_eq!(
        post(json!({"fonds_id": snv, "inventory_no": 1, "file_no": 1, "title": "x", "page_count": 3, "date_from": "1980-02-30"}))
            .invalid_fields(),
        ["date_from"]
    );
    let viewer = app.key("conservator");
    let answer: Answer = app
        .request_as(Some(&viewer), Method::POST, "/api/v1/files")
        .json(&json!({"fonds_id": snv, "inventory_no": 1, "file_no": 1, "title": "x", "page_count": 3}))
        .send()
        .into();
    answer.problem(403);
}

#[test]
fn files_are_found_by_fonds_box_and_words() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let (snv, ubnd) = (fonds(&app, "SNV", "Phông Sở Nội vụ"), fonds(&app, "UBND", "Phông UBND"));
    let b = id(&new_box(&app, "SNV-1", repo.shelves[0], json!({"fonds_id": snv})));
    file(&app, snv, 1, 10, json!({"title": "Báo cáo của Sở Nội vụ về tổ chức bộ máy", "box_id": b}));
    file(&app, snv, 2, 10, json!({"title": "Công văn đi năm 1976"}));
    file(&app, ubnd, 37, 10, json!({"title": "Quyết định của Ủy ban"}));
    let titles = |query: &str| app.get(&format!("/api/v1/files?{query}")).strings("title");
    assert_eq!(titles("q=so%20noi%20vu"), ["Báo cáo của Sở Nội vụ về tổ chức bộ máy"]);
    assert_eq!(titles("q=1%2F37"), ["Quyết định của Ủy ban"], "inventory/file numbers are searchable");
    assert_eq!(titles(&format!("fonds_id={snv}")).len(), 2);
    assert_eq!(titles(&format!("box_id={b}")), ["Báo cáo của Sở Nội vụ về tổ chức bộ máy"]);
    assert_eq!(app.all_pages("/api/v1/files?limit=2").len(), 3);
    // A box holds files of one fonds.
    let other = json!({"fonds_id": ubnd, "inventory_no": 1, "file_no": 1, "title": "x", "page_count": 2, "box_id": b});
    assert_eq!(app.post("/api/v1/files", other).invalid_fields(), ["box_id"]);
}

#[test]
fn a_file_says_where_it_is() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let b = id(&new_box(&app, "SNV-1", repo.shelves[4], json!({"fonds_id": snv, "label": "Hộp 1"})));
    let f = file(&app, snv, 1, 120, json!({"box_id": b}));
    let detail = app.get(&format!("/api/v1/files/{f}"));
    assert_eq!(detail.status, 200, "{}", detail.text);
    assert_eq!(detail.body["box"]["barcode"], "SNV-1");
    assert_eq!(detail.body["box"]["current_location"]["path_code"], "K1-P02-G05-2-2");
    assert_eq!(detail.body["box"]["home_location"]["path"][1]["name"], "Phòng kho 2");
    let conservation = &detail.body["conservation"];
    assert_eq!(conservation["pages_never_assessed"], 120);
    assert_eq!(conservation["pages_by_grade"], json!({"1": 0, "2": 0, "3": 0, "4": 0}));
    assert_eq!(conservation["pages_waiting"], "");
    app.get("/api/v1/files/424242").problem(404);
}

#[test]
fn a_file_cannot_shrink_below_its_recorded_pages() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let f = file(&app, snv, 1, 100, json!({}));
    assert_eq!(app.post("/api/v1/assessments", json!({"file_id": f, "pages": "10-80", "grade": 3})).status, 201);
    let path = format!("/api/v1/files/{f}");
    app.patch(&path, "\"1\"", json!({"page_count": 79})).problem(409);
    let changed = app.patch(&path, "\"1\"", json!({"page_count": 80, "numbering": "page", "access": "restricted"}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!((changed.body["page_count"].as_i64(), changed.body["numbering"].as_str()), (Some(80), Some("page")));
    assert_eq!(
        app.patch(&path, "\"2\"", json!({"fonds_id": 2, "file_no": 3})).invalid_fields(),
        ["file_no", "fonds_id"]
    );
}
