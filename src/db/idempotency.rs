//! Idempotency-Key records (see `http::idempotency` for the protocol).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Bytea, Jsonb, Nullable, SmallInt, Text};

use crate::error::Result;

/// How long a key is kept; a retry after that runs the request again.
pub const KEPT_HOURS: i64 = 24;

/// What an earlier request with the same key left.
pub enum Prior {
    /// None (or one older than [`KEPT_HOURS`]): the key is now this request's.
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

/// Claims `key` for `api_key_id` in the request's transaction, in one statement: takes a
/// transaction-scoped lock on it (so that two requests with one key never run together), looks
/// for what an earlier request left, and if nothing, records the key — so that it commits with
/// the work, or rolls back with it. Expired keys of anyone are removed on the way.
pub fn claim(conn: &mut PgConnection, api_key_id: i64, key: &str, fingerprint: &[u8]) -> Result<Prior> {
    let row: Row = diesel::sql_query(
        "WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtextextended($2, $1)) AS free),
         live AS (
             SELECT fingerprint, status, headers, body FROM idempotency_keys
             WHERE api_key_id = $1 AND key = $2 AND created_at > now() - make_interval(hours => $4::int)),
         expired AS (
             DELETE FROM idempotency_keys
             WHERE created_at <= now() - make_interval(hours => $4::int) AND (api_key_id, key) <> ($1, $2)),
         claimed AS (
             INSERT INTO idempotency_keys (api_key_id, key, fingerprint)
             SELECT $1, $2, $3 FROM lock WHERE free AND NOT EXISTS (SELECT 1 FROM live)
             ON CONFLICT (api_key_id, key) DO UPDATE
             SET fingerprint = excluded.fingerprint, created_at = now(), status = NULL, headers = NULL, body = NULL)
         SELECT lock.free, live.fingerprint, live.status, live.headers, live.body FROM lock LEFT JOIN live ON true",
    )
    .bind::<BigInt, _>(api_key_id)
    .bind::<Text, _>(key)
    .bind::<Bytea, _>(fingerprint)
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
