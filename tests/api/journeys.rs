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
    sign_in_at(&browser, &format!("{}/", app.url), "quantri");
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
    // (The password field has the focus as it is typed in: wait for the answer's problem too.)
    browser.wait_until("the problem, its field focused", |b| {
        focused(b) == "password" && !b.texts(".field-problem").is_empty()
    });
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
/// Opens `url` and signs in by keyboard as `username` (the app sends to sign in first).
fn sign_in_at(browser: &Browser, url: &str, username: &str) {
    browser.go(url);
    browser.wait_until("the focus on the username", |b| focused(b) == "username");
    browser.press(&format!("{username}{TAB}{PASSWORD}{ENTER}"));
}

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

    sign_in_at(&browser, &format!("{}/move", app.url), "kho");
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

#[test]
fn a_shelf_audit_finds_one_missing_one_unexpected_one_unknown_then_the_missing_box() {
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    let repo = repository(&app);
    for n in 1..=4 {
        new_box(&app, &format!("KK-{n}"), repo.shelves[0], json!({"label": format!("Hộp {n}")}));
    }
    new_box(&app, "LẠ-1", repo.shelves[1], json!({}));
    person(&app, "kho", Role::StorageManager);
    let shelf =
        app.get(&format!("/api/v1/locations/{}", repo.shelves[0])).body["barcode"].as_str().unwrap().to_string();

    sign_in_at(&browser, &format!("{}/audit", app.url), "kho");
    browser.wait_until("the shelf field", |b| b.url().contains("/audit") && focused(b) == "at");
    browser.assert_accessible("audit, start");
    browser.press(&format!("{shelf}{ENTER}"));
    browser.wait_until("the scan field", |b| focused(b) == "add");
    // KK-1..3 found, KK-4 not scanned, LẠ-1 from the next shelf, one code naming nothing.
    for code in ["KK-1", "KK-2", "LẠ-1", "KK-3", "KHÔNG-CÓ"] {
        browser.type_into("#add", &format!("{code}{ENTER}"));
        std::thread::sleep(Duration::from_millis(50));
    }
    browser.wait_until("three ticked, two standing out", |b| {
        b.texts("tr.ticked").len() == 3 && b.texts("tr.refused").len() == 2
    });
    assert_eq!(focused(&browser), "add");
    let others = browser.texts("tr.refused td:nth-child(2)");
    assert!(others[0].starts_with("hộp lạ: hồ sơ ghi ở") && others[1] == "không có hộp nào mã này", "{others:?}");
    assert_eq!(browser.texts(".tally")[0], "Đã thấy 3/4 hộp theo hồ sơ · 2 mã ngoài hồ sơ giá này");
    browser.assert_accessible("audit, scanning");
    browser.screenshots("audit");
    browser.press_until(TAB, "form.finish button[type='submit']");
    browser.press(ENTER);
    browser.wait_until("the result", |b| b.url().contains("/audit/") && !b.texts(".tally").is_empty());
    assert_eq!(browser.texts(".tally")[0], "Thấy 3/4 · thiếu 1 · hộp lạ 1 · mã không rõ 1");
    browser.assert_accessible("audit, result");
    browser.press_until(TAB, "form.confirm button");
    browser.press(ENTER);
    browser.wait_until("reconciled", |b| !b.texts(".done").is_empty());
    browser.assert_accessible("audit, reconciled");
    browser.screenshots("audit-reconciled");
    assert_eq!(app.get("/api/v1/boxes/by-barcode/KK-4").body["status"], "missing");
    browser.press_until(TAB, "form[action$='/found'] button");
    browser.press(ENTER);
    browser.wait_until("found", |b| b.texts(".done").first().is_some_and(|d| d.contains("KK-4")));
    assert_eq!(app.get("/api/v1/boxes/by-barcode/KK-4").body["status"], "on_shelf");
    assert_eq!(app.get("/api/v1/boxes/by-barcode/LẠ-1").body["current_location"]["id"], repo.shelves[0]);
}

#[test]
fn labels_printed_to_pdf_decode_to_the_barcodes_asked_for() {
    let tools = ["/usr/bin/pdftoppm", "/usr/bin/ZXingReader"];
    if !tools.iter().all(|tool| std::path::Path::new(tool).exists()) {
        eprintln!("SKIPPED: reading the printed labels back needs poppler-utils and zxing-cpp-tools (apt-get install)");
        return;
    }
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    // Sixteen boxes: one full A4 sheet and two labels of the next.
    let barcodes: Vec<String> = (1..=16).map(|n| format!("HS{n:07}")).collect();
    for (n, barcode) in barcodes.iter().enumerate() {
        new_box(&app, barcode, repo.shelves[n % 2], json!({"fonds_id": snv, "label": format!("Hộp {}", n + 1)}));
    }
    person(&app, "kho", Role::StorageManager);
    let bay = app.get(&format!("/api/v1/locations/{}", repo.bays[0])).body["path_code"].as_str().unwrap().to_string();

    sign_in_at(&browser, &format!("{}/labels", app.url), "kho");
    browser.wait_until("the labels form", |b| b.url().contains("/labels") && focused(b) == "place");
    browser.assert_accessible("labels, form");
    browser.screenshots("labels-form");
    browser.press(&format!("{bay}{ENTER}"));
    browser.wait_until("the sheets", |b| b.texts(".sheet-a4 .page").len() == 2);
    browser.assert_accessible("labels, sheets");
    browser.screenshots("labels-a4");
    let read_back = decoded(&browser.print_pdf(21.0, 29.7), "labels-a4", &Layout::a4(2));
    // In shelf order: the first shelf's boxes (the odd ones), then the second's.
    let on_shelf =
        |shelf: usize| barcodes.iter().enumerate().filter(move |(n, _)| n % 2 == shelf).map(|(_, b)| b.clone());
    let in_shelf_order: Vec<String> = on_shelf(0).chain(on_shelf(1)).collect();
    assert_eq!(read_back, in_shelf_order, "every box label's barcode, read back from where it was printed");

    // The bay's shelves on thermal labels, one a page.
    browser.go(&format!("{}/labels?print=1&kind=shelves&sheet=thermal&place={bay}", app.url));
    browser.wait_until("the thermal labels", |b| b.texts(".sheet-thermal .page").len() == 3);
    browser.assert_accessible("labels, thermal");
    browser.screenshots("labels-thermal");
    let shelves: Vec<String> = (0..3).map(|n| format!("LOC-{:06}", repo.shelves[n])).collect();
    assert_eq!(decoded(&browser.print_pdf(10.0, 5.0), "labels-thermal", &Layout::thermal(3)), shelves);
}

/// A printed sheet's labels: where each is on its page (mm from the top left), in order.
struct Layout {
    pages: usize,
    /// (left, top) of each label of a page, in reading order, and a label's size.
    labels: Vec<(f64, f64)>,
    size: (f64, f64),
}

impl Layout {
    /// A4, 2 × 7 labels of 99.1 × 38.1 mm (the print page's own measures).
    fn a4(pages: usize) -> Layout {
        let labels = (0..14).map(|n| (4.65 + (n % 2) as f64 * 101.6, 15.15 + (n / 2) as f64 * 38.1)).collect();
        Layout { pages, labels, size: (99.1, 38.1) }
    }

    fn thermal(pages: usize) -> Layout {
        Layout { pages, labels: vec![(0.0, 0.0)], size: (100.0, 50.0) }
    }
}

/// The Code 128 barcode of each label of a printed PDF, in the order printed (none where a
/// label reads nothing): each label cut from its page at 300 dpi (poppler's pdftoppm) and read
/// alone (zxing-cpp's ZXingReader). The PDF and the cuts stay under target/journeys/NAME.
fn decoded(pdf: &[u8], name: &str, layout: &Layout) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/journeys").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("printed.pdf"), pdf).unwrap();
    let px = |mm: f64| ((mm / 25.4) * 300.0).round().to_string();
    let mut codes = Vec::new();
    for page in 1..=layout.pages {
        for (n, (left, top)) in layout.labels.iter().enumerate() {
            let cut = format!("page{page}-label{:02}", n + 1);
            let page = page.to_string();
            let (width, height) = (px(layout.size.0), px(layout.size.1));
            let raster = std::process::Command::new("pdftoppm")
                .args(["-r", "300", "-png", "-singlefile", "-f", &page, "-l", &page, "-x", &px(*left), "-y", &px(*top)])
                .args(["-W", &width, "-H", &height, "printed.pdf", &cut])
                .current_dir(&dir)
                .status()
                .expect("pdftoppm (apt-get install poppler-utils)");
            assert!(raster.success());
            // `-noscale`: zxing-cpp 1.4 (Debian 12) aborts on an assertion when a downscaled
            // pass finds a code the full-size pass found; at 300 dpi none is needed.
            let read = std::process::Command::new("ZXingReader")
                .args(["-1", "-noscale", "-format", "Code128", &format!("{cut}.png")])
                .current_dir(&dir)
                .output()
                .expect("ZXingReader (apt-get install zxing-cpp-tools)");
            let text = String::from_utf8_lossy(&read.stdout).to_string();
            codes.extend(text.lines().filter_map(|line| Some(line.split('"').nth(1)?.to_string())));
        }
    }
    codes
}

#[test]
fn pages_chosen_on_the_page_map_start_a_survey_of_three_ranges() {
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = new_box(&app, "KS-1", repo.shelves[0], json!({"fonds_id": snv}));
    let f = crate::support::fixtures::file(&app, snv, 3, 2000, json!({"box_id": held["id"], "title": "Sổ địa bạ"}));
    let surveyed = json!({"file_id": f, "pages": "1-500", "grade": 2,
                          "damages": [{"type": "mould", "severity": 2, "pages": "100-150", "active": true}]});
    assert_eq!(app.post("/api/v1/assessments", surveyed).status, 201);
    person(&app, "lan", Role::Conservator);

    sign_in_at(&browser, &format!("{}/files/{f}", app.url), "lan");
    browser.wait_until("the page map", |b| b.texts(".pagemap .map-row").len() == 40);
    browser.assert_accessible("file");
    browser.screenshots("file");
    // Page 601 clicked, then page 640 with Shift: the range is chosen, and outlined.
    let click = |page: usize, shift: bool| {
        browser.run(&format!(
            "document.querySelectorAll('.pagemap b')[{}].dispatchEvent(new MouseEvent('click', {{bubbles: true, shiftKey: {shift}}}))",
            page - 1
        ));
    };
    click(601, false);
    click(640, true);
    assert_eq!(browser.run("return [from.value, to.value].join('-')"), json!("601-640"));
    assert_eq!(browser.run("return document.querySelectorAll('.pagemap b.chosen').length"), json!(40));
    browser.click("button[formaction='/survey']");
    browser.wait_until("the survey", |b| b.url().contains("/survey") && focused(b) == "r0-pages");
    assert_eq!(browser.run("return document.getElementById('r0-pages').value"), json!("601-640"));
    browser.assert_accessible("survey");
    // Three rows by keyboard: Enter in a field adds the next.
    for (row, pages, grade) in [(0, "", "Cấp 3"), (1, "641-700", "Cấp 2"), (2, "1900-2000", "Cấp 4")] {
        if !pages.is_empty() {
            browser.type_into(&format!("#r{row}-pages"), pages);
        }
        browser.type_into(&format!("#r{row}-grade"), grade);
        if row < 2 {
            browser.type_into(&format!("#r{row}-notes"), ENTER);
            let next = format!("r{}-pages", row + 1);
            browser.wait_until("the next row", |b| focused(b) == next);
        }
    }
    browser.screenshots("survey");
    browser.click("button[value='save']");
    browser.wait_until("saved", |b| b.url().contains(&format!("/files/{f}")) && !b.texts(".done").is_empty());
    assert_eq!(browser.texts(".done")[0], "Đã lưu 3 dòng khảo sát.");
    let cells = |class: &str| browser.run(&format!("return document.querySelectorAll('.pagemap b.{class}').length"));
    assert_eq!((cells("g3"), cells("g4"), cells("g2")), (json!(40), json!(101), json!(560)));
    browser.assert_accessible("file, surveyed");
    browser.screenshots("file-surveyed");
}

#[test]
fn the_head_reads_the_period_report_with_its_charts_and_prints_it() {
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = new_box(&app, "BC-1", repo.shelves[0], json!({"fonds_id": snv}));
    let f = crate::support::fixtures::file(&app, snv, 1, 120, json!({"box_id": held["id"]}));
    for (pages, grade) in [("1-60", 3), ("61-120", 2)] {
        assert_eq!(app.post("/api/v1/assessments", json!({"file_id": f, "pages": pages, "grade": grade})).status, 201);
    }
    let treated =
        json!({"file_id": f, "type": "backing", "pages": "1-60", "status": "completed", "after": {"grade": 2}});
    assert_eq!(app.post("/api/v1/treatments", treated).status, 201);
    person(&app, "giam-doc", Role::Viewer);

    sign_in_at(&browser, &format!("{}/report", app.url), "giam-doc");
    browser.wait_until("the report", |b| b.url().contains("/report") && !b.texts("section.figures").is_empty());
    // The whole year chosen, then shown by keyboard.
    browser.click("input[value='year']");
    browser.press_until(TAB, ".report-form button[type='submit']");
    browser.press(ENTER);
    browser.wait_until("the year", |b| b.url().contains("period=year"));
    assert!(browser.texts(".span")[0].starts_with("Từ 01/01/"), "{:?}", browser.texts(".span"));
    assert_eq!(browser.run("return document.querySelectorAll('svg.chart').length"), json!(2), "treatments and surveys");
    browser.assert_accessible("report");
    browser.screenshots("report");
    let csv = browser.run("return document.querySelector('a[download]').getAttribute('href')");
    assert!(csv.as_str().unwrap().starts_with("/report.csv?period=year"), "{csv}");
    // Printed: A4, headed with the archive's name and the period, without the app's frame.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/journeys");
    std::fs::write(dir.join("report.pdf"), browser.print_pdf(21.0, 29.7)).unwrap();
    if std::path::Path::new("/usr/bin/pdftotext").exists() {
        let text =
            std::process::Command::new("pdftotext").args(["report.pdf", "-"]).current_dir(&dir).output().unwrap();
        let text = String::from_utf8_lossy(&text.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.starts_with("Kho lưu trữ Báo cáo công tác bảo quản và kho Từ 01/01/"), "{text}");
        assert!(!text.contains("Đăng xuất") && !text.contains("Xem báo cáo"), "no frame, no form: {text}");
    }
}

#[test]
fn a_treatment_goes_from_proposal_to_completion_by_a_conservator_and_the_head() {
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    crate::treating::surveyed_file(&app);
    person(&app, "lan", Role::Conservator);
    person(&app, "truong", Role::HeadConservator);

    // The conservator proposes backing of the waiting pages, from the board.
    sign_in_at(&browser, &format!("{}/treatments", app.url), "lan");
    browser
        .wait_until("the board", |b| b.url().ends_with("/treatments") && !b.texts("table.board tbody tr").is_empty());
    browser.assert_accessible("treatments");
    browser.screenshots("treatments");
    browser.click("a[href^='/treatments/new?file=']");
    browser.wait_until("the proposal", |b| focused(b) == "type");
    assert_eq!(browser.run("return document.getElementById('pages').value"), json!("1-120"));
    browser.type_into("#type", "bồi nền");
    browser.type_into("#material-0", "giấy dó");
    browser.type_into("#detail-0", "9 g/m²");
    browser.type_into("#quantity-0", "2,5");
    browser.type_into("#unit-0", "m²");
    browser.type_into("#others", "Trần Thị Hoa");
    browser.assert_accessible("proposal");
    browser.screenshots("treatment-propose");
    browser.type_into("#notes", ENTER);
    browser.wait_until("proposed", |b| b.url().contains("done=proposed"));
    let url = browser.url();
    let url = url.split('?').next().unwrap().to_string();
    assert!(browser.texts(".hint").iter().any(|t| t.contains("chờ trưởng phòng bảo quản duyệt")));
    assert!(browser.texts("form.step button").iter().all(|b| b != "Duyệt đề xuất"), "the conservator may not approve");
    browser.click("form[action='/sign-out'] button");
    browser.wait_until("signed out", |b| b.url().contains("/sign-in"));

    // The head approves it, with a note.
    sign_in_at(&browser, &url, "truong");
    browser.wait_until("the proposal", |b| b.url() == url);
    browser.type_into("#approve-note", "Đồng ý, làm trước Tết");
    browser.click("input[value='approved'] ~ button");
    browser.wait_until("approved", |b| b.texts("h1 .status").first().is_some_and(|s| s == "đã duyệt"));
    browser.click("form[action='/sign-out'] button");
    browser.wait_until("signed out", |b| b.url().contains("/sign-in"));

    // The conservator starts it, then completes it with the condition after and the hours.
    sign_in_at(&browser, &url, "lan");
    browser.wait_until("the treatment", |b| b.url() == url);
    browser.click("input[value='in_progress'] ~ button");
    browser.wait_until("started", |b| b.texts("h1 .status").first().is_some_and(|s| s == "đang làm"));
    browser.click("form.complete button[type='submit']");
    browser.wait_until("refused", |b| !b.texts("#grade-problem").is_empty());
    assert_eq!(focused(&browser), "grade", "the field wrong takes the focus");
    browser.type_into("#grade", "Cấp 2");
    browser.type_into("#hours-0", "6,5");
    browser.type_into("#hours-1", "3");
    browser.assert_accessible("treatment, to complete");
    browser.screenshots("treatment-complete");
    browser.click("form.complete button[type='submit']");
    browser.wait_until("completed", |b| b.texts("h1 .status").first().is_some_and(|s| s == "đã xong"));
    let steps = browser.texts("section[aria-labelledby='steps-heading'] tbody tr");
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(steps[1].contains("Nguyễn Văn truong") && steps[1].contains("Đồng ý, làm trước Tết"), "{steps:?}");
    browser.assert_accessible("treatment, completed");
    browser.screenshots("treatment-completed");
    browser.go(&format!("{}/treatments/day", app.url));
    browser.wait_until("the day's form", |b| focused(b) == "r0-file");
    browser.assert_accessible("day's work");
    browser.screenshots("treatment-day");
}

#[test]
fn an_admin_creates_a_key_and_a_webhook() {
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    person(&app, "quantri", Role::Admin);

    sign_in_at(&browser, &format!("{}/admin/keys", app.url), "quantri");
    browser.wait_until("the keys", |b| b.url().ends_with("/admin/keys"));
    browser.type_into("#name", "Máy tra cứu phòng đọc");
    browser.type_into("#role", "xem");
    browser.type_into("#name", ENTER);
    browser.wait_until("the secret, once", |b| focused(b) == "secret");
    let key = browser.run("return document.getElementById('secret').value");
    let key = key.as_str().unwrap();
    let status = app.request_as(Some(key), reqwest::Method::GET, "/api/v1/boxes").send().unwrap().status();
    assert_eq!(status.as_u16(), 200, "the key shown works");
    assert!(browser.texts("tbody tr").iter().any(|row| row.contains("Máy tra cứu phòng đọc") && row.contains("xem")));
    browser.assert_accessible("API keys");
    browser.screenshots("admin-keys");

    browser.click("nav a[href='/admin/webhooks']");
    browser.wait_until("the webhooks", |b| b.url().ends_with("/admin/webhooks") && focused(b) != "secret");
    browser.type_into("#url", "https://mucluc.example.org/hooks/paperkeep");
    browser.click("input[name='types'][value='box']");
    browser.type_into("#description", &format!("Mục lục trực tuyến{ENTER}"));
    browser.wait_until("the signing secret, once", |b| focused(b) == "secret");
    let secret = browser.run("return document.getElementById('secret').value");
    assert!(secret.as_str().unwrap().starts_with("whsec_"), "{secret}");
    assert_eq!(app.get("/api/v1/webhooks").items()[0]["types"], json!(["box"]));
    browser.assert_accessible("webhooks");
    browser.screenshots("admin-webhooks");
    browser.click("a[href^='/admin/webhooks/']");
    browser.wait_until("the delivery log", |b| b.url().contains("/admin/webhooks/"));
    browser.assert_accessible("delivery log");

    for (path, name) in [("/admin/vocabularies?name=material", "admin-vocabularies"), ("/admin/trail", "admin-trail")] {
        browser.go(&format!("{}{path}", app.url));
        browser.wait_until(name, |b| b.url().contains(path));
        browser.assert_accessible(name);
        browser.screenshots(name);
    }
}

#[test]
fn a_reader_is_registered_asks_in_words_and_is_served_from_the_pull_list_by_scans() {
    let Some(browser) = Browser::open() else { return };
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let near = new_box(&app, "PD-1", repo.shelves[0], json!({"fonds_id": snv}));
    let far = new_box(&app, "PD-2", repo.shelves[3], json!({"fonds_id": snv}));
    let titled = |no: i32, title: &str, held: &serde_json::Value| {
        let extra = json!({"title": title, "box_id": held["id"]});
        crate::support::fixtures::file(&app, snv, no, 12, extra)
    };
    titled(1, "Công văn của Sở Nội vụ về tuyển dụng năm 1975", &far);
    titled(2, "Công văn của Sở Nội vụ về tiền lương năm 1976", &near);
    let brittle = titled(3, "Công văn của Sở Nội vụ về thi đua năm 1977", &near);
    assert_eq!(app.post("/api/v1/assessments", json!({"file_id": brittle, "grade": 4})).status, 201);
    person(&app, "doc", Role::ReadingRoom);
    person(&app, "kho", Role::StorageManager);

    // Registered at the desk: the identity number typed with spaces, first with a letter too many.
    sign_in_at(&browser, &format!("{}/readers/new", app.url), "doc");
    browser.wait_until("the form", |b| focused(b) == "full_name");
    browser.assert_accessible("register a reader");
    browser.type_into("#full_name", "Trần Văn Minh");
    browser.type_into("#identity_no", "0012 3456 789X");
    browser.type_into("#topic", "Tổ chức bộ máy Sở Nội vụ 1975–1980\n");
    browser.press_until(TAB, "form.stacked button[type='submit']");
    browser.press(ENTER);
    browser.wait_until("the problem on the field", |b| focused(b) == "identity_no");
    assert_eq!(browser.texts("#identity_no-problem"), ["Số căn cước công dân gồm đúng 12 chữ số."]);
    assert_eq!(browser.run("return document.getElementById('full_name').value"), json!("Trần Văn Minh"));
    browser.screenshots("reader-register-refused");
    browser.run("document.getElementById('identity_no').value = ''");
    browser.type_into("#identity_no", "0012 3456 7890\n");
    browser.wait_until("the reader's page", |b| !b.texts(".done").is_empty());
    assert_eq!(browser.texts(".done"), ["Đã đăng ký độc giả."]);
    assert!(browser.texts("dl.facts dd")[0].contains("001234567890"), "kept without spaces");
    let reader_no = browser.texts("h1 .kind")[0].clone();
    assert!(reader_no.starts_with("DG-"), "{reader_no}");

    // Asked in words without accents: two files servable, the brittle one not, saying why.
    browser.click("form[action$='/visit'] button");
    browser.wait_until("checked in", |b| b.texts(".done") == ["Độc giả đã vào phòng đọc."]);
    browser.type_into("#q", "cong van so noi vu\n");
    browser.wait_until("three files found", |b| {
        b.texts("input[name=file]").len() == 2 && b.texts("tr.refused").len() == 1
    });
    assert!(browser.texts("tr.refused")[0].contains("hư hỏng nặng"), "{:?}", browser.texts("tr.refused"));
    browser.assert_accessible("files found for a reader");
    browser.screenshots("reader-found");
    browser.click("input[name=file]");
    browser.press_until(TAB, "input[name=file]:not(:checked)");
    browser.press(" ");
    browser.press_until(TAB, "form[action$='/requests'] button[type='submit']");
    browser.press(ENTER);
    browser.wait_until("the request", |b| b.texts(".done") == ["Đã lập phiếu yêu cầu; từng hồ sơ đã được xét."]);
    assert_eq!(browser.texts("section[aria-labelledby=requests-heading] tbody tr").len(), 2);

    // The storage manager takes the pull list, prints it and scans the two boxes as they arrive.
    browser.click("form[action='/sign-out'] button");
    browser.wait_until("signed out", |b| b.url().contains("/sign-in"));
    sign_in_at(&browser, &format!("{}/pull-list", app.url), "kho");
    browser.wait_until("the pull list", |b| b.url().contains("/pull-list") && focused(b) == "code");
    assert_eq!(browser.texts("table.pulls .code"), ["PD-1", "PD-2"], "in shelf order");
    browser.assert_accessible("pull list");
    browser.screenshots("pull-list");
    browser.press_until(TAB, "form[action='/pull-list/take'] button[type='submit']");
    browser.press(ENTER);
    browser.wait_until("taken", |b| b.texts(".done") == ["Đã nhận 2 hộp để đi lấy."]);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/journeys");
    std::fs::write(dir.join("pull-list.pdf"), browser.print_pdf(21.0, 29.7)).unwrap();
    for barcode in ["PD-1", "PD-2"] {
        browser.wait_until("the scan field", |b| focused(b) == "code");
        browser.type_into("#code", &format!("{barcode}\n"));
        browser.wait_until("delivered", |b| b.texts(".done") == [format!("Hộp {barcode} đã về phòng đọc.")]);
    }
    assert_eq!(browser.texts(".pulls"), Vec::<String>::new(), "nothing left to fetch");

    // At the desk: the card scanned opens the reader; a box scanned issues their file in it,
    // taken back with its leaves counted (a wrong count needs a remark).
    browser.click("form[action='/sign-out'] button");
    browser.wait_until("signed out", |b| b.url().contains("/sign-in"));
    sign_in_at(&browser, &format!("{}/reading", app.url), "doc");
    browser.wait_until("the desk", |b| b.url().contains("/reading") && focused(b) == "q");
    assert_eq!(browser.texts("section[aria-labelledby=open-requests] tbody tr").len(), 1);
    browser.assert_accessible("desk");
    browser.screenshots("desk");
    browser.type_into("#q", &format!("{reader_no}\n"));
    browser.wait_until("the reader, ready to issue", |b| b.url().contains("/readers/") && focused(b) == "code");
    browser.type_into("#code", "PD-1\n");
    browser.wait_until("issued", |b| b.texts(".done") == ["Đã giao hồ sơ cho độc giả và ghi sổ giao nhận."]);
    assert_eq!(browser.texts("section[aria-labelledby=in-hand-heading] tbody tr").len(), 1);
    browser.assert_accessible("reader with a file");
    browser.screenshots("reader-in-hand");
    // Given back by scanning the box again: its count has the focus.
    browser.wait_until("the scan field", |b| focused(b) == "code");
    browser.type_into("#code", "PD-1\n");
    browser.wait_until("the count", |b| focused(b).starts_with("leaves-"));
    assert_eq!(browser.texts(".done"), ["Đếm số tờ của hồ sơ rồi nhấn Enter để nhận lại."]);
    browser.press(&format!("11{ENTER}"));
    browser.wait_until("a remark asked for", |b| !b.texts(".problem").is_empty() && focused(b).starts_with("remarks-"));
    assert_eq!(browser.texts(".problem"), ["Số tờ đếm lại khác số tờ đã giao: hãy ghi chú tình trạng."]);
    browser.press(&format!("Thiếu tờ 12{ENTER}"));
    browser.wait_until("taken back", |b| b.texts(".done") == ["Đã nhận lại hồ sơ và ghi sổ giao nhận."]);
    let book = app.get("/api/v1/handovers");
    assert_eq!(book.body["items"][0]["leaves_returned"], 11);
    assert_eq!(book.body["items"][0]["leaves_issued"], 12);
    assert_eq!(book.body["items"][0]["remarks"], "Thiếu tờ 12");
}
