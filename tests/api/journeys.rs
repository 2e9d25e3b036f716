//! The staff app in a real browser: what people do, by keyboard as a scanner types, checked by
//! axe on every screen visited, with screenshots under target/journeys to look at.

use std::time::Duration;

use paperkeep::keys::model::Role;
use paperkeep::people::model::NewPerson;
use serde_json::json;

use crate::support::TestApp;
use crate::support::browser::Browser;
use crate::support::fixtures::{fonds, new_box, repository};

const PASSWORD: &str = "giấy dó và hồ CMC";

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
    let new = NewPerson {
        username: "kho".into(),
        display_name: "Lê Thị Kho".into(),
        role: Role::StorageManager,
        password: PASSWORD.into(),
        language: None,
    };
    paperkeep::people::repo::create(&mut app.db(), &new, None).unwrap();

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
