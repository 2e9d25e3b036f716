//! The space finder: where can N boxes go?

use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{new_box, repository};

#[test]
fn shelves_with_room_are_listed_in_path_order_until_the_boxes_are_placed() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "FULL", repo.shelves[0], json!({"width_mm": 1000}));
    new_box(&app, "HALF", repo.shelves[1], json!({"width_mm": 500}));
    let found = app.get(&format!("/api/v1/space?within={}&boxes=12&width_mm=125", repo.room));
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.body["fits"], true);
    assert_eq!(found.body["room_for"], 4 + 8 * 4, "every shelf with room, counted");
    let shelves: Vec<(&str, i64)> = found.body["shelves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path_code"].as_str().unwrap(), s["takes"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        shelves,
        [("K1-P02-G05-1-2", 4), ("K1-P02-G05-1-3", 8)],
        "a full shelf is skipped; the list stops once all fit"
    );

    let too_many = app.get(&format!("/api/v1/space?within={}&boxes=40", repo.bays[1]));
    assert_eq!(too_many.body["fits"], false);
    assert_eq!(too_many.body["room_for"], 24);
    assert_eq!(too_many.body["width_mm"], 125, "the standard box by default");
    assert_eq!(too_many.body["shelves"].as_array().unwrap().len(), 3);

    let one_shelf = app.get(&format!("/api/v1/space?within={}&boxes=1&width_mm=600", repo.shelves[1]));
    assert_eq!((one_shelf.body["fits"].as_bool(), one_shelf.body["room_for"].as_i64()), (Some(false), Some(0)));
}

#[test]
fn space_questions_are_checked() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    assert_eq!(app.get("/api/v1/space?within=999999&boxes=1").invalid_fields(), ["within"]);
    assert_eq!(
        app.get(&format!("/api/v1/space?within={}&boxes=0&width_mm=0", repo.room)).invalid_fields(),
        ["boxes", "width_mm"]
    );
    assert_eq!(app.get("/api/v1/space?boxes=3").invalid_fields(), ["within"]);
    assert_eq!(app.get(&format!("/api/v1/space?within={}&boxes=10001", repo.room)).invalid_fields(), ["boxes"]);
}

#[test]
fn the_space_screen_answers_in_shelves_and_says_what_is_wrong() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "FULL", repo.shelves[0], json!({"width_mm": 1000}));
    crate::support::staff::person(&app, "kho", paperkeep::keys::model::Role::StorageManager);
    let browser = crate::support::staff::signed_in(&app, "kho");
    let page = |query: &str| {
        let answer = browser.get(format!("{}/space{query}", app.url)).send().unwrap();
        (answer.status().as_u16(), answer.text().unwrap())
    };
    let (status, empty) = page("");
    assert!(status == 200 && empty.contains("Tìm chỗ trống") && !empty.contains("space-answer"), "{empty}");

    // By the unit's path code, or the room's label: the shelves the API's finder gives.
    let unit = app.get(&format!("/api/v1/locations/{}", repo.unit)).body;
    let (status, fits) = page(&format!("?within={}&boxes=12&width_mm=125", unit["path_code"].as_str().unwrap()));
    assert_eq!(status, 200);
    assert!(fits.contains("Đủ chỗ cho 12 hộp"), "{fits}");
    let found = app.get(&format!("/api/v1/space?within={}&boxes=12&width_mm=125", repo.unit));
    for shelf in found.body["shelves"].as_array().unwrap() {
        assert!(fits.contains(&format!("<td>{}</td>", shelf["path_code"].as_str().unwrap())), "{shelf}: {fits}");
    }
    assert!(
        !fits.contains(&format!(
            "<td>{}</td>",
            app.get(&format!("/api/v1/locations/{}", repo.shelves[0])).body["path_code"].as_str().unwrap()
        )),
        "the full shelf is not offered"
    );
    let first_shelf = found.body["shelves"][0]["path_code"].as_str().unwrap();
    assert!(fits.contains(&format!("href=\"/move?to={first_shelf}\"")), "each shelf opens Move with it: {fits}");
    let room_label =
        app.get(&format!("/api/v1/locations/{}", repo.room)).body["barcode"].as_str().unwrap().to_lowercase();
    let (_, short) = page(&format!("?within={room_label}&boxes=100"));
    assert!(short.contains("Không đủ chỗ") && short.contains("chỉ còn chỗ cho 40 trong 100 hộp"), "{short}");

    // Every field wrong at once, then a place nobody has.
    let (status, wrong) = page("?within=&boxes=0&width_mm=dày");
    assert_eq!(status, 422);
    for message in ["Hãy quét nhãn hoặc gõ mã", "Số hộp phải từ 1 đến 10.000", "Độ dày phải từ 1 đến 1.000 mm"]
    {
        assert!(wrong.contains(message), "{message}: {wrong}");
    }
    assert!(wrong.contains("value=\"dày\""), "what was typed is kept");
    let (status, unknown) = page("?within=K9-NOWHERE&boxes=3");
    assert_eq!(status, 422);
    assert!(unknown.contains("Không có vị trí nào có nhãn hoặc mã này"));
}
