//! The storage location tree: buildings, rooms, units, bays, shelves and workspaces.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{self, building_room_unit, id, location};
use crate::support::{TestApp, count_rows};

#[test]
fn a_tree_is_built_level_by_level_with_derived_path_codes() {
    let app = TestApp::spawn();
    let (building, room, unit) = building_room_unit(&app);
    let bay = id(&location(&app, Some(unit), "bay", "3", json!({})));
    let shelf = location(&app, Some(bay), "shelf", "4", json!({"capacity_mm": 1000}));
    assert_eq!(shelf["path_code"], "K1-P02-G05-3-4");
    assert_eq!(shelf["capacity_mm"], 1000);
    assert_eq!(shelf["version"], 1);
    assert_eq!(shelf["created_by"], 1);

    let answer = app.get(&format!("/api/v1/locations/{}", id(&shelf)));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("etag"), Some("\"1\""));
    let chain: Vec<(i64, &str)> = answer.body["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_i64().unwrap(), a["code"].as_str().unwrap()))
        .collect();
    assert_eq!(chain, [(building, "K1"), (room, "P02"), (unit, "G05"), (bay, "3")]);
    assert_eq!(answer.body["ancestors"][1]["name"], "Phòng kho 2");
}

#[test]
fn levels_may_be_skipped_but_never_climbed() {
    let app = TestApp::spawn();
    let (building, room, unit) = building_room_unit(&app);
    // A shelf directly in a unit, a unit directly in a building: allowed.
    location(&app, Some(unit), "shelf", "1", json!({"capacity_mm": 900}));
    location(&app, Some(building), "unit", "G99", json!({}));
    let shelf = id(&location(&app, Some(unit), "shelf", "2", json!({"capacity_mm": 900})));
    let upward = [
        (Some(unit), "room", "parent"),
        (Some(room), "building", "parent"),
        (Some(shelf), "bay", "shelf"),
        (Some(unit), "workspace", "unit"),
        (None, "room", "root"),
        (None, "shelf", "root"),
    ];
    for (parent, kind, why) in upward {
        let mut body = json!({"parent_id": parent, "kind": kind, "code": "X"});
        if kind == "workspace" {
            body["purpose"] = json!("reading_room");
        }
        if kind == "shelf" {
            body["capacity_mm"] = json!(1000);
        }
        let answer = app.post("/api/v1/locations", body);
        let field = if parent.is_none() { "parent_id" } else { "kind" };
        assert_eq!(answer.invalid_fields(), [field], "{kind} under {why}: {}", answer.text);
    }
}

#[test]
fn workspaces_have_a_purpose_and_sit_in_a_building_or_room() {
    let app = TestApp::spawn();
    let (building, room, _) = building_room_unit(&app);
    let lab = location(
        &app,
        Some(building),
        "workspace",
        "LAB",
        json!({"purpose": "conservation_lab", "name": "Phòng tu bổ"}),
    );
    assert_eq!(lab["purpose"], "conservation_lab");
    assert_eq!(lab["capacity_mm"], Value::Null);
    location(&app, Some(room), "workspace", "RR", json!({"purpose": "reading_room"}));
    let answer = app.post("/api/v1/locations", json!({"parent_id": room, "kind": "workspace", "code": "Q"}));
    assert_eq!(answer.invalid_fields(), ["purpose"]);
    let answer =
        app.post("/api/v1/locations", json!({"parent_id": room, "kind": "workspace", "code": "Q", "purpose": "spa"}));
    assert_eq!(answer.invalid_fields(), ["purpose"]);
}

#[test]
fn a_shelf_needs_a_capacity_from_1_mm_to_100_m() {
    let app = TestApp::spawn();
    let (_, room, unit) = building_room_unit(&app);
    let shelf = |capacity: Value| {
        app.post("/api/v1/locations", json!({"parent_id": unit, "kind": "shelf", "code": "S", "capacity_mm": capacity}))
    };
    assert_eq!(
        app.post("/api/v1/locations", json!({"parent_id": unit, "kind": "shelf", "code": "S"})).invalid_fields(),
        ["capacity_mm"]
    );
    for bad in [json!(0), json!(-5), json!(100_001), json!(1.5), json!("1000")] {
        assert_eq!(shelf(bad.clone()).invalid_fields(), ["capacity_mm"], "capacity {bad}");
    }
    assert_eq!(shelf(json!(100_000)).status, 201);
    assert_eq!(
        app.post("/api/v1/locations", json!({"parent_id": room, "kind": "unit", "code": "U", "capacity_mm": 10}))
            .invalid_fields(),
        ["capacity_mm"],
        "only shelves have a capacity"
    );
}

#[test]
fn codes_are_unique_among_siblings_ignoring_case() {
    let app = TestApp::spawn();
    let (building, room, _) = building_room_unit(&app);
    let answer = app.post("/api/v1/locations", json!({"parent_id": room, "kind": "unit", "code": "g05"}));
    let problem = answer.problem(409);
    assert!(problem["detail"].as_str().unwrap().contains("g05"));
    app.post("/api/v1/locations", json!({"kind": "building", "code": "k1"})).problem(409);
    // The same code under another parent is fine.
    let other_room = id(&location(&app, Some(building), "room", "P03", json!({})));
    location(&app, Some(other_room), "unit", "G05", json!({}));
}

#[test]
fn text_is_checked_for_length_and_form() {
    let app = TestApp::spawn();
    let long = |n: usize| "x".repeat(n);
    let answer = app.post(
        "/api/v1/locations",
        json!({"kind": "building", "code": long(21), "name": long(201), "notes": long(2001)}),
    );
    assert_eq!(answer.invalid_fields(), ["code", "name", "notes"]);
    for code in ["K-1", "K 1", "K/1", "", "   "] {
        assert_eq!(
            app.post("/api/v1/locations", json!({"kind": "building", "code": code})).invalid_fields(),
            ["code"],
            "{code:?}"
        );
    }
    // Vietnamese letters are welcome; text is stored in NFC without surrounding spaces.
    let decomposed = "Kho Lưu Tru\u{031B}\u{0303}"; // "Trữ" typed with combining marks
    let building = location(&app, None, "building", "KĐ1", json!({"name": format!("  {decomposed}  ")}));
    assert_eq!(building["name"], "Kho Lưu Trữ");
    assert_eq!(building["code"], "KĐ1");
}

#[test]
fn an_unknown_parent_is_invalid() {
    let app = TestApp::spawn();
    let answer = app.post("/api/v1/locations", json!({"parent_id": 4242, "kind": "room", "code": "P1"}));
    assert_eq!(answer.invalid_fields(), ["parent_id"]);
}

#[test]
fn search_ignores_case_and_vietnamese_accents() {
    let app = TestApp::spawn();
    let (building, _, _) = building_room_unit(&app);
    location(&app, Some(building), "room", "P03", json!({"name": "Phòng đọc Sở Nội vụ"}));
    location(&app, Some(building), "room", "P04", json!({"name": "Kho tạm"}));
    let names = |q: &str| -> Vec<String> {
        let answer = app.get(&format!("/api/v1/locations?q={q}"));
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.strings("path_code")
    };
    assert_eq!(names("phong%20kho"), ["K1-P02"]);
    assert_eq!(names("PHONG"), ["K1-P02", "K1-P03"]);
    assert_eq!(names("so%20noi%20vu"), ["K1-P03"]);
    assert_eq!(names("phong%20doc"), ["K1-P03"], "đ folds to d");
    assert_eq!(names("S%E1%BB%9F%20N%E1%BB%99i"), ["K1-P03"], "accented queries match too");
    assert_eq!(names("K1-P02-G05"), ["K1-P02-G05"]);
    assert_eq!(names("g05"), ["K1-P02-G05"]);
    assert!(names("100%25").is_empty(), "LIKE wildcards in q are literal");
    assert!(names("_").is_empty());
}

#[test]
fn lists_filter_by_parent_and_kind_and_page_in_natural_path_order() {
    let app = TestApp::spawn();
    let (_, _, unit) = building_room_unit(&app);
    let shelving = app.post(
        &format!("/api/v1/locations/{unit}/shelving"),
        json!({"bays": 12, "shelves_per_bay": 2, "capacity_mm": 1000}),
    );
    assert_eq!(shelving.status, 201, "{}", shelving.text);
    let bays = app.get(&format!("/api/v1/locations?parent_id={unit}&limit=500"));
    let codes = bays.strings("code");
    assert_eq!(codes, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"], "bay 2 sorts before bay 10");

    let shelves = app.all_pages("/api/v1/locations?kind=shelf&limit=5");
    let paths: Vec<&str> = shelves.iter().map(|s| s["path_code"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 24, "every shelf exactly once");
    assert_eq!(paths[0], "K1-P02-G05-1-1");
    assert_eq!(paths[4], "K1-P02-G05-3-1");
    assert_eq!(paths[23], "K1-P02-G05-12-2");
    assert_eq!(app.get("/api/v1/locations").items().len(), 39, "default page size is 50");
}

#[test]
fn patch_needs_the_current_version() {
    let app = TestApp::spawn();
    let (_, room, _) = building_room_unit(&app);
    let path = format!("/api/v1/locations/{room}");
    let without: crate::support::Answer =
        app.request(reqwest::Method::PATCH, &path).json(&json!({"name": "Phòng 2"})).send().into();
    without.problem(428);
    let stale = app.patch(&path, "\"7\"", json!({"name": "Phòng 2"}));
    assert_eq!(stale.problem(412)["current_version"], 1);
    // A tag this service never gave out matches no version; a bare number is read as one.
    assert_eq!(app.patch(&path, "v1", json!({"name": "Phòng 2"})).problem(412)["current_version"], 1);
    assert_eq!(app.patch(&path, "W/\"x\", 7", json!({"name": "Phòng 2"})).problem(412)["current_version"], 1);

    let changed = app.patch(&path, "\"1\"", json!({"name": "Phòng kho số 2", "notes": "tầng 2"}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.header("etag"), Some("\"2\""));
    assert_eq!(changed.body["version"], 2);
    assert_eq!(changed.body["updated_by"], 1);
    // The old ETag is now stale; `*` matches any version; null clears a field.
    app.patch(&path, "\"1\"", json!({"name": "x"})).problem(412);
    let cleared = app.patch(&path, "*", json!({"notes": null}));
    assert_eq!(cleared.body["notes"], Value::Null);
    assert_eq!(cleared.body["name"], "Phòng kho số 2");
    assert_eq!(cleared.body["version"], 3);
}

#[test]
fn patch_rejects_fields_that_do_not_fit_the_kind_or_are_read_only() {
    let app = TestApp::spawn();
    let (_, room, unit) = building_room_unit(&app);
    let shelf = id(&location(&app, Some(unit), "shelf", "1", json!({"capacity_mm": 1000})));
    let path = format!("/api/v1/locations/{room}");
    assert_eq!(app.patch(&path, "\"1\"", json!({"capacity_mm": 500})).invalid_fields(), ["capacity_mm"]);
    assert_eq!(app.patch(&path, "\"1\"", json!({"purpose": "loan"})).invalid_fields(), ["purpose"]);
    assert_eq!(
        app.patch(&path, "\"1\"", json!({"kind": "bay", "parent_id": 1, "version": 9, "path_code": "X"}))
            .invalid_fields(),
        ["kind", "parent_id", "path_code", "version"]
    );
    let resized = app.patch(&format!("/api/v1/locations/{shelf}"), "\"1\"", json!({"capacity_mm": 1250}));
    assert_eq!(resized.body["capacity_mm"], 1250);
    app.patch("/api/v1/locations/9999", "\"1\"", json!({"name": "x"})).problem(404);
}

#[test]
fn renaming_a_code_renames_every_path_below() {
    let app = TestApp::spawn();
    let (building, room, unit) = building_room_unit(&app);
    app.post(
        &format!("/api/v1/locations/{unit}/shelving"),
        json!({"bays": 2, "shelves_per_bay": 2, "capacity_mm": 1000}),
    );
    let renamed = app.patch(&format!("/api/v1/locations/{room}"), "\"1\"", json!({"code": "P12"}));
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.body["path_code"], "K1-P12");
    let paths = app.get("/api/v1/locations?kind=shelf").strings("path_code");
    assert_eq!(paths, ["K1-P12-G05-1-1", "K1-P12-G05-1-2", "K1-P12-G05-2-1", "K1-P12-G05-2-2"]);
    assert_eq!(app.get("/api/v1/locations?q=P12-G05-2-2").items().len(), 1, "search follows the rename");
    // Renaming onto a sibling's code conflicts, and changes nothing.
    location(&app, Some(building), "room", "P13", json!({}));
    app.patch(&format!("/api/v1/locations/{room}"), "\"2\"", json!({"code": "p13"})).problem(409);
    assert_eq!(app.get(&format!("/api/v1/locations/{room}")).body["code"], "P12");
}

#[test]
fn only_an_empty_location_can_be_deleted() {
    let app = TestApp::spawn();
    let (_, room, unit) = building_room_unit(&app);
    app.delete(&format!("/api/v1/locations/{room}")).problem(409);
    assert_eq!(app.delete(&format!("/api/v1/locations/{unit}")).status, 204);
    app.get(&format!("/api/v1/locations/{unit}")).problem(404);
    app.delete(&format!("/api/v1/locations/{unit}")).problem(404);
    assert_eq!(app.delete(&format!("/api/v1/locations/{room}")).status, 204);
}

#[test]
fn shelving_creates_two_hundred_shelves_in_one_call() {
    let app = TestApp::spawn();
    let (_, _, unit) = building_room_unit(&app);
    let answer = app.post(
        &format!("/api/v1/locations/{unit}/shelving"),
        json!({"bays": 40, "shelves_per_bay": 5, "capacity_mm": 1000, "shelf_code_prefix": "D"}),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    let shelves = answer.body["shelves"].as_array().unwrap();
    assert_eq!(answer.body["bays"].as_array().unwrap().len(), 40);
    assert_eq!(shelves.len(), 200);
    assert_eq!(shelves[0]["path_code"], "K1-P02-G05-1-D1");
    assert_eq!(shelves[199]["path_code"], "K1-P02-G05-40-D5");
    assert!(shelves.iter().all(|s| s["capacity_mm"] == 1000 && s["kind"] == "shelf"));
    assert_eq!(count_rows(&app, "locations"), 3 + 40 + 200);

    // Bays that already exist make the whole request fail, and nothing is half-written.
    let again = app.post(
        &format!("/api/v1/locations/{unit}/shelving"),
        json!({"bays": 3, "shelves_per_bay": 5, "capacity_mm": 1000, "first_bay": 39}),
    );
    again.problem(409);
    assert_eq!(count_rows(&app, "locations"), 243);
    let more = app.post(
        &format!("/api/v1/locations/{unit}/shelving"),
        json!({"bays": 2, "shelves_per_bay": 5, "capacity_mm": 1000, "first_bay": 41}),
    );
    assert_eq!(more.body["bays"][0]["code"], "41");
}

#[test]
fn shelving_without_bays_puts_shelves_in_the_unit_and_only_units_take_shelving() {
    let app = TestApp::spawn();
    let (_, room, unit) = building_room_unit(&app);
    let answer = app.post(
        &format!("/api/v1/locations/{unit}/shelving"),
        json!({"bays": 0, "shelves_per_bay": 5, "capacity_mm": 1200}),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["shelves"][4]["path_code"], "K1-P02-G05-5");
    assert_eq!(answer.body["bays"].as_array().unwrap().len(), 0);
    let answer = app.post(
        &format!("/api/v1/locations/{room}/shelving"),
        json!({"bays": 1, "shelves_per_bay": 5, "capacity_mm": 1000}),
    );
    assert_eq!(answer.invalid_fields(), ["id"]);
    let answer = app.post(
        &format!("/api/v1/locations/{unit}/shelving"),
        json!({"bays": 101, "shelves_per_bay": 0, "capacity_mm": 0, "bay_code_prefix": "K-"}),
    );
    assert_eq!(answer.invalid_fields(), ["bay_code_prefix", "bays", "capacity_mm", "shelves_per_bay"]);
    app.post("/api/v1/locations/999/shelving", json!({"bays": 1, "shelves_per_bay": 1, "capacity_mm": 1})).problem(404);
}

#[test]
fn a_shelf_label_is_scanned_by_its_barcode() {
    let app = TestApp::spawn();
    let repo = fixtures::repository(&app);
    // Made from the id unless given; a rename leaves it.
    let shelf = app.get(&format!("/api/v1/locations/{}", repo.shelves[4])).body;
    assert_eq!(shelf["barcode"], format!("LOC-{:06}", repo.shelves[4]));
    let labelled = fixtures::location(
        &app,
        Some(repo.room),
        "workspace",
        "SCAN",
        json!({"purpose": "digitization", "barcode": "PSH-01"}),
    );
    assert_eq!(labelled["barcode"], "PSH-01");
    assert_eq!(app.patch(&format!("/api/v1/locations/{}", repo.room), "\"1\"", json!({"code": "P09"})).status, 200);
    let scanned = app.get(&format!("/api/v1/locations/by-barcode/loc-{:06}", repo.shelves[4]));
    assert_eq!(scanned.status, 200, "{}", scanned.text);
    assert_eq!(scanned.body["path_code"], "K1-P09-G05-2-2");
    assert_eq!(scanned.body["ancestors"].as_array().unwrap().len(), 4);
    assert_eq!(scanned.body["space"]["capacity_mm"], 1000);
    assert_eq!(scanned.header("etag"), Some("\"2\""));
    assert_eq!(app.get("/api/v1/locations/by-barcode/psh-01").body["id"], labelled["id"]);
    app.get("/api/v1/locations/by-barcode/NOTHING-HERE").problem(404);
    // The path code exactly, ignoring case: one shelf, not bays 10 and 11 too.
    let exact = app.get("/api/v1/locations?path_code=k1-p09-g05-1-1");
    assert_eq!(exact.items().iter().map(fixtures::id).collect::<Vec<_>>(), [repo.shelves[0]]);
    // Relabelled, imported with a label.
    let relabel = app.patch(&format!("/api/v1/locations/{}", repo.shelves[4]), "\"2\"", json!({"barcode": "K1-G5-22"}));
    assert_eq!(relabel.status, 200, "{}", relabel.text);
    assert_eq!(app.get("/api/v1/locations/by-barcode/K1-G5-22").body["id"], repo.shelves[4]);
    let imported = app
        .request(Method::POST, "/api/v1/imports/locations")
        .header("Content-Type", "text/csv")
        .body("kind,code,parent,barcode\nbay,9,K1-P09-G05,BAY-9\n")
        .send();
    assert_eq!(imported.unwrap().status().as_u16(), 201);
    assert_eq!(app.get("/api/v1/locations/by-barcode/bay-9").body["path_code"], "K1-P09-G05-9");
}

#[test]
fn a_barcode_names_one_thing() {
    let app = TestApp::spawn();
    let repo = fixtures::repository(&app);
    fixtures::new_box(&app, "HS-1", repo.shelves[0], json!({}));
    let new_bay = |barcode: Value| {
        app.post("/api/v1/locations", json!({"parent_id": repo.unit, "kind": "bay", "code": "X", "barcode": barcode}))
    };
    // Another location's (in any case), a box's: 409; and a box may not take a location's.
    fixtures::location(&app, Some(repo.unit), "bay", "L", json!({"barcode": "LABEL-7"}));
    assert!(new_bay(json!("label-7")).problem(409)["detail"].as_str().unwrap().contains("another location"));
    assert!(new_bay(json!("hs-1")).problem(409)["detail"].as_str().unwrap().contains("a box"));
    let clash = app.post("/api/v1/boxes", json!({"barcode": "Label-7", "home_location_id": repo.shelves[0]}));
    assert!(clash.problem(409)["detail"].as_str().unwrap().contains("a location"));
    let relabel = app.patch(&format!("/api/v1/locations/{}", repo.unit), "*", json!({"barcode": "LABEL-7"}));
    relabel.problem(409);
    // Empty, too long, with control characters: 422.
    for barcode in [json!(""), json!("   "), json!("x".repeat(65)), json!("A\u{7}B"), json!("A\nB")] {
        assert_eq!(new_bay(barcode.clone()).invalid_fields(), ["barcode"], "{barcode}");
    }
    assert_eq!(count_rows(&app, "locations WHERE code = 'X'"), 0);
}
