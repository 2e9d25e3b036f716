//! Idempotency-Key records (see `http::idempotency` for the protocol).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Bytea, Jsonb, Nullable, SmallInt, Text};

use crate::error::Result;
use crate::http::answer::Answer;
use crate::keys::model::{Actor, Role};

/// How long a key is kept; a retry after that runs the request again.
pub const KEPT_HOURS: i64 = 24;

/// What an earlier request with the same key left.
pub enum Prior {
    /// None (or one older than [`KEPT_HOURS`]): the key is now this request's.
    Nothing,
    /// A request with this key is running right now.
    Running,
    /// The key was used for a different request (method, path or body).
    OtherRequest,
    /// The stored answer.
    Answered(Answer),
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    key_id: i64,
    #[diesel(sql_type = Text)]
    role: Role,
    #[diesel(sql_type = Bool)]
    free: bool,
    #[diesel(sql_type = Nullable<Bytea>)]
    fingerprint: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    status: Option<i16>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    headers: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Bytea>)]
    body: Option<Vec<u8>>,
}

/// In the request's transaction and in one statement: the active API key with `key_hash` (named
/// the actor of what follows, like `db::transaction_by` does), a transaction-scoped lock on its
/// idempotency `key` — held until this request commits its answer or rolls back, so that two
/// requests with one key never run together — and what an earlier request with `key` left.
/// None if the API key is unknown or revoked.
pub fn authenticate_and_claim(
    conn: &mut PgConnection,
    key_hash: &[u8],
    key: &str,
    fingerprint: &[u8],
) -> Result<Option<(Actor, Prior)>> {
    let row: Option<Row> = diesel::sql_query(
        "SELECT k.id AS key_id, k.role, pg_try_advisory_xact_lock(hashtextextended($2, k.id)) AS free,
                i.fingerprint, i.status, i.headers, i.body, set_config('paperkeep.actor', k.id::text, true)
         FROM api_keys k
         LEFT JOIN idempotency_keys i
                ON i.api_key_id = k.id AND i.key = $2 AND i.created_at > now() - make_interval(hours => $3::int)
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
    )
    .bind::<Bytea, _>(key_hash)
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(KEPT_HOURS)
    .get_result(conn)
    .optional()?;
    Ok(row.map(|row| {
        let actor = Actor { key_id: row.key_id, role: row.role };
        // A committed answer is replayed even while a replay elsewhere holds the lock.
        let prior = match row {
            Row { fingerprint: Some(ref stored), .. } if stored != fingerprint => Prior::OtherRequest,
            Row { status: Some(status), headers, body, .. } => Prior::Answered(Answer {
                status: status as u16,
                headers: headers.and_then(|h| serde_json::from_value(h).ok()).unwrap_or_default(),
                body: body.unwrap_or_default(),
            }),
            Row { free: false, .. } => Prior::Running,
            Row { .. } => Prior::Nothing,
        };
        (actor, prior)
    }))
}

/// Records `key` with the answer given, in the request's transaction (expired keys of anyone
/// are removed on the way). False if a live record of the key appeared since
/// [`authenticate_and_claim`] looked (a request with the same key committed in between): the
/// caller must roll back.
pub fn record(
    conn: &mut PgConnection,
    api_key_id: i64,
    key: &str,
    fingerprint: &[u8],
    answer: &Answer,
) -> Result<bool> {
    let headers = serde_json::to_value(&answer.headers).expect("headers serialise");
    let recorded = diesel::sql_query(
        "WITH expired AS (
             DELETE FROM idempotency_keys
             WHERE created_at <= now() - make_interval(hours => $7::int) AND (api_key_id, key) <> ($1, $2))
         INSERT INTO idempotency_keys AS kept (api_key_id, key, fingerprint, status, headers, body)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (api_key_id, key) DO UPDATE
         SET fingerprint = excluded.fingerprint, created_at = now(), status = excluded.status,
             headers = excluded.headers, body = excluded.body
         WHERE kept.created_at <= now() - make_interval(hours => $7::int)",
    )
    .bind::<BigInt, _>(api_key_id)
    .bind::<Text, _>(key)
    .bind::<Bytea, _>(fingerprint)
    .bind::<SmallInt, _>(answer.status as i16)
    .bind::<Jsonb, _>(headers)
    .bind::<Bytea, _>(&answer.body)
    .bind::<BigInt, _>(KEPT_HOURS)
    .execute(conn)?;
    Ok(recorded == 1)
}
