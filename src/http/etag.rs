//! Optimistic concurrency: every mutable resource has a `version`, sent as its ETag; a PATCH
//! must say which version it changes (`If-Match`), or it is refused.

use std::future::{Ready, ready};

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder};
use serde::Serialize;

use super::problem::ApiError;

/// A resource that carries a version.
pub trait Versioned {
    fn version(&self) -> i32;
}

pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The `If-Match` header: absent (`None`), `*` (`Some(None)`: any version) or one ETag.
pub struct IfMatch(Option<Option<i32>>);

impl IfMatch {
    /// For PATCH: the header is mandatory (428 without it). Gives the version expected, or
    /// `None` for `*`.
    pub fn required(self) -> Result<Option<i32>, ApiError> {
        self.0.ok_or(ApiError::PreconditionRequired)
    }

    /// Where the header is optional: the version expected, if one was named.
    pub fn optional(self) -> Option<i32> {
        self.0.flatten()
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return ready(Ok(IfMatch(None)));
        };
        let parsed = value.to_str().ok().and_then(|text| parse(text.trim()));
        ready(parsed.map(|expected| IfMatch(Some(expected))).ok_or_else(|| {
            ApiError::malformed("If-Match", "must be an ETag this service gave out, such as \"3\", or *")
        }))
    }
}

fn parse(text: &str) -> Option<Option<i32>> {
    if text == "*" {
        return Some(None);
    }
    text.strip_prefix('"')?.strip_suffix('"')?.parse().ok().map(Some)
}

/// A JSON response carrying the resource's ETag; 201 with a `Location` when just created.
pub struct Tagged<T> {
    body: T,
    created_at: Option<String>,
}

impl<T> Tagged<T> {
    pub fn ok(body: T) -> Self {
        Tagged { body, created_at: None }
    }

    pub fn created(body: T, location: String) -> Self {
        Tagged { body, created_at: Some(location) }
    }
}

impl<T: Serialize + Versioned> Responder for Tagged<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let status = if self.created_at.is_some() { StatusCode::CREATED } else { StatusCode::OK };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::ETAG, etag(self.body.version())));
        if let Some(location) = self.created_at.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.insert_header((header::LOCATION, location));
        }
        response.json(self.body)
    }
}
