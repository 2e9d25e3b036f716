//! People and their sessions. Passwords are kept as Argon2id hashes; a session's token only as
//! its SHA-256.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::AsyncPgConnection;

use super::model::{Language, NewPerson, Person, PersonChanges, SignedIn};
use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::{Actor, Role, Secret, hash};
use crate::schema::{api_keys, people, sessions};

/// A session left alone this long ends: the next request signs in again.
pub const IDLE: Duration = Duration::hours(8);

/// How stale a session's `last_seen_at` may get before a request writes it again: one write a
/// minute per session, not one per request.
const SEEN_EVERY: Duration = Duration::minutes(1);

/// Registers a person with their actor; `created_by` is the actor creating them (none from the
/// command line). Call it in a transaction: it writes the actor, the person and the event.
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
    let created: Person = diesel::insert_into(people::table)
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
        })?;
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

/// Everyone with an account, by username, from after the username `after`.
pub fn list(conn: &mut PgConnection, after: Option<&str>, limit: i64) -> Result<Vec<Person>> {
    let mut query = people::table.select(Person::as_select()).order(people::username).limit(limit).into_boxed();
    if let Some(after) = after {
        query = query.filter(people::username.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Person> {
    people::table
        .find(id)
        .select(Person::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no person has the id {id}")))
}

/// The person `id` at `version` (for update), else why not.
fn current(conn: &mut PgConnection, id: i64, version: i32) -> Result<Person> {
    let person: Person = people::table
        .find(id)
        .select(Person::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no person has the id {id}")))?;
    if person.version != version {
        return Err(Error::Stale { current: person.version });
    }
    Ok(person)
}

/// An admin's change to an account, and what it must not do: leave the archive without an
/// enabled admin (an admin demoting or disabling themselves included).
enum AccountChange<'a> {
    Details(&'a PersonChanges),
    Disable,
    Enable,
    Password(&'a str),
}

/// Changes the account `id` (read at `version`) as `actor`: its name and role, whether it is
/// enabled, or its password. Disabling it or setting its password ends its sessions.
fn change(conn: &mut PgConnection, id: i64, version: i32, what: AccountChange, actor: &Actor) -> Result<Person> {
    let before = current(conn, id, version)?;
    let stays_admin = match &what {
        AccountChange::Details(changes) => changes.role == Role::Admin,
        AccountChange::Disable => false,
        AccountChange::Enable | AccountChange::Password(_) => true,
    };
    if before.role == Role::Admin && before.disabled_at.is_none() && !stays_admin {
        if before.actor_id == actor.key_id {
            return Err(Error::Conflict("you cannot take away your own admin account".into()));
        }
        let other_admins: i64 = people::table
            .filter(people::role.eq(Role::Admin))
            .filter(people::disabled_at.is_null())
            .filter(people::id.ne(id))
            .count()
            .get_result(conn)?;
        if other_admins == 0 {
            return Err(Error::Conflict("this is the last enabled admin account".into()));
        }
    }
    let row = people::table.find(id);
    let stamp = (
        people::version.eq(people::version + 1),
        people::updated_at.eq(diesel::dsl::now),
        people::updated_by.eq(actor.key_id),
    );
    let after: Person = match what {
        AccountChange::Details(changes) => {
            diesel::update(api_keys::table.find(before.actor_id))
                .set((api_keys::name.eq(&changes.display_name), api_keys::role.eq(changes.role)))
                .execute(conn)?;
            diesel::update(row)
                .set((people::display_name.eq(&changes.display_name), people::role.eq(changes.role), stamp))
                .returning(Person::as_returning())
                .get_result(conn)?
        }
        AccountChange::Disable => {
            end_sessions(conn, id)?;
            diesel::update(row)
                .set((people::disabled_at.eq(Some(Utc::now())), stamp))
                .returning(Person::as_returning())
                .get_result(conn)?
        }
        AccountChange::Enable => diesel::update(row)
            .set((people::disabled_at.eq(None::<chrono::DateTime<Utc>>), stamp))
            .returning(Person::as_returning())
            .get_result(conn)?,
        AccountChange::Password(password) => {
            end_sessions(conn, id)?;
            diesel::update(row)
                .set((
                    people::password_hash.eq(hash_password(password)),
                    people::password_changed_at.eq(diesel::dsl::now),
                    stamp,
                ))
                .returning(Person::as_returning())
                .get_result(conn)?
        }
    };
    events::record(conn, &[Change::updated(&before, &after)])?;
    Ok(after)
}

pub fn update(
    conn: &mut PgConnection,
    id: i64,
    version: i32,
    changes: &PersonChanges,
    actor: &Actor,
) -> Result<Person> {
    change(conn, id, version, AccountChange::Details(changes), actor)
}

/// Disables (`enabled` false) or enables the account; a disabled person cannot sign in.
pub fn set_enabled(conn: &mut PgConnection, id: i64, version: i32, enabled: bool, actor: &Actor) -> Result<Person> {
    change(conn, id, version, if enabled { AccountChange::Enable } else { AccountChange::Disable }, actor)
}

/// Sets a new password (checked by the caller) and signs the person out everywhere.
pub fn reset_password(conn: &mut PgConnection, id: i64, version: i32, password: &str, actor: &Actor) -> Result<Person> {
    change(conn, id, version, AccountChange::Password(password), actor)
}

fn end_sessions(conn: &mut PgConnection, person_id: i64) -> Result<()> {
    diesel::update(sessions::table.filter(sessions::person_id.eq(person_id)).filter(sessions::ended_at.is_null()))
        .set(sessions::ended_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
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
/// request's time (at most once a minute). On a pipelined connection: every page asks it.
pub async fn session(conn: &AsyncPgConnection, token: &str) -> Result<Option<SignedIn>> {
    let token_hash = hash(token);
    let idle_since = Utc::now() - IDLE;
    let live = sessions::table
        .inner_join(people::table)
        .filter(sessions::token_hash.eq(token_hash.clone()))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::last_seen_at.gt(idle_since))
        .filter(people::disabled_at.is_null())
        .select((Person::as_select(), sessions::csrf_token, sessions::last_seen_at));
    let found: Option<(Person, String, chrono::DateTime<Utc>)> =
        diesel_async::RunQueryDsl::first(live, &mut &*conn).await.optional()?;
    let Some((person, csrf_token, last_seen)) = found else { return Ok(None) };
    if Utc::now() - last_seen > SEEN_EVERY {
        let seen = diesel::update(sessions::table.find(token_hash)).set(sessions::last_seen_at.eq(diesel::dsl::now));
        diesel_async::RunQueryDsl::execute(seen, &mut &*conn).await?;
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
