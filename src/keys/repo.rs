use diesel::prelude::*;
use diesel_async::AsyncPgConnection;

use super::model::{Actor, ApiKey, Role, Secret};
use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::schema::api_keys;

/// The active key with this hash, if any, on a pipelined connection (see `db::pipelined`): every
/// request's, before it takes a pooled connection, and the look-up's beside its work.
pub async fn authenticate(conn: &AsyncPgConnection, key_hash: &[u8]) -> Result<Option<Actor>> {
    let query = active(key_hash).select((api_keys::id, api_keys::role));
    let found: QueryResult<(i64, Role)> = diesel_async::RunQueryDsl::first(query, &mut &*conn).await;
    Ok(found.optional()?.map(|(key_id, role)| Actor { key_id, role }))
}

/// The key with this hash, unless it is revoked.
#[diesel::dsl::auto_type(no_type_alias)]
fn active<'a>(key_hash: &'a [u8]) -> _ {
    api_keys::table.filter(api_keys::key_hash.eq(key_hash)).filter(api_keys::revoked_at.is_null())
}

pub fn create(
    conn: &mut PgConnection,
    name: &str,
    role: Role,
    secret: &Secret,
    created_by: Option<i64>,
) -> Result<ApiKey> {
    let created = diesel::insert_into(api_keys::table)
        .values((
            api_keys::name.eq(name),
            api_keys::role.eq(role),
            api_keys::prefix.eq(secret.prefix()),
            api_keys::key_hash.eq(secret.hash()),
            api_keys::created_by.eq(created_by),
        ))
        .returning(ApiKey::as_returning())
        .get_result(conn)
        .map_err(|err| match err {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict("this key already exists".into())
            }
            other => other.into(),
        })?;
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

/// On an empty database, creates the first admin key; returns its secret to show once.
/// `given` (PAPERKEEP_BOOTSTRAP_KEY) replaces the random key, for automation.
pub fn bootstrap(conn: &mut PgConnection, given: Option<&str>) -> Result<Option<String>> {
    conn.transaction(|conn| {
        // Instances starting together must not both create a first key.
        diesel::sql_query("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE").execute(conn)?;
        let any: i64 = api_keys::table.count().get_result(conn)?;
        if any > 0 {
            return Ok(None);
        }
        let secret = given.map_or_else(Secret::generate, Secret::given);
        create(conn, "bootstrap admin", Role::Admin, &secret, None)?;
        Ok(Some(secret.reveal()))
    })
}

/// Keys in creation order, after the key with id `after`; `limit + 1` rows at most.
pub fn list(conn: &mut PgConnection, after: Option<i64>, limit: i64) -> Result<Vec<ApiKey>> {
    Ok(api_keys::table
        .filter(api_keys::person.eq(false))
        .filter(api_keys::id.gt(after.unwrap_or(0)))
        .order(api_keys::id)
        .limit(limit + 1)
        .select(ApiKey::as_select())
        .load(conn)?)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<ApiKey> {
    api_keys::table
        .find(id)
        .filter(api_keys::person.eq(false))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no API key has id {id}")))
}

/// The name of each of these actors (a key's, or a person's full name), by id.
pub fn names(conn: &mut PgConnection, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
    let found: Vec<(i64, String)> =
        api_keys::table.filter(api_keys::id.eq_any(ids)).select((api_keys::id, api_keys::name)).load(conn)?;
    Ok(found.into_iter().collect())
}

/// Revokes a key at once. Revoking a revoked key changes nothing; the last active admin key
/// cannot be revoked, so the archive can never lock itself out.
pub fn revoke(conn: &mut PgConnection, id: i64, actor: &Actor) -> Result<()> {
    let key = get(conn, id)?;
    if key.revoked_at.is_some() {
        return Ok(());
    }
    if id == actor.key_id {
        // A caller locking itself out by mistake would need the command line to get back in.
        return Err(Error::Conflict("a key cannot revoke itself; revoke it with another admin key".into()));
    }
    if key.role == Role::Admin {
        // Serialises concurrent revocations of admin keys.
        diesel::sql_query("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE").execute(conn)?;
        let admins: i64 = api_keys::table
            .filter(api_keys::role.eq(Role::Admin))
            .filter(api_keys::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        if admins <= 1 {
            return Err(Error::Conflict("this is the last active admin key; create another admin key first".into()));
        }
    }
    let revoked = diesel::update(api_keys::table.find(id))
        .set((api_keys::revoked_at.eq(diesel::dsl::now), api_keys::revoked_by.eq(actor.key_id)))
        .returning(ApiKey::as_returning())
        .get_result(conn)?;
    events::record(conn, &[Change::new("revoked", &revoked, Some(&key))])
}
