//! Idempotency-Key records (see `http::idempotency` for the protocol).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Bytea, Integer, Jsonb, Nullable, SmallInt, Text};

use crate::error::Result;
use crate::http::answer::Answer;
use crate::keys::model::{Actor, Role};

/// How long a key is kept; a retry after that runs the request again.
pub const KEPT_HOURS: i32 = 24;

diesel::define_sql_function! {
    /// See migrations/…_prepared_idempotency: a function call is a statement Diesel prepares once.
    fn pk_record_idempotency_key(api_key_id: BigInt, key: Text, fingerprint: Bytea, status: SmallInt,
                                 headers: Jsonb, body: Bytea, hours: Integer) -> Bool;
}

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

/// In the request's transaction and in one statement (`pk_claim_idempotency_key`, a PL/pgSQL
/// function so that its plan is kept): the active API key with `key_hash` (named
/// the actor of what follows, like `keys::repo::authenticate`), a transaction-scoped lock on its
/// idempotency `key` — held until this request commits its answer or rolls back, so that two
/// requests with one key never run together — and what an earlier request with `key` left.
/// None if the API key is unknown or revoked.
pub fn authenticate_and_claim(
    conn: &mut PgConnection,
    key_hash: &[u8],
    key: &str,
    fingerprint: &[u8],
) -> Result<Option<(Actor, Prior)>> {
    let row: Option<Row> = diesel::sql_query("SELECT * FROM pk_claim_idempotency_key($1, $2, $3)")
        .bind::<Bytea, _>(key_hash)
        .bind::<Text, _>(key)
        .bind::<Integer, _>(KEPT_HOURS)
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
    Ok(diesel::select(pk_record_idempotency_key(
        api_key_id,
        key,
        fingerprint,
        answer.status as i16,
        headers,
        &answer.body,
        KEPT_HOURS,
    ))
    .get_result(conn)?)
}
