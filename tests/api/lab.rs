//! The lab's planning and accounts: the queue with boxes, priorities and stages; materials and
//! hours totalled by the report; assessments withdrawn.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{file, fonds, id, move_box, new_box, repository};
use crate::support::{Answer, TestApp};

fn as_role(app: &TestApp, role: &str, path: &str, body: Value) -> Answer {
    app.request_as(Some(&app.key(role)), Method::POST, path).json(&body).send().into()
}

fn queue(app: &TestApp, query: &str) -> Vec<Value> {
    let answer = app.get(&format!("/api/v1/conservation/queue{query}"));
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.items().clone()
}

#[test]
fn the_queue_says_where_each_box_is_and_puts_urgent_work_first_at_each_stage() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let ba = id(&new_box(&app, "SNV-A", repo.shelves[0], json!({})));
    let a = file(&app, snv, 1, 50, json!({"box_id": ba}));
    let b = file(&app, snv, 2, 80, json!({}));
    app.post("/api/v1/assessments", json!({"file_id": a, "grade": 3, "recommended_treatments": ["backing"]}));
    app.post("/api/v1/assessments", json!({"file_id": b, "grade": 4}));
    let files = |entries: &[Value]| entries.iter().map(|e| e["file_id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(files(&queue(&app, "")), [b, a], "no proposal: normal priority, the worse grade first");

    let t = app
        .post("/api/v1/treatments", json!({"file_id": a, "type": "backing", "priority": 1, "due_date": "2099-01-31"}));
    assert_eq!(t.status, 201, "{}", t.text);
    assert_eq!((t.body["priority"].as_i64(), t.body["due_date"].as_str()), (Some(1), Some("2099-01-31")));
    let entries = queue(&app, "");
    assert_eq!(files(&entries), [a, b], "an urgent proposal goes first");
    let first = &entries[0];
    assert_eq!((first["priority"].as_i64(), first["due_date"].as_str()), (Some(1), Some("2099-01-31")));
    assert_eq!(
        (first["box_barcode"].as_str(), first["box_path_code"].as_str()),
        (Some("SNV-A"), Some("K1-P02-G05-1-1"))
    );
    assert_eq!((first["in_lab"].as_bool(), first["treatments"][0]["status"].as_str()), (Some(false), Some("proposed")));
    assert_eq!(entries[1]["priority"], 2);
    move_box(&app, ba, json!({"to_location_id": repo.lab, "reason": "conservation"}));
    assert_eq!(queue(&app, "")[0]["in_lab"], true, "where the box stands now");

    // Approved and not started, then in progress: the work at each stage.
    let treatment = id(&t.body);
    assert!(queue(&app, "?stage=approved").is_empty());
    let approved = as_role(
        &app,
        "head_conservator",
        &format!("/api/v1/treatments/{treatment}/transitions"),
        json!({"to": "approved", "priority": 2}),
    );
    assert_eq!((approved.status, approved.body["priority"].as_i64()), (200, Some(2)), "{}", approved.text);
    let waiting = queue(&app, "?stage=approved");
    assert_eq!(files(&waiting), [a]);
    assert_eq!((waiting[0]["pages_waiting"].as_str(), waiting[0]["worst_grade"].as_i64()), (Some("1-50"), Some(3)));
    assert!(queue(&app, "?stage=in_progress").is_empty());
    app.post(&format!("/api/v1/treatments/{treatment}/transitions"), json!({"to": "in_progress"}));
    assert_eq!(files(&queue(&app, "?stage=in_progress")), [a]);
    assert!(queue(&app, "?stage=approved&type=backing").is_empty());
    assert_eq!(app.get("/api/v1/conservation/queue?stage=done").invalid_fields(), ["stage"]);
}

#[test]
fn the_report_totals_materials_by_unit_and_hours_by_type() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let f = file(&app, snv, 1, 100, json!({}));
    let log = |pages: &str, kind: &str, extra: Value| {
        let mut body = json!({"file_id": f, "pages": pages, "type": kind, "status": "completed",
                              "after": {"grade": 2}, "conservators": ["Lan", "Minh"]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let answer = app.post("/api/v1/treatments", body);
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body
    };
    let first = log(
        "1-10",
        "backing",
        json!({"materials": [{"code": "do_paper", "quantity": 2.5, "unit": "m²"}, {"code": "cmc", "quantity": 100, "unit": "g"}],
               "conservator_hours": [{"name": "Lan", "hours": 1.5}, {"name": "Minh", "hours": 1.5}]}),
    );
    assert_eq!(first["hours"], 3.0, "the conservators' hours added up");
    log("11-20", "backing", json!({"materials": [{"code": "do_paper", "quantity": 1, "unit": "m²"}], "hours": 2}));
    log("21-30", "mending", json!({"materials": [{"code": "wheat_starch", "detail": "loãng"}]}));
    let report = app.get("/api/v1/reports/activity").body;
    let by_type = &report["treatments"]["by_type"];
    assert_eq!((by_type[0]["type"].as_str(), by_type[0]["hours"].as_f64()), (Some("backing"), Some(5.0)));
    assert_eq!(by_type[1]["hours"], 0.0, "no hours recorded");
    assert_eq!(report["treatments"]["total"]["hours"], 5.0);
    assert_eq!(
        report["treatments"]["materials"],
        json!([{"code": "cmc", "unit": "g", "quantity": 100.0, "treatments": 1},
               {"code": "do_paper", "unit": "m²", "quantity": 3.5, "treatments": 2}]),
        "materials without a quantity are not totalled"
    );
    let csv = app.request(Method::GET, "/api/v1/reports/activity").header("Accept", "text/csv").send().unwrap();
    let csv = csv.text().unwrap();
    for row in ["treatments,backing,hours,5", "materials,do_paper,m²,3.5", "materials,cmc,treatments,1"] {
        assert!(csv.lines().any(|line| line == row), "{row} in\n{csv}");
    }
}

#[test]
fn quantities_hours_priorities_and_due_dates_are_checked() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let f = file(&app, snv, 1, 100, json!({}));
    let refused = |extra: Value| {
        let mut body = json!({"file_id": f, "type": "backing", "conservators": ["Lan"]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        app.post("/api/v1/treatments", body).invalid_fields()
    };
    let done = |extra: Value| {
        let mut merged = json!({"status": "completed", "after": {"grade": 2}});
        merged.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        merged
    };
    let material =
        |quantity: Value, unit: Value| json!({"materials": [{"code": "cmc", "quantity": quantity, "unit": unit}]});
    assert_eq!(refused(material(json!(-1), json!("g"))), ["materials[0].quantity"]);
    assert_eq!(refused(material(json!(0), json!("g"))), ["materials[0].quantity"], "zero with a unit");
    assert_eq!(refused(material(json!(null), json!("g"))), ["materials[0].quantity"], "a unit without a quantity");
    assert_eq!(refused(material(json!(5), json!(null))), ["materials[0].unit"], "a quantity without a unit");
    assert_eq!(refused(material(json!(5), json!("kg"))), ["materials[0].unit"], "an unknown unit");
    assert_eq!(refused(done(json!({"hours": -1}))), ["hours"]);
    assert_eq!(refused(done(json!({"hours": 10_001}))), ["hours"]);
    assert_eq!(
        refused(done(json!({"conservator_hours": [{"name": "Minh", "hours": 2}]}))),
        ["conservator_hours[0].name"]
    );
    assert_eq!(refused(done(json!({"hours": 5, "conservator_hours": [{"name": "Lan", "hours": 2}]}))), ["hours"]);
    assert_eq!(refused(json!({"hours": 3})), ["hours"], "no time is spent on a proposal");
    for priority in [0, 4] {
        assert_eq!(refused(json!({"priority": priority})), ["priority"]);
    }
    let three_days_ago = (chrono::Utc::now() - chrono::Duration::days(3)).date_naive();
    assert_eq!(refused(json!({"due_date": three_days_ago})), ["due_date"], "due before the proposal");
    assert_eq!(refused(done(json!({"due_date": "2099-01-01"}))), ["due_date"], "work done is not due");

    let t = id(&app.post("/api/v1/treatments", json!({"file_id": f, "type": "backing", "conservators": ["Lan"]})).body);
    let transition = |body: Value| app.post(&format!("/api/v1/treatments/{t}/transitions"), body).invalid_fields();
    assert_eq!(transition(json!({"to": "approved", "hours": 2})), ["hours"]);
    assert_eq!(transition(json!({"to": "approved", "materials": []})), ["materials"]);
    assert_eq!(transition(json!({"to": "cancelled", "priority": 1})), ["priority"]);
    assert_eq!(transition(json!({"to": "approved", "due_date": three_days_ago})), ["due_date"]);
    app.post(&format!("/api/v1/treatments/{t}/transitions"), json!({"to": "approved"}));
    app.post(&format!("/api/v1/treatments/{t}/transitions"), json!({"to": "in_progress"}));
    let wrong_name =
        json!({"to": "completed", "after": {"grade": 2}, "conservator_hours": [{"name": "Minh", "hours": 1}]});
    assert_eq!(transition(wrong_name), ["conservator_hours[0].name"]);
    let unknown = json!({"to": "completed", "after": {"grade": 2}, "materials": [{"code": "gold_leaf"}]});
    assert_eq!(transition(unknown), ["materials[0].code"]);
    let completed = app.post(
        &format!("/api/v1/treatments/{t}/transitions"),
        json!({"to": "completed", "after": {"grade": 2}, "hours": 4.5,
               "materials": [{"code": "cmc", "quantity": 50, "unit": "ml"}]}),
    );
    assert_eq!(completed.status, 200, "{}", completed.text);
    assert_eq!(
        (completed.body["hours"].as_f64(), completed.body["materials"][0]["unit"].as_str()),
        (Some(4.5), Some("ml"))
    );
}

#[test]
fn a_withdrawn_assessment_stays_in_the_history_and_counts_nowhere() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let f = file(&app, snv, 1, 100, json!({}));
    let survey =
        app.post("/api/v1/assessments", json!({"file_id": f, "grade": 3, "recommended_treatments": ["backing"]}));
    let s = id(&survey.body);
    let assessed = || app.get("/api/v1/reports/activity").body["assessments"]["total"]["leaves"].as_i64().unwrap();
    assert_eq!((queue(&app, "").len(), assessed()), (1, 100));

    let path = format!("/api/v1/assessments/{s}/withdrawal");
    assert_eq!(as_role(&app, "conservator", &path, json!({"reason": "Ghi nhầm"})).status, 403);
    assert_eq!(as_role(&app, "head_conservator", &path, json!({})).invalid_fields(), ["reason"]);
    assert_eq!(as_role(&app, "head_conservator", &path, json!({"reason": " "})).invalid_fields(), ["reason"]);
    let withdrawn = as_role(&app, "head_conservator", &path, json!({"reason": "Ghi nhầm hồ sơ"}));
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    assert_eq!(withdrawn.body["withdrawal_reason"], "Ghi nhầm hồ sơ");
    assert!(withdrawn.body["withdrawn_at"].is_string() && withdrawn.body["withdrawn_by"].is_i64());
    assert_eq!(as_role(&app, "head_conservator", &path, json!({"reason": "Lần nữa"})).status, 409, "once");
    assert_eq!(app.post("/api/v1/assessments/999999/withdrawal", json!({"reason": "?"})).status, 404);

    assert!(queue(&app, "").is_empty(), "the queue forgets it");
    assert_eq!(assessed(), 0, "the report forgets it");
    let conservation = app.get(&format!("/api/v1/files/{f}")).body["conservation"].clone();
    assert_eq!(conservation["pages_never_assessed"], 100);
    let page = app.get(&format!("/api/v1/files/{f}/pages/7")).body;
    assert_eq!((page["current_grade"].clone(), page["events"][0]["assessment"]["id"].as_i64()), (Value::Null, Some(s)));
    assert!(page["events"][0]["assessment"]["withdrawn_at"].is_string(), "kept in the history, marked");
    let correction = app.post("/api/v1/assessments", json!({"file_id": f, "grade": 2, "supersedes_id": s}));
    assert!(correction.problem(409)["detail"].as_str().unwrap().contains("withdrawn"));

    // Withdrawing a correction: what it corrected counts again.
    let original = id(&app.post("/api/v1/assessments", json!({"file_id": f, "pages": "1-40", "grade": 4})).body);
    let corrected = id(&app
        .post("/api/v1/assessments", json!({"file_id": f, "pages": "1-40", "grade": 2, "supersedes_id": original}))
        .body);
    assert_eq!(
        (app.get(&format!("/api/v1/files/{f}/pages/7")).body["current_grade"].as_i64(), assessed()),
        (Some(2), 40)
    );
    as_role(&app, "admin", &format!("/api/v1/assessments/{corrected}/withdrawal"), json!({"reason": "Sửa nhầm"}));
    assert_eq!(
        (app.get(&format!("/api/v1/files/{f}/pages/7")).body["current_grade"].as_i64(), assessed()),
        (Some(4), 40)
    );
    assert_eq!(app.get(&format!("/api/v1/assessments/{original}")).body["superseded_by"], Value::Null);
    crate::reports::assert_kept_days_are_the_records_recounted(&app);
}
