//! `Idempotency-Key` on POST, as the IETF httpapi draft describes it: a client that retries a
//! POST with the same key and body gets the first answer again (`Idempotent-Replayed: true`)
//! instead of a second write. Keys are scoped to the API key that sent them and kept 24 hours.
//!
//! The answer is rendered and stored in the same transaction as the request's work (see
//! `Caller::run`), so a committed write always has its answer and a crash keeps both or neither.
//! An answer that never was a write (a refusal, a 503 while the database was away) is not
//! stored: the transaction rolled back, and a retry runs afresh.

use actix_web::http::Method;
use actix_web::{HttpMessage, HttpRequest};
use sha2::{Digest, Sha256};

use super::problem::ApiError;
use crate::db::idempotency::AnswerKey;

pub const HEADER: &str = "Idempotency-Key";
/// Longest key accepted.
const MAX_KEY_LEN: usize = 255;

/// A POST's idempotency key, with the request it came on.
#[derive(Clone)]
pub struct Claim {
    pub key: String,
    /// Seals the answer stored for the key (see `db::idempotency`).
    pub sealing: AnswerKey,
    request: HttpRequest,
}

/// SHA-256 of the request body, left by the body extractors when an idempotency key is sent.
pub struct BodyDigest(pub Vec<u8>);

impl Claim {
    /// The request's key, sent with `api_key`: none for other methods or without the header;
    /// 400 for an empty, overlong or unreadable one.
    pub fn of(req: &HttpRequest, api_key: &str) -> Result<Option<Claim>, ApiError> {
        let Some(value) = req.headers().get(HEADER).filter(|_| req.method() == Method::POST) else {
            return Ok(None);
        };
        let bad = |message: &str| ApiError::malformed(HEADER, message);
        let key = value
            .to_str()
            .ok()
            .filter(|key| (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|byte| byte.is_ascii_graphic()));
        let key = key.ok_or_else(|| bad("must be 1 to 255 visible ASCII characters, without spaces"))?;
        Ok(Some(Claim { key: key.to_string(), sealing: AnswerKey::of(api_key), request: req.clone() }))
    }

    /// What makes two requests the same: method, path, query and body.
    pub fn fingerprint(&self) -> Vec<u8> {
        let mut hasher = Sha256::new();
        hasher.update(self.request.method().as_str());
        hasher.update(b" ");
        hasher.update(self.request.uri().to_string());
        hasher.update(b"\n");
        if let Some(BodyDigest(digest)) = self.request.extensions().get::<BodyDigest>() {
            hasher.update(digest);
        }
        hasher.finalize().to_vec()
    }
}

/// The body's digest, kept for [`Claim::fingerprint`] when the request carries a key.
pub fn remember_body(req: &HttpRequest, body: &[u8]) {
    if req.headers().contains_key(HEADER) {
        req.extensions_mut().insert(BodyDigest(Sha256::digest(body).to_vec()));
    }
}
