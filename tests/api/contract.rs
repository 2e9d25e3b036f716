//! The OpenAPI document is the contract: the file in the repository is what the service
//! serves, and every operation it lists is routed.

use reqwest::Method;

use crate::support::{Answer, TestApp};

fn repository_spec() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).expect("openapi.yaml at the root")
}

#[test]
fn openapi_yaml_in_the_repository_is_what_the_service_serves() {
    let app = TestApp::spawn();
    let served = app.get("/openapi.yaml");
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("application/yaml"));
    assert!(
        served.text == repository_spec(),
        "openapi.yaml is out of date: regenerate it with `cargo run -- openapi > openapi.yaml`"
    );
}

#[test]
fn every_documented_operation_is_routed_and_guarded() {
    let app = TestApp::spawn();
    let spec: serde_json::Value = yaml_serde::from_str(&repository_spec()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 10, "the document lists the operations");
    for (path, item) in paths {
        let concrete = path.replace("{id}", "1");
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let answer: Answer = app.request_as(None, method.clone(), &concrete).send().into();
            if path.starts_with("/api/") {
                // Authentication comes first: without a key, every API operation answers 401.
                answer.problem(401);
            } else {
                assert!(answer.status < 400, "{method} {path} answers {}: {}", answer.status, answer.text);
            }
        }
    }
}

#[test]
fn every_api_operation_documents_its_errors() {
    let spec: serde_json::Value = yaml_serde::from_str(&repository_spec()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let mut expected = vec!["500"];
            if path.starts_with("/api/") {
                expected.extend(["401", "403", "503"]);
            }
            if operation.get("requestBody").is_some() {
                expected.extend(["400", "413", "415", "422"]);
            }
            if path.contains('{') {
                expected.extend(["400", "404"]);
            }
            if method == "patch" {
                expected.extend(["412", "428"]);
            }
            for status in expected {
                assert!(responses.contains_key(status), "{method} {path} does not document {status}");
            }
        }
    }
}

#[test]
fn every_reference_in_the_document_names_something_it_defines() {
    let spec: serde_json::Value = yaml_serde::from_str(&repository_spec()).unwrap();
    fn references(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(to)) = map.get("$ref") {
                    found.push(to.clone());
                }
                map.values().for_each(|v| references(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    references(&spec, &mut found);
    assert!(found.len() > 100, "the document refers to its components");
    for to in found {
        let pointer = to.strip_prefix('#').expect("a reference within the document");
        assert!(spec.pointer(pointer).is_some(), "{to} is not defined");
    }
}
