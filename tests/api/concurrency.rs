//! Concurrency, with every test's requests spread over two instances of the service on one
//! database: capacity is never exceeded, one PATCH per version wins, a page is in at most one
//! open treatment of a type, and one Idempotency-Key makes one write.

use std::sync::Barrier;

use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::support::fixtures::{self, id, location, new_box, repository};
use crate::support::{Answer, TestApp, count_rows};

/// Sends `count` requests at once, alternately to `urls`, with `headers`, and returns their
/// answers in order.
fn at_once(
    urls: [&str; 2],
    key: &str,
    count: usize,
    headers: &[(&str, &str)],
    request: impl Fn(usize) -> (Method, String, Value) + Sync,
) -> Vec<Answer> {
    let start = Barrier::new(count);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .map(|n| {
                let (start, request) = (&start, &request);
                scope.spawn(move || {
                    let (method, path, body) = request(n);
                    let client = Client::new();
                    let mut builder = client.request(method, format!("{}{path}", urls[n % 2])).bearer_auth(key);
                    for (name, value) in headers {
                        builder = builder.header(*name, *value);
                    }
                    start.wait();
                    Answer::from(builder.json(&body).send())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The service waiting up to 10 s for a connection (1 s by default): forty requests at once
/// on a machine busy with the other tests must test how writes meet, not how long they queue.
fn patient_app() -> TestApp {
    let pool = paperkeep::config::PoolConfig { wait_ms: 10_000, ..paperkeep::config::PoolConfig::default() };
    TestApp::spawn_with(paperkeep::config::HttpConfig::default(), pool)
}

fn statuses(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

#[test]
fn fifty_moves_onto_the_last_free_space_of_a_shelf_let_exactly_one_in() {
    let app = patient_app();
    let other = app.second_instance();
    let place = repository(&app);
    // A shelf with room for one more box: 7 × 125 mm on 1000 mm.
    let shelf = place.shelves[0];
    for n in 0..7 {
        new_box(&app, &format!("FULL-{n}"), shelf, json!({}));
    }
    let roomy = id(&location(&app, Some(place.bays[1]), "shelf", "BIG", json!({"capacity_mm": 10_000})));
    let movers: Vec<i64> = (0..50).map(|n| id(&new_box(&app, &format!("MOVE-{n}"), roomy, json!({})))).collect();

    let answers = at_once([&app.url, &other.url], &app.admin_key, 50, &[], |n| {
        (
            Method::POST,
            format!("/api/v1/boxes/{}/moves", movers[n]),
            json!({"to_location_id": shelf, "reason": "relocation"}),
        )
    });
    assert_eq!(statuses(&answers, 201), 1, "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert_eq!(statuses(&answers, 409), 49);
    let space = fixtures::space(&app, shelf);
    assert_eq!((space["used_mm"].as_i64(), space["box_count"].as_i64()), (Some(1000), Some(8)));
    assert_eq!(count_rows(&app, &format!("boxes WHERE current_location_id = {shelf}")), 8);
}

#[test]
fn fifty_patches_with_the_same_if_match_let_exactly_one_win() {
    let app = patient_app();
    let other = app.second_instance();
    let place = repository(&app);
    let archive_box = id(&new_box(&app, "HS-1", place.shelves[0], json!({})));
    let answers = at_once([&app.url, &other.url], &app.admin_key, 50, &[("If-Match", "\"1\"")], |n| {
        (Method::PATCH, format!("/api/v1/boxes/{archive_box}"), json!({"label": format!("Hộp {n}")}))
    });
    assert_eq!(statuses(&answers, 200), 1);
    assert_eq!(statuses(&answers, 412), 49);
    let winner = answers.iter().find(|a| a.status == 200).unwrap();
    let stored = app.get(&format!("/api/v1/boxes/{archive_box}"));
    assert_eq!((stored.body["version"].as_i64(), &stored.body["label"]), (Some(2), &winner.body["label"]));
}

#[test]
fn concurrent_treatments_of_overlapping_pages_leave_at_most_one_open_per_page_and_type() {
    let app = patient_app();
    let other = app.second_instance();
    let fonds = fixtures::fonds(&app, "SNV", "Phông Sở Nội vụ");
    let file = fixtures::file(&app, fonds, 1, 200, json!({}));
    // Overlapping windows of 20 pages, 5 apart; two types.
    let answers = at_once([&app.url, &other.url], &app.admin_key, 40, &[], |n| {
        let first = (n % 20) * 5 + 1;
        let kind = if n < 20 { "backing" } else { "cleaning" };
        (
            Method::POST,
            "/api/v1/treatments".into(),
            json!({"file_id": file, "type": kind, "pages": format!("{first}-{}", first + 19)}),
        )
    });
    assert!(
        answers.iter().all(|a| [201, 409].contains(&a.status)),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert!(statuses(&answers, 201) >= 2, "at least one of each type");
    let overlaps = count_rows(
        &app,
        "treatments a JOIN treatments b
           ON a.id < b.id AND a.file_id = b.file_id AND a.type = b.type AND a.pages && b.pages
         WHERE a.status NOT IN ('completed', 'cancelled') AND b.status NOT IN ('completed', 'cancelled')",
    );
    assert_eq!(overlaps, 0);
}

#[test]
fn forty_retries_with_one_idempotency_key_make_one_write() {
    let app = patient_app();
    let other = app.second_instance();
    let place = repository(&app);
    new_box(&app, "HS-1", place.shelves[0], json!({}));
    let answers = at_once([&app.url, &other.url], &app.admin_key, 40, &[("Idempotency-Key", "audit-1")], |_| {
        (Method::POST, "/api/v1/audits".to_string(), json!({"location_id": place.shelves[0], "scanned": ["HS-1"]}))
    });
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(
        created.len() + statuses(&answers, 409),
        40,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert!(!created.is_empty());
    assert!(created.iter().all(|a| a.text == created[0].text), "every 201 is the one answer");
    assert_eq!(count_rows(&app, "audits"), 1);
    // Once it has committed, the key answers from what it stored.
    let again = at_once([&app.url, &other.url], &app.admin_key, 2, &[("Idempotency-Key", "audit-1")], |_| {
        (Method::POST, "/api/v1/audits".to_string(), json!({"location_id": place.shelves[0], "scanned": ["HS-1"]}))
    });
    assert!(
        again
            .iter()
            .all(|a| a.status == 201 && a.text == created[0].text && a.header("idempotent-replayed") == Some("true"))
    );
    assert_eq!(count_rows(&app, "audits"), 1);
}
