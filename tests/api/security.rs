//! Security: per-key rate limits, no mass assignment, limits on every size, and hostile input in
//! every text and search field answered cleanly.

use paperkeep::config::{HttpConfig, PoolConfig};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{self, id, new_box, repository};
use crate::support::{Answer, TestApp};

#[test]
fn a_key_over_its_rate_gets_429_with_retry_after_and_others_are_served() {
    let app = TestApp::spawn_with(HttpConfig { rate_limit: 5, ..HttpConfig::default() }, PoolConfig::default());
    let busy = app.key("viewer");
    let calm = app.key("viewer");
    let get = |key: &str| -> Answer { app.request_as(Some(key), Method::GET, "/api/v1/locations").send().into() };
    let answers: Vec<Answer> = (0..30).map(|_| get(&busy)).collect();
    let served = answers.iter().filter(|a| a.status == 200).count();
    // A burst of twice the rate, and a request or two as the second passes.
    assert!((10..=13).contains(&served), "served {served}");
    let refused = answers.iter().find(|a| a.status == 429).expect("some were refused");
    refused.problem(429);
    let wait: u64 = refused.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert_eq!(get(&calm).status, 200, "another key is not held back");
    std::thread::sleep(std::time::Duration::from_secs(wait));
    assert_eq!(get(&busy).status, 200, "after Retry-After the key is served again");
}

/// Fields the service owns (ids, versions, who and when, status, where a box is) cannot be set
/// through a body: the request is refused and names them.
#[test]
fn read_only_fields_in_a_body_are_refused_by_name() {
    let app = TestApp::spawn();
    let place = repository(&app);
    let fonds = fixtures::fonds(&app, "SNV", "Phông Sở Nội vụ");
    let file = fixtures::file(&app, fonds, 1, 10, json!({}));
    let archive_box = id(&new_box(&app, "HS-1", place.shelves[0], json!({})));
    let owned = json!({"id": 7, "version": 9, "created_by": 1, "created_at": "2020-01-01T00:00:00Z"});
    let with_owned = |body: Value| {
        let mut body = body;
        body.as_object_mut().unwrap().extend(owned.as_object().unwrap().clone());
        body
    };
    let posts = [
        ("/api/v1/locations", json!({"parent_id": place.unit, "kind": "bay", "code": "B9"})),
        ("/api/v1/boxes", json!({"barcode": "HS-2", "home_location_id": place.shelves[0], "status": "out"})),
        ("/api/v1/fonds", json!({"code": "UB", "name": "Phông UBND"})),
        ("/api/v1/files", json!({"fonds_id": fonds, "inventory_no": 1, "file_no": 2, "title": "x", "page_count": 1})),
        ("/api/v1/assessments", json!({"file_id": file, "grade": 2})),
        ("/api/v1/treatments", json!({"file_id": file, "type": "mending", "approved_by": 1})),
        ("/api/v1/api-keys", json!({"name": "k", "role": "viewer", "key_hash": "00"})),
        ("/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/", "secret": "whsec_x", "active": false})),
    ];
    for (path, body) in posts {
        let answer = app.post(path, with_owned(body));
        let fields = answer.invalid_fields();
        for field in ["created_at", "created_by", "id", "version"] {
            assert!(fields.contains(&field.to_string()), "{path}: {fields:?}");
        }
    }
    let patches = [
        (format!("/api/v1/boxes/{archive_box}"), json!({"current_location_id": place.lab, "missing": true})),
        (format!("/api/v1/files/{file}"), json!({"fonds_id": fonds, "updated_by": 2})),
        (format!("/api/v1/locations/{}", place.room), json!({"used_mm": 0, "path_code": "X"})),
    ];
    for (path, body) in patches {
        let answer = app.patch(&path, "*", body.clone());
        let fields = answer.invalid_fields();
        let expected: Vec<String> = body.as_object().unwrap().keys().filter(|k| *k != "fonds_id").cloned().collect();
        for field in expected {
            assert!(fields.contains(&field), "{path}: {fields:?}");
        }
    }
    // Nothing was written by any of them.
    assert_eq!(app.get(&format!("/api/v1/boxes/{archive_box}")).body["version"], 1);
    assert_eq!(crate::support::count_rows(&app, "fonds"), 1);
}

#[test]
fn every_size_has_a_limit() {
    let app = TestApp::spawn();
    let place = repository(&app);
    let fonds = fixtures::fonds(&app, "SNV", "Phông Sở Nội vụ");
    let file = fixtures::file(&app, fonds, 1, 100_000, json!({}));
    // Page size.
    assert_eq!(app.get("/api/v1/boxes?limit=501").invalid_fields(), ["limit"]);
    // Bulk moves: 1,000 boxes at most.
    let moves: Vec<Value> =
        (0..1001).map(|n| json!({"barcode": format!("B{n}"), "to_location_id": place.lab})).collect();
    assert_eq!(app.post("/api/v1/moves", json!({"reason": "loan", "moves": moves})).invalid_fields(), ["moves"]);
    // A treatment batch: 10,000 entries at most.
    let entries: Vec<Value> = (0..10_001).map(|_| json!({"file_id": file, "type": "mending"})).collect();
    assert_eq!(app.post("/api/v1/treatments/batch", json!({"entries": entries})).invalid_fields(), ["entries"]);
    // A page set: 10,000 parts at most.
    let pages: Vec<String> = (1..=10_001).map(|n| (n * 2).to_string()).collect();
    let treatment = json!({"file_id": file, "type": "mending", "pages": pages.join(",")});
    assert_eq!(app.post("/api/v1/treatments", treatment).invalid_fields(), ["pages"]);
    // A shelf scan: 10,000 barcodes at most.
    let scanned: Vec<String> = (0..10_001).map(|n| format!("B{n}")).collect();
    let audit = json!({"location_id": place.shelves[0], "scanned": scanned});
    assert_eq!(app.post("/api/v1/audits", audit).invalid_fields(), ["scanned"]);
    // A body: PAPERKEEP_MAX_BODY_BYTES.
    let huge = "x".repeat(9 * 1024 * 1024);
    app.post("/api/v1/fonds", json!({"code": "X", "name": huge})).problem(413);
}

/// Strings an attacker or a broken client sends, in every text field and search parameter:
/// SQL, path traversal, control characters, NUL, 100 kB, and bytes that are not UTF-8.
#[test]
fn hostile_strings_are_answered_cleanly_everywhere() {
    let app = TestApp::spawn();
    let place = repository(&app);
    let fonds = fixtures::fonds(&app, "SNV", "Phông Sở Nội vụ");
    let file = fixtures::file(&app, fonds, 1, 10, json!({}));
    let hostile = [
        "'; DROP TABLE boxes; --".to_string(),
        "\" OR 1=1 --".to_string(),
        "../../../../etc/passwd".to_string(),
        "%2e%2e%2f%00".to_string(),
        "<script>alert(1)</script>".to_string(),
        "a\u{1}b\u{7f}c".to_string(),
        "line\nbreak\ttab".to_string(),
        "nul\u{0}byte".to_string(),
        "\u{202e}gnp.exe".to_string(),
        "x".repeat(100_000),
    ];
    let mut n = 0;
    let mut stored = 0;
    for text in &hostile {
        n += 1;
        // (path, body, the field that holds the text)
        let writes = [
            ("/api/v1/fonds", json!({"code": format!("F{n}"), "name": text, "creator": text, "notes": text}), "name"),
            ("/api/v1/fonds", json!({"code": text, "name": "x"}), "code"),
            (
                "/api/v1/files",
                json!({"fonds_id": fonds, "inventory_no": 2, "file_no": n, "title": text, "notes": text, "page_count": 1}),
                "title",
            ),
            (
                "/api/v1/boxes",
                json!({"barcode": format!("H{n}"), "label": text, "notes": text, "home_location_id": place.shelves[0]}),
                "label",
            ),
            ("/api/v1/boxes", json!({"barcode": text, "home_location_id": place.shelves[0]}), "barcode"),
            (
                "/api/v1/locations",
                json!({"parent_id": place.unit, "kind": "bay", "code": format!("B{n}"), "name": text, "notes": text}),
                "name",
            ),
            ("/api/v1/assessments", json!({"file_id": file, "grade": 2, "notes": text}), "notes"),
            (
                "/api/v1/treatments",
                json!({"file_id": file, "pages": n.to_string(), "type": "mending", "notes": text, "conservators": [text], "materials": [{"code": "wheat_starch", "detail": text}]}),
                "notes",
            ),
        ];
        for (path, body, field) in writes {
            let answer = app.post(path, body);
            assert!(answer.status < 500, "{path} with {:.40?}: {} {}", text, answer.status, answer.text);
            if answer.status >= 400 {
                answer.problem(answer.status);
            } else {
                assert_eq!(answer.status, 201, "{}", answer.text);
                assert_eq!(answer.body[field].as_str(), Some(text.trim()), "{path}: stored as sent");
                stored += 1;
            }
        }
        if text.len() > 10_000 {
            // Longer than a request line may be: refused before any handler (see below).
            continue;
        }
        let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
        for search in [
            format!("/api/v1/boxes?q={encoded}"),
            format!("/api/v1/boxes?barcode={encoded}"),
            format!("/api/v1/files?q={encoded}"),
            format!("/api/v1/fonds?q={encoded}"),
            format!("/api/v1/locations?q={encoded}"),
            format!("/api/v1/boxes/by-barcode/{encoded}"),
            format!("/api/v1/events?types={encoded}"),
            format!("/api/v1/audit-trail?subject={encoded}"),
        ] {
            let answer = app.get(&search);
            assert!([200, 400, 404, 422].contains(&answer.status), "{search:.80}: {} {}", answer.status, answer.text);
            if answer.status != 200 {
                answer.problem(answer.status);
            }
        }
    }
    assert!(stored >= 20, "the harmless-looking ones are stored as sent: {stored}");
    // A 100 kB search: the request line is refused as too long, the connection answered.
    let status = raw_status(&app, &format!("GET /api/v1/boxes?q={} HTTP/1.1", "x".repeat(100_000)));
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(crate::support::count_rows(&app, "boxes"), app.all_pages("/api/v1/boxes").len() as i64);

    // Bytes that are not UTF-8: in a body, a query and a path.
    let answer: Answer = app
        .request(Method::POST, "/api/v1/fonds")
        .header("Content-Type", "application/json")
        .body(b"{\"code\": \"X\", \"name\": \"\xff\xfe\"}".to_vec())
        .send()
        .into();
    answer.problem(400);
    for path in ["/api/v1/boxes?q=%FF%FE", "/api/v1/boxes/by-barcode/%FF%FE"] {
        let answer = app.get(path);
        assert!([400, 404, 422].contains(&answer.status), "{path}: {}", answer.text);
        answer.problem(answer.status);
    }
}

/// The status a raw HTTP/1.1 request line gets (for what no HTTP client library will send).
fn raw_status(app: &TestApp, request_line: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(app.url.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let request = format!("{request_line}\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n", app.admin_key);
    let _ = stream.write_all(request.as_bytes());
    let mut answer = [0u8; 12];
    stream.read_exact(&mut answer).expect("an answer");
    String::from_utf8_lossy(&answer[9..12]).parse().unwrap()
}
