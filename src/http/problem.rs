//! Every error leaves the service as `application/problem+json` (RFC 9457). Handlers return
//! [`ApiError`]; errors the framework produces on its own (unknown route, oversized body…) are
//! rewritten into the same shape by [`problem_middleware`].

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, FieldError};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document. `type` is a stable identifier clients can switch on.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:paperkeep:problem:validation", "title": "Invalid input", "status": 422,
    "detail": "2 fields are invalid",
    "errors": [{"field": "code", "message": "must be 1 to 20 characters"},
               {"field": "capacity_mm", "message": "is required for a shelf"}]
}))]
pub struct Problem {
    /// `urn:paperkeep:problem:<kind>`; the kinds are listed in the README.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Every invalid input, for 400 and 422 answers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// On 412: the version the resource has now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let (kind, title) = describe(status);
        Self {
            problem_type: format!("urn:paperkeep:problem:{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            current_version: None,
        }
    }

    fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .content_type(PROBLEM_JSON)
            .body(serde_json::to_string(self).expect("a problem always serialises"))
    }
}

/// The problem kind and title for each status the service answers with.
fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("malformed-request", "Malformed request"),
        401 => ("unauthorized", "Missing or invalid API key"),
        403 => ("forbidden", "Not allowed for this API key's role"),
        404 => ("not-found", "Not found"),
        405 => ("method-not-allowed", "Method not allowed"),
        409 => ("conflict", "Conflict with the stored data"),
        412 => ("precondition-failed", "The resource has changed"),
        413 => ("payload-too-large", "Request body too large"),
        415 => ("unsupported-media-type", "Unsupported media type"),
        422 => ("validation", "Invalid input"),
        428 => ("precondition-required", "If-Match required"),
        429 => ("too-many-requests", "Too many requests"),
        503 => ("unavailable", "Service unavailable"),
        s if s >= 500 => ("internal", "Internal error"),
        _ => ("client-error", "Request not accepted"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] Error),
    /// The request cannot be read: bad JSON syntax, a path segment of the wrong type…
    #[error("{0}")]
    Malformed(String, Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("this method is not allowed here")]
    MethodNotAllowed(Vec<Method>),
    #[error("no route matches this path")]
    NoRoute,
    #[error("this request needs an If-Match header with the resource's current ETag")]
    PreconditionRequired,
    #[error("a request with this Idempotency-Key is still being processed; retry later")]
    IdempotencyRunning,
    #[error("this Idempotency-Key was used for a different request (method, path or body)")]
    IdempotencyMismatch,
    /// The API key is over its rate; retry after this many seconds.
    #[error("this API key is over its rate limit; retry after {0} s")]
    TooManyRequests(u64),
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        ApiError::Domain(err.into())
    }
}

impl ApiError {
    pub fn malformed(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Malformed(message.clone(), vec![FieldError::new(field, message)])
    }

    fn problem(&self) -> Problem {
        let mut problem = Problem::new(self.status_code(), self.to_string());
        match self {
            ApiError::Domain(Error::Invalid(errors)) => {
                problem.detail = match errors.as_slice() {
                    [one] => format!("{}: {}", one.field, one.message),
                    many => format!("{} inputs are invalid", many.len()),
                };
                problem.errors = errors.clone();
            }
            ApiError::Malformed(_, errors) | ApiError::Domain(Error::Conflicts(errors)) => {
                problem.errors = errors.clone()
            }
            ApiError::Domain(Error::Stale { current }) => problem.current_version = Some(*current),
            ApiError::Domain(Error::Database(err)) => {
                log::error!("database error: {err}");
                problem.detail = "an unexpected error occurred; it has been logged".into();
            }
            _ => {}
        }
        problem
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        ApiError::Domain(Error::Unavailable("the service is shutting down".into()))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Domain(err) => match err {
                Error::NotFound(_) => StatusCode::NOT_FOUND,
                Error::Conflict(_) | Error::Conflicts(_) => StatusCode::CONFLICT,
                Error::Forbidden(_) => StatusCode::FORBIDDEN,
                Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Error::Stale { .. } => StatusCode::PRECONDITION_FAILED,
                Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                Error::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Malformed(..) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::IdempotencyRunning => StatusCode::CONFLICT,
            ApiError::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = self.problem().response();
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"paperkeep\""));
            }
            ApiError::MethodNotAllowed(allowed) => {
                let allow = allowed.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
                if let Ok(value) = HeaderValue::from_str(&allow) {
                    headers.insert(header::ALLOW, value);
                }
            }
            ApiError::Domain(Error::Unavailable(_)) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::TooManyRequests(seconds) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
            }
            _ => {}
        }
        response
    }
}

/// Rewrites any error response that is not yet problem+json (the framework's own 404, 413…)
/// into one, keeping its status and headers.
pub fn problem_middleware<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|response: ServiceResponse<B>| {
        // A problem already, or a page of the staff app (which says what went wrong in HTML).
        let answered = response.headers().get(header::CONTENT_TYPE).is_some_and(|ct| {
            ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()) || ct.as_bytes().starts_with(b"text/html")
        });
        if answered {
            return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
        }
        let status = response.status();
        let detail = match status {
            StatusCode::NOT_FOUND => "no route matches this path",
            StatusCode::PAYLOAD_TOO_LARGE => "the request is too large",
            _ => status.canonical_reason().unwrap_or("the request was not accepted"),
        };
        let (request, original) = response.into_parts();
        let mut problem = Problem::new(status, detail).response();
        for (name, value) in original.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                problem.headers_mut().insert(name.clone(), value.clone());
            }
        }
        Ok(ErrorHandlerResponse::Response(ServiceResponse::new(request, problem).map_into_right_body()))
    })
}
