//! People and their sessions. Passwords are kept as Argon2id hashes; a session's token only as
//! its SHA-256.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{Language, NewPerson, Person, SignedIn};
use crate::error::{Error, Result};
use crate::keys::model::{Secret, hash};
use crate::schema::{api_keys, people, sessions};

/// A session left alone this long ends: the next request signs in again.
pub const IDLE: Duration = Duration::hours(8);

/// How stale a session's `last_seen_at` may get before a request writes it again: one write a
/// minute per session, not one per request.
const SEEN_EVERY: Duration = Duration::minutes(1);

/// Registers a person with their actor; `created_by` is the actor creating them (none from the
/// command line).
pub fn create(conn: &mut PgConnection, new: &NewPerson, created_by: Option<i64>) -> Result<Person> {
    let username = new.username.to_lowercase();
    // Their actor: a key row whose secret is thrown away, so that no bearer key opens it.
    let unusable = Secret::generate();
    let actor_id: i64 = diesel::insert_into(api_keys::table)
        .values((
            api_keys::name.eq(&new.display_name),
            api_keys::role.eq(new.role),
            api_keys::prefix.eq(format!("@{username}")),
            api_keys::key_hash.eq(unusable.hash()),
            api_keys::created_by.eq(created_by),
            api_keys::person.eq(true),
        ))
        .returning(api_keys::id)
        .get_result(conn)?;
    diesel::insert_into(people::table)
        .values((
            people::username.eq(&username),
            people::display_name.eq(&new.display_name),
            people::role.eq(new.role),
            people::password_hash.eq(hash_password(&new.password)),
            people::language.eq(new.language.unwrap_or(Language::Vi)),
            people::actor_id.eq(actor_id),
            people::created_by.eq(created_by),
            people::updated_by.eq(created_by),
        ))
        .returning(Person::as_returning())
        .get_result(conn)
        .map_err(|err| match err {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(format!("someone has the username `{username}` already"))
            }
            other => other.into(),
        })
}

/// The person with this username and password, if both are right and the account is enabled.
/// Takes as long for an unknown username as for a wrong password.
pub fn verify(conn: &mut PgConnection, username: &str, password: &str) -> Result<Option<Person>> {
    let found: Option<(Person, String)> = people::table
        .filter(people::username.eq(username.trim().to_lowercase()))
        .select((Person::as_select(), people::password_hash))
        .first(conn)
        .optional()?;
    let stored = found.as_ref().map_or(unknown_hash(), |(_, stored)| stored.as_str());
    let matches = PasswordHash::new(stored)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
    Ok(found.filter(|(person, _)| matches && person.disabled_at.is_none()).map(|(person, _)| person))
}

fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system provides randomness");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("Argon2id hashes any password").to_string()
}

/// A hash no password matches, checked for unknown usernames so that they cost the same time.
fn unknown_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&Secret::generate().reveal()))
}

/// Starts a session for `person`; returns the cookie's token (a new one at every sign-in).
pub fn start_session(conn: &mut PgConnection, person: &Person) -> Result<String> {
    let token = Secret::generate().reveal();
    let csrf_token = Secret::generate().reveal();
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(hash(&token)),
            sessions::person_id.eq(person.id),
            sessions::csrf_token.eq(csrf_token),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The person of a live session: not ended, not idle too long, its person enabled. Notes the
/// request's time (at most once a minute).
pub fn session(conn: &mut PgConnection, token: &str) -> Result<Option<SignedIn>> {
    let idle_since = Utc::now() - IDLE;
    let found: Option<(Person, String, chrono::DateTime<Utc>)> = sessions::table
        .inner_join(people::table)
        .filter(sessions::token_hash.eq(hash(token)))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::last_seen_at.gt(idle_since))
        .filter(people::disabled_at.is_null())
        .select((Person::as_select(), sessions::csrf_token, sessions::last_seen_at))
        .first(conn)
        .optional()?;
    let Some((person, csrf_token, last_seen)) = found else { return Ok(None) };
    if Utc::now() - last_seen > SEEN_EVERY {
        diesel::update(sessions::table.find(hash(token)))
            .set(sessions::last_seen_at.eq(diesel::dsl::now))
            .execute(conn)?;
    }
    Ok(Some(SignedIn { person, csrf_token }))
}

/// Ends the session with this token (signing out).
pub fn end_session(conn: &mut PgConnection, token: &str) -> Result<()> {
    diesel::update(sessions::table.find(hash(token)).filter(sessions::ended_at.is_null()))
        .set(sessions::ended_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

/// Keeps the language a person reads the app in.
pub fn set_language(conn: &mut PgConnection, person_id: i64, language: Language) -> Result<()> {
    diesel::update(people::table.find(person_id)).set(people::language.eq(language)).execute(conn)?;
    Ok(())
}

/// Whether anyone has an account (the first start says how to make one).
pub fn any(conn: &mut PgConnection) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(people::table.select(people::id))).get_result(conn)?)
}
