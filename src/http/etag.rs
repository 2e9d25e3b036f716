//! Optimistic concurrency: every mutable resource has a `version`, sent as its ETag; a PATCH
//! must say which version it changes (`If-Match`), or it is refused.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use super::problem::ApiError;

/// A resource that carries a version.
pub trait Versioned {
    fn version(&self) -> i32;
}

pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// Versions start at 1: an entity tag this service never gave out names this one, which is
/// never current, so the request is refused with 412 like any other stale one (RFC 9110 §13.1.1:
/// no tag in the list matches).
const NO_VERSION: i32 = 0;

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
        let expected = req.headers().get(header::IF_MATCH).map(|value| parse(value.to_str().unwrap_or_default()));
        ready(Ok(IfMatch(expected)))
    }
}

/// `*` (any version), or the first tag of the list that is a version this service gives out:
/// `"3"`, or (forgiving a common slip) `3` without the quotes.
fn parse(text: &str) -> Option<i32> {
    let tags: Vec<&str> = text.split(',').map(str::trim).collect();
    if tags == ["*"] {
        return None;
    }
    let version = |tag: &str| {
        let inner = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag);
        inner.bytes().all(|b| b.is_ascii_digit()).then(|| inner.parse::<i32>().ok()).flatten()
    };
    Some(tags.into_iter().find_map(version).unwrap_or(NO_VERSION))
}
