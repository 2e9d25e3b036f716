//! Query-string extractors. Unknown parameters are rejected (a typo must not silently widen a
//! search) and every bad parameter is named, answered 422 as problem+json.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use validator::Validate;

use super::body::{quoted_name, validation_errors};
use super::problem::ApiError;
use crate::error::{Error, FieldError};
use crate::text;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// Query parameters deserialised into `T`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Validate> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(pairs(req).and_then(decode).and_then(validated).map(Query))
    }
}

/// A list's filters `F` plus the paging parameters every list takes.
pub struct ListQuery<F> {
    pub filter: F,
    pub page: PageParams,
}

impl<F: DeserializeOwned + Validate> FromRequest for ListQuery<F> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = match pairs(req) {
            Ok(pairs) => pairs,
            Err(err) => return ready(Err(err)),
        };
        let (paging, filters): (Vec<_>, Vec<_>) =
            pairs.into_iter().partition(|(key, _)| key == "limit" || key == "cursor");
        let parsed = match (decode::<PageParams>(paging), decode::<F>(filters).and_then(validated)) {
            (Ok(page), Ok(filter)) => page.validate().map(|page| ListQuery { filter, page }),
            (Err(a), Err(b)) => Err(merge(a, b)),
            (Err(err), _) | (_, Err(err)) => Err(err),
        };
        ready(parsed)
    }
}

/// `limit` and `cursor`, the paging parameters of every list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page; opaque (anything else is answered 400).
    #[param(pattern = "^[A-Za-z0-9_-]{1,1000}$")]
    pub cursor: Option<String>,
}

impl PageParams {
    fn validate(self) -> Result<Self, ApiError> {
        match self.limit {
            Some(limit) if !(1..=MAX_LIMIT).contains(&limit) => {
                Err(Error::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")).into())
            }
            _ => Ok(self),
        }
    }

    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// The position the previous page ended at, or `None` for the first page.
    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, ApiError> {
        self.cursor.as_deref().map(|cursor| decode_cursor("cursor", cursor)).transpose()
    }
}

/// A list position as an opaque cursor.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).expect("a cursor key always serialises"))
}

/// The position a cursor given out by [`encode_cursor`] stands for; anything else (another
/// list's cursor included) is answered 400, naming the parameter `field`.
pub fn decode_cursor<K: DeserializeOwned>(field: &str, cursor: &str) -> Result<K, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::malformed(field, "is not a cursor this list gave out"))
}

/// The filters of a list that has none: only the paging parameters are accepted.
#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NoFilter {}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only tells that more exist,
    /// and the key of the last row shown becomes the cursor.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, params: &PageParams, key: impl Fn(&T) -> K) -> Self {
        let limit = params.limit() as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Page { items: rows, next_cursor }
    }

    /// Builds a page from the rows of a list that may be searched, each with its tier (see
    /// `db::search::ranked`): the cursor holds the tier of the last row too.
    pub fn from_ranked<K: Serialize>(rows: Vec<(u8, T)>, params: &PageParams, key: impl Fn(&T) -> K) -> Self {
        let page = Page::from_rows(rows, params, |(tier, row)| (*tier, key(row)));
        Page { items: page.items.into_iter().map(|(_, row)| row).collect(), next_cursor: page.next_cursor }
    }
}

fn validated<T: Validate>(value: T) -> Result<T, ApiError> {
    value.validate().map_err(|errors| Error::Invalid(validation_errors(&errors)))?;
    Ok(value)
}

/// The query's name–value pairs, values normalised; a value PostgreSQL cannot store (with a
/// NUL or other control character) is refused here.
fn pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    // The parser below would put U+FFFD in place of bytes that are not UTF-8: refuse them.
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(req.query_string()).collect();
    if std::str::from_utf8(&decoded).is_err() {
        return Err(ApiError::Malformed("the query string is not UTF-8".into(), Vec::new()));
    }
    let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .map_err(|err| ApiError::Malformed(format!("the query string cannot be read: {err}"), Vec::new()))?;
    let errors: Vec<FieldError> = pairs
        .iter()
        .filter(|(_, value)| value.chars().any(char::is_control))
        .map(|(key, _)| FieldError::new(key, "must not contain control characters"))
        .collect();
    if !errors.is_empty() {
        return Err(Error::Invalid(errors).into());
    }
    Ok(pairs.into_iter().map(|(key, value)| (key, text::normalize(&value))).collect())
}

/// Deserialises the pairs, naming every parameter that fails: each failing one is reported
/// and dropped, and the rest tried again.
fn decode<T: DeserializeOwned>(mut pairs: Vec<(String, String)>) -> Result<T, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    loop {
        let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        let err = match serde_path_to_error::deserialize::<_, T>(deserializer) {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(_) => return Err(Error::Invalid(errors).into()),
            Err(err) => err,
        };
        let message = err.inner().to_string();
        let (field, message) = if let Some(name) = quoted_name(&message, "unknown field `") {
            (name, "is not a parameter of this request".to_string())
        } else if let Some(name) = quoted_name(&message, "missing field `") {
            (name, "is required".to_string())
        } else {
            (err.path().to_string(), message)
        };
        let before = pairs.len();
        pairs.retain(|(key, _)| *key != field);
        let stuck = pairs.len() == before || errors.iter().any(|e| e.field == field);
        errors.push(FieldError::new(field, message));
        if stuck {
            return Err(Error::Invalid(errors).into());
        }
    }
}

fn merge(a: ApiError, b: ApiError) -> ApiError {
    match (a, b) {
        (ApiError::Domain(Error::Invalid(mut a)), ApiError::Domain(Error::Invalid(b))) => {
            a.extend(b);
            Error::Invalid(a).into()
        }
        (a, _) => a,
    }
}
