//! The staff app in a real browser: what people do, by keyboard as a scanner types, checked by
//! axe on every screen visited, with screenshots under target/journeys to look at.

use std::time::Duration;

use paperkeep::keys::model::Role;
use serde_json::json;

use crate::support::TestApp;
use crate::support::browser::Browser;
use crate::support::fixtures::{fonds, id, move_box, new_box, repository};
use crate::support::staff::{PASSWORD, person};

#[test]
fn a_storage_manager_locates_twenty_boxes_scanned_fast_a_shelf_and_words() {
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let barcodes: Vec<String> = (1..=20).map(|n| format!("SNV-{n:04}")).collect();
    for (n, barcode) in barcodes.iter().enumerate() {
        new_box(&app, barcode, repo.shelves[n % 4], json!({"fonds_id": snv, "label": format!("Hộp {}", n + 1)}));
    }
    person(&app, "kho", Role::StorageManager);

    // Signing in, by keyboard: a wrong password first.
    browser.go(&format!("{}/locate", app.url));
    assert!(browser.url().contains("/sign-in?next=%2Flocate"), "{}", browser.url());
    browser.assert_accessible("sign-in");
    browser.screenshots("sign-in");
    browser.type_into("#username", "kho");
    browser.type_into("#password", "not the password\n");
    browser.wait_until("the refusal", |b| !b.texts(".problem").is_empty());
    assert!(browser.texts(".problem")[0].contains("mật khẩu không đúng"));
    browser.assert_accessible("sign-in, refused");
    browser.type_into("#password", &format!("{PASSWORD}\n"));
    browser.wait_until("the locate screen", |b| b.url().ends_with("/locate"));
    browser.assert_accessible("locate");

    // Twenty scans 50 ms apart, as a scanner sends them: all answered, in order, none dropped.
    for barcode in &barcodes {
        browser.type_into("#q", &format!("{barcode}\n"));
        std::thread::sleep(Duration::from_millis(50));
    }
    browser.wait_until("twenty answers", |b| b.texts("#results .result").len() == 20);
    let mut answered = browser.texts("#results article.box h2");
    answered.reverse();
    let expected: Vec<String> = barcodes.iter().enumerate().map(|(n, b)| format!("Hộp {b} · Hộp {}", n + 1)).collect();
    assert_eq!(answered, expected, "each scan answered, in the order scanned (newest first on the page)");
    assert_eq!(browser.run("return document.activeElement.id"), json!("q"), "the field keeps the focus");
    let announced = browser.texts("#status");
    assert!(announced[0].starts_with("Hộp SNV-0020"), "the last answer announced: {announced:?}");

    // A shelf's label, then words.
    browser.type_into("#q", &format!("LOC-{:06}\n", repo.shelves[0]));
    browser.wait_until("the shelf", |b| !b.texts("#results article.shelf").is_empty());
    let shelf = browser.texts("#results article.shelf tbody tr");
    assert_eq!(shelf[0], "1 SNV-0001 · Hộp 1 trên giá", "{shelf:?}");
    browser.type_into("#q", "so noi vu\n");
    browser.wait_until("the words", |b| !b.texts("#results article.words").is_empty());
    assert!(browser.texts("#results article.words li")[0].contains("Phông Sở Nội vụ"));
    browser.assert_accessible("locate, answered");
    browser.screenshots("locate");

    // What is out: two boxes, the longer out first; one ticked by keyboard and returned home.
    for (n, to) in [(4, repo.reading_room), (7, repo.lab)] {
        let reason = if to == repo.lab { "conservation" } else { "reading_room" };
        let moved = move_box(
            &app,
            id(&app.get(&format!("/api/v1/boxes/by-barcode/{}", barcodes[n])).body),
            json!({"to_location_id": to, "reason": reason}),
        );
        assert_eq!(moved.status, 201, "{}", moved.text);
    }
    browser.go(&format!("{}/out", app.url));
    assert_eq!(browser.texts("tbody tr td:nth-child(2)"), ["SNV-0005 · Hộp 5", "SNV-0008 · Hộp 8"]);
    browser.assert_accessible("out");
    browser.screenshots("out");
    browser.press_until(TAB, "input.tick");
    browser.press(" ");
    browser.press_until(TAB, "form[action='/out/return'] button");
    browser.press(ENTER);
    browser.wait_until("returned", |b| !b.texts(".done").is_empty());
    assert_eq!(browser.texts("tbody tr td:nth-child(2)"), ["SNV-0008 · Hộp 8"], "one returned, one still out");

    // Space for 20 boxes within the unit, asked by keyboard: the answer takes the focus.
    browser.go(&format!("{}/space", app.url));
    browser.wait_until("the focus on the place", |b| focused(b) == "within");
    let unit = app.get(&format!("/api/v1/locations/{}", repo.unit)).body["path_code"].as_str().unwrap().to_string();
    browser.press(&format!("{unit}{TAB}20{ENTER}"));
    browser.wait_until("the answer", |b| focused(b) == "space-answer");
    assert!(browser.texts("#space-answer")[0].starts_with("Đủ chỗ cho 20 hộp"), "{:?}", browser.texts("#space-answer"));
    browser.assert_accessible("space");
    browser.screenshots("space");
    browser.go(&format!("{}/locate", app.url));

    // English, remembered; then signing out.
    browser.click("form[action='/language'] button");
    browser.wait_until("English", |b| b.run("return document.documentElement.lang") == json!("en"));
    assert_eq!(browser.texts("h1"), ["Locate"]);
    browser.assert_accessible("locate, English");
    browser.screenshots("locate-en");
    browser.click("form[action='/sign-out'] button");
    browser.wait_until("signed out", |b| b.url().ends_with("/sign-in"));
    browser.go(&format!("{}/locate", app.url));
    assert!(browser.url().contains("/sign-in"), "signed out for good");
}

const TAB: &str = "\u{E004}";
const BACK_TAB: &str = "\u{E008}\u{E004}";
const ENTER: &str = "\u{E007}";

#[test]
fn an_admin_makes_an_account_by_keyboard_alone() {
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    person(&app, "quantri", Role::Admin);

    // Signing in: the username has the focus, Tab to the password, Enter.
    browser.go(&format!("{}/", app.url));
    browser.wait_until("the focus on the username", |b| focused(b) == "username");
    browser.press(&format!("quantri{TAB}{PASSWORD}{ENTER}"));
    browser.wait_until("the scan field's focus", |b| b.url().ends_with("/locate") && focused(b) == "q");
    // From the scan field back through the frame to its navigation, and on to the accounts.
    browser.press_until(BACK_TAB, "nav a[href='/people']");
    browser.press(ENTER);
    browser.wait_until("the accounts", |b| b.url().ends_with("/people"));
    browser.assert_accessible("people");
    browser.screenshots("people");
    browser.press_until(TAB, "a[href='/people/new']");
    browser.press(ENTER);
    browser.wait_until("the new-account form", |b| b.url().ends_with("/people/new") && focused(b) == "username");

    // The form, typed: a password too short first; the problem is on its field, which has the focus.
    browser.press(&format!("lan.nguyen{TAB}Nguyễn Thị Lan{TAB}tu{TAB}ngắn{ENTER}"));
    browser.wait_until("the problem, its field focused", |b| focused(b) == "password");
    assert_eq!(browser.texts(".field-problem"), ["Mật khẩu phải có từ 10 đến 200 ký tự."]);
    browser.assert_accessible("new account, refused");
    browser.screenshots("person-new-refused");
    browser.press(&format!("{PASSWORD}{ENTER}"));
    browser.wait_until("the account", |b| !b.texts(".done").is_empty());
    assert!(browser.texts("h1")[0].starts_with("Nguyễn Thị Lan"), "{:?}", browser.texts("h1"));
    assert!(
        browser.texts("dl.facts")[0].contains("tu bổ"),
        "the role chosen by typing: {:?}",
        browser.texts("dl.facts")
    );
    browser.assert_accessible("account");
    browser.screenshots("person");

    // Disabling it, by keyboard: Tab to the button, Enter.
    browser.press_until(TAB, "button.danger");
    browser.press(ENTER);
    browser.wait_until("disabled", |b| b.texts(".done").first().is_some_and(|t| t.contains("Đã khoá")));
    let list = app.get("/api/v1/people").items().iter().find(|p| p["username"] == "lan.nguyen").cloned().unwrap();
    assert!(list["disabled_at"].is_string(), "{list}");
}

/// The id of the element with the focus.
fn focused(browser: &Browser) -> String {
    browser.run("return document.activeElement.id").as_str().unwrap_or_default().to_string()
}

#[test]
fn a_storage_manager_moves_twenty_boxes_scanned_back_to_back_by_keyboard() {
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    let repo = repository(&app);
    let barcodes: Vec<String> = (1..=20).map(|n| format!("MV-{n:02}")).collect();
    for (n, barcode) in barcodes.iter().enumerate() {
        new_box(&app, barcode, repo.shelves[n % 4], json!({"label": format!("Hộp {}", n + 1)}));
    }
    person(&app, "kho", Role::StorageManager);
    let lab = app.get(&format!("/api/v1/locations/{}", repo.lab)).body["barcode"].as_str().unwrap().to_string();

    browser.go(&format!("{}/move", app.url));
    browser.wait_until("the focus on the username", |b| focused(b) == "username");
    browser.press(&format!("kho{TAB}{PASSWORD}{ENTER}"));
    browser.wait_until("the destination field", |b| b.url().contains("/move") && focused(b) == "to");
    browser.assert_accessible("move, destination");
    browser.press(&format!("{lab}{ENTER}"));
    browser.wait_until("the scan field", |b| focused(b) == "add");
    // Twenty scans 50 ms apart, one of them twice, as a scanner sends them: every one is a row,
    // in the order scanned, and the field keeps the focus.
    let mut scans = barcodes.clone();
    scans.insert(5, barcodes[2].clone());
    for barcode in &scans {
        browser.type_into("#add", &format!("{barcode}{ENTER}"));
        std::thread::sleep(Duration::from_millis(50));
    }
    browser.wait_until("twenty-one rows", |b| b.texts("tbody tr").len() == 21);
    let rows: Vec<String> = browser.texts("tbody tr td:nth-child(2)");
    let expected: Vec<String> =
        scans.iter().map(|b| format!("{b} · Hộp {}", b.trim_start_matches("MV-").parse::<usize>().unwrap())).collect();
    assert_eq!(rows, expected, "every scan a row, in the order scanned");
    assert_eq!(focused(&browser), "add");
    assert_eq!(browser.texts("tr.refused td:nth-child(4)"), ["đã quét ở dòng 3"]);
    assert!(browser.url().contains("box=MV-20"), "the address holds the list: {}", browser.url());
    browser.assert_accessible("move, scanned");
    browser.screenshots("move");
    // The twice-scanned row removed by keyboard, then the move confirmed.
    browser.press_until(TAB, "tr.refused a");
    browser.press(ENTER);
    browser.wait_until("twenty rows", |b| b.texts("tbody tr").len() == 20 && b.texts("tr.refused").is_empty());
    browser.press_until(TAB, "form[method='post'] button[type='submit']");
    browser.press(ENTER);
    browser.wait_until("moved", |b| !b.texts(".done").is_empty());
    assert!(browser.texts(".done")[0].starts_with("Đã chuyển 20 hộp"));
    browser.assert_accessible("move, done");
    browser.screenshots("move-done");
    let moved = app.all_pages(&format!("/api/v1/boxes?location_id={}", repo.lab));
    assert_eq!(moved.len(), 20);
}
