//! Khảo sát / Condition survey in the app: a file found by its box, rows of page ranges with
//! their condition, each row's problems on the row, all rows saved at once or none.

use paperkeep::keys::model::Role;
use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{file, fonds, new_box, repository};
use crate::support::staff::{location, person, signed_in, token};

#[test]
fn a_survey_of_several_rows_is_saved_whole_or_each_row_says_what_is_wrong() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = new_box(&app, "KS-1", repo.shelves[0], json!({"fonds_id": snv}));
    let f = file(&app, snv, 3, 300, json!({"box_id": held["id"], "title": "Sổ đăng ký ruộng đất"}));
    person(&app, "lan", Role::Conservator);
    let lan = signed_in(&app, "lan");
    let get = |query: &str| {
        let answer = lan.get(format!("{}/survey{query}", app.url)).send().unwrap();
        (answer.status().as_u16(), answer.text().unwrap())
    };

    // The file found by its box's barcode; a range chosen on the page map fills the first row.
    let (_, found) = get("?find=ks-1");
    assert!(found.contains(&format!("href=\"/survey?file={f}\">1/3 · Sổ đăng ký ruộng đất")), "{found}");
    assert!(get("?find=KHÔNG-CÓ").1.contains("Không tìm thấy hồ sơ nào"));
    let (_, chosen) = get(&format!("?file={f}&from=10&to=20"));
    assert!(chosen.contains("name=\"r0.pages\" value=\"10-20\""), "{chosen}");

    let csrf = token(&app, &lan);
    let file_id = f.to_string();
    let post = |action: &str, fields: &[(&str, &str)]| {
        let mut form = vec![("csrf", csrf.as_str()), ("file", file_id.as_str()), ("action", action)];
        form.extend_from_slice(fields);
        lan.post(format!("{}/survey", app.url)).form(&form).send().unwrap()
    };
    // Enter adds a row: what was typed is kept, the new row takes the focus.
    let added = post("add", &[("r0.pages", "1-20"), ("r0.grade", "3")]).text().unwrap();
    assert!(added.contains("value=\"1-20\"") && added.contains("id=\"r1-pages\" name=\"r1.pages\" value=\"\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"1-20, 25\" autofocus"), "{added}");

    // Each bad row says why on the row; nothing is saved.
    let refused = post(
        "save",
        &[
            ("r0.pages", "290-310"),
            ("r0.grade", "2"),
            ("r1.pages", "40-30"),
            ("r1.grade", "2"),
            ("r2.pages", "1-10"),
            ("r2.grade", "3"),
            ("r2.d0.type", "mould"),
            ("r2.d0.severity", "2"),
            ("r2.d0.pages", "5-15"),
            ("r3.pages", "8-12"),
            ("r3.ph", "15"),
        ],
    );
    assert_eq!(refused.status().as_u16(), 422);
    let refused = refused.text().unwrap();
    for expected in [
        "Khoảng “290-310” vượt quá số tờ của hồ sơ (300 tờ).",
        "Khoảng “40-30” bị ngược",
        "Hư hại ở tờ 11-15, ngoài các tờ của dòng này.",
        "Tờ 8-10 đã có ở dòng 3.",
        "Hãy chọn cấp tình trạng.",
        "pH là một số từ 0 đến 14.",
    ] {
        assert!(refused.contains(expected), "{expected}: {refused}");
    }
    assert!(refused.contains("id=\"r0-pages\" name=\"r0.pages\" value=\"290-310\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"1-20, 25\" autofocus"), "the first row wrong takes the focus");
    assert_eq!(app.get(&format!("/api/v1/assessments?file_id={f}")).items().len(), 0);

    // Three rows saved at once.
    let saved = post(
        "save",
        &[
            ("r0.pages", "1-120"),
            ("r0.grade", "3"),
            ("r0.ph", "4,8"),
            ("r0.d0.type", "mould"),
            ("r0.d0.severity", "2"),
            ("r0.d0.pages", "10-20"),
            ("r0.d0.live", "1"),
            ("r0.treat", "backing"),
            ("r1.pages", "121-250"),
            ("r1.grade", "2"),
            ("r2.pages", "300"),
            ("r2.grade", "4"),
            ("r2.notes", "Mủn nát góc dưới"),
            ("r3.pages", ""),
        ],
    );
    assert_eq!((saved.status().as_u16(), location(&saved)), (303, format!("/files/{f}?surveyed=3")));
    let recorded = app.get(&format!("/api/v1/assessments?file_id={f}"));
    let mut rows: Vec<(String, i64)> = recorded
        .items()
        .iter()
        .map(|a| (a["pages"].as_str().unwrap().to_string(), a["grade"].as_i64().unwrap()))
        .collect();
    rows.sort();
    assert_eq!(rows, [("1-120".into(), 3), ("121-250".into(), 2), ("300".into(), 4)]);
    let first = recorded.items().iter().find(|a| a["pages"] == "1-120").unwrap();
    assert_eq!(first["ph"], 4.8);
    assert_eq!(first["damages"], json!([{"type": "mould", "severity": 2, "pages": "10-20", "active": true}]));
    assert_eq!(first["recommended_treatments"], json!(["backing"]));
    let page = lan.get(format!("{}/files/{f}?surveyed=3", app.url)).send().unwrap().text().unwrap();
    assert!(page.contains("Đã lưu 3 dòng khảo sát.") && page.contains("formaction=\"/survey\""), "{page}");

    // Nothing written: refused.
    assert_eq!(post("save", &[("r0.pages", "")]).status().as_u16(), 422);
    person(&app, "xem", Role::Viewer);
    assert_eq!(signed_in(&app, "xem").get(format!("{}/survey", app.url)).send().unwrap().status().as_u16(), 403);
}
