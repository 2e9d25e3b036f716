//! Tu bổ / Treatments in the app: the board, a proposal by a conservator approved by the head
//! and completed with the condition after, refusals said on the page, and a day's work logged
//! over many files at once.

use paperkeep::keys::model::Role;
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::fixtures::{file, fonds, new_box, repository};
use crate::support::staff::{open, person, post_form, signed_in};

/// A file of 300 leaves in box KS-1 whose pages 1-120 were surveyed poor, backing recommended.
pub fn surveyed_file(app: &TestApp) -> i64 {
    let repo = repository(app);
    let snv = fonds(app, "SNV", "Phông Sở Nội vụ");
    let held = new_box(app, "KS-1", repo.shelves[0], json!({"fonds_id": snv}));
    let f = file(app, snv, 3, 300, json!({"box_id": held["id"], "title": "Sổ đăng ký ruộng đất"}));
    let survey = json!({"file_id": f, "pages": "1-120", "grade": 3, "recommended_treatments": ["backing"]});
    assert_eq!(app.post("/api/v1/assessments", survey).status, 201);
    f
}

fn treatment(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/treatments/{id}")).body
}

#[test]
fn a_conservator_proposes_the_head_approves_and_the_work_is_completed_with_the_condition_after() {
    let app = TestApp::spawn();
    let f = surveyed_file(&app);
    person(&app, "lan", Role::Conservator);
    person(&app, "truong", Role::HeadConservator);
    let (lan, head) = (signed_in(&app, "lan"), signed_in(&app, "truong"));

    // The board: the waiting pages, worst first, with the box and a proposal for exactly them.
    let board = open(&app, &lan, "/treatments");
    assert!(board.contains("SNV 1/3 · Sổ đăng ký ruộng đất") && board.contains("KS-1"), "{board}");
    assert!(board.contains("120 tờ · 1-120") && board.contains("bồi nền"), "{board}");
    assert!(board.contains(&format!("href=\"/treatments/new?file={f}&#38;pages=1-120\"")), "{board}");
    let form = open(&app, &lan, &format!("/treatments/new?file={f}&pages=1-120"));
    assert!(form.contains("name=\"pages\" value=\"1-120\""), "{form}");
    assert!(form.contains("value=\"Nguyễn Văn lan\" checked"), "who proposes is among the conservators: {form}");

    // Each field's problem on the field; nothing recorded.
    let file_id = f.to_string();
    let (status, _, refused) = post_form(
        &app,
        &lan,
        "/treatments",
        &[
            ("file", &file_id),
            ("pages", "290-310"),
            ("type", ""),
            ("material", "do_paper"),
            ("quantity", "nhiều"),
            ("unit", ""),
            ("due", "2020-01-01"),
        ],
    );
    assert_eq!(status, 422);
    for expected in [
        "Khoảng “290-310” vượt quá số tờ của hồ sơ (300 tờ).",
        "Hãy chọn loại tu bổ.",
        "Số lượng vật liệu là một số lớn hơn 0, ghi cùng đơn vị.",
        "Hạn không được trước hôm nay.",
    ] {
        assert!(refused.contains(expected), "{expected}: {refused}");
    }
    assert!(refused.contains("value=\"290-310\""), "what was typed is kept");
    assert_eq!(app.get(&format!("/api/v1/treatments?file_id={f}")).items().len(), 0);

    let proposal = [
        ("file", file_id.as_str()),
        ("pages", "1-120"),
        ("type", "backing"),
        ("method", "manual"),
        ("material", "do_paper"),
        ("detail", "9 g/m²"),
        ("quantity", "2,5"),
        ("unit", "m²"),
        ("conservator", "Nguyễn Văn lan"),
        ("others", "Trần Thị Hoa"),
        ("priority", "1"),
        ("reversible", "yes"),
    ];
    let (status, to, _) = post_form(&app, &lan, "/treatments", &proposal);
    assert_eq!(status, 303);
    let id = to.strip_prefix("/treatments/").unwrap().split('?').next().unwrap().to_string();
    let proposed = treatment(&app, &id);
    assert_eq!(proposed["status"], "proposed");
    assert_eq!(proposed["materials"], json!([{"code": "do_paper", "detail": "9 g/m²", "quantity": 2.5, "unit": "m²"}]));
    assert_eq!(proposed["conservators"], json!(["Nguyễn Văn lan", "Trần Thị Hoa"]));
    assert_eq!((proposed["priority"].clone(), proposed["reversible"].clone()), (json!(1), json!(true)));
    // The same pages again: refused while the first is open.
    let (status, _, again) = post_form(&app, &lan, "/treatments", &proposal);
    assert_eq!(status, 409);
    assert!(again.contains("đã nằm trong một lượt tu bổ cùng loại chưa xong"), "{again}");

    // The conservator may not approve: the page says who may, and a forged step is refused.
    let shown = open(&app, &lan, &to);
    assert!(shown.contains("Đã gửi đề xuất") && shown.contains("chờ trưởng phòng bảo quản duyệt"), "{shown}");
    assert!(!shown.contains("value=\"approved\""), "no approval offered: {shown}");
    let step = format!("/treatments/{id}/step");
    let (status, _, forged) = post_form(&app, &lan, &step, &[("to", "approved")]);
    assert_eq!(status, 403);
    assert!(forged.contains("Chỉ trưởng phòng bảo quản (hoặc quản trị) được duyệt"), "{forged}");

    // The head sees it awaiting approval, and approves; approving twice says it moved on.
    let awaiting = open(&app, &head, "/treatments?stage=proposed");
    assert!(awaiting.contains(&format!("href=\"/treatments/{id}\">#{id} bồi nền · 1-120 · đề xuất")), "{awaiting}");
    assert!(open(&app, &head, &format!("/treatments/{id}")).contains("value=\"approved\""));
    assert_eq!(post_form(&app, &head, &step, &[("to", "approved"), ("note", "Đồng ý")]).0, 303);
    let (status, _, stale) = post_form(&app, &head, &step, &[("to", "approved")]);
    assert_eq!(status, 409);
    assert!(stale.contains("vừa được người khác chuyển bước"), "{stale}");

    // Started, then completed: without the condition after, refused on the field.
    assert_eq!(post_form(&app, &lan, &step, &[("to", "in_progress")]).0, 303);
    let (status, _, refused) = post_form(&app, &lan, &step, &[("to", "completed"), ("hours_of", "nhiều")]);
    assert_eq!(status, 422);
    assert!(refused.contains("Hãy chọn tình trạng sau tu bổ") && refused.contains("Số giờ là một số"), "{refused}");
    assert_eq!(treatment(&app, &id)["status"], "in_progress");
    let done = [("to", "completed"), ("grade", "2"), ("ph", "6,8"), ("hours_of", "6,5"), ("hours_of", "3")];
    assert_eq!(post_form(&app, &lan, &step, &done).0, 303);
    let completed = treatment(&app, &id);
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["hours"], json!(9.5));
    assert_eq!(
        completed["conservator_hours"],
        json!([{"name": "Nguyễn Văn lan", "hours": 6.5}, {"name": "Trần Thị Hoa", "hours": 3.0}])
    );
    let after = app.get(&format!("/api/v1/assessments/{}", completed["after_assessment_id"])).body;
    assert_eq!(
        (after["grade"].clone(), after["ph"].clone(), after["pages"].clone()),
        (json!(2), json!(6.8), json!("1-120"))
    );
    let shown = open(&app, &head, &format!("/treatments/{id}"));
    for said in [
        "Hoàn thành",
        "Nguyễn Văn truong",
        "Đồng ý",
        "Cấp 2 · hư hỏng nhẹ",
        "9,5 (Nguyễn Văn lan 6,5, Trần Thị Hoa 3,0)",
    ] {
        assert!(shown.contains(said), "{said}: {shown}");
    }
    assert!(!open(&app, &lan, "/treatments").contains("SNV 1/3"), "no page waits any more");

    // Cancelling asks why.
    let (_, to, _) = post_form(&app, &lan, "/treatments", &[("file", &file_id), ("type", "deacidification")]);
    let cancel = format!("{}/step", to.split('?').next().unwrap());
    let (status, _, refused) = post_form(&app, &lan, &cancel, &[("to", "cancelled")]);
    assert_eq!(status, 422);
    assert!(refused.contains("Hãy ghi lý do huỷ"), "{refused}");
    assert_eq!(post_form(&app, &lan, &cancel, &[("to", "cancelled"), ("note", "Đề xuất nhầm")]).0, 303);
}

#[test]
fn a_days_work_over_many_files_is_logged_at_once_or_each_row_says_what_is_wrong() {
    let app = TestApp::spawn();
    let f = surveyed_file(&app);
    let snv = app.get("/api/v1/fonds").items()[0]["id"].as_i64().unwrap();
    let other = file(&app, snv, 4, 80, json!({}));
    person(&app, "lan", Role::Conservator);
    let lan = signed_in(&app, "lan");
    let today = chrono::Utc::now().date_naive().to_string();
    let form = open(&app, &lan, "/treatments/day");
    assert!(
        form.contains(&format!("value=\"{today}\"")) && form.contains("value=\"Nguyễn Văn lan\" checked"),
        "{form}"
    );

    // Enter adds a row, keeping what was typed.
    let (status, _, added) =
        post_form(&app, &lan, "/treatments/day", &[("action", "add"), ("day", &today), ("r0.file", "SNV 1/3")]);
    assert_eq!(status, 200);
    assert!(added.contains("value=\"SNV 1/3\"") && added.contains("id=\"r1-file\""), "{added}");

    let mut rows = vec![
        ("action", "save"),
        ("day", today.as_str()),
        ("conservator", "Nguyễn Văn lan"),
        ("material", "do_paper"),
        ("material", "cmc"),
        ("r0.file", "SNV 1/3"),
        ("r0.pages", "1-120"),
        ("r0.type", "backing"),
        ("r0.grade", "2"),
        ("r0.hours", "4,5"),
        ("r1.file", "SNV 9/99"),
        ("r1.type", "backing"),
        ("r1.grade", "2"),
        ("r2.file", "snv 1/4"),
        ("r2.pages", "70-90"),
        ("r2.type", "mending"),
    ];
    let (status, _, refused) = post_form(&app, &lan, "/treatments/day", &rows);
    assert_eq!(status, 422);
    for expected in [
        "Không có hồ sơ “SNV 9/99”",
        "Khoảng “70-90” vượt quá số tờ của hồ sơ (80 tờ).",
        "Hãy chọn tình trạng sau tu bổ",
    ] {
        assert!(refused.contains(expected), "{expected}: {refused}");
    }
    assert_eq!(app.get("/api/v1/treatments").items().len(), 0, "no row logged");

    rows.retain(|(name, _)| !name.starts_with("r1.") && !name.starts_with("r2."));
    rows.extend([("r2.file", "snv 1/4"), ("r2.pages", ""), ("r2.type", "mending"), ("r2.grade", "1")]);
    let (status, to, _) = post_form(&app, &lan, "/treatments/day", &rows);
    assert_eq!((status, to.as_str()), (303, "/treatments?stage=waiting&logged=2"));
    assert!(open(&app, &lan, &to).contains("Đã ghi 2 lượt tu bổ đã hoàn thành."));
    let logged = app.get("/api/v1/treatments?status=completed");
    let mut logged: Vec<(i64, String, Value)> = logged
        .items()
        .iter()
        .map(|t| (t["file_id"].as_i64().unwrap(), t["pages"].as_str().unwrap().to_string(), t["materials"].clone()))
        .collect();
    logged.sort_by_key(|(file, _, _)| *file);
    assert_eq!(logged[0].0, f);
    assert_eq!((logged[1].0, logged[1].1.as_str()), (other, "1-80"), "empty pages: the whole file");
    assert_eq!(logged[0].2, json!([{"code": "do_paper", "detail": null}, {"code": "cmc", "detail": null}]));

    // A day to come is refused.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive().to_string();
    let future: Vec<(&str, &str)> = rows
        .iter()
        .map(|(name, value)| if *name == "day" { (*name, tomorrow.as_str()) } else { (*name, *value) })
        .collect();
    let (status, _, refused) = post_form(&app, &lan, "/treatments/day", &future);
    assert_eq!(status, 422);
    assert!(refused.contains("Hãy chọn ngày làm, không sau hôm nay."), "{refused}");
}
