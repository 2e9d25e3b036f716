//! Movements: every move kept, capacity enforced (also under concurrency), bulk all-or-nothing,
//! and who may move what.

use std::sync::{Arc, Barrier};

use diesel::RunQueryDsl;
use paperkeep::config::{HttpConfig, PoolConfig};
use reqwest::Method;
use serde_json::json;

use crate::support::fixtures::{id, move_box, new_box, repository, space};
use crate::support::{Answer, TestApp, count_rows};

#[test]
fn to_the_lab_and_back_home_keeping_its_place_and_every_movement() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "SNV-7", repo.shelves[0], json!({"position": 4})));
    let out =
        move_box(&app, b, json!({"to_location_id": repo.lab, "reason": "conservation", "note": "bồi nền 250 trang"}));
    assert_eq!(out.status, 201, "{}", out.text);
    assert_eq!(out.body["from_path_code"], "K1-P02-G05-1-1");
    assert_eq!(out.body["to_path_code"], "K1-LAB");
    assert_eq!(out.body["reason"], "conservation");
    let seen = app.get(&format!("/api/v1/boxes/{b}"));
    assert_eq!(
        (seen.body["status"].as_str(), seen.body["current_location"]["purpose"].as_str()),
        (Some("out"), Some("conservation_lab"))
    );
    assert_eq!(space(&app, repo.shelves[0])["used_mm"], 125, "its home keeps its space while it is out");

    let back = move_box(&app, b, json!({"reason": "return"}));
    assert_eq!(back.status, 201, "{}", back.text);
    assert_eq!(back.body["to_location_id"], repo.shelves[0], "return with no destination means home");
    let home = app.get(&format!("/api/v1/boxes/{b}"));
    assert_eq!((home.body["status"].as_str(), home.body["position"].as_i64()), (Some("on_shelf"), Some(4)));

    let history = app.get(&format!("/api/v1/boxes/{b}/moves"));
    let reasons = history.strings("reason");
    assert_eq!(reasons, ["return", "conservation", "intake"], "newest first");
    let conservation = &history.items()[1];
    assert_eq!(conservation["note"], "bồi nền 250 trang");
    assert_eq!(conservation["moved_by"], 1);
    assert!(conservation["moved_at"].is_string());
    let pages = app.all_pages(&format!("/api/v1/boxes/{b}/moves?limit=1"));
    assert_eq!(pages.len(), 3);
}

#[test]
fn a_connection_prepares_the_statement_that_moves_a_box_once() {
    let app = TestApp::spawn_with(HttpConfig::default(), PoolConfig { size: 1, ..PoolConfig::default() });
    let repo = repository(&app);
    let b = id(&new_box(&app, "PREPARED-1", repo.shelves[0], json!({})));
    for _ in 0..3 {
        assert_eq!(move_box(&app, b, json!({"to_location_id": repo.lab, "reason": "conservation"})).status, 201);
        assert_eq!(move_box(&app, b, json!({"reason": "return"})).status, 201);
    }
    // The pool's one connection made all six moves.
    #[derive(diesel::QueryableByName)]
    struct Prepared {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        calls: i64,
    }
    let mut conn = app.pooled();
    let prepared: Vec<Prepared> = diesel::sql_query(
        "SELECT generic_plans + custom_plans AS calls FROM pg_prepared_statements WHERE statement LIKE 'WITH moved AS%'",
    )
    .load(&mut **conn)
    .unwrap();
    assert_eq!(prepared.iter().map(|p| p.calls).collect::<Vec<_>>(), [6], "one prepared statement, run six times");
}

#[test]
fn a_box_goes_only_to_a_shelf_or_a_workspace() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    for place in [repo.bays[0], repo.unit, repo.room, 424_242] {
        assert_eq!(
            move_box(&app, b, json!({"to_location_id": place, "reason": "reshelve"})).invalid_fields(),
            ["to_location_id"]
        );
    }
    assert_eq!(
        move_box(&app, b, json!({"to_location_id": repo.lab, "reason": "relocation"})).invalid_fields(),
        ["to_location_id"]
    );
    assert_eq!(
        move_box(&app, b, json!({"to_location_id": repo.lab, "reason": "vacation"})).invalid_fields(),
        ["reason"]
    );
    assert_eq!(move_box(&app, b, json!({"to_location_id": repo.lab, "reason": "intake"})).invalid_fields(), ["reason"]);
    assert_eq!(move_box(&app, b, json!({"reason": "reshelve"})).invalid_fields(), ["to_location_id"]);
    move_box(&app, b, json!({"to_location_id": repo.shelves[0], "reason": "reshelve"})).problem(409);
    move_box(&app, 99_999, json!({"to_location_id": repo.lab, "reason": "conservation"})).problem(404);
    assert_eq!(app.get(&format!("/api/v1/boxes/{b}/moves")).items().len(), 1, "nothing was recorded");
}

#[test]
fn a_full_shelf_refuses_a_move_and_relocation_moves_the_home() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "BIG", repo.shelves[1], json!({"width_mm": 900}));
    let b = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    let full = move_box(&app, b, json!({"to_location_id": repo.shelves[1], "reason": "reshelve"}));
    let detail = full.problem(409)["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("needs 125 mm") && detail.contains("100 mm are free"), "{detail}");

    let relocated =
        move_box(&app, b, json!({"to_location_id": repo.shelves[2], "reason": "relocation", "position": 1}));
    assert_eq!(relocated.status, 201, "{}", relocated.text);
    let moved = app.get(&format!("/api/v1/boxes/{b}"));
    assert_eq!(moved.body["home_location"]["id"], repo.shelves[2]);
    assert_eq!(space(&app, repo.shelves[0])["used_mm"], 0);
    assert_eq!(space(&app, repo.shelves[2])["used_mm"], 125);
    // A temporary move to another shelf uses that shelf; home is kept but not reserved.
    move_box(&app, b, json!({"to_location_id": repo.shelves[3], "reason": "reshelve"}));
    assert_eq!(
        (space(&app, repo.shelves[2])["used_mm"].as_i64(), space(&app, repo.shelves[3])["used_mm"].as_i64()),
        (Some(0), Some(125))
    );
    let back = move_box(&app, b, json!({"reason": "return"}));
    assert_eq!(back.body["to_location_id"], repo.shelves[2]);
    assert_eq!(space(&app, repo.shelves[3])["used_mm"], 0);
}

#[test]
fn if_match_on_a_move_refuses_a_box_that_changed() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    let path = format!("/api/v1/boxes/{b}/moves");
    let body = json!({"to_location_id": repo.lab, "reason": "conservation"});
    let stale: Answer = app.request(Method::POST, &path).header("If-Match", "\"7\"").json(&body).send().into();
    stale.problem(412);
    let fresh: Answer = app.request(Method::POST, &path).header("If-Match", "\"1\"").json(&body).send().into();
    assert_eq!(fresh.status, 201, "{}", fresh.text);
    assert_eq!(
        app.get(&format!("/api/v1/boxes/{b}")).header("etag"),
        Some("\"2\""),
        "a move changes the box's version"
    );
}

#[test]
fn of_many_simultaneous_moves_onto_the_last_free_space_exactly_one_wins() {
    let app = Arc::new(TestApp::spawn());
    let repo = repository(&app);
    new_box(&app, "FILL", repo.shelves[1], json!({"width_mm": 875}));
    let contenders: Vec<i64> =
        (0..12).map(|n| id(&new_box(&app, &format!("C{n}"), repo.shelves[3 + n % 3], json!({})))).collect();
    let barrier = Arc::new(Barrier::new(contenders.len()));
    let target = repo.shelves[1];
    let threads: Vec<_> = contenders
        .into_iter()
        .map(|b| {
            let (app, barrier) = (Arc::clone(&app), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                move_box(&app, b, json!({"to_location_id": target, "reason": "reshelve"})).status
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 11, "{statuses:?}");
    let shelf = space(&app, target);
    assert_eq!((shelf["used_mm"].as_i64(), shelf["box_count"].as_i64()), (Some(1000), Some(2)));
    assert_eq!(app.get(&format!("/api/v1/locations/{target}/boxes")).items().len(), 2);
}

#[test]
fn a_bulk_move_moves_every_box_by_barcode_or_id() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let a = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    new_box(&app, "B", repo.shelves[0], json!({}));
    new_box(&app, "C", repo.shelves[1], json!({}));
    let moved = app.post(
        "/api/v1/moves",
        json!({"reason": "digitization", "note": "đợt số hoá 3", "moves": [
            {"box_id": a, "to_location_id": repo.reading_room},
            {"barcode": "b", "to_location_id": repo.reading_room},
            {"barcode": "C", "to_location_id": repo.reading_room}]}),
    );
    assert_eq!(moved.status, 201, "{}", moved.text);
    assert_eq!(moved.body["moved"], 3);
    assert_eq!(app.get(&format!("/api/v1/boxes?location_id={}", repo.reading_room)).items().len(), 3);
    let back = app.post(
        "/api/v1/moves",
        json!({"reason": "return", "moves": [{"barcode": "A"}, {"barcode": "B"}, {"barcode": "C"}]}),
    );
    assert_eq!(back.status, 201, "{}", back.text);
    assert_eq!(space(&app, repo.shelves[0])["box_count"], 2);
}

#[test]
fn a_bulk_move_with_bad_items_moves_nothing_and_names_each() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let a = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    new_box(&app, "B", repo.shelves[0], json!({}));
    let movements_before = count_rows(&app, "movements");
    let answer = app.post(
        "/api/v1/moves",
        json!({"reason": "reshelve", "moves": [
            {"box_id": a, "to_location_id": repo.shelves[1]},
            {"barcode": "NOPE", "to_location_id": repo.shelves[1]},
            {"barcode": "B", "to_location_id": repo.bays[0]},
            {"box_id": 999_999, "to_location_id": repo.shelves[1]},
            {"barcode": "a", "to_location_id": repo.shelves[2]}]}),
    );
    assert_eq!(
        answer.invalid_fields(),
        ["moves[1].barcode", "moves[2].to_location_id", "moves[3].box_id", "moves[4].box_id"]
    );
    assert_eq!(count_rows(&app, "movements"), movements_before, "nothing moved");
    assert_eq!(space(&app, repo.shelves[1])["used_mm"], 0);

    // Conflicts only: 409, each named; still nothing moves.
    new_box(&app, "BIG", repo.shelves[2], json!({"width_mm": 900}));
    let full = app.post(
        "/api/v1/moves",
        json!({"reason": "reshelve", "moves": [
            {"barcode": "A", "to_location_id": repo.shelves[1]},
            {"barcode": "B", "to_location_id": repo.shelves[2]},
            {"barcode": "BIG", "to_location_id": repo.shelves[2]}]}),
    );
    let problem = full.problem(409);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["moves[1]", "moves[2]"]);
    assert_eq!(app.get(&format!("/api/v1/boxes/{a}")).body["current_location"]["id"], repo.shelves[0]);
}

#[test]
fn each_bulk_item_names_its_box_once() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let answer = app.post(
        "/api/v1/moves",
        json!({"reason": "reshelve", "moves": [
            {"barcode": "B", "box_id": 1, "to_location_id": repo.shelves[1]},
            {"to_location_id": repo.shelves[1]},
            {"barcode": "C"}]}),
    );
    assert_eq!(answer.invalid_fields(), ["moves[0].barcode", "moves[1].barcode", "moves[2].to_location_id"]);
}

#[test]
fn reasons_the_service_gives_itself_are_refused_and_a_return_goes_home() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "R", repo.shelves[0], json!({})));
    for reason in ["intake", "audit_correction", "found", "lost"] {
        let answer = move_box(&app, b, json!({"to_location_id": repo.lab, "reason": reason}));
        assert_eq!(answer.invalid_fields(), ["reason"], "{reason}");
        let bulk =
            app.post("/api/v1/moves", json!({"reason": reason, "moves": [{"box_id": b, "to_location_id": repo.lab}]}));
        assert_eq!(bulk.invalid_fields(), ["reason"], "bulk {reason}");
    }
    let away = move_box(&app, b, json!({"to_location_id": repo.reading_room, "reason": "return"}));
    assert_eq!(away.invalid_fields(), ["to_location_id"]);
    let bulk_away =
        app.post("/api/v1/moves", json!({"reason": "return", "moves": [{"box_id": b, "to_location_id": repo.lab}]}));
    assert_eq!(bulk_away.invalid_fields(), ["moves[0].to_location_id"]);
    assert_eq!(app.get(&format!("/api/v1/boxes/{b}/moves")).strings("reason"), ["intake"], "nothing moved");
}

#[test]
fn a_bulk_move_takes_at_most_a_thousand_boxes() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let item = json!({"barcode": "A", "to_location_id": repo.lab});
    let answer = app.post("/api/v1/moves", json!({"reason": "conservation", "moves": vec![item; 1001]}));
    assert_eq!(answer.invalid_fields(), ["moves"]);
    assert_eq!(app.post("/api/v1/moves", json!({"reason": "conservation", "moves": []})).invalid_fields(), ["moves"]);
}

#[test]
fn conservators_move_boxes_only_into_or_out_of_the_conservation_lab() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let b = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    for role in ["conservator", "head_conservator"] {
        let key = app.key(role);
        let as_role = |body: serde_json::Value| -> Answer {
            app.request_as(Some(&key), Method::POST, &format!("/api/v1/boxes/{b}/moves")).json(&body).send().into()
        };
        as_role(json!({"to_location_id": repo.reading_room, "reason": "reading_room"})).problem(403);
        assert_eq!(
            as_role(json!({"to_location_id": repo.lab, "reason": "conservation"})).status,
            201,
            "{role} into the lab"
        );
        assert_eq!(as_role(json!({"reason": "return"})).status, 201, "{role} out of the lab");
        let create: Answer = app
            .request_as(Some(&key), Method::POST, "/api/v1/boxes")
            .json(&json!({"barcode": "X", "home_location_id": repo.shelves[1]}))
            .send()
            .into();
        create.problem(403);
    }
    for role in ["viewer", "integration"] {
        let key = app.key(role);
        let answer: Answer = app
            .request_as(Some(&key), Method::POST, &format!("/api/v1/boxes/{b}/moves"))
            .json(&json!({"to_location_id": repo.lab, "reason": "conservation"}))
            .send()
            .into();
        answer.problem(403);
        let bulk: Answer = app
            .request_as(Some(&key), Method::POST, "/api/v1/moves")
            .json(&json!({"reason": "conservation", "moves": [{"box_id": b, "to_location_id": repo.lab}]}))
            .send()
            .into();
        bulk.problem(403);
    }
    let manager = app.key("storage_manager");
    let moved: Answer = app
        .request_as(Some(&manager), Method::POST, &format!("/api/v1/boxes/{b}/moves"))
        .json(&json!({"to_location_id": repo.reading_room, "reason": "reading_room"}))
        .send()
        .into();
    assert_eq!(moved.status, 201);
}

#[test]
fn movements_are_append_only_in_the_database_too() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn();
    let repo = repository(&app);
    new_box(&app, "A", repo.shelves[0], json!({}));
    let update = diesel::sql_query("UPDATE movements SET reason = 'loan'").execute(&mut app.db());
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = diesel::sql_query("DELETE FROM movements").execute(&mut app.db());
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn a_returns_trolley_gives_each_box_its_own_reason_and_note() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    for barcode in ["A", "B", "C"] {
        new_box(&app, barcode, repo.shelves[0], json!({}));
    }
    let moved = app.post(
        "/api/v1/moves",
        json!({"reason": "reading_room", "note": "Phiếu 57", "moves": [
            {"barcode": "A", "to_location_id": repo.reading_room},
            {"barcode": "B", "to_location_id": repo.lab, "reason": "conservation", "note": "Mốc"},
            {"barcode": "C", "to_location_id": repo.reading_room, "note": "Phiếu 58"}]}),
    );
    assert_eq!(moved.status, 201, "{}", moved.text);
    let said: Vec<(&str, &str, &str)> = moved.body["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["barcode"].as_str().unwrap(), m["reason"].as_str().unwrap(), m["note"].as_str().unwrap()))
        .collect();
    assert_eq!(
        said,
        [("A", "reading_room", "Phiếu 57"), ("B", "conservation", "Mốc"), ("C", "reading_room", "Phiếu 58")]
    );
    // Back on one trolley: each item's own rules hold.
    let refused = app.post(
        "/api/v1/moves",
        json!({"reason": "return", "moves": [
            {"barcode": "A"}, {"barcode": "B", "reason": "audit_correction", "to_location_id": repo.shelves[0]},
            {"barcode": "C", "reason": "reshelve"}]}),
    );
    assert_eq!(refused.invalid_fields(), ["moves[1].reason", "moves[2].to_location_id"]);
    let back = app.post("/api/v1/moves", json!({"reason": "return", "moves": [{"barcode": "A"}, {"barcode": "B"}]}));
    assert_eq!(back.status, 201, "{}", back.text);
}

#[test]
fn what_is_out_says_where_since_when_why_and_by_whom() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let a = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    new_box(&app, "B", repo.shelves[0], json!({}));
    let out =
        move_box(&app, a, json!({"to_location_id": repo.reading_room, "reason": "reading_room", "note": "Độc giả 12"}));
    let listed = app.get("/api/v1/boxes?status=out");
    assert_eq!(listed.strings("barcode"), ["A"]);
    let item = &listed.items()[0];
    assert_eq!(item["current_location"]["id"], repo.reading_room);
    let outing = &item["out"];
    assert_eq!(
        (outing["movement_id"].clone(), outing["since"].clone()),
        (out.body["id"].clone(), out.body["moved_at"].clone())
    );
    assert_eq!((outing["reason"].as_str(), outing["note"].as_str()), (Some("reading_room"), Some("Độc giả 12")));
    assert_eq!((outing["moved_by"].as_i64(), outing["hours"].as_i64()), (Some(1), Some(0)));
    let all = app.get("/api/v1/boxes");
    assert_eq!(all.items()[1]["out"], serde_json::Value::Null, "a box on its shelf is not out");

    // Out for three days: the hours count from the movement.
    diesel::sql_query("ALTER TABLE movements DISABLE TRIGGER movements_append_only").execute(&mut app.db()).unwrap();
    diesel::sql_query(format!(
        "UPDATE movements SET moved_at = moved_at - interval '3 days' WHERE id = {}",
        out.body["id"]
    ))
    .execute(&mut app.db())
    .unwrap();
    let later = app.get("/api/v1/boxes?status=out");
    assert_eq!(later.items()[0]["out"]["hours"], 72);
}

#[test]
fn the_moves_across_boxes_newest_first_by_time_reason_place_and_actor() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let a = id(&new_box(&app, "A", repo.shelves[0], json!({})));
    let b = id(&new_box(&app, "B", repo.shelves[3], json!({})));
    let started = chrono::Utc::now();
    move_box(&app, a, json!({"to_location_id": repo.reading_room, "reason": "reading_room"}));
    let conservator = app.key("conservator");
    let to_lab = app
        .request_as(Some(&conservator), Method::POST, &format!("/api/v1/boxes/{b}/moves"))
        .json(&json!({"to_location_id": repo.lab, "reason": "conservation"}))
        .send();
    assert_eq!(Answer::from(to_lab).status, 201);
    move_box(&app, a, json!({"reason": "return"}));

    let moves = |query: &str| app.get(&format!("/api/v1/moves{query}"));
    let reasons = |query: &str| moves(query).strings("reason");
    assert_eq!(reasons(""), ["return", "conservation", "reading_room", "intake", "intake"], "newest first");
    let since = started.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    assert_eq!(reasons(&format!("?from={since}")), ["return", "conservation", "reading_room"]);
    assert_eq!(reasons(&format!("?to={since}")), ["intake", "intake"]);
    assert_eq!(reasons("?reason=conservation"), ["conservation"]);
    assert_eq!(moves(&format!("?location_id={}", repo.reading_room)).strings("barcode"), ["A", "A"]);
    assert_eq!(reasons(&format!("?location_id={}", repo.bays[1])), ["conservation", "intake"], "anywhere below");
    let conservator_id = moves("?reason=conservation").items()[0]["moved_by"].as_i64().unwrap();
    assert_eq!(reasons(&format!("?actor={conservator_id}")), ["conservation"]);
    assert_eq!(app.all_pages("/api/v1/moves?limit=2").len(), 5);

    assert_eq!(moves(&format!("?from={since}&to={since}")).invalid_fields(), ["from"]);
    assert_eq!(moves("?reason=lunch").invalid_fields(), ["reason"]);
    assert_eq!(moves("?from=yesterday").invalid_fields(), ["from"]);
}
