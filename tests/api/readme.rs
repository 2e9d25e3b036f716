//! The walk-throughs (docs/walkthroughs.md), run in order as a user would paste them into one
//! shell.

use std::process::Command;

use serde_json::Value;

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
        scanned_shelf,
        space,
        queue_before,
        queue_after,
        page,
        file,
        fonds,
        fonds_again,
        imported,
        feed,
        found,
        report,
    ] = answers.as_slice()
    else {
        panic!("nineteen answers expected:\n{stdout}");
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
    assert_eq!(scanned_shelf["path_code"], "K1-P02-G06-3-4");
    assert_eq!(scanned_shelf["space"]["box_count"], 4, "its three (one missing, keeping its place) and SNV-0004");
    assert_eq!(space["fits"], true);
    assert_eq!(space["room_for"], 40 * 8 - 4);
    // The conservator's day.
    assert_eq!(queue_before["items"][0]["pages_waiting"], "1-200");
    assert_eq!(queue_before["items"][0]["treatment_types"], serde_json::json!(["backing"]));
    assert_eq!(queue_after["items"].as_array().unwrap().len(), 0);
    let kinds: Vec<&str> = page["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["assessment", "treatment", "assessment"], "survey, backing, condition after");
    assert_eq!(page["current_grade"], 2);
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
        serde_json::json!({"type": "backing", "pages": 0, "leaves": 200, "files": 1})
    );
    assert_eq!(report["movements"]["by_reason"][0]["reason"], "audit_correction");
}
