//! The README's walk-through, run as a user would paste it into a shell.

use std::process::Command;

use crate::support::TestApp;

fn walkthrough() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let block = readme
        .split("<!-- walkthrough:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- walkthrough:end -->").next())
        .expect("the README marks its walk-through");
    block.lines().filter(|line| !line.starts_with("```")).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_readme_walkthrough_works_when_pasted_into_a_shell() {
    let app = TestApp::spawn();
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &walkthrough()])
        .env("PK", &app.url)
        .env("KEY", &app.admin_key)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let answers: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["items"][0]["path_code"], "K1-P02-G05-3-4");
    assert_eq!(answers[0]["items"][0]["capacity_mm"], 1000);
    assert_eq!(answers[1]["items"][0]["name"], "Phòng kho 2");
    assert_eq!(answers[2]["items"][0]["path_code"], "K1-P02-G06-3-4");
    assert_eq!(answers[2]["items"].as_array().unwrap().len(), 1);
}
