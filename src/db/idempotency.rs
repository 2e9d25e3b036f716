//! Idempotency-Key records (see `http::idempotency` for the protocol).
//!
//! A keyed write costs no round trip of its own: the key is claimed in the message that begins
//! the request's transaction ([`claim`]) and recorded with the answer in the one that commits
//! it ([`record`]). Only when the transaction fails is an earlier record looked for
//! ([`prior`]): a retry runs, finds the key recorded and is undone, and gets the first answer.
//! A record is honoured for as long as it is there: [`sweep`] removes it within a minute of its
//! [`KEPT_HOURS`].
//!
//! Stored answers are sealed with a key derived from the API key that sent the request
//! ([`AnswerKey`]), which the database never holds (only its hash): an answer — a new API key's
//! secret, say — cannot be read from the database or a backup, only replayed to that API key.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use sha2::{Digest, Sha256};

use super::Json;
use crate::error::{Error, Result};
use crate::http::answer::Answer;
use crate::keys::sealing::{SEALED, SealingKey};
use crate::schema::idempotency_keys;

/// How long a key is kept; once its record is removed, a retry runs the request again.
pub const KEPT_HOURS: i32 = 24;
/// Expired records removed by one statement of [`sweep`], oldest first.
pub const SWEPT_AT_MOST: usize = 1_000;
/// The constraint a key taken by another request is reported as: the records' primary key, which
/// the claim's refusal names too (see the migration of `pk_claim_idempotency_key`).
const TAKEN: &str = "idempotency_keys_pkey";

/// The key that seals the answers stored for one API key.
#[derive(Clone)]
pub struct AnswerKey(SealingKey);

impl AnswerKey {
    pub fn of(api_key: &str) -> Self {
        AnswerKey(SealingKey::of(api_key, "paperkeep idempotent answers"))
    }

    /// `body` sealed for the record of `key` (which it is bound to: it opens for no other).
    fn seal(&self, key: &str, body: &[u8]) -> Vec<u8> {
        self.0.seal(key, body)
    }

    /// The body sealed for the record of `key`; None if it was not sealed with this key.
    fn open(&self, key: &str, stored: &[u8]) -> Option<Vec<u8>> {
        if stored.first() != Some(&SEALED) {
            // Recorded before answers were sealed (gone 24 hours after the upgrade): as stored.
            return Some(stored.to_vec());
        }
        self.0.open(key, stored)
    }
}

/// What an earlier request with the same key left.
pub enum Prior {
    /// The key was used for a different request (method, path or body).
    OtherRequest,
    /// The stored answer.
    Answered(Answer),
}

#[derive(Queryable)]
struct Stored {
    fingerprint: Vec<u8>,
    status: i16,
    headers: Json<Vec<(String, String)>>,
    body: Vec<u8>,
}

/// The statement that claims `key` of API key `api_key_id` for the transaction: a lock held until
/// it commits or rolls back, so that two requests with one key never run together. When another
/// request holds it, the statement fails at once with the error [`taken`] recognises.
pub fn claim(api_key_id: i64, key: &str) -> String {
    format!("SELECT pk_claim_idempotency_key({})", lock(api_key_id, key))
}

/// The statement that records `key` with the answer given, sent with COMMIT. When a record of
/// the key is there (a request with it committed first), it fails with the error [`taken`]
/// recognises and nothing commits.
pub fn record(api_key_id: i64, key: &str, fingerprint: &[u8], answer: &Answer, sealing: &AnswerKey) -> String {
    let headers = serde_json::to_string(&answer.headers).expect("headers serialise");
    // Sent as text with COMMIT (a batch takes no parameters), so every value is a literal.
    format!(
        "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, status, headers, body) \
         VALUES ({api_key_id}, {}, {}, {}, {}, {})",
        text(key),
        bytes(fingerprint),
        answer.status,
        text(&headers),
        bytes(&sealing.seal(key, &answer.body)),
    )
}

/// Removes up to [`SWEPT_AT_MOST`] records older than [`KEPT_HOURS`], the oldest first, and
/// says how many; records another sweep is removing are left to it.
pub fn sweep(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys \
         WHERE created_at <= now() - make_interval(hours => {KEPT_HOURS}) \
         ORDER BY created_at LIMIT {SWEPT_AT_MOST} FOR UPDATE SKIP LOCKED))"
    ))
    .execute(conn)
}

/// What a request with `key` of API key `api_key_id` left, if its record is still there.
pub fn prior(
    conn: &mut PgConnection,
    api_key_id: i64,
    key: &str,
    fingerprint: &[u8],
    sealing: &AnswerKey,
) -> Result<Option<Prior>> {
    let stored: Option<Stored> = idempotency_keys::table
        .find((api_key_id, key))
        .select((
            idempotency_keys::fingerprint,
            idempotency_keys::status,
            idempotency_keys::headers,
            idempotency_keys::body,
        ))
        .first(conn)
        .optional()?;
    Ok(stored.map(|stored| match stored {
        Stored { fingerprint: ref stored, .. } if stored != fingerprint => Prior::OtherRequest,
        Stored { status, headers: Json(headers), body, .. } => match sealing.open(key, &body) {
            Some(body) => Prior::Answered(Answer { status: status as u16, headers, body }),
            // Same request, another API key's seal: cannot happen, as records are per API key.
            None => Prior::OtherRequest,
        },
    }))
}

/// Whether `err` says that another request holds the key, or has recorded it first.
pub fn taken(err: &Error) -> bool {
    matches!(err, Error::Database(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
        if info.constraint_name() == Some(TAKEN))
}

/// The advisory lock standing for `key` of API key `api_key_id`.
fn lock(api_key_id: i64, key: &str) -> i64 {
    let digest = Sha256::new().chain_update(api_key_id.to_be_bytes()).chain_update(key).finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 digest has 8 bytes"))
}

/// `value` as a bytea literal. An escape string (`E'…'`) reads the same whatever
/// `standard_conforming_strings` says.
fn bytes(value: &[u8]) -> String {
    format!("E'\\\\x{}'", hex::encode(value))
}

/// `value` as a string literal: in an escape string only `\` and `'` are special.
fn text(value: &str) -> String {
    format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}
