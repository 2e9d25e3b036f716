//! Webhooks: events delivered signed, retried with backoff, given up after a day, every attempt
//! logged.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::support::fixtures::fonds;
use crate::support::{TestApp, count_rows};

/// A request the receiver got: its headers (lower-case names) and body.
type Received = (Vec<(String, String)>, Vec<u8>);

/// An HTTP receiver answering the statuses of `script` in turn (then 200), recording requests.
fn receiver(script: Vec<u16>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let Some((name, value)) = line.trim_end().split_once(": ") else { break };
                headers.push((name.to_lowercase(), value.to_string()));
            }
            let length: usize =
                headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            log.lock().unwrap().push((headers, body));
            let status = script.next().unwrap_or(200);
            write!(stream, "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").unwrap();
        }
    });
    (url, received)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn header<'a>(received: &'a Received, name: &str) -> &'a str {
    received.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

#[test]
fn events_are_delivered_signed_and_retried_until_they_get_through() {
    let app = TestApp::spawn();
    fonds(&app, "OLD", "Before the subscription");
    let (url, received) = receiver(vec![500, 503]);
    let created = app.post("/api/v1/webhooks", json!({"url": url, "types": ["fonds"], "description": "catalogue"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_i64().unwrap();
    let secret = created.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    assert!(app.get(&format!("/api/v1/webhooks/{id}")).body.get("secret").is_none(), "the secret is shown once");

    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let b = app.post("/api/v1/boxes", json!({"barcode": "X"})); // refused: no event
    assert_eq!(b.status, 422);
    wait_for("three attempts", || received.lock().unwrap().len() >= 3);

    let received = received.lock().unwrap();
    let last = &received[2];
    let event: Value = serde_json::from_slice(&last.1).unwrap();
    assert_eq!(event["type"], "fonds.created");
    assert_eq!(event["subject"], format!("/api/v1/fonds/{snv}"));
    assert_eq!(header(last, "webhook-id"), event["id"].as_str().unwrap());
    assert_eq!(header(&received[0], "webhook-id"), header(last, "webhook-id"), "a retry is the same message");
    let timestamp: i64 = header(last, "webhook-timestamp").parse().unwrap();
    let expected = paperkeep::webhooks::delivery::signature(&secret, header(last, "webhook-id"), timestamp, &last.1);
    assert_eq!(header(last, "webhook-signature"), expected);
    // Checked independently: HMAC-SHA256 over "id.timestamp.body" with the key in the secret.
    {
        use base64::Engine;
        use hmac::{KeyInit, Mac};
        let key = base64::engine::general_purpose::STANDARD.decode(&secret["whsec_".len()..]).unwrap();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{timestamp}.", header(last, "webhook-id")).as_bytes());
        mac.update(&last.1);
        let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(header(last, "webhook-signature"), format!("v1,{signature}"));
    }
    drop(received);

    wait_for("the log", || count_rows(&app, "webhook_deliveries WHERE outcome = 'delivered'") == 1);
    let log = app.get(&format!("/api/v1/webhooks/{id}/deliveries"));
    let outcomes: Vec<(i64, String, i64)> = log
        .items()
        .iter()
        .map(|d| (d["attempt"].as_i64().unwrap(), d["outcome"].as_str().unwrap().into(), d["status"].as_i64().unwrap()))
        .collect();
    assert_eq!(outcomes, [(3, "delivered".into(), 200), (2, "retrying".into(), 503), (1, "retrying".into(), 500)]);
    let webhook = app.get(&format!("/api/v1/webhooks/{id}")).body;
    assert_eq!(webhook["attempts"], 0);
    assert_eq!(count_rows(&app, "webhook_deliveries"), 3, "the fonds made before subscribing was not sent");
}

#[test]
fn after_a_day_of_failures_an_event_is_given_up_and_the_next_one_goes() {
    let app = TestApp::spawn();
    let (url, received) = receiver(vec![500, 500]);
    let created = app.post("/api/v1/webhooks", json!({"url": url}));
    let id = created.body["id"].as_i64().unwrap();
    fonds(&app, "A", "Phông A");
    wait_for("the first attempt", || count_rows(&app, "webhook_deliveries") == 1);
    // A day has passed since the event first failed.
    diesel::sql_query("UPDATE webhooks SET failing_since = now() - interval '25 hours', retry_at = now()")
        .execute(&mut app.db())
        .unwrap();
    fonds(&app, "B", "Phông B");
    wait_for("the next event", || count_rows(&app, "webhook_deliveries WHERE outcome = 'delivered'") == 1);
    let log = app.get(&format!("/api/v1/webhooks/{id}/deliveries")).body;
    let outcomes: Vec<&str> = log["items"].as_array().unwrap().iter().map(|d| d["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["delivered", "given_up", "retrying"]);
    let bodies: Vec<Value> = received.lock().unwrap().iter().map(|r| serde_json::from_slice(&r.1).unwrap()).collect();
    assert_eq!(bodies.last().unwrap()["data"]["code"], "B");
    // Deactivated: nothing more is sent.
    assert_eq!(app.post(&format!("/api/v1/webhooks/{id}/deactivate"), json!(null)).status, 200);
    fonds(&app, "C", "Phông C");
    std::thread::sleep(Duration::from_millis(1_000));
    assert_eq!(count_rows(&app, "webhook_deliveries"), 3);
    assert_eq!(app.get(&format!("/api/v1/webhooks/{id}")).body["active"], false);
}

#[test]
fn bad_subscriptions_are_refused() {
    let app = TestApp::spawn();
    for url in ["ftp://example.org/x", "example.org", "javascript:alert(1)", "http://", "http:// spaces"] {
        let answer = app.post("/api/v1/webhooks", json!({"url": url}));
        assert_eq!(answer.invalid_fields(), ["url"], "{url}");
    }
    assert_eq!(
        app.post("/api/v1/webhooks", json!({"url": "https://x.org", "types": ["Box Moved"]})).invalid_fields(),
        ["types[0]"]
    );
    let manager = app.key("storage_manager");
    let answer: crate::support::Answer = app
        .request_as(Some(&manager), reqwest::Method::POST, "/api/v1/webhooks")
        .json(&json!({"url": "https://x.org"}))
        .send()
        .into();
    answer.problem(403);
    app.get("/api/v1/webhooks/999").problem(404);
    app.get("/api/v1/webhooks/999/deliveries").problem(404);
}

#[test]
fn a_webhook_leased_by_another_instance_is_left_to_it_until_the_lease_ends() {
    let app = TestApp::spawn();
    let (url, received) = receiver(vec![]);
    let created = app.post("/api/v1/webhooks", json!({"url": url}));
    assert_eq!(created.status, 201, "{}", created.text);
    // Another instance is sending (its lease runs for an hour).
    diesel::sql_query("UPDATE webhooks SET leased_until = now() + interval '1 hour'").execute(&mut app.db()).unwrap();
    fonds(&app, "A", "Phông A");
    std::thread::sleep(Duration::from_millis(1_000));
    assert!(received.lock().unwrap().is_empty(), "sent while another instance held the lease");
    // That instance died: once its lease has run out, this one takes over.
    diesel::sql_query("UPDATE webhooks SET leased_until = now() - interval '1 second'").execute(&mut app.db()).unwrap();
    wait_for("the delivery", || received.lock().unwrap().len() == 1);
    wait_for("the lease to end", || count_rows(&app, "webhooks WHERE leased_until IS NULL") == 1);
}
