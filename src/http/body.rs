//! The JSON body extractor. It answers 415 for a body that is not JSON, 413 above the size
//! limit, 400 for bad syntax and 422 listing every invalid field: missing, of the wrong type,
//! unknown, or failing a validation rule. Text is normalised (NFC, trimmed) before anything else.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::problem::ApiError;
use crate::error::{Error, FieldError};
use crate::text;

/// Largest request body, in bytes; registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A request body parsed, normalised and validated.
pub struct Json<T>(pub T);

/// Rules that tie several fields of a body together (a shelf needs a capacity…), reported
/// together with the per-field ones.
pub trait Rules {
    fn broken_rules(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

impl<T> FromRequest for Json<T>
where
    T: DeserializeOwned + Validate + Rules + ToSchema + 'static,
{
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media_type = check_media_type(req);
        let limit = req.app_data::<BodyLimit>().map_or(usize::MAX, |l| l.0);
        let body = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            media_type?;
            let bytes = body.await.map_err(|err| match err.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::PayloadTooLarge(limit),
                _ => ApiError::Malformed(format!("the request body could not be read: {err}"), vec![]),
            })?;
            super::idempotency::remember_body(&req, &bytes);
            parse(&bytes).map(Json)
        })
    }
}

fn check_media_type(req: &HttpRequest) -> Result<(), ApiError> {
    let mime = req.mime_type().ok().flatten();
    let is_json = mime.as_ref().is_some_and(|m| {
        m.type_() == "application" && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
    });
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType("the request body must be JSON (Content-Type: application/json)".into()))
    }
}

/// Parses a JSON body into `T`, reporting every problem at once.
pub fn parse<T: DeserializeOwned + Validate + Rules + ToSchema>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Malformed("a JSON body is required".into(), Vec::new()));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|err| ApiError::Malformed(format!("the body is not valid JSON: {err}"), Vec::new()))?;
    Ok(from_value(value).map_err(Error::Invalid)?)
}

/// Turns a JSON value into `T` the way a request body is: normalised, then every structural
/// and validation error listed.
pub fn from_value<T: DeserializeOwned + Validate + Rules + ToSchema>(mut value: Value) -> Result<T, Vec<FieldError>> {
    text::normalize_json(&mut value);
    let nul = text::paths_with_nul(&value);
    if !nul.is_empty() {
        return Err(nul.into_iter().map(|path| FieldError::new(path, NUL_MESSAGE)).collect());
    }
    let parsed: T = decode(value)?;
    let mut errors = parsed.validate().err().map(|e| validation_errors(&e)).unwrap_or_default();
    errors.extend(parsed.broken_rules());
    if errors.is_empty() {
        Ok(parsed)
    } else {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        Err(errors)
    }
}

const NUL_MESSAGE: &str = "must not contain NUL characters";

/// Deserialises `value`, collecting every structural error rather than stopping at the first:
/// each field that fails is reported and removed, and deserialisation is tried again.
fn decode<T: DeserializeOwned + ToSchema>(mut value: Value) -> Result<T, Vec<FieldError>> {
    let Value::Object(fields) = &value else {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    };
    // Most bodies are well formed; only a failure needs the schema (serde names only the first
    // missing field, the schema knows them all).
    if let Ok(parsed) = serde_path_to_error::deserialize::<_, T>(&value) {
        return Ok(parsed);
    }
    let mut errors: Vec<FieldError> = required_fields::<T>()
        .into_iter()
        .filter(|name| !fields.contains_key(name))
        .map(|name| FieldError::new(name, "is required"))
        .collect();
    loop {
        let err = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(_) => return Err(errors),
            Err(err) => err,
        };
        let mut path: Vec<String> = err.path().iter().filter_map(segment_name).collect();
        let message = err.inner().to_string();
        let (message, removable) = if let Some(name) = quoted_name(&message, "missing field `") {
            path.push(name);
            ("is required".to_string(), false)
        } else if let Some(name) = quoted_name(&message, "unknown field `") {
            if path.last() != Some(&name) {
                path.push(name);
            }
            ("is not a known field".to_string(), true)
        } else {
            (message, true)
        };
        let field = join_path(&path);
        if errors.iter().any(|e| e.field == field) {
            return Err(errors);
        }
        errors.push(FieldError::new(field, message));
        if !removable || !remove_at(&mut value, &path) {
            return Err(errors);
        }
    }
}

fn required_fields<T: ToSchema>() -> Vec<String> {
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.required,
        _ => Vec::new(),
    }
}

fn segment_name(segment: &serde_path_to_error::Segment) -> Option<String> {
    use serde_path_to_error::Segment;
    match segment {
        Segment::Seq { index } => Some(format!("[{index}]")),
        Segment::Map { key } => Some(key.clone()),
        Segment::Enum { variant } => Some(variant.clone()),
        Segment::Unknown => None,
    }
}

fn join_path(path: &[String]) -> String {
    let mut joined = String::new();
    for part in path {
        if !joined.is_empty() && !part.starts_with('[') {
            joined.push('.');
        }
        joined.push_str(part);
    }
    if joined.is_empty() { "body".into() } else { joined }
}

/// `missing field `code`` → `code`.
pub(super) fn quoted_name(message: &str, lead: &str) -> Option<String> {
    let rest = message.strip_prefix(lead)?;
    rest.split('`').next().map(str::to_string)
}

/// Removes the value at `path` so that deserialisation can go on past it.
fn remove_at(value: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut current = value;
    for part in parents {
        let next = match (current, part.strip_prefix('[').and_then(|p| p.strip_suffix(']'))) {
            (Value::Array(items), Some(index)) => index.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            (Value::Object(fields), None) => fields.get_mut(part),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return false,
        }
    }
    match current {
        Value::Object(fields) => fields.remove(last).is_some(),
        _ => false,
    }
}

/// Flattens validator's nested errors into `field` paths, sorted for a stable answer.
pub fn validation_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    fn walk(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldError>) {
        for (field, kind) in errors.errors() {
            let path = prefixed(prefix, field);
            match kind {
                ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| {
                    let message = e.message.as_ref().map_or_else(|| e.code.to_string(), ToString::to_string);
                    // A rule across fields (`__all__`) names by its code the field it blames.
                    match field.as_ref() {
                        "__all__" => FieldError::new(prefixed(prefix, &e.code), message),
                        _ => FieldError::new(&path, message),
                    }
                })),
                ValidationErrorsKind::Struct(inner) => walk(&path, inner, out),
                ValidationErrorsKind::List(items) => {
                    for (index, inner) in items {
                        walk(&format!("{path}[{index}]"), inner, out);
                    }
                }
            }
        }
    }
    fn prefixed(prefix: &str, field: &str) -> String {
        if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") }
    }
    let mut out = Vec::new();
    walk("", errors, &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

/// For PATCH bodies: tells "absent" (`None`) from "set to null" (`Some(None)`).
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
