//! Staff accounts and their sessions: passwords kept as Argon2id hashes, an actor of their own
//! that no bearer key opens, sessions that end.

use diesel::RunQueryDsl;
use paperkeep::keys::model::Role;
use paperkeep::people::model::{Language, NewPerson, SignedIn};
use paperkeep::people::repo as people;
use serde_json::json;

use crate::support::{TestApp, count_rows};

fn lan() -> NewPerson {
    NewPerson {
        username: "Lan.Nguyen".into(),
        display_name: "Nguyễn Thị Lan".into(),
        role: Role::Conservator,
        password: "giấy dó và hồ CMC".into(),
        language: None,
    }
}

#[test]
fn a_person_signs_in_with_their_password_only_while_enabled() {
    let app = TestApp::spawn();
    let mut conn = app.db();
    let person = people::create(&mut conn, &lan(), None).unwrap();
    assert_eq!((person.username.as_str(), person.language), ("lan.nguyen", Language::Vi), "usernames in lower case");
    let stored: String =
        diesel::sql_query("SELECT password_hash AS value FROM people").get_result::<Value>(&mut conn).unwrap().value;
    assert!(stored.starts_with("$argon2id$"), "{stored}");

    let signs_in =
        |conn: &mut _, name: &str, password: &str| people::verify(conn, name, password).unwrap().map(|p| p.id);
    assert_eq!(signs_in(&mut conn, "LAN.NGUYEN", "giấy dó và hồ CMC"), Some(person.id));
    assert_eq!(signs_in(&mut conn, "lan.nguyen", "giấy dó và hồ cmc"), None, "a wrong password");
    assert_eq!(signs_in(&mut conn, "minh", "giấy dó và hồ CMC"), None, "no such person");
    let duplicate = people::create(&mut conn, &lan(), None).unwrap_err();
    assert!(matches!(duplicate, paperkeep::error::Error::Conflict(_)), "{duplicate:?}");

    diesel::sql_query("UPDATE people SET disabled_at = now()").execute(&mut conn).unwrap();
    assert_eq!(signs_in(&mut conn, "lan.nguyen", "giấy dó và hồ CMC"), None, "a disabled account");
}

#[test]
fn a_persons_actor_is_no_api_key() {
    let app = TestApp::spawn();
    let person = people::create(&mut app.db(), &lan(), None).unwrap();
    assert_eq!(count_rows(&app, &format!("api_keys WHERE id = {} AND person", person.actor_id)), 1);
    let keys = app.get("/api/v1/api-keys");
    assert!(!keys.items().iter().any(|k| k["id"] == person.actor_id), "not listed among the keys");
    app.get(&format!("/api/v1/api-keys/{}", person.actor_id)).problem(404);
    let revoke = app.post(&format!("/api/v1/api-keys/{}/revoke", person.actor_id), json!(null));
    assert_eq!(revoke.status, 404);
}

#[test]
fn a_session_ends_by_signing_out_by_idling_or_with_its_persons_account() {
    let app = TestApp::spawn();
    let mut conn = app.db();
    let person = people::create(&mut conn, &lan(), None).unwrap();
    let live = |_: &mut _, token: &str| session(&app, token).map(|s| s.person.id);

    let first = people::start_session(&mut conn, &person).unwrap();
    let second = people::start_session(&mut conn, &person).unwrap();
    assert_ne!(first, second, "a new token at every sign-in");
    assert_eq!(live(&mut conn, &first), Some(person.id));
    assert_eq!(count_rows(&app, &format!("sessions WHERE token_hash = sha256('{first}')")), 1, "kept as a hash");
    assert_eq!(
        count_rows(&app, &format!("sessions WHERE position(convert_to('{first}', 'UTF8') in token_hash) > 0")),
        0
    );
    let csrf = session(&app, &first).unwrap().csrf_token;
    assert!(csrf.len() >= 32);

    people::end_session(&mut conn, &first).unwrap();
    assert_eq!(live(&mut conn, &first), None, "signed out");
    assert_eq!(live(&mut conn, &second), Some(person.id), "other sessions go on");
    assert_eq!(live(&mut conn, "pk_no_such_session"), None);

    diesel::sql_query("UPDATE sessions SET last_seen_at = now() - interval '9 hours'").execute(&mut conn).unwrap();
    assert_eq!(live(&mut conn, &second), None, "idle too long");
    let third = people::start_session(&mut conn, &person).unwrap();
    diesel::sql_query("UPDATE people SET disabled_at = now()").execute(&mut conn).unwrap();
    assert_eq!(live(&mut conn, &third), None, "a disabled account's sessions end");
}

/// The session `token`'s person, asked as every page asks: on a pipelined connection.
fn session(app: &TestApp, token: &str) -> Option<SignedIn> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let connections = paperkeep::db::pipelined::PipelinedConnections::like(&app.pool);
        let used = connections.get().await.unwrap();
        people::session(&used.conn, token).await.unwrap()
    })
}

#[derive(diesel::QueryableByName)]
struct Value {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}
