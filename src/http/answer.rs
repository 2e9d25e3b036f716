//! What a write answers, rendered inside its transaction: status, the headers worth keeping and
//! the body's bytes. An idempotent request's answer is thereby stored in the same transaction
//! as its work, with no second trip to the database and no wait for the HTTP side.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Responder};
use serde::Serialize;

use super::etag::{Versioned, etag};

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Content-Type, Location, ETag: all a replay must repeat.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// `body` as JSON with `status`.
    pub fn json(status: StatusCode, body: &impl Serialize) -> Self {
        Answer {
            status: status.as_u16(),
            headers: vec![(header::CONTENT_TYPE.to_string(), "application/json".into())],
            body: serde_json::to_vec(body).expect("answers serialise"),
        }
    }

    /// 200 with `body` as JSON.
    pub fn ok(body: &impl Serialize) -> Self {
        Answer::json(StatusCode::OK, body)
    }

    /// 201 with `body` as JSON, found at `location`.
    pub fn created(body: &impl Serialize, location: String) -> Self {
        Answer::json(StatusCode::CREATED, body).header(header::LOCATION.as_str(), location)
    }

    /// 200 with a versioned resource and its ETag.
    pub fn tagged(body: &(impl Serialize + Versioned)) -> Self {
        Answer::json(StatusCode::OK, body).header(header::ETAG.as_str(), etag(body.version()))
    }

    /// 201 with a versioned resource just created at `location`, and its ETag.
    pub fn tagged_created(body: &(impl Serialize + Versioned), location: String) -> Self {
        Answer::created(body, location).header(header::ETAG.as_str(), etag(body.version()))
    }

    /// 204.
    pub fn no_content() -> Self {
        Answer { status: StatusCode::NO_CONTENT.as_u16(), headers: Vec::new(), body: Vec::new() }
    }

    /// The stored answer of an earlier request with the same Idempotency-Key, sent again.
    pub fn replayed(self) -> Self {
        self.header("Idempotent-Replayed", "true".into())
    }

    fn header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_string(), value));
        self
    }
}

impl Responder for Answer {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut response = HttpResponse::build(status);
        for (name, value) in &self.headers {
            response.insert_header((name.as_str(), value.as_str()));
        }
        response.body(self.body)
    }
}
