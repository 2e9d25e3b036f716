//! Boxes: registering, finding by barcode and by filters, changing, and what shelves hold.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{fonds, id, move_box, new_box, repository, space};
use crate::support::{Answer, TestApp, count_rows};

#[test]
fn a_box_is_registered_on_its_home_shelf_as_its_first_movement() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let created = app.post(
        "/api/v1/boxes",
        json!({"barcode": "  HS-0001 ", "label": "Hộp 12", "fonds_id": snv, "home_location_id": repo.shelves[0], "position": 3}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let body = &created.body;
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.header("location"), Some(format!("/api/v1/boxes/{}", body["id"]).as_str()));
    assert_eq!(body["barcode"], "HS-0001", "stored trimmed");
    assert_eq!((body["fonds_id"].as_i64(), body["fonds_code"].as_str()), (Some(snv), Some("SNV")));
    assert_eq!((body["width_mm"].as_i64(), body["container_type"].as_str()), (Some(125), Some("box")), "defaults");
    assert_eq!(body["status"], "on_shelf");
    assert_eq!(body["position"], 3);
    assert_eq!(body["current_location"]["id"], repo.shelves[0]);
    assert_eq!(body["home_location"]["path_code"], "K1-P02-G05-1-1");

    let history = app.get(&format!("/api/v1/boxes/{}/moves", body["id"]));
    assert_eq!(history.items().len(), 1);
    let intake = &history.items()[0];
    assert_eq!((intake["reason"].as_str(), intake["from_location_id"].as_i64()), (Some("intake"), None));
    assert_eq!(intake["to_location_id"], repo.shelves[0]);
    assert_eq!(intake["moved_by"], 1);

    let shelf = space(&app, repo.shelves[0]);
    assert_eq!(
        (shelf["used_mm"].as_i64(), shelf["free_mm"].as_i64(), shelf["box_count"].as_i64()),
        (Some(125), Some(875), Some(1))
    );
}

#[test]
fn barcodes_are_unique_ignoring_case_and_surrounding_spaces() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "HS-0001", repo.shelves[0], json!({}));
    for duplicate in ["HS-0001", "hs-0001", "  Hs-0001  "] {
        let answer = app.post("/api/v1/boxes", json!({"barcode": duplicate, "home_location_id": repo.shelves[1]}));
        assert!(answer.problem(409)["detail"].as_str().unwrap().contains("barcode"), "{duplicate}");
    }
    assert_eq!(space(&app, repo.shelves[1])["used_mm"], 0, "a refused box takes no space");
}

#[test]
fn box_input_is_validated() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let post = |body: Value| app.post("/api/v1/boxes", body);
    let shelf = repo.shelves[0];
    assert_eq!(post(json!({"barcode": "", "home_location_id": shelf})).invalid_fields(), ["barcode"]);
    assert_eq!(post(json!({"barcode": "   ", "home_location_id": shelf})).invalid_fields(), ["barcode"]);
    assert_eq!(post(json!({"barcode": "x".repeat(65), "home_location_id": shelf})).invalid_fields(), ["barcode"]);
    assert_eq!(post(json!({"barcode": "A\u{7}B", "home_location_id": shelf})).invalid_fields(), ["barcode"]);
    for width in [0, -125, 1001] {
        assert_eq!(
            post(json!({"barcode": "B", "home_location_id": shelf, "width_mm": width})).invalid_fields(),
            ["width_mm"]
        );
    }
    for home in [repo.bays[0], repo.unit, repo.lab, 999_999] {
        assert_eq!(post(json!({"barcode": "B", "home_location_id": home})).invalid_fields(), ["home_location_id"]);
    }
    assert_eq!(
        post(json!({"barcode": "B", "home_location_id": shelf, "container_type": "crate", "current_location_id": 1}))
            .invalid_fields(),
        ["container_type", "current_location_id"]
    );
    assert_eq!(post(json!({"barcode": "B"})).invalid_fields(), ["home_location_id"]);
    assert_eq!(count_rows(&app, "boxes"), 0);
}

#[test]
fn a_full_shelf_refuses_a_new_box_saying_what_is_needed_and_free() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "WIDE", repo.shelves[0], json!({"width_mm": 950}));
    let answer = app.post("/api/v1/boxes", json!({"barcode": "B", "home_location_id": repo.shelves[0]}));
    let detail = answer.problem(409)["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("125 mm") && detail.contains("50 mm"), "{detail}");
}

#[test]
fn by_barcode_says_where_the_box_is_and_where_it_belongs() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let created = new_box(&app, "SNV-12", repo.shelves[4], json!({"label": "Hộp 12"}));
    move_box(&app, id(&created), json!({"to_location_id": repo.reading_room, "reason": "reading_room"}));

    let found = app.get("/api/v1/boxes/by-barcode/snv-12");
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.header("etag"), Some("\"2\""));
    assert_eq!(found.body["status"], "out");
    let current = &found.body["current_location"];
    assert_eq!((current["kind"].as_str(), current["purpose"].as_str()), (Some("workspace"), Some("reading_room")));
    assert_eq!(current["path"][1]["name"], "Phòng đọc");
    let home = &found.body["home_location"];
    assert_eq!(home["path_code"], "K1-P02-G05-2-2");
    let codes: Vec<&str> = home["path"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["K1", "P02", "G05", "2", "2"]);
    assert_eq!(home["path"][1]["name"], "Phòng kho 2");

    app.get("/api/v1/boxes/by-barcode/NOPE").problem(404);
}

#[test]
fn barcodes_with_spaces_slashes_or_vietnamese_letters_work_or_are_404_never_500() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    for barcode in ["HỘP 12/1975", "A B", "Đ-01", "x/y/z", "100%", "a?b#c"] {
        new_box(&app, barcode, repo.shelves[0], json!({"width_mm": 10}));
        let encoded: String = barcode
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let answer = app.get(&format!("/api/v1/boxes/by-barcode/{encoded}"));
        assert_eq!(answer.status, 200, "{barcode}: {}", answer.text);
        assert_eq!(answer.body["barcode"], barcode);
    }
    // Raw, unencoded oddities reach the service too: never a 500.
    for raw in [
        "/api/v1/boxes/by-barcode/a/b",
        "/api/v1/boxes/by-barcode/%FF%FE",
        "/api/v1/boxes/by-barcode/..%2F..%2Fetc",
        "/api/v1/boxes/by-barcode/%00",
    ] {
        let answer: Answer = app.request(Method::GET, raw).send().into();
        assert!(matches!(answer.status, 200 | 400 | 404), "{raw}: {}", answer.status);
        assert_eq!(answer.header("content-type").map(|ct| ct.contains("json")), Some(true), "{raw}");
    }
}

#[test]
fn boxes_are_found_by_barcode_fonds_location_status_and_words() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let (snv, ubnd) = (fonds(&app, "SNV", "Phông Sở Nội vụ"), fonds(&app, "UBND", "Phông UBND tỉnh"));
    let first = id(&new_box(&app, "SNV-1", repo.shelves[0], json!({"fonds_id": snv, "label": "Hộp số 1 Sở Nội vụ"})));
    new_box(&app, "SNV-2", repo.shelves[3], json!({"fonds_id": snv, "label": "Hộp 2"}));
    new_box(&app, "UB-1", repo.shelves[4], json!({"fonds_id": ubnd, "label": "Ủy ban"}));
    move_box(&app, first, json!({"to_location_id": repo.lab, "reason": "conservation"}));
    let barcodes = |query: &str| {
        let answer = app.get(&format!("/api/v1/boxes?{query}"));
        assert_eq!(answer.status, 200, "{query}: {}", answer.text);
        answer.strings("barcode")
    };
    assert_eq!(barcodes("barcode=snv-2"), ["SNV-2"]);
    assert_eq!(barcodes("fonds=snv"), ["SNV-1", "SNV-2"]);
    assert_eq!(barcodes(&format!("fonds_id={ubnd}")), ["UB-1"]);
    assert_eq!(
        app.post("/api/v1/boxes", json!({"barcode": "X", "home_location_id": repo.shelves[5], "fonds_id": 999}))
            .invalid_fields(),
        ["fonds_id"]
    );
    assert_eq!(barcodes(&format!("location_id={}", repo.bays[1])), ["SNV-2", "UB-1"], "a bay holds its shelves' boxes");
    assert_eq!(barcodes(&format!("location_id={}", repo.lab)), ["SNV-1"]);
    assert_eq!(barcodes("status=out"), ["SNV-1"]);
    assert_eq!(barcodes("status=on_shelf"), ["SNV-2", "UB-1"]);
    assert_eq!(barcodes("q=so%20noi%20vu"), ["SNV-1"]);
    assert_eq!(barcodes("q=uy%20ban"), ["UB-1"]);
    assert_eq!(barcodes("q=hop&status=on_shelf"), ["SNV-2"]);
    assert_eq!(app.get("/api/v1/boxes?status=gone").invalid_fields(), ["status"]);
    assert_eq!(app.all_pages("/api/v1/boxes?limit=1").len(), 3);
}

#[test]
fn a_box_is_changed_with_if_match_but_never_moved_by_a_patch() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let created = id(&new_box(&app, "B1", repo.shelves[0], json!({"label": "Hộp 1"})));
    let path = format!("/api/v1/boxes/{created}");
    let without: Answer = app.request(Method::PATCH, &path).json(&json!({"label": "x"})).send().into();
    without.problem(428);
    app.patch(&path, "\"9\"", json!({"label": "x"})).problem(412);
    assert_eq!(
        app.patch(&path, "\"1\"", json!({"current_location_id": repo.shelves[1]})).invalid_fields(),
        ["current_location_id"]
    );
    assert_eq!(app.patch(&path, "\"1\"", json!({"width_mm": 0})).invalid_fields(), ["width_mm"]);
    assert_eq!(app.patch(&path, "\"1\"", json!({"home_location_id": repo.lab})).invalid_fields(), ["home_location_id"]);

    let changed = app.patch(&path, "\"1\"", json!({"label": "Hộp 1A", "width_mm": 250, "notes": "bìa rách"}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!((changed.body["version"].as_i64(), changed.body["width_mm"].as_i64()), (Some(2), Some(250)));
    assert_eq!(space(&app, repo.shelves[0])["used_mm"], 250, "a wider box takes more shelf");
    app.patch(&path, "\"2\"", json!({"width_mm": 1001})).invalid_fields();
    new_box(&app, "FILL", repo.shelves[0], json!({"width_mm": 700}));
    let too_wide = app.patch(&path, "\"2\"", json!({"width_mm": 400}));
    too_wide.problem(409);

    // A new home: a box on a shelf stays where it stands; one that is out moves its reservation.
    let rehomed = app.patch(&path, "\"2\"", json!({"home_location_id": repo.shelves[1]}));
    assert_eq!(rehomed.body["home_location"]["id"], repo.shelves[1]);
    assert_eq!(rehomed.body["current_location"]["id"], repo.shelves[0]);
    assert_eq!(space(&app, repo.shelves[1])["used_mm"], 0);
    move_box(&app, created, json!({"to_location_id": repo.lab, "reason": "conservation"}));
    assert_eq!(space(&app, repo.shelves[0])["used_mm"], 700, "out of a shelf that is not its home: space freed");
    assert_eq!(space(&app, repo.shelves[1])["used_mm"], 250, "and reserved at home");
    app.patch(&path, "\"4\"", json!({"home_location_id": repo.shelves[2]}));
    assert_eq!(space(&app, repo.shelves[1])["used_mm"], 0);
    assert_eq!(space(&app, repo.shelves[2])["used_mm"], 250);
}

#[test]
fn every_location_shows_its_space_rolled_up_in_millimetres_and_linear_metres() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "A", repo.shelves[0], json!({}));
    new_box(&app, "B", repo.shelves[0], json!({"width_mm": 250}));
    new_box(&app, "C", repo.shelves[3], json!({}));
    let shelf = space(&app, repo.shelves[0]);
    assert_eq!(
        shelf,
        json!({"capacity_mm": 1000, "used_mm": 375, "free_mm": 625, "box_count": 2,
                             "capacity_m": 1.0, "used_m": 0.375, "free_m": 0.625})
    );
    let bay = space(&app, repo.bays[0]);
    assert_eq!(
        (bay["capacity_mm"].as_i64(), bay["used_mm"].as_i64(), bay["box_count"].as_i64()),
        (Some(3000), Some(375), Some(2))
    );
    let room = space(&app, repo.room);
    assert_eq!(
        (room["capacity_m"].as_f64(), room["used_m"].as_f64(), room["box_count"].as_i64()),
        (Some(6.0), Some(0.5), Some(3))
    );
    assert_eq!(space(&app, repo.lab)["capacity_mm"], 0, "a workspace has no shelving");
    let listed = app.get(&format!("/api/v1/locations?parent_id={}", repo.unit));
    assert_eq!(listed.items()[1]["space"]["used_mm"], 125, "lists show space too");
    // A shelf cannot shrink below what its boxes take.
    let shelf_path = format!("/api/v1/locations/{}", repo.shelves[0]);
    app.patch(&shelf_path, "\"1\"", json!({"capacity_mm": 300})).problem(409);
    assert_eq!(app.patch(&shelf_path, "\"1\"", json!({"capacity_mm": 375})).body["space"]["free_mm"], 0);
}

#[test]
fn contents_list_a_shelf_by_position_and_a_unit_shelf_by_shelf() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "C", repo.shelves[0], json!({"position": 3}));
    new_box(&app, "A", repo.shelves[0], json!({"position": 1}));
    new_box(&app, "Z", repo.shelves[0], json!({}));
    new_box(&app, "B", repo.shelves[0], json!({}));
    new_box(&app, "D", repo.shelves[3], json!({"position": 1}));
    let shelf = app.get(&format!("/api/v1/locations/{}/boxes", repo.shelves[0]));
    assert_eq!(shelf.strings("barcode"), ["A", "Z", "C", "B"], "by position, the lowest free ones given");
    let unit = app.all_pages(&format!("/api/v1/locations/{}/boxes?limit=2", repo.unit));
    let listed: Vec<(&str, i64, &str)> = unit
        .iter()
        .map(|b| {
            (b["barcode"].as_str().unwrap(), b["position"].as_i64().unwrap(), b["location_path_code"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("A", 1, "K1-P02-G05-1-1"),
            ("Z", 2, "K1-P02-G05-1-1"),
            ("C", 3, "K1-P02-G05-1-1"),
            ("B", 4, "K1-P02-G05-1-1"),
            ("D", 1, "K1-P02-G05-2-1")
        ]
    );
    app.get("/api/v1/locations/99999/boxes").problem(404);
}

#[test]
fn a_location_that_held_a_box_keeps_its_history() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "A", repo.shelves[5], json!({})));
    move_box(&app, b, json!({"to_location_id": repo.shelves[4], "reason": "relocation"}));
    assert_eq!(space(&app, repo.shelves[5])["box_count"], 0);
    app.delete(&format!("/api/v1/locations/{}", repo.shelves[5])).problem(409);
}

#[test]
fn renaming_a_place_shows_in_every_path_below_it() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "A", repo.shelves[5], json!({})));
    let room = format!("/api/v1/locations/{}", repo.room);
    assert_eq!(app.patch(&room, "\"1\"", json!({"name": "Kho tài liệu Phông Sở Nội vụ", "code": "P9"})).status, 200);
    let found = app.get(&format!("/api/v1/boxes/{b}"));
    let home = &found.body["home_location"];
    assert_eq!(home["path_code"], "K1-P9-G05-2-3");
    assert_eq!(
        home["path"][1],
        json!({"id": repo.room, "kind": "room", "code": "P9", "name": "Kho tài liệu Phông Sở Nội vụ"})
    );
    let shelf = app.get(&format!("/api/v1/locations/{}", repo.shelves[5]));
    assert_eq!(shelf.body["ancestors"][1]["name"], "Kho tài liệu Phông Sở Nội vụ");
    assert_eq!(shelf.body["ancestors"].as_array().unwrap().len(), 4, "building, room, unit, bay");
    // Clearing a name shows too.
    assert_eq!(app.patch(&room, "\"2\"", json!({"name": null})).status, 200);
    assert_eq!(app.get(&format!("/api/v1/boxes/{b}")).body["home_location"]["path"][1]["name"], Value::Null);
}
