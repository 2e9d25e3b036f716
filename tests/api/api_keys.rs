//! API keys: creation, listing without secrets, hashing at rest, revocation, roles.

use diesel::prelude::*;
use paperkeep::schema::api_keys;
use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::support::{Answer, TestApp, count_rows};

const ROLES: [&str; 6] = ["admin", "storage_manager", "conservator", "head_conservator", "integration", "viewer"];

#[test]
fn an_admin_creates_a_key_whose_secret_is_shown_once() {
    let app = TestApp::spawn();
    let created = app.post("/api/v1/api-keys", json!({"name": "Phòng đọc — reading room", "role": "viewer"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let key = created.body["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("pk_") && key.len() == 67, "{key}");
    assert_eq!(created.body["prefix"], key[..11]);
    assert_eq!(created.body["role"], "viewer");
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.header("location"), Some(format!("/api/v1/api-keys/{id}").as_str()));

    let listed = app.get("/api/v1/api-keys");
    assert_eq!(listed.status, 200);
    assert_eq!(listed.items().len(), 2);
    assert!(!listed.text.contains(&key[11..]), "a listing never shows a secret");
    let one = app.get(&format!("/api/v1/api-keys/{id}"));
    assert_eq!(one.body["name"], "Phòng đọc — reading room");
    assert!(one.body.get("key").is_none());

    let with_new_key: Answer = app.request_as(Some(&key), Method::GET, "/api/v1/locations").send().into();
    assert_eq!(with_new_key.status, 200);
}

#[test]
fn keys_are_stored_only_as_sha256_hashes() {
    let app = TestApp::spawn();
    let key = app.key("conservator");
    let rows: Vec<(String, Vec<u8>)> =
        api_keys::table.select((api_keys::prefix, api_keys::key_hash)).load(&mut app.db()).unwrap();
    let expected = Sha256::digest(key.as_bytes()).to_vec();
    assert!(rows.iter().any(|(prefix, hash)| *hash == expected && key.starts_with(prefix.as_str())));
    // No column of the table holds the secret.
    let dump: String = diesel::sql_query("SELECT string_agg(t::text, '|') AS dump FROM api_keys t")
        .get_result::<Dump>(&mut app.db())
        .unwrap()
        .dump;
    assert!(!dump.contains(&key[11..]));
}

#[derive(QueryableByName)]
struct Dump {
    #[diesel(sql_type = diesel::sql_types::Text)]
    dump: String,
}

#[test]
fn missing_bad_or_revoked_keys_are_401() {
    let app = TestApp::spawn();
    let answer: Answer = app.request_as(None, Method::GET, "/api/v1/locations").send().into();
    answer.problem(401);
    assert_eq!(answer.header("www-authenticate"), Some("Bearer realm=\"paperkeep\""));
    Answer::from(app.request_as(Some("pk_not-a-key"), Method::GET, "/api/v1/locations").send()).problem(401);
    let basic: Answer = app
        .request_as(None, Method::GET, "/api/v1/locations")
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .into();
    basic.problem(401);

    let key = app.key("storage_manager");
    let id = app.get("/api/v1/api-keys").body["items"][1]["id"].as_i64().unwrap();
    assert_eq!(Answer::from(app.request_as(Some(&key), Method::GET, "/api/v1/locations").send()).status, 200);
    assert_eq!(app.post(&format!("/api/v1/api-keys/{id}/revoke"), json!(null)).status, 200);
    Answer::from(app.request_as(Some(&key), Method::GET, "/api/v1/locations").send()).problem(401);
    // Revoking again changes nothing; the listing shows when and by whom.
    assert_eq!(app.post(&format!("/api/v1/api-keys/{id}/revoke"), json!(null)).status, 200);
    let revoked = app.get(&format!("/api/v1/api-keys/{id}"));
    assert!(revoked.body["revoked_at"].is_string());
    assert_eq!(revoked.body["revoked_by"], 1);
}

#[test]
fn every_role_reads_and_only_admin_manages_keys() {
    let app = TestApp::spawn();
    for role in ROLES {
        let key = app.key(role);
        let read: Answer = app.request_as(Some(&key), Method::GET, "/api/v1/locations").send().into();
        assert_eq!(read.status, 200, "{role} reads");
        let manage: Answer = app
            .request_as(Some(&key), Method::POST, "/api/v1/api-keys")
            .json(&json!({"name": "x", "role": "viewer"}))
            .send()
            .into();
        if role == "admin" {
            assert_eq!(manage.status, 201);
        } else {
            manage.problem(403);
            Answer::from(app.request_as(Some(&key), Method::GET, "/api/v1/api-keys").send()).problem(403);
        }
    }
}

#[test]
fn only_admin_and_storage_manager_write_locations() {
    let app = TestApp::spawn();
    for role in ROLES {
        let key = app.key(role);
        let answer: Answer = app
            .request_as(Some(&key), Method::POST, "/api/v1/locations")
            .json(&json!({"kind": "building", "code": format!("B{}", role.len())}))
            .send()
            .into();
        match role {
            "admin" | "storage_manager" => {
                assert_eq!(answer.status, 201, "{role}: {}", answer.text)
            }
            _ => {
                let problem = answer.problem(403);
                assert!(problem["detail"].as_str().unwrap().contains(role));
            }
        }
    }
}

#[test]
fn a_key_cannot_revoke_itself_nor_the_last_active_admin_key() {
    let app = TestApp::spawn();
    let detail = app.post("/api/v1/api-keys/1/revoke", json!(null)).problem(409)["detail"].clone();
    assert!(detail.as_str().unwrap().contains("itself"), "{detail}");
    let second_admin = app.key("admin");
    let answer: Answer = app.request_as(Some(&second_admin), Method::POST, "/api/v1/api-keys/1/revoke").send().into();
    assert_eq!(answer.status, 200);
    Answer::from(app.request_as(Some(&second_admin), Method::POST, "/api/v1/api-keys/2/revoke").send()).problem(409);
}

/// Two admins, the last two, revoking each other at once: one wins, the other is refused (409,
/// or 401 once its key is gone); an archive is never left without an admin.
#[test]
fn the_last_two_admins_revoking_each_other_at_once_leave_one() {
    let app = TestApp::spawn();
    let mut survivor = (1, app.admin_key.clone());
    for _ in 0..3 {
        let admin = |by: &str| {
            let answer: Answer = app
                .request_as(Some(by), Method::POST, "/api/v1/api-keys")
                .json(&json!({"name": "admin", "role": "admin"}))
                .send()
                .into();
            (answer.body["id"].as_i64().unwrap(), answer.body["key"].as_str().unwrap().to_string())
        };
        let pair = [admin(&survivor.1), admin(&survivor.1)];
        let revoke = |by: &str, id: i64| -> u16 {
            Answer::from(app.request_as(Some(by), Method::POST, &format!("/api/v1/api-keys/{id}/revoke")).send()).status
        };
        assert_eq!(revoke(&pair[0].1, survivor.0), 200);
        let answers: Vec<u16> = std::thread::scope(|scope| {
            let first = scope.spawn(|| revoke(&pair[0].1, pair[1].0));
            let second = scope.spawn(|| revoke(&pair[1].1, pair[0].0));
            vec![first.join().unwrap(), second.join().unwrap()]
        });
        assert_eq!(answers.iter().filter(|status| **status == 200).count(), 1, "{answers:?}");
        assert!(answers.iter().all(|status| [200, 401, 409].contains(status)), "{answers:?}");
        survivor = if answers[0] == 200 { pair[0].clone() } else { pair[1].clone() };
        let active_admins = count_rows(&app, "api_keys WHERE role = 'admin' AND revoked_at IS NULL");
        assert_eq!(active_admins, 1);
    }
}

#[test]
fn key_requests_are_validated() {
    let app = TestApp::spawn();
    // Shape errors (an unknown role) come first; value rules apply to a body of the right shape.
    assert_eq!(app.post("/api/v1/api-keys", json!({"name": "", "role": "king"})).invalid_fields(), ["role"]);
    assert_eq!(app.post("/api/v1/api-keys", json!({"name": "", "role": "viewer"})).invalid_fields(), ["name"]);
    assert_eq!(
        app.post("/api/v1/api-keys", json!({"name": "x".repeat(101), "role": "viewer"})).invalid_fields(),
        ["name"]
    );
    app.get("/api/v1/api-keys/999").problem(404);
    app.post("/api/v1/api-keys/999/revoke", json!(null)).problem(404);
}

#[test]
fn keys_are_listed_page_by_page() {
    let app = TestApp::spawn();
    for _ in 0..4 {
        app.key("viewer");
    }
    let seen: Vec<i64> = app.all_pages("/api/v1/api-keys?limit=2").iter().map(|k| k["id"].as_i64().unwrap()).collect();
    assert_eq!(seen, [1, 2, 3, 4, 5]);
}
