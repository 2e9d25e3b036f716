//! The walk-throughs (docs/walkthroughs.md), run in order as a user would paste them into one
//! shell.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::TestApp;

fn walkthroughs() -> String {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/walkthroughs.md")).unwrap();
    let blocks: Vec<&str> = docs
        .split("<!-- walkthrough:start -->")
        .skip(1)
        .map(|rest| rest.split("<!-- walkthrough:end -->").next().expect("each walk-through ends"))
        .collect();
    assert!(blocks.len() >= 4, "docs/walkthroughs.md marks its walk-throughs");
    blocks.concat().lines().filter(|line| !line.starts_with("```")).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_walkthroughs_work_when_pasted_into_a_shell() {
    let app = TestApp::spawn();
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &walkthroughs()])
        .env("PK", &app.url)
        .env("KEY", &app.admin_key)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let answers: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let [
        shelf,
        room,
        renamed,
        located,
        history,
        audit,
        found_box,
        out,
        contents,
        moves_log,
        scanned_shelf,
        space,
        queue_before,
        approved,
        withdrawn,
        queue_after,
        page,
        file,
        fonds,
        fonds_again,
        imported,
        feed,
        found,
        report,
        land_records,
        asked,
        taken,
        closed,
        steps,
        figures,
    ] = answers.as_slice()
    else {
        panic!("thirty answers expected:\n{stdout}");
    };
    // Describing the repository.
    assert_eq!(shelf["items"][0]["path_code"], "K1-P02-G05-3-4");
    assert_eq!(shelf["items"][0]["capacity_mm"], 1000);
    assert_eq!(room["items"][0]["name"], "Phòng kho 2");
    assert_eq!(renamed["items"][0]["path_code"], "K1-P02-G06-3-4");
    assert_eq!(renamed["items"].as_array().unwrap().len(), 1);
    // The storage manager's day.
    assert_eq!(located["barcode"], "SNV-0002");
    assert_eq!(located["home_location"]["path_code"], "K1-P02-G06-3-4");
    assert_eq!(located["home_location"]["path"][2]["name"], "Giá 5");
    let reasons: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|m| m["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["return", "conservation", "intake"]);
    assert_eq!(
        audit["counts"],
        serde_json::json!({"expected": 3, "scanned": 4, "found": 2, "missing": 1,
                                                   "unexpected": 1, "unknown": 1, "duplicates": 0})
    );
    assert!(audit["reconciled_at"].is_string());
    assert_eq!(
        (found_box["reason"].as_str(), found_box["to_path_code"].as_str()),
        (Some("found"), Some("K1-P02-G06-3-4"))
    );
    let outings: Vec<(&str, &str, &str)> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let outing = &b["out"];
            (b["barcode"].as_str().unwrap(), outing["reason"].as_str().unwrap(), outing["note"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        outings,
        [("SNV-0001", "conservation", "Bồi nền hồ sơ 37"), ("SNV-0002", "reading_room", "Phiếu yêu cầu số 57")]
    );
    assert_eq!(out["items"][1]["out"]["hours"], 0);
    let places: Vec<(i64, &str, &str)> = contents["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["position"].as_i64().unwrap(), b["barcode"].as_str().unwrap(), b["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        places,
        [(1, "SNV-0001", "out"), (2, "SNV-0002", "out"), (3, "SNV-0003", "on_shelf"), (4, "SNV-0004", "on_shelf")]
    );
    let logged: Vec<(&str, &str)> = moves_log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["barcode"].as_str().unwrap(), m["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(logged, [("SNV-0001", "conservation"), ("SNV-0002", "return"), ("SNV-0002", "conservation")]);
    assert_eq!(scanned_shelf["path_code"], "K1-P02-G06-3-4");
    assert_eq!(scanned_shelf["space"]["box_count"], 4, "its three (one missing, keeping its place) and SNV-0004");
    assert_eq!(space["fits"], true);
    assert_eq!(space["room_for"], 40 * 8 - 4);
    // The conservator's day.
    assert_eq!(queue_before["items"][0]["pages_waiting"], "1-200");
    assert_eq!(queue_before["items"][0]["treatment_types"], serde_json::json!(["backing"]));
    let waiting = &approved["items"][0];
    assert_eq!(
        (waiting["box_barcode"].as_str(), waiting["in_lab"].as_bool(), waiting["priority"].as_i64()),
        (Some("SNV-0001"), Some(true), Some(1))
    );
    assert_eq!(waiting["treatments"][0]["status"], "approved");
    assert!(waiting["due_date"].is_string());
    assert_eq!(withdrawn["withdrawal_reason"], "Ghi nhầm hồ sơ: khảo sát của hồ sơ 38");
    assert_eq!(queue_after["items"].as_array().unwrap().len(), 0);
    let kinds: Vec<&str> = page["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["assessment", "treatment", "assessment", "assessment"], "survey, backing, after, withdrawn");
    assert!(page["events"][3]["assessment"]["withdrawn_at"].is_string());
    assert_eq!(page["current_grade"], 2, "the withdrawn survey does not count");
    assert_eq!(page["events"][1]["treatment"]["hours"], 32.0);
    assert_eq!(page["events"][1]["treatment"]["materials"][0]["detail"], "9 g/m²");
    assert_eq!(file["conservation"]["pages_by_grade"], serde_json::json!({"1": 0, "2": 250, "3": 0, "4": 0}));
    assert_eq!(file["conservation"]["pages_treated_by_type"], serde_json::json!({"backing": 200}));
    assert_eq!(file["box"]["home_location"]["path_code"], "K1-P02-G06-3-4");
    // Another service integrating.
    assert_eq!(fonds_again, fonds, "the retry is answered with the first answer");
    assert_eq!(imported, &serde_json::json!({"kind": "files", "dry_run": false, "rows": 2, "created": 2}));
    let events: Vec<&str> = feed["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(events, ["file.created", "file.created", "file.created"], "file 37, then the two imported");
    assert_eq!(feed["items"][2]["data"]["title"], "Tập báo cáo tổng kết công tác tổ chức, cán bộ");
    assert_eq!(feed["items"][0]["data"]["box"]["barcode"], "SNV-0001", "the file as GET answers it");
    let titles: Vec<&str> = found["items"].as_array().unwrap().iter().map(|f| f["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Tập công văn của Sở Nội vụ về công tác cán bộ năm 1976"]);
    assert_eq!(
        report["treatments"]["by_type"][0],
        serde_json::json!({"type": "backing", "pages": 0, "leaves": 200, "files": 1, "hours": 32.0})
    );
    assert_eq!(
        report["treatments"]["materials"],
        serde_json::json!([{"code": "cmc", "unit": "g", "quantity": 400.0, "treatments": 1},
                           {"code": "do_paper", "unit": "m²", "quantity": 6.5, "treatments": 1}])
    );
    assert_eq!(report["movements"]["by_reason"][0]["reason"], "audit_correction");
    // A reader in the reading room.
    assert_eq!(land_records["items"].as_array().unwrap().len(), 3);
    let decided: Vec<(&str, &str)> = asked["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["servable"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(decided, [("original", "submitted"), ("original", "submitted"), ("not_servable", "not_servable")]);
    assert_eq!(asked["lines"][2]["reasons"][0]["code"], "condition");
    let pulls: Vec<&str> = taken["boxes"].as_array().unwrap().iter().map(|b| b["barcode"].as_str().unwrap()).collect();
    assert_eq!(pulls, ["SNV-0003", "SNV-0004"], "one walk, in shelf order");
    assert_eq!(closed["status"], "closed");
    let kinds: Vec<&str> = steps["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "reading_request.created",
            "reading_request.retrieving",
            "reading_request.delivered",
            "reading_request.issued",
            "reading_request.returned",
            "reading_request.issued",
            "reading_request.returned",
            "reading_request.closed",
        ]
    );
    let room = &figures["reading_room"];
    assert_eq!(
        (room["user_days"].clone(), room["checkouts"].clone(), room["boxes_pulled"].clone()),
        (json!(1), json!(2), json!(3))
    );
    assert_eq!(room["refused_lines"], json!([{"reason": "condition", "lines": 1}]));
}
