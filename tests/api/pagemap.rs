//! Hồ sơ / File in the app: a file's page map — each page's grade, live damage and open
//! treatment, the same in words as runs of pages — and the history of a range of pages.

use paperkeep::keys::model::Role;
use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{file, fonds, new_box, repository};
use crate::support::staff::{person, signed_in};

#[test]
fn a_files_pages_show_their_grade_damage_and_treatment_and_a_range_its_history() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = new_box(&app, "TM-1", repo.shelves[0], json!({"fonds_id": snv}));
    let f = file(&app, snv, 7, 300, json!({"box_id": held["id"], "title": "Tập công văn về thuỷ lợi"}));
    let assess = |body: serde_json::Value| assert_eq!(app.post("/api/v1/assessments", body).status, 201);
    assess(json!({"file_id": f, "pages": "1-100", "grade": 3,
                  "damages": [{"type": "mould", "severity": 2, "pages": "10-20", "active": true}]}));
    assess(json!({"file_id": f, "pages": "101-200", "grade": 1}));
    let proposed = app.post("/api/v1/treatments", json!({"file_id": f, "type": "backing", "pages": "1-50"}));
    assert_eq!(proposed.status, 201, "{}", proposed.text);
    person(&app, "lan", Role::Viewer);
    let lan = signed_in(&app, "lan");
    let page = |query: &str| {
        let answer = lan.get(format!("{}/files/{f}{query}", app.url)).send().unwrap();
        (answer.status().as_u16(), answer.text().unwrap())
    };

    let (status, map) = page("");
    assert_eq!(status, 200);
    assert!(map.contains("SNV 1/7 · Tập công văn về thuỷ lợi") && map.contains("TM-1 · K1-P02-G05-1-1"), "{map}");
    let squares = map.split("class=\"pagemap\"").nth(1).unwrap().split("</div>\n</div>").next().unwrap();
    assert_eq!(squares.matches("<b class=").count(), 300, "a square a page");
    let count = |class: &str| squares.matches(&format!("<b class=\"{class}\">")).count();
    assert_eq!((count("g3 d t"), count("g3 t"), count("g3"), count("g1"), count("g0")), (11, 39, 50, 100, 100));
    assert_eq!(squares.matches("class=\"map-row\"").count(), 6, "rows of 50");
    // The same in words, each run a link to its history.
    let runs = map.split("id=\"runs-heading\"").nth(1).unwrap();
    for (pages, grade, damage, treatment) in [
        ("1–9", "Cấp 3 · hư hỏng nặng", "—", "có"),
        ("10–20", "Cấp 3 · hư hỏng nặng", "có", "có"),
        ("51–100", "Cấp 3 · hư hỏng nặng", "—", "—"),
        ("101–200", "Cấp 1 · tốt", "—", "—"),
        ("201–300", "Chưa khảo sát", "—", "—"),
    ] {
        let row = format!(
            "\">{pages}</a></td>\n    <td data-label=\"Tình trạng\">{grade}</td>\n    <td data-label=\"Hư hại đang diễn tiến\">{damage}</td>\n    <td data-label=\"Đang có tu bổ\">{treatment}</td>"
        );
        assert!(runs.contains(&row), "{row}: {runs}");
    }
    assert!(map.contains("Chờ tu bổ") && map.contains(">100<"), "the summary: {map}");

    // A range's history, newest first; pages nothing touched; a range that is no range.
    let (status, history) = page("?from=10&to=20");
    assert_eq!(status, 200);
    let section = history.split("id=\"history-heading\"").nth(1).unwrap();
    assert!(section.contains("Lịch sử tờ 10-20"), "{section}");
    let (treated, assessed) = (section.find("backing · đề xuất").unwrap(), section.find("Khảo sát: Cấp 3").unwrap());
    assert!(treated < assessed, "newest first: {section}");
    let (_, untouched) = page("?from=250");
    assert!(untouched.contains("Lịch sử tờ 250<") && untouched.contains("Chưa có khảo sát hay tu bổ nào"));
    for bad in ["?from=250&to=400", "?from=20&to=10", "?from=abc", "?to=0"] {
        let (status, refused) = page(bad);
        assert_eq!(status, 422, "{bad}");
        assert!(
            refused.contains("Hãy ghi các tờ từ 1 đến 300") && refused.contains("aria-invalid"),
            "{bad}: {refused}"
        );
    }
    assert_eq!(lan.get(format!("{}/files/999999", app.url)).send().unwrap().status().as_u16(), 404);

    // A survey recorded in error, withdrawn by the head conservator with why: the pages it
    // described are unassessed again. Without a reason, refused; a viewer is offered nothing.
    assert!(!map.contains("/withdraw\""), "a viewer withdraws nothing");
    person(&app, "truong", Role::HeadConservator);
    let head = signed_in(&app, "truong");
    let (csrf, file_id) = (crate::support::staff::token(&app, &head), f.to_string());
    let graded = app.get(&format!("/api/v1/assessments?file_id={f}&grade=1")).items()[0]["id"].to_string();
    let withdraw = |reason: &str| {
        let form =
            [("csrf", csrf.as_str()), ("file", file_id.as_str()), ("from", "101"), ("to", "200"), ("reason", reason)];
        head.post(format!("{}/assessments/{graded}/withdraw", app.url)).form(&form).send().unwrap()
    };
    let offered = head.get(format!("{}/files/{f}?from=101&to=200", app.url)).send().unwrap().text().unwrap();
    assert!(offered.contains(&format!("action=\"/assessments/{graded}/withdraw\"")), "{offered}");
    let refused = withdraw("  ");
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().unwrap().contains("Hãy ghi lý do rút lại khảo sát"));
    let withdrawn = withdraw("Ghi nhầm hồ sơ");
    assert_eq!(withdrawn.status().as_u16(), 303);
    let back = crate::support::staff::location(&withdrawn);
    assert_eq!(back, format!("/files/{f}?from=101&to=200&withdrawn={graded}#history-heading"));
    let after = head.get(format!("{}{}", app.url, back.split('#').next().unwrap())).send().unwrap().text().unwrap();
    assert!(after.contains("Đã rút lại khảo sát") && after.contains("(đã rút lại)"), "{after}");
    assert!(after.contains("\">101–300</a></td>\n    <td data-label=\"Tình trạng\">Chưa khảo sát</td>"), "{after}");
    let lan_token = crate::support::staff::token(&app, &lan);
    let form = [("csrf", lan_token.as_str()), ("file", file_id.as_str()), ("reason", "x")];
    let viewer = lan.post(format!("{}/assessments/{graded}/withdraw", app.url)).form(&form).send().unwrap();
    assert_eq!(viewer.status().as_u16(), 403);

    // Locate names the box's files with a link to their page.
    let located = lan.get(format!("{}/locate?q=TM-1", app.url)).send().unwrap().text().unwrap();
    assert!(located.contains(&format!("<a href=\"/files/{f}\">1/7 · Tập công văn về thuỷ lợi</a>")), "{located}");
}
