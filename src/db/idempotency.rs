//! Idempotency-Key records (see `http::idempotency` for the protocol).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Bytea, Jsonb, Nullable, SmallInt, Text};

use crate::error::Result;

/// How long a key is kept; a retry after that runs the request again.
pub const KEPT_HOURS: i64 = 24;

/// What an earlier request with the same key left.
pub enum Prior {
    /// None (or one older than [`KEPT_HOURS`]).
    Nothing,
    /// A request with this key is running right now, or its answer was never stored.
    Running,
    /// The key was used for a different request (method, path or body).
    OtherRequest,
    /// The stored answer.
    Answered(StoredAnswer),
}

/// An answer kept for replay.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(QueryableByName)]
struct Row {
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

/// Looks up `key` for `api_key_id`, first taking a transaction-scoped lock on it so that two
/// requests with one key never run together. Call inside the request's transaction.
pub fn prior(conn: &mut PgConnection, api_key_id: i64, key: &str, fingerprint: &[u8]) -> Result<Prior> {
    let row: Row = diesel::sql_query(
        "SELECT pg_try_advisory_xact_lock(hashtextextended($2, $1)) AS free, k.fingerprint, k.status, k.headers, k.body
         FROM (SELECT 1) AS one
         LEFT JOIN idempotency_keys k
           ON k.api_key_id = $1 AND k.key = $2 AND k.created_at > now() - make_interval(hours => $3::int)",
    )
    .bind::<BigInt, _>(api_key_id)
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(KEPT_HOURS)
    .get_result(conn)?;
    Ok(match row {
        Row { free: false, .. } => Prior::Running,
        Row { fingerprint: None, .. } => Prior::Nothing,
        Row { fingerprint: Some(stored), .. } if stored != fingerprint => Prior::OtherRequest,
        Row { status: Some(status), headers, body, .. } => Prior::Answered(StoredAnswer {
            status: status as u16,
            headers: headers.and_then(|h| serde_json::from_value(h).ok()).unwrap_or_default(),
            body: body.unwrap_or_default(),
        }),
        Row { status: None, .. } => Prior::Running,
    })
}

/// Records `key` as used, in the transaction that does the request's work; on the way,
/// removes the keys that have expired (using the index on `created_at`, in the same round trip).
pub fn record(conn: &mut PgConnection, api_key_id: i64, key: &str, fingerprint: &[u8]) -> Result<()> {
    diesel::sql_query(
        "WITH expired AS (
             DELETE FROM idempotency_keys
             WHERE created_at <= now() - make_interval(hours => $4::int) AND (api_key_id, key) <> ($1, $2))
         INSERT INTO idempotency_keys (api_key_id, key, fingerprint) VALUES ($1, $2, $3)
         ON CONFLICT (api_key_id, key) DO UPDATE
         SET fingerprint = excluded.fingerprint, created_at = now(), status = NULL, headers = NULL, body = NULL",
    )
    .bind::<BigInt, _>(api_key_id)
    .bind::<Text, _>(key)
    .bind::<Bytea, _>(fingerprint)
    .bind::<BigInt, _>(KEPT_HOURS)
    .execute(conn)?;
    Ok(())
}

/// Stores the answer given to the request that recorded `key`. Committed without waiting for
/// the disk: should the database crash just then, the key stays recorded without its answer
/// (retries get 409), and the request costs one disk flush, not two.
pub fn store_answer(conn: &mut PgConnection, api_key_id: i64, key: &str, answer: &StoredAnswer) -> Result<()> {
    let headers = serde_json::to_value(&answer.headers).expect("headers serialise");
    diesel::sql_query(
        "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5
         FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous
         WHERE api_key_id = $1 AND key = $2",
    )
    .bind::<BigInt, _>(api_key_id)
    .bind::<Text, _>(key)
    .bind::<SmallInt, _>(answer.status as i16)
    .bind::<Jsonb, _>(headers)
    .bind::<Bytea, _>(&answer.body)
    .execute(conn)?;
    Ok(())
}
