//! The reading room in the app, over HTTP: registration refused field by field, the desk's late
//! requests and overdue files, each bad scan or count answered on the page, and the report's
//! reading-room figures.

use paperkeep::keys::model::Role;
use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{file, fonds, id, new_box, repository};
use crate::support::staff::{open, person, post_form, signed_in};

#[test]
fn a_registration_is_refused_on_each_wrong_field_keeping_what_was_typed() {
    let app = TestApp::spawn();
    person(&app, "doc", Role::ReadingRoom);
    let desk = signed_in(&app, "doc");
    let form = |identity: &str, purpose: &str, referral: &str, card: &str| {
        let fields = [
            ("full_name", "Trần Văn Minh"),
            ("identity_type", "cccd"),
            ("identity_no", identity),
            ("nationality", "VN"),
            ("purpose", purpose),
            ("referral", referral),
            ("topic", ""),
            ("organisation", ""),
            ("card_expires_on", card),
        ];
        post_form(&app, &desk, "/readers", &fields)
    };
    let (status, _, page) = form("0012 3456 78AB", "personal", "", "");
    assert_eq!(status, 422);
    assert!(page.contains("Số căn cước công dân gồm đúng 12 chữ số.") && page.contains("value=\"0012 3456 78AB\""));
    assert!(page.contains("value=\"Trần Văn Minh\""), "the name kept");
    let (status, _, page) = form("001234567890", "official", "", "2020-01-01");
    assert_eq!(status, 422);
    assert!(page.contains("Mục đích công vụ cần số và ngày của giấy giới thiệu."), "{page}");
    assert!(page.contains("Hạn thẻ phải từ hôm nay đến trong vòng 5 năm."));
    let (status, to, _) = form("0012.3456.7890", "personal", "", "");
    assert_eq!(status, 303);
    assert!(to.ends_with("?done=registered"), "{to}");
    assert!(open(&app, &desk, &to).contains("001234567890"), "kept without dots, whole for the desk");
    let (status, _, page) = form("001234567890", "personal", "", "");
    assert_eq!(status, 409);
    assert!(page.contains("Giấy tờ này đã được đăng ký cho độc giả DG-000001."), "{page}");

    // A viewer sees the number masked, and registers no one.
    person(&app, "xem", Role::Viewer);
    let viewer = signed_in(&app, "xem");
    let seen = open(&app, &viewer, &to.replace("?done=registered", ""));
    assert!(seen.contains("••••••••7890") && !seen.contains("001234567890"), "masked");
    assert!(!seen.contains("action=\"/readers/1/issue\""), "no desk forms for a viewer");
    assert_eq!(post_form(&app, &viewer, "/readers", &[("full_name", "X")]).0, 403);
    // A card scanned at the desk opens its reader; words list them.
    let scanned = desk.get(format!("{}/readers?q=dg-000001", app.url)).send().unwrap();
    assert_eq!(scanned.status().as_u16(), 303);
    assert!(open(&app, &desk, "/readers?q=tran%20minh").contains("href=\"/readers/1\""));
}

#[test]
fn the_desk_marks_what_is_late_and_each_bad_scan_or_count_is_answered_on_the_page() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let held = new_box(&app, "RR-1", repo.shelves[0], json!({"fonds_id": snv}));
    new_box(&app, "RR-2", repo.shelves[1], json!({"fonds_id": snv}));
    let asked = file(&app, snv, 1, 12, json!({"box_id": held["id"]}));
    let reader = json!({"full_name": "Lê Thị Hoa", "identity_type": "cccd", "identity_no": "079123456789",
                        "purpose": "personal"});
    let reader = id(&app.post("/api/v1/readers", reader).body);
    // Received three days ago: past its one working day, not yet delivered.
    let received = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let request = json!({"reader_id": reader, "kind": "read", "received_at": received, "lines": [{"file_id": asked}]});
    let request = id(&app.post("/api/v1/reading-requests", request).body);
    person(&app, "doc", Role::ReadingRoom);
    let desk = signed_in(&app, "doc");
    let page = open(&app, &desk, "/reading");
    assert!(page.contains(&format!("#{request}")) && page.contains("Quá hạn: 1"), "{page}");

    let path = format!("/readers/{reader}");
    let (status, _, page) = post_form(&app, &desk, &format!("{path}/requests"), &[("q", "x")]);
    assert_eq!(status, 422);
    assert!(page.contains("Hãy chọn ít nhất một hồ sơ để lập phiếu yêu cầu."));
    let (status, _, page) = post_form(&app, &desk, &format!("{path}/issue"), &[("code", "NOPE")]);
    assert_eq!(status, 404);
    assert!(page.contains("Không có hộp nào mang mã NOPE."));
    let (status, _, page) = post_form(&app, &desk, &format!("{path}/issue"), &[("code", "RR-2")]);
    assert_eq!(status, 409);
    assert!(page.contains("Hộp RR-2 không có hồ sơ nào của độc giả này đang chờ giao trong phòng đọc."));

    // Delivered, the reader in, the file issued by scanning its box.
    person(&app, "kho", Role::StorageManager);
    let storage = signed_in(&app, "kho");
    let (status, _, page) = post_form(&app, &storage, "/pull-list/deliver", &[("code", "NOPE")]);
    assert_eq!(status, 409);
    assert!(page.contains("NOPE:"), "{page}");
    assert_eq!(post_form(&app, &storage, "/pull-list/deliver", &[("code", "RR-1")]).0, 303);
    assert_eq!(post_form(&app, &desk, &format!("{path}/visit"), &[]).1, format!("{path}?done=checked-in"));
    assert_eq!(post_form(&app, &desk, &format!("{path}/issue"), &[("code", "rr-1")]).1, format!("{path}?done=issued"));
    let handover = app.get("/api/v1/handovers").body["items"][0]["id"].as_i64().unwrap();
    // The box scanned again: nothing waits in it, so its file in the reader's hands is given back.
    let rescanned = post_form(&app, &desk, &format!("{path}/issue"), &[("code", "RR-1")]).1;
    assert_eq!(rescanned, format!("{path}?back={handover}"));
    assert!(open(&app, &desk, &rescanned).contains(&format!(
        "id=\"leaves-{handover}\" name=\"leaves\" inputmode=\"numeric\" class=\"short\" required autofocus"
    )));
    let back = format!("/handovers/{handover}/return");
    let (status, _, page) = post_form(&app, &desk, &back, &[("leaves", "mười hai")]);
    assert_eq!(status, 422);
    assert!(page.contains("Hãy nhập số tờ đếm lại khi nhận hồ sơ."));
    let (status, _, page) = post_form(&app, &desk, &back, &[("leaves", "10")]);
    assert_eq!(status, 422);
    assert!(page.contains("hãy ghi chú tình trạng") && page.contains("value=\"10\""), "the count kept");
    let (status, to, _) = post_form(&app, &desk, &back, &[("leaves", "10"), ("remarks", "Thiếu tờ 11 và 12")]);
    assert_eq!((status, to), (303, format!("{path}?done=returned")));
    let (status, _, _) = post_form(&app, &desk, &back, &[("leaves", "10"), ("remarks", "Lần nữa")]);
    assert_eq!(status, 409, "given back once");
    assert_eq!(post_form(&app, &desk, &format!("{path}/visit"), &[]).1, format!("{path}?done=checked-out"));

    // The period report shows the reading room: one user day, one checkout, one box pulled.
    let report = open(&app, &desk, "/report?period=year");
    for figure in ["Phòng đọc", "Lượt độc giả", "Lượt giao hồ sơ", "Thời gian phục vụ"] {
        assert!(report.contains(figure), "{figure}");
    }
}
