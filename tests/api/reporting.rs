//! Báo cáo / Period report in the app: a period's figures as tables and charts, as CSV, and
//! every bad period said on its field.

use chrono::{Datelike, Utc};
use paperkeep::keys::model::Role;
use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{file, fonds, new_box, repository};
use crate::support::staff::{person, signed_in};

#[test]
fn a_periods_figures_show_as_tables_and_charts_and_download_as_csv() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = new_box(&app, "BC-1", repo.shelves[0], json!({"fonds_id": snv}));
    let f = file(&app, snv, 1, 120, json!({"box_id": held["id"]}));
    assert_eq!(app.post("/api/v1/assessments", json!({"file_id": f, "grade": 3})).status, 201);
    let treated = json!({"file_id": f, "type": "backing", "pages": "1-40", "status": "completed",
                         "after": {"grade": 2}, "conservators": ["Lan"], "hours": 6.5});
    assert_eq!(app.post("/api/v1/treatments", treated).status, 201);
    let moved = app.post(
        &format!("/api/v1/boxes/{}/moves", held["id"]),
        json!({"to_location_id": repo.lab, "reason": "conservation"}),
    );
    assert_eq!(moved.status, 201);
    person(&app, "giam-doc", Role::Viewer);
    let head = signed_in(&app, "giam-doc");
    let get = |path: &str| {
        let answer = head.get(format!("{}{path}", app.url)).send().unwrap();
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        (status, headers, answer.text().unwrap())
    };
    let year = Utc::now().year();

    let (status, _, report) = get("/report?period=year");
    assert_eq!(status, 200);
    for expected in [
        "Báo cáo công tác bảo quản và kho".to_string(),
        format!("Từ 01/01/{year} đến 31/12/{year}"),
        "<th scope=\"row\">bồi nền</th><td class=\"number\" data-label=\"Tờ\">40</td><td class=\"number\" data-label=\"Trang\">0</td>".into(),
        "data-label=\"Giờ công\">6,5<".into(),
        "<th scope=\"row\">Cấp 3 · hư hỏng nặng</th>".into(),
        "<th scope=\"row\">tu bổ</th><td class=\"number\" data-label=\"Lượt chuyển\">1</td>".into(),
        "<th scope=\"row\">Hộp đang ở phòng tu bổ</th><td class=\"number\" data-label=\"Số liệu\">1</td>".into(),
    ] {
        assert!(report.contains(&expected), "{expected}: {report}");
    }
    assert_eq!(report.matches("<svg class=\"chart\"").count(), 3, "treatments, surveys and moves drawn");
    assert!(report.contains("href=\"/report.csv?period=year\""), "{report}");

    // The first six months, a fonds; the CSV of the same.
    let (_, _, half) = get(&format!("/report?period=6m&year={year}&fonds=snv"));
    assert!(half.contains(&format!("Từ 01/01/{year} đến 30/06/{year} · Phông Sở Nội vụ (SNV)")), "{half}");
    let (status, headers, csv) = get("/report.csv?period=year");
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"bao-cao-{year}-01-01-{year}-12-31.csv\"")
    );
    assert!(csv.starts_with("section,item,measure,value\n") && csv.contains("treatments,backing,leaves,40"), "{csv}");

    // Each bad period on its field, no figures.
    for (query, field, message) in [
        ("period=dates&from=2026-06-30&to=2026-01-01", "from", "Ngày bắt đầu phải không sau ngày kết thúc."),
        ("period=dates&from=2026-13-01&to=2026-06-30", "from", "Hãy chọn một ngày."),
        ("period=dates&from=2026-01-01", "to", "Hãy chọn một ngày."),
        ("period=year&year=3000", "year", "Năm là một số từ 1900 đến 2100."),
        ("period=year&fonds=KHÔNG", "fonds", "Không có phông nào mã này."),
    ] {
        let (status, _, page) = get(&format!("/report?{query}"));
        assert_eq!(status, 422, "{query}");
        assert!(page.contains(message) && page.contains(&format!("id=\"{field}-problem\"")), "{query}: {page}");
        assert!(!page.contains("<section class=\"figures\">"), "{query}");
        assert_eq!(get(&format!("/report.csv?{query}")).0, 422, "no CSV either: {query}");
    }
}
