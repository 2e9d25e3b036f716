//! Page-level conservation: vocabularies, assessments, treatments and their workflow, batches,
//! page history and the queue.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{file, fonds};
use crate::support::{Answer, TestApp, count_rows};

/// A fonds with a 300-page file; returns (fonds, file).
fn holding(app: &TestApp) -> (i64, i64) {
    let snv = fonds(app, "SNV", "Phông Sở Nội vụ");
    (snv, file(app, snv, 37, 300, json!({})))
}

fn assess(app: &TestApp, body: Value) -> Answer {
    app.post("/api/v1/assessments", body)
}

fn summary(app: &TestApp, file: i64) -> Value {
    app.get(&format!("/api/v1/files/{file}")).body["conservation"].clone()
}

fn step(app: &TestApp, key: &str, treatment: i64, body: Value) -> Answer {
    app.request_as(Some(key), Method::POST, &format!("/api/v1/treatments/{treatment}/transitions"))
        .json(&body)
        .send()
        .into()
}

#[test]
fn vocabularies_carry_vietnamese_and_english_labels() {
    let app = TestApp::spawn();
    let all = app.get("/api/v1/vocabularies");
    assert_eq!(
        all.strings("name"),
        ["condition_grade", "damage_type", "treatment_type", "material", "movement_reason"]
    );
    let grades = app.get("/api/v1/vocabularies/condition_grade");
    let labels: Vec<(&str, &str)> = grades.body["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["label_vi"].as_str().unwrap(), t["label_en"].as_str().unwrap()))
        .collect();
    assert_eq!(
        labels,
        [("tốt", "good"), ("hư hỏng nhẹ", "fair"), ("hư hỏng nặng", "poor"), ("không sử dụng được", "unusable")]
    );
    assert_eq!(grades.body["extensible"], false);
    let treatments = app.get("/api/v1/vocabularies/treatment_type");
    assert_eq!(treatments.body["terms"][0]["label_vi"], "bồi nền");
    let materials = app.get("/api/v1/vocabularies/material");
    assert_eq!(materials.body["terms"][0]["category"], "lining_paper");
    app.get("/api/v1/vocabularies/colours").problem(404);
}

#[test]
fn admin_adds_and_retires_terms_that_are_never_deleted() {
    let app = TestApp::spawn();
    let (_, f) = holding(&app);
    let added = app.post(
        "/api/v1/vocabularies/damage_type/terms",
        json!({"code": "fire", "label_vi": "cháy", "label_en": "fire damage"}),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    let used = assess(&app, json!({"file_id": f, "grade": 3, "damages": [{"type": "fire", "severity": 2}]}));
    assert_eq!(used.status, 201, "{}", used.text);
    let retired = app.patch("/api/v1/vocabularies/damage_type/terms/fire", "\"1\"", json!({"retired": true}));
    assert!(retired.body["retired_at"].is_string(), "{}", retired.text);
    let refused = assess(&app, json!({"file_id": f, "grade": 3, "damages": [{"type": "fire", "severity": 2}]}));
    assert_eq!(refused.invalid_fields(), ["damages[0].type"]);
    let kept = app.get(&format!("/api/v1/assessments/{}", used.body["id"]));
    assert_eq!(kept.body["damages"][0]["type"], "fire", "records keep a retired term");
    assert!(app.get("/api/v1/vocabularies/damage_type").text.contains("\"fire\""), "a retired term is still listed");

    app.post("/api/v1/vocabularies/damage_type/terms", json!({"code": "fire", "label_vi": "x", "label_en": "x"}))
        .problem(409);
    app.post("/api/v1/vocabularies/condition_grade/terms", json!({"code": "5", "label_vi": "x", "label_en": "x"}))
        .problem(409);
    assert_eq!(
        app.post(
            "/api/v1/vocabularies/material/terms",
            json!({"code": "Bad Code", "label_vi": "", "label_en": "x", "category": "glue"})
        )
        .invalid_fields(),
        ["category", "code", "label_vi"]
    );
    let conservator = app.key("head_conservator");
    let answer: Answer = app
        .request_as(Some(&conservator), Method::POST, "/api/v1/vocabularies/material/terms")
        .json(&json!({"code": "x", "label_vi": "x", "label_en": "x"}))
        .send()
        .into();
    answer.problem(403);
}

#[test]
fn page_sets_are_normalised_and_each_bad_part_is_named() {
    let app = TestApp::spawn();
    let (_, f) = holding(&app);
    let recorded = assess(&app, json!({"file_id": f, "pages": "302-310, 1 - 250, 300, 5-9", "grade": 2}));
    let detail = recorded.problem(422)["errors"][0]["message"].as_str().unwrap().to_string();
    assert!(detail.contains("`302-310`: the file has 300 pages"), "{detail}");
    let recorded = assess(&app, json!({"file_id": f, "pages": "200-250, 1 - 150, 300, 140-160", "grade": 2}));
    assert_eq!(recorded.status, 201, "{}", recorded.text);
    assert_eq!(recorded.body["pages"], "1-160, 200-250, 300", "overlapping parts are merged");
    assert_eq!(recorded.body["page_count"], 212);
    let listed = assess(&app, json!({"file_id": f, "pages": [[10, 20], 5, [19, 30]], "grade": 1}));
    assert_eq!(listed.body["pages"], "5, 10-30");
    let whole = assess(&app, json!({"file_id": f, "grade": 1}));
    assert_eq!((whole.body["pages"].as_str(), whole.body["page_count"].as_i64()), (Some("1-300"), Some(300)));
    for (pages, says) in [
        (json!("0"), "pages are numbered from 1"),
        (json!("301"), "the file has 300 pages"),
        (json!("50-10"), "reversed"),
        (json!("1-a"), "`1-a` is not a page"),
        (json!("--"), "`--` is not a page"),
        (json!(""), "is empty"),
        (json!("1-1000000000"), "the file has 300 pages"),
        (json!([[0, 3]]), "numbered from 1"),
        (json!({"from": 1}), "did not match any variant"),
    ] {
        let answer = assess(&app, json!({"file_id": f, "pages": pages, "grade": 2}));
        let problem = answer.problem(422);
        assert_eq!(problem["errors"][0]["field"], "pages", "{pages}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains(says), "{pages}: {}", answer.text);
    }
}

#[test]
fn assessment_values_are_checked() {
    let app = TestApp::spawn();
    let (_, f) = holding(&app);
    for (body, field) in [
        (json!({"file_id": f, "grade": 0}), "grade"),
        (json!({"file_id": f, "grade": 5}), "grade"),
        (json!({"file_id": f, "grade": 3, "ph": 14.5}), "ph"),
        (json!({"file_id": f, "grade": 3, "ph": -1}), "ph"),
        (json!({"file_id": f, "grade": 3, "extent_pct": 101}), "extent_pct"),
        (json!({"file_id": f, "grade": 3, "damages": [{"type": "torn", "severity": 4}]}), "damages[0].severity"),
        (json!({"file_id": f, "grade": 3, "damages": [{"type": "sunburn", "severity": 1}]}), "damages[0].type"),
        (
            json!({"file_id": f, "grade": 3, "pages": "1-10", "damages": [{"type": "torn", "severity": 1, "pages": "5-12"}]}),
            "damages[0].pages",
        ),
        (json!({"file_id": f, "grade": 3, "recommended_treatments": ["ironing"]}), "recommended_treatments[0]"),
        (json!({"file_id": f, "grade": 3, "assessed_at": "2999-01-01T00:00:00Z"}), "assessed_at"),
        (json!({"file_id": 987_654, "grade": 3}), "file_id"),
        (json!({"file_id": f, "grade": 3, "supersedes_id": 987_654}), "supersedes_id"),
    ] {
        assert_eq!(assess(&app, body.clone()).invalid_fields(), [field], "{body}");
    }
    assert_eq!(count_rows(&app, "assessments"), 0, "nothing half-written");
    let storage = app.key("storage_manager");
    let answer: Answer = app
        .request_as(Some(&storage), Method::POST, "/api/v1/assessments")
        .json(&json!({"file_id": f, "grade": 2}))
        .send()
        .into();
    answer.problem(403);
}

#[test]
fn a_correction_supersedes_and_the_latest_assessment_is_the_current_condition() {
    let app = TestApp::spawn();
    let (snv, f) = holding(&app);
    let first = assess(
        &app,
        json!({"file_id": f, "pages": "1-100", "grade": 3, "assessed_at": "2026-03-01T08:00:00Z",
        "damages": [{"type": "mould", "severity": 2, "pages": "10-20", "active": true}], "ph": 4.8, "extent_pct": 40,
        "recommended_treatments": ["backing", "disinfection"], "notes": "giấy giòn"}),
    );
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["damages"][0], json!({"type": "mould", "severity": 2, "pages": "10-20", "active": true}));
    let first_id = first.body["id"].as_i64().unwrap();
    assess(&app, json!({"file_id": f, "pages": "50-150", "grade": 4, "assessed_at": "2026-04-01T08:00:00Z"}));
    let s = summary(&app, f);
    assert_eq!(s["pages_by_grade"], json!({"1": 0, "2": 0, "3": 49, "4": 101}));
    assert_eq!(s["pages_never_assessed"], 150);

    // The first survey was wrong about pages 1-100: a correction replaces it.
    let correction = assess(
        &app,
        json!({"file_id": f, "pages": "1-100", "grade": 2, "supersedes_id": first_id,
                                         "assessed_at": "2026-03-01T08:00:00Z"}),
    );
    assert_eq!(correction.status, 201, "{}", correction.text);
    assert_eq!(app.get(&format!("/api/v1/assessments/{first_id}")).body["superseded_by"], correction.body["id"]);
    assert_eq!(summary(&app, f)["pages_by_grade"], json!({"1": 0, "2": 49, "3": 0, "4": 101}));
    assess(&app, json!({"file_id": f, "grade": 2, "supersedes_id": first_id})).problem(409);
    let other = file(&app, snv, 38, 10, json!({}));
    assert_eq!(
        assess(&app, json!({"file_id": other, "grade": 2, "supersedes_id": first_id})).invalid_fields(),
        ["supersedes_id"]
    );

    let listed = app.get(&format!("/api/v1/assessments?file_id={f}&grade=4"));
    assert_eq!(listed.items().len(), 1);
    let in_march = app.get("/api/v1/assessments?from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z");
    assert_eq!(in_march.items().len(), 2, "{}", in_march.text);
    assert_eq!(app.get(&format!("/api/v1/assessments?fonds_id={snv}")).items().len(), 3);
    let updated = diesel::RunQueryDsl::execute(diesel::sql_query("UPDATE assessments SET grade = 1"), &mut app.db());
    assert!(updated.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn a_treatment_is_proposed_approved_started_and_completed_with_the_condition_after() {
    let app = TestApp::spawn();
    let (_, f) = holding(&app);
    let before =
        assess(&app, json!({"file_id": f, "pages": "1-250", "grade": 3, "recommended_treatments": ["backing"]}));
    let conservator = app.key("conservator");
    let head = app.key("head_conservator");
    let proposed: Answer = app
        .request_as(Some(&conservator), Method::POST, "/api/v1/treatments")
        .json(&json!({"file_id": f, "pages": "1-250", "type": "backing", "method": "manual",
                      "materials": [{"code": "do_paper", "detail": "9 g/m²"}, {"code": "cmc", "detail": "CMC 3 %"}],
                      "conservators": ["Nguyễn Thị Lan"], "reversible": true, "before_assessment_id": before.body["id"]}))
        .send()
        .into();
    assert_eq!(proposed.status, 201, "{}", proposed.text);
    assert_eq!(proposed.body["status"], "proposed");
    assert_eq!(proposed.body["materials"][1], json!({"code": "cmc", "detail": "CMC 3 %"}));
    assert_eq!(proposed.body["transitions"][0]["to_status"], "proposed");
    let t = proposed.body["id"].as_i64().unwrap();

    step(&app, &conservator, t, json!({"to": "approved"})).problem(403);
    step(&app, &head, t, json!({"to": "in_progress"})).problem(409);
    let approved = step(&app, &head, t, json!({"to": "approved", "note": "đồng ý"}));
    assert_eq!((approved.body["status"].as_str(), approved.body["approved_by"].as_i64()), (Some("approved"), Some(3)));
    let started = step(&app, &conservator, t, json!({"to": "in_progress"}));
    assert!(started.body["started_at"].is_string());
    assert_eq!(step(&app, &conservator, t, json!({"to": "completed"})).invalid_fields(), ["after"]);
    assert_eq!(
        step(&app, &conservator, t, json!({"to": "completed", "after": {"grade": 7}})).invalid_fields(),
        ["after.grade"]
    );
    let done = step(&app, &conservator, t, json!({"to": "completed", "after": {"grade": 2, "notes": "đã bồi nền"}}));
    assert_eq!(done.status, 200, "{}", done.text);
    assert!(done.body["completed_at"].is_string());
    let steps: Vec<&str> =
        done.body["transitions"].as_array().unwrap().iter().map(|s| s["to_status"].as_str().unwrap()).collect();
    assert_eq!(steps, ["proposed", "approved", "in_progress", "completed"]);
    let after = app.get(&format!("/api/v1/assessments/{}", done.body["after_assessment_id"]));
    assert_eq!((after.body["grade"].as_i64(), after.body["pages"].as_str()), (Some(2), Some("1-250")));
    assert_eq!(after.body["treatment_id"], t);

    let s = summary(&app, f);
    assert_eq!(s["pages_by_grade"]["2"], 250);
    assert_eq!(s["pages_treated_by_type"], json!({"backing": 250}));
    assert_eq!(s["pages_waiting_count"], 0);
    step(&app, &head, t, json!({"to": "cancelled"})).problem(409);
    step(&app, &head, t, json!({"to": "in_progress"})).problem(409);
    step(&app, &head, 424_242, json!({"to": "approved"})).problem(404);
}

#[test]
fn a_page_is_in_at_most_one_open_treatment_of_a_type() {
    let app = TestApp::spawn();
    let (_, f) = holding(&app);
    let first = app.post("/api/v1/treatments", json!({"file_id": f, "pages": "1-100", "type": "backing"}));
    assert_eq!(first.status, 201, "{}", first.text);
    let clash = app.post("/api/v1/treatments", json!({"file_id": f, "pages": "90-120, 150", "type": "backing"}));
    assert!(clash.problem(409)["detail"].as_str().unwrap().contains("pages 90-100"), "{}", clash.text);
    assert_eq!(app.post("/api/v1/treatments", json!({"file_id": f, "pages": "90-120", "type": "mending"})).status, 201);
    assert_eq!(
        app.post("/api/v1/treatments", json!({"file_id": f, "pages": "101-120", "type": "backing"})).status,
        201
    );
    let cancelled =
        app.post(&format!("/api/v1/treatments/{}/transitions", first.body["id"]), json!({"to": "cancelled"}));
    assert_eq!(cancelled.body["status"], "cancelled");
    for to in ["approved", "in_progress", "cancelled", "proposed"] {
        app.post(&format!("/api/v1/treatments/{}/transitions", first.body["id"]), json!({"to": to})).problem(409);
    }
    assert_eq!(app.post("/api/v1/treatments", json!({"file_id": f, "pages": "1-100", "type": "backing"})).status, 201);

    // The database holds the line under concurrency too.
    let direct = diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO treatments (file_id, pages, page_count, type, status, created_by, updated_by) \
             VALUES ({f}, '{{[50,60)}}', 10, 'backing', 'proposed', 1, 1)"
        )),
        &mut app.db(),
    );
    assert!(direct.unwrap_err().to_string().contains("treatments_one_open_per_page"));
}

#[test]
fn work_already_done_is_logged_as_completed() {
    let app = TestApp::spawn();
    let (_, f) = holding(&app);
    let logged = app.post(
        "/api/v1/treatments",
        json!({"file_id": f, "pages": "1-40", "type": "backing", "status": "completed", "started_at": "2026-09-10T07:00:00Z",
               "completed_at": "2026-09-12T16:00:00Z", "after": {"grade": 2}}),
    );
    assert_eq!(logged.status, 201, "{}", logged.text);
    assert_eq!(logged.body["completed_at"], "2026-09-12T16:00:00Z");
    let after = app.get(&format!("/api/v1/assessments/{}", logged.body["after_assessment_id"]));
    assert_eq!(after.body["assessed_at"], "2026-09-12T16:00:00Z");
    let post = |body: Value| app.post("/api/v1/treatments", body);
    assert_eq!(post(json!({"file_id": f, "type": "backing", "status": "completed"})).invalid_fields(), ["after"]);
    assert_eq!(post(json!({"file_id": f, "type": "backing", "status": "approved"})).invalid_fields(), ["status"]);
    assert_eq!(post(json!({"file_id": f, "type": "backing", "after": {"grade": 2}})).invalid_fields(), ["after"]);
    assert_eq!(
        post(json!({"file_id": f, "type": "ironing", "materials": [{"code": "glue"}], "method": "robot"}))
            .invalid_fields(),
        ["method"]
    );
    assert_eq!(
        post(json!({"file_id": f, "type": "ironing", "materials": [{"code": "glue"}]})).invalid_fields(),
        ["materials[0].code", "type"]
    );
    assert_eq!(post(json!({"file_id": 987_654, "type": "backing"})).invalid_fields(), ["file_id"]);
    assert_eq!(
        post(json!({"file_id": f, "type": "backing", "status": "completed", "after": {"grade": 2},
                    "started_at": "2026-09-12T00:00:00Z", "completed_at": "2026-09-10T00:00:00Z"}))
        .invalid_fields(),
        ["completed_at"]
    );
    let listed = app.get(&format!(
        "/api/v1/treatments?file_id={f}&type=backing&status=completed&from=2026-09-01T00:00:00Z&to=2026-10-01T00:00:00Z"
    ));
    assert_eq!(listed.items().len(), 1, "{}", listed.text);
    assert!(app.get("/api/v1/treatments?from=2026-10-01T00:00:00Z&status=completed").items().is_empty());
}

#[test]
fn a_month_of_backing_is_logged_in_one_batch_or_not_at_all() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let files: Vec<i64> = (1..=40).map(|n| file(&app, snv, n, 100, json!({}))).collect();
    let entry = |f: i64| {
        json!({"file_id": f, "type": "backing", "status": "completed", "completed_at": "2026-09-30T10:00:00Z",
               "materials": [{"code": "do_paper"}], "after": {"grade": 2}})
    };
    let logged =
        app.post("/api/v1/treatments/batch", json!({"entries": files.iter().map(|f| entry(*f)).collect::<Vec<_>>()}));
    assert_eq!(logged.status, 201, "{}", logged.text);
    assert_eq!(logged.body["logged"], 40);
    assert_eq!(count_rows(&app, "treatments"), 40);
    assert_eq!(summary(&app, files[7])["pages_treated_by_type"]["backing"], 100);

    // One bad entry among many: nothing is written, and every bad entry is named.
    let mut entries: Vec<Value> = files.iter().map(|f| json!({"file_id": f, "type": "mending"})).collect();
    entries[3]["pages"] = json!("0-5");
    entries[17]["type"] = json!("ironing");
    entries[25]["file_id"] = json!(987_654);
    let refused = app.post("/api/v1/treatments/batch", json!({"entries": entries}));
    assert_eq!(refused.invalid_fields(), ["entries[17].type", "entries[25].file_id", "entries[3].pages"]);
    assert_eq!(count_rows(&app, "treatments"), 40);

    // Open entries that overlap one another, or stored open treatments, are named too.
    app.post("/api/v1/treatments", json!({"file_id": files[0], "pages": "1-10", "type": "mending"}));
    let overlapping = app.post(
        "/api/v1/treatments/batch",
        json!({"entries": [{"file_id": files[0], "pages": "5", "type": "mending"},
                           {"file_id": files[1], "pages": "1-50", "type": "mending"},
                           {"file_id": files[1], "pages": "50-60", "type": "mending"}]}),
    );
    let fields: Vec<&str> =
        overlapping.problem(409)["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["entries[0].pages", "entries[2].pages"]);
    assert_eq!(count_rows(&app, "treatments"), 41);
    assert_eq!(app.post("/api/v1/treatments/batch", json!({"entries": []})).invalid_fields(), ["entries"]);
    let too_many: Vec<Value> = (0..10_001).map(|_| json!({"file_id": files[0], "type": "mending"})).collect();
    assert_eq!(app.post("/api/v1/treatments/batch", json!({"entries": too_many})).invalid_fields(), ["entries"]);
}

#[test]
fn a_page_has_a_history() {
    let app = TestApp::spawn();
    let (_, f) = holding(&app);
    assess(&app, json!({"file_id": f, "pages": "1-50", "grade": 3, "assessed_at": "2026-01-10T08:00:00Z"}));
    assess(&app, json!({"file_id": f, "pages": "100-120", "grade": 4, "assessed_at": "2026-01-11T08:00:00Z"}));
    let t = app.post("/api/v1/treatments", json!({"file_id": f, "pages": "20-30", "type": "mending"}));
    let t = t.body["id"].as_i64().unwrap();
    for to in ["approved", "in_progress"] {
        app.post(&format!("/api/v1/treatments/{t}/transitions"), json!({"to": to}));
    }
    app.post(&format!("/api/v1/treatments/{t}/transitions"), json!({"to": "completed", "after": {"grade": 1}}));
    let history = app.get(&format!("/api/v1/files/{f}/pages/25"));
    assert_eq!(history.status, 200, "{}", history.text);
    let kinds: Vec<&str> =
        history.body["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["assessment", "treatment", "assessment"], "survey, mending, the condition after");
    assert_eq!(history.body["events"][2]["assessment"]["treatment_id"], t);
    assert_eq!(history.body["events"][0]["assessment"]["grade"], 3);
    assert_eq!(history.body["current_grade"], 1);
    let untouched = app.get(&format!("/api/v1/files/{f}/pages/299"));
    assert_eq!(
        (untouched.body["current_grade"].clone(), untouched.body["events"].as_array().unwrap().len()),
        (Value::Null, 0)
    );
    app.get(&format!("/api/v1/files/{f}/pages/301")).problem(404);
    app.get(&format!("/api/v1/files/{f}/pages/0")).problem(404);
    let unknown = app.get(&format!("/api/v1/files/{}/pages/1", f + 1000));
    assert!(unknown.problem(404)["detail"].as_str().unwrap().contains("no file has id"));
}

#[test]
fn the_queue_lists_what_waits_worst_first_and_shrinks_as_work_is_done() {
    let app = TestApp::spawn();
    let (snv, f) = holding(&app);
    let mild = file(&app, snv, 38, 50, json!({}));
    let worst = file(&app, snv, 39, 80, json!({}));
    let other_fonds = fonds(&app, "UBND", "Phông UBND");
    let elsewhere = file(&app, other_fonds, 1, 10, json!({}));
    assess(&app, json!({"file_id": f, "pages": "1-250", "grade": 3, "recommended_treatments": ["backing"]}));
    assess(&app, json!({"file_id": mild, "pages": "1-10", "grade": 2, "recommended_treatments": ["mending"]}));
    assess(
        &app,
        json!({"file_id": worst, "pages": "1-30", "grade": 4,
                        "damages": [{"type": "mould", "severity": 3, "active": true}]}),
    );
    assess(&app, json!({"file_id": elsewhere, "grade": 3}));
    // A survey recorded in error (even its date was wrong) waits for nothing once corrected.
    let mistaken = assess(
        &app,
        json!({"file_id": mild, "pages": "11-50", "grade": 4, "recommended_treatments": ["backing"],
               "assessed_at": "2026-05-01T08:00:00Z"}),
    );
    assess(
        &app,
        json!({"file_id": mild, "pages": "11-50", "grade": 1, "supersedes_id": mistaken.body["id"],
               "assessed_at": "2026-04-01T08:00:00Z"}),
    );
    let queue = |query: &str| {
        let answer = app.get(&format!("/api/v1/conservation/queue?{query}"));
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer
            .items()
            .iter()
            .map(|e| (e["file_id"].as_i64().unwrap(), e["pages_waiting"].as_str().unwrap().to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        queue(&format!("fonds_id={snv}")),
        [(worst, "1-30".to_string()), (f, "1-250".to_string()), (mild, "1-10".to_string())],
        "grade 4 with active mould first, then grade 3, then a recommended mending"
    );
    assert_eq!(queue(&format!("fonds_id={snv}&type=backing")), [(worst, "1-30".to_string()), (f, "1-250".to_string())]);
    assert_eq!(
        queue(&format!("fonds_id={snv}&type=mending")),
        [(worst, "1-30".to_string()), (mild, "1-10".to_string())]
    );
    assert_eq!(queue("").len(), 4);
    let first = app.get(&format!("/api/v1/conservation/queue?fonds_id={snv}"));
    assert_eq!(first.items()[0]["active_damage"], true);
    assert_eq!(first.items()[1]["treatment_types"], json!(["backing"]));
    assert_eq!(app.all_pages(&format!("/api/v1/conservation/queue?fonds_id={snv}&limit=2")).len(), 3);

    // Backing pages 1-200 of the file: they leave the queue; 201-250 still wait.
    app.post(
        "/api/v1/treatments",
        json!({"file_id": f, "pages": "1-200", "type": "backing", "status": "completed", "after": {"grade": 2}}),
    );
    assert_eq!(
        queue(&format!("fonds_id={snv}&type=backing")),
        [(worst, "1-30".to_string()), (f, "201-250".to_string())]
    );
    assert_eq!(summary(&app, f)["pages_waiting"], "201-250");
}

#[test]
fn live_damage_flags_a_file_only_where_its_pages_wait() {
    let app = TestApp::spawn();
    let (snv, f) = holding(&app);
    let queued = |app: &TestApp| {
        let answer = app.get(&format!("/api/v1/conservation/queue?fonds_id={snv}&type=backing"));
        assert_eq!(answer.status, 200, "{}", answer.text);
        let entry = answer.items()[0].clone();
        (entry["pages_waiting"].as_str().unwrap().to_string(), entry["active_damage"].as_bool().unwrap())
    };
    // Mould on 1-10, which a later survey takes over for disinfection only: 11-100 wait for
    // backing, with no live damage among them.
    assess(
        &app,
        json!({"file_id": f, "pages": "1-100", "grade": 3, "recommended_treatments": ["backing"],
               "damages": [{"type": "mould", "severity": 2, "pages": "1-10", "active": true}],
               "assessed_at": "2026-03-01T08:00:00Z"}),
    );
    assert_eq!(queued(&app), ("1-100".to_string(), true));
    assess(
        &app,
        json!({"file_id": f, "pages": "1-10", "grade": 3, "recommended_treatments": ["disinfection"],
               "assessed_at": "2026-03-02T08:00:00Z"}),
    );
    assert_eq!(queued(&app), ("11-100".to_string(), false));

    // Live insects on 101-120, backed since (grade 2 now): 121-250 still wait, with no live
    // damage among them.
    assess(
        &app,
        json!({"file_id": f, "pages": "101-250", "grade": 3, "recommended_treatments": ["backing"],
               "damages": [{"type": "insects", "severity": 3, "pages": "101-120", "active": true}],
               "assessed_at": "2026-03-03T08:00:00Z"}),
    );
    let backed = app.post(
        "/api/v1/treatments",
        json!({"file_id": f, "pages": "1-120", "type": "backing", "status": "completed",
               "completed_at": "2026-04-01T08:00:00Z", "after": {"grade": 2}}),
    );
    assert_eq!(backed.status, 201, "{}", backed.text);
    assert_eq!(queued(&app), ("121-250".to_string(), false));
}

#[test]
fn a_batch_names_every_bad_entry_in_one_answer() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let f = file(&app, snv, 1, 100, json!({}));
    let mut entries: Vec<Value> = (1..=400)
        .map(|n| {
            json!({"file_id": f, "pages": (n % 100 + 1).to_string(), "type": "cleaning", "status": "completed",
                        "completed_at": "2026-02-01T08:00:00Z", "after": {"grade": 2}})
        })
        .collect();
    entries[3]["pages"] = json!("95-105");
    entries[399]["after"] = Value::Null;
    let refused = app.post("/api/v1/treatments/batch", json!({"entries": entries}));
    assert_eq!(refused.invalid_fields(), ["entries[399].after", "entries[3].pages"]);
    assert_eq!(count_rows(&app, "treatments"), 0);
}

#[test]
fn no_write_takes_a_time_or_date_in_the_future() {
    let app = TestApp::spawn();
    let (snv, f) = holding(&app);
    let soon = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let next_year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    let tomorrow_week = (chrono::Utc::now() + chrono::Duration::days(7)).date_naive().to_string();
    // Work done: completed (and started) in the future, alone or in a batch.
    let logged = json!({"file_id": f, "type": "backing", "status": "completed", "started_at": soon,
                        "completed_at": soon, "after": {"grade": 2}});
    assert_eq!(app.post("/api/v1/treatments", logged.clone()).invalid_fields(), ["completed_at", "started_at"]);
    let batch = app.post("/api/v1/treatments/batch", json!({"entries": [logged]}));
    assert_eq!(batch.invalid_fields(), ["entries[0].completed_at", "entries[0].started_at"]);
    assert_eq!(assess(&app, json!({"file_id": f, "grade": 2, "assessed_at": soon})).invalid_fields(), ["assessed_at"]);
    // Documents dated in the future, a fonds of years to come; as created, changed or imported.
    let dated = json!({"fonds_id": snv, "inventory_no": 1, "file_no": 2, "title": "Hồ sơ", "page_count": 5,
                       "date_from": tomorrow_week, "date_to": tomorrow_week});
    assert_eq!(app.post("/api/v1/files", dated).invalid_fields(), ["date_from", "date_to"]);
    let changed = app.patch(&format!("/api/v1/files/{f}"), "*", json!({"date_to": tomorrow_week}));
    assert_eq!(changed.invalid_fields(), ["date_to"]);
    let future_fonds = json!({"code": "NEW", "name": "Phông", "year_from": next_year, "year_to": next_year});
    assert_eq!(app.post("/api/v1/fonds", future_fonds).invalid_fields(), ["year_from", "year_to"]);
    assert_eq!(
        app.patch(&format!("/api/v1/fonds/{snv}"), "*", json!({"year_to": next_year})).invalid_fields(),
        ["year_to"]
    );
    let csv = format!("fonds_code,inventory_no,file_no,title,leaves,years\nSNV,2,1,Hồ sơ,10,{next_year}\n");
    let imported: Answer =
        app.request(Method::POST, "/api/v1/imports/files").header("Content-Type", "text/csv").body(csv).send().into();
    assert_eq!(imported.invalid_fields(), ["date_from", "date_to"]);
    // Today and the past are fine.
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(
        app.patch(&format!("/api/v1/files/{f}"), "*", json!({"date_from": "1976-01-01", "date_to": today})).status,
        200
    );
    assert_eq!(count_rows(&app, "treatments"), 0);
}
