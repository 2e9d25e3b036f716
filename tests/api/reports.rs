//! The activity report: its figures reconcile with the records they count.

use serde_json::{Value, json};

use crate::support::fixtures::{file, fonds, id, move_box, new_box, repository};
use crate::support::{TestApp, count_rows};

#[track_caller]
fn created(app: &TestApp, path: &str, body: Value) -> i64 {
    let answer = app.post(path, body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    id(&answer.body)
}

/// Two fonds, three files, surveys, treatments, movements and an audit with known figures.
fn records(app: &TestApp) -> (i64, i64) {
    let repo = repository(app);
    let snv = fonds(app, "SNV", "Phông Sở Nội vụ");
    let ub = fonds(app, "UB", "Phông UBND tỉnh");
    let a = file(app, snv, 1, 100, json!({}));
    let b = file(app, snv, 2, 40, json!({"numbering": "page"}));
    let c = file(app, ub, 1, 50, json!({}));
    created(
        app,
        "/api/v1/assessments",
        json!({"file_id": a, "grade": 3, "assessed_at": "2026-02-01T08:00:00Z",
        "damages": [{"type": "mould", "severity": 2, "pages": "1-10", "active": true},
                    {"type": "laminated", "severity": 1, "pages": "5-9"}]}),
    );
    created(app, "/api/v1/assessments", json!({"file_id": b, "grade": 2, "assessed_at": "2026-02-02T08:00:00Z"}));
    let wrong =
        created(app, "/api/v1/assessments", json!({"file_id": c, "grade": 4, "assessed_at": "2026-02-03T08:00:00Z"}));
    created(
        app,
        "/api/v1/assessments",
        json!({"file_id": c, "grade": 3, "assessed_at": "2026-02-04T08:00:00Z",
        "supersedes_id": wrong, "damages": [{"type": "insects", "severity": 1, "active": false}]}),
    );
    created(app, "/api/v1/assessments", json!({"file_id": c, "grade": 2, "assessed_at": "2025-06-01T08:00:00Z"}));
    let done = |file: i64, pages: &str, kind: &str, at: &str| {
        created(
            app,
            "/api/v1/treatments",
            json!({"file_id": file, "pages": pages, "type": kind, "status": "completed",
            "started_at": at, "completed_at": at, "after": {"grade": 1}}),
        )
    };
    done(a, "1-60", "backing", "2026-03-10T09:00:00Z");
    done(b, "1-40", "backing", "2026-04-01T09:00:00Z");
    done(c, "1-5", "mending", "2025-12-01T09:00:00Z");
    created(app, "/api/v1/treatments", json!({"file_id": c, "pages": "6-50", "type": "backing"}));

    let one = id(&new_box(app, "B-1", repo.shelves[0], json!({"fonds_id": snv})));
    let two = id(&new_box(app, "B-2", repo.shelves[1], json!({"fonds_id": ub})));
    assert_eq!(move_box(app, one, json!({"to_location_id": repo.lab, "reason": "conservation"})).status, 201);
    assert_eq!(move_box(app, two, json!({"to_location_id": repo.reading_room, "reason": "reading_room"})).status, 201);
    assert_eq!(move_box(app, two, json!({"reason": "return"})).status, 201);
    created(app, "/api/v1/audits", json!({"location_id": repo.shelves[1], "scanned": ["NOBODY-1"]}));
    (snv, ub)
}

#[test]
fn the_figures_reconcile_with_the_records() {
    let app = TestApp::spawn();
    let (snv, _) = records(&app);
    let today = chrono::Utc::now().date_naive();
    let report = app.get(&format!("/api/v1/reports/activity?from=2026-01-01&to={today}"));
    assert_eq!(report.status, 200, "{}", report.text);
    let r = &report.body;
    assert_eq!(r["period"], json!({"from": "2026-01-01", "to": today.to_string(), "fonds_id": null}));
    // Completed in the period: backing of 60 leaves and 40 pages; the 2025 mending and the
    // proposed backing are not counted.
    assert_eq!(
        r["treatments"]["by_type"],
        json!([{"type": "backing", "pages": 40, "leaves": 60, "files": 2, "hours": 0.0}])
    );
    assert_eq!(r["treatments"]["total"], json!({"pages": 40, "leaves": 60, "files": 2, "hours": 0.0}));
    // Surveys in the period with the corrected one replaced, plus the conditions after.
    assert_eq!(
        r["assessments"]["by_grade"],
        json!([
            {"grade": 1, "pages": 40, "leaves": 60},
            {"grade": 2, "pages": 40, "leaves": 0},
            {"grade": 3, "pages": 0, "leaves": 150}
        ])
    );
    assert_eq!(r["assessments"]["total"], json!({"pages": 80, "leaves": 210}));
    assert_eq!(r["assessments"]["files_with_active_pests"], 1);
    assert_eq!(r["assessments"]["laminated"], json!({"pages": 0, "leaves": 5}));
    assert_eq!(
        r["movements"],
        json!({"by_reason": [
            {"reason": "conservation", "moves": 1, "boxes": 1},
            {"reason": "reading_room", "moves": 1, "boxes": 1},
            {"reason": "return", "moves": 1, "boxes": 1}
        ], "total_moves": 3, "boxes_moved": 2})
    );
    assert_eq!(
        r["audits"],
        json!({"audits": 1, "reconciled": 0, "locations_audited": 1, "missing": 1, "unexpected": 0,
               "unknown": 1, "discrepancies": 2})
    );
    assert_eq!(
        r["stock"],
        json!({"boxes_out": [{"purpose": "conservation_lab", "boxes": 1}], "boxes_out_total": 1,
               "boxes_held": 2, "held_m": 0.25, "occupied_m": 0.125, "capacity_m": 6.0, "free_m": 5.875})
    );

    // One fonds: its own files and boxes; shelving and audits stay whole-repository figures.
    let snv_only = app.get(&format!("/api/v1/reports/activity?from=2026-01-01&to={today}&fonds_id={snv}")).body;
    assert_eq!(snv_only["assessments"]["total"], json!({"pages": 80, "leaves": 160}));
    assert_eq!(snv_only["movements"]["total_moves"], 1);
    assert_eq!(snv_only["stock"]["boxes_held"], 1);
    assert_eq!(snv_only["stock"]["occupied_m"], 0.125);

    // As at the end of January the boxes did not exist yet; the February surveys are outside.
    let january = app.get("/api/v1/reports/activity?from=2026-01-01&to=2026-01-31").body;
    assert_eq!(january["assessments"]["total"], json!({"pages": 0, "leaves": 0}));
    assert_eq!(january["stock"]["boxes_held"], 0);
    assert_eq!(january["stock"]["free_m"], 6.0);
    // 2025 alone: the mending, and the survey of June.
    let last_year = app.get("/api/v1/reports/activity?from=2025-01-01&to=2025-12-31").body;
    assert_eq!(
        last_year["treatments"]["by_type"],
        json!([{"type": "mending", "pages": 0, "leaves": 5, "files": 1, "hours": 0.0}])
    );
    assert_eq!(last_year["assessments"]["by_grade"][0]["grade"], 1);
}

/// The page units kept per day by triggers are what the records add up to: after corrections,
/// a completion through the workflow, a batch and a file's change of numbering; and a day ends
/// at midnight UTC.
#[test]
fn the_kept_day_figures_follow_the_records() {
    let app = TestApp::spawn();
    let (snv, _) = records(&app);
    let f = file(&app, snv, 3, 30, json!({}));
    created(&app, "/api/v1/assessments", json!({"file_id": f, "grade": 4, "assessed_at": "2026-05-31T23:59:59Z"}));
    created(
        &app,
        "/api/v1/assessments",
        json!({"file_id": f, "grade": 4, "pages": "1-10", "assessed_at": "2026-06-01T00:00:00Z"}),
    );
    let may = app.get("/api/v1/reports/activity?from=2026-05-01&to=2026-05-31").body;
    assert_eq!(may["assessments"]["total"], json!({"pages": 0, "leaves": 30}));
    let june = app.get("/api/v1/reports/activity?from=2026-06-01&to=2026-06-30").body;
    assert_eq!(june["assessments"]["total"], json!({"pages": 0, "leaves": 10}));

    // Backing proposed, approved, started and completed: 30 leaves, and their condition after.
    let backing = created(&app, "/api/v1/treatments", json!({"file_id": f, "type": "backing"}));
    for step in
        [json!({"to": "approved"}), json!({"to": "in_progress"}), json!({"to": "completed", "after": {"grade": 1}})]
    {
        let moved = app.post(&format!("/api/v1/treatments/{backing}/transitions"), step);
        assert_eq!(moved.status, 200, "{}", moved.text);
    }
    // A month's log in one batch: mending of 20 leaves, completed on 2 July.
    let batch = app.post(
        "/api/v1/treatments/batch",
        json!({"entries": [{"file_id": f, "pages": "1-20", "type": "mending", "status": "completed",
                            "completed_at": "2026-07-02T10:00:00Z", "after": {"grade": 2}}]}),
    );
    assert_eq!(batch.status, 201, "{}", batch.text);
    let figures = |treated: Value, assessed: Value| {
        let report = app.get("/api/v1/reports/activity?from=2026-01-01&to=2026-12-31").body;
        assert_eq!(report["treatments"]["by_type"], treated);
        assert_eq!(report["assessments"]["total"], assessed);
    };
    // Assessed: 80 pages and 210 leaves from the records above, then 40 + 30 + 20 leaves here.
    figures(
        json!([{"type": "backing", "pages": 40, "leaves": 90, "files": 3, "hours": 0.0},
               {"type": "mending", "pages": 0, "leaves": 20, "files": 1, "hours": 0.0}]),
        json!({"pages": 80, "leaves": 300}),
    );
    // The file counted in leaves becomes counted in pages: all its units follow.
    let etag = app.get(&format!("/api/v1/files/{f}")).header("etag").unwrap().to_string();
    assert_eq!(app.patch(&format!("/api/v1/files/{f}"), &etag, json!({"numbering": "page"})).status, 200);
    figures(
        json!([{"type": "backing", "pages": 70, "leaves": 60, "files": 3, "hours": 0.0},
               {"type": "mending", "pages": 20, "leaves": 0, "files": 1, "hours": 0.0}]),
        json!({"pages": 170, "leaves": 210}),
    );

    assert_kept_days_are_the_records_recounted(&app);
}

/// The kept days equal the records recounted from scratch.
#[track_caller]
pub fn assert_kept_days_are_the_records_recounted(app: &TestApp) {
    let recounted = "SELECT c.day, f.fonds_id, f.numbering, c.figure, c.item, sum(c.units)
                     FROM counted_activity c JOIN files f ON f.id = c.file_id GROUP BY 1, 2, 3, 4, 5";
    let kept = "SELECT day, fonds_id, numbering, figure, item, units FROM activity_days WHERE units <> 0";
    let differing = format!("(({kept} EXCEPT {recounted}) UNION ALL ({recounted} EXCEPT {kept})) d");
    assert_eq!(count_rows(app, &differing), 0);
    assert!(count_rows(app, "activity_days") > 0);
}

#[test]
fn the_report_comes_as_csv_too() {
    let app = TestApp::spawn();
    records(&app);
    let today = chrono::Utc::now().date_naive();
    let answer = app
        .request(reqwest::Method::GET, &format!("/api/v1/reports/activity?from=2026-01-01&to={today}"))
        .header("Accept", "text/csv")
        .send()
        .unwrap();
    assert_eq!(answer.headers()["content-type"], "text/csv; charset=utf-8");
    let text = answer.text().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "section,item,measure,value");
    for line in [
        "treatments,backing,leaves,60",
        "treatments,total,files,2",
        "assessments,grade 3,leaves,150",
        "assessments,laminated,leaves,5",
        "assessments,active mould or insects,files,1",
        "movements,return,moves,1",
        "audits,total,discrepancies,2",
        "stock,out: conservation_lab,boxes,1",
        "stock,free,linear metres,5.875",
    ] {
        assert!(lines.contains(&line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn bad_periods_are_refused() {
    let app = TestApp::spawn();
    let answer = app.get("/api/v1/reports/activity?from=2026-06-01&to=2026-01-01");
    assert!(
        answer.problem(422)["detail"].as_str().unwrap().contains("`from` must not be after `to`"),
        "{}",
        answer.text
    );
    assert_eq!(app.get("/api/v1/reports/activity?to=2026-02-30").invalid_fields(), ["to"]);
    assert_eq!(app.get("/api/v1/reports/activity?from=yesterday").invalid_fields(), ["from"]);
    assert_eq!(app.get("/api/v1/reports/activity?fonds_id=999").invalid_fields(), ["fonds_id"]);
    // Defaults: this year up to today.
    let defaults = app.get("/api/v1/reports/activity");
    assert_eq!(defaults.status, 200);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(defaults.body["period"]["to"], today.to_string());
    assert!(defaults.body["period"]["from"].as_str().unwrap().ends_with("-01-01"));
}

#[test]
fn the_demo_archive_loads_once_and_reports_its_year() {
    let app = TestApp::spawn();
    let loaded = paperkeep::demo::load(&mut app.db()).expect("the demo loads");
    assert!(paperkeep::demo::load(&mut app.db()).is_err(), "a second load is refused");
    let year = loaded.year;
    let report = app.get(&format!("/api/v1/reports/activity?from={year}-01-01&to={year}-12-31")).body;
    let surveyed: i64 =
        report["assessments"]["by_grade"].as_array().unwrap().iter().map(|g| g["leaves"].as_i64().unwrap()).sum();
    assert_eq!(report["assessments"]["total"]["leaves"], surveyed);
    let backed = &report["treatments"]["by_type"][0];
    assert_eq!(backed["type"], "backing");
    let leaves = backed["leaves"].as_i64().unwrap();
    assert!((3_000..5_000).contains(&leaves), "about the 4,000 leaves of a provincial centre's year: {leaves}");
    assert_eq!(report["stock"]["boxes_held"], loaded.boxes as i64);
    // Its staff, one per role people have, sign in with the password it gave.
    assert_eq!(loaded.people.len(), 6);
    let mut conn = app.db();
    for (username, role) in &loaded.people {
        let person = paperkeep::people::repo::verify(&mut conn, username, &loaded.password).unwrap();
        assert_eq!(person.map(|p| p.role), Some(*role), "{username}");
    }
    // Three in the lab, two in the reading room, one being digitized, and one just delivered.
    assert_eq!(report["stock"]["boxes_out_total"], 7);
    // Whatever is not yet done waits in the queue.
    let queue = app.get("/api/v1/conservation/queue?type=backing");
    assert!(!queue.items().is_empty());

    // Its reading room: over 80 visits in nine months, requests served in working hours, and
    // today's work under way.
    let nine_months = app.get(&format!("/api/v1/reports/activity?from={year}-01-01&to={year}-09-30")).body;
    let room = &nine_months["reading_room"];
    if chrono::Utc::now().date_naive() > chrono::NaiveDate::from_ymd_opt(year, 10, 1).unwrap() {
        assert!(room["user_days"].as_i64().unwrap() > 80, "{room}");
    }
    let room = &report["reading_room"];
    assert!(room["requests"]["filled"].as_i64().unwrap() > 80, "{room}");
    assert!(room["checkouts"].as_i64().unwrap() > 80 && room["boxes_pulled"].as_i64().unwrap() > 80, "{room}");
    assert!(room["requests"]["copies"].as_i64().unwrap() > 0 && room["requests"]["fees"].as_i64().unwrap() > 0);
    let read = room["time_to_deliver"].as_array().unwrap().iter().find(|t| t["kind"] == "read").unwrap().clone();
    let median = read["median_hours"].as_f64().unwrap();
    assert!((0.5..2.0).contains(&median), "delivered within the visit: {read}");
    assert_eq!(read["share_within_deadline"], 1.0);
    assert_eq!(app.get("/api/v1/handovers?open=true").items().len(), 1, "a file in a reader's hands");
    let pulls = app.get("/api/v1/pull-list").body;
    assert_eq!(pulls["boxes"].as_array().unwrap().len(), 2, "two requests wait: {pulls}");
}
