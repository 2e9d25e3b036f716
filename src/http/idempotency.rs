//! `Idempotency-Key` on POST, as the IETF httpapi draft describes it: a client that retries a
//! POST with the same key and body gets the first answer again (`Idempotent-Replayed: true`)
//! instead of a second write. Keys are scoped to the API key that sent them and kept 24 hours.
//!
//! The key is recorded in the same transaction as the request's work (see `Caller::run`), so a
//! committed write always has its key; the answer is stored right after, by [`store_answers`].
//! An answer that never was a write (a refusal, a 503 while the database was away) is not
//! stored: the transaction rolled back, and a retry runs afresh.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::AppState;
use super::problem::ApiError;
use crate::db::idempotency::{self, StoredAnswer};

pub const HEADER: &str = "Idempotency-Key";
/// Longest key accepted.
const MAX_KEY_LEN: usize = 255;
/// Answer headers kept for replay (with the body and status).
const KEPT_HEADERS: [header::HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// A POST's idempotency key, with the request it came on.
#[derive(Clone)]
pub struct Claim {
    pub key: String,
    request: HttpRequest,
}

/// SHA-256 of the request body, left by the body extractors when an idempotency key is sent.
pub struct BodyDigest(pub Vec<u8>);

/// Marks a request whose key was recorded, so that its answer is stored.
struct Recorded {
    api_key_id: i64,
    key: String,
}

impl Claim {
    /// The request's key: none for other methods or without the header; 400 for an empty,
    /// overlong or unreadable one.
    pub fn of(req: &HttpRequest) -> Result<Option<Claim>, ApiError> {
        let Some(value) = req.headers().get(HEADER).filter(|_| req.method() == Method::POST) else {
            return Ok(None);
        };
        let bad = |message: &str| ApiError::malformed(HEADER, message);
        let key = value
            .to_str()
            .ok()
            .filter(|key| (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|byte| byte.is_ascii_graphic()));
        let key = key.ok_or_else(|| bad("must be 1 to 255 visible ASCII characters, without spaces"))?;
        Ok(Some(Claim { key: key.to_string(), request: req.clone() }))
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

    /// The key was recorded with the request's work: its answer is to be stored.
    pub fn recorded(self, api_key_id: i64) {
        self.request.extensions_mut().insert(Recorded { api_key_id, key: self.key });
    }
}

/// The body's digest, kept for [`Claim::fingerprint`] when the request carries a key.
pub fn remember_body(req: &HttpRequest, body: &[u8]) {
    if req.headers().contains_key(HEADER) {
        req.extensions_mut().insert(BodyDigest(Sha256::digest(body).to_vec()));
    }
}

/// Stores the answer of each request whose key was recorded. A failure to store is logged:
/// the write stands and its answer goes out; retries are then answered 409.
pub async fn store_answers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?;
    let Some(Recorded { api_key_id, key }) = response.request().extensions_mut().remove::<Recorded>() else {
        return Ok(response.map_into_boxed_body());
    };
    let (request, response) = response.into_parts();
    let status = response.status();
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| response.headers().get(name).map(|value| (name, value)))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let (head, body) = response.into_parts();
    let body =
        actix_web::body::to_bytes(body).await.map_err(|err| actix_web::error::ErrorInternalServerError(err.into()))?;
    let answer = StoredAnswer { status: status.as_u16(), headers, body: body.to_vec() };
    let state = request.app_data::<web::Data<AppState>>().cloned().expect("AppState is registered");
    let stored =
        state.with_connection(move |conn| Ok(idempotency::store_answer(conn, api_key_id, &key, &answer)?)).await;
    if let Err(err) = stored {
        log::error!("the answer to an idempotent request was not stored: {err}");
    }
    Ok(ServiceResponse::new(request, head.set_body(body).map_into_boxed_body()))
}

/// The stored answer, sent again.
pub fn replay(answer: &StoredAnswer) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(answer.status).unwrap_or(actix_web::http::StatusCode::OK);
    let mut response = HttpResponse::build(status);
    for (name, value) in &answer.headers {
        response.insert_header((name.as_str(), value.as_str()));
    }
    response.insert_header(("Idempotent-Replayed", "true")).body(answer.body.clone())
}
