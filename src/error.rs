//! The errors the domain code reports. They name what went wrong, not how HTTP says it:
//! `http::problem` maps each to a status code and a problem+json body.

use serde::Serialize;
use utoipa::ToSchema;

/// One invalid input: where it is (`code`, `moves[3].barcode`, a query parameter) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// For imports: the line of the uploaded file (the CSV header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), line: None }
    }

    /// This error, found on `line` of an uploaded file.
    pub fn on_line(self, line: u64) -> Self {
        Self { line: Some(line), ..self }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The resource addressed by the request does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but contradicts the stored state (duplicate, still in use…).
    #[error("{0}")]
    Conflict(String),
    /// Several parts of one request contradict the stored state; each is listed.
    #[error("{} items conflict with the stored data", .0.len())]
    Conflicts(Vec<FieldError>),
    /// The key's role may not do this to this particular resource.
    #[error("{0}")]
    Forbidden(String),
    /// The input is well-formed but some values are not acceptable; every bad field is listed.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The client's `If-Match` names a version that is no longer current.
    #[error("the resource has changed: current version is {current}")]
    Stale { current: i32 },
    /// The database cannot be reached or did not answer in time.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(diesel::result::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, message)])
    }
}

/// How libpq and PostgreSQL word a connection that is gone (Diesel passes no SQLSTATE for them).
const CONNECTION_LOST: [&str; 6] = [
    "terminating connection",
    "server closed the connection",
    "no connection to the server",
    "could not receive data from server",
    "the database system is shutting down",
    "the database system is starting up",
];

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error as D};
        match &err {
            D::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _) => {
                Error::Unavailable("the database connection was lost".into())
            }
            // The server shutting down or restarting (SQLSTATE 57P01–57P03), or the socket gone.
            D::DatabaseError(_, info) if CONNECTION_LOST.iter().any(|m| info.message().contains(m)) => {
                Error::Unavailable("the database connection was lost".into())
            }
            // SQLSTATE 40001, or 40P01 (a deadlock, which Diesel only passes the message of).
            D::DatabaseError(kind, info)
                if matches!(kind, Kind::SerializationFailure) || info.message().contains("deadlock detected") =>
            {
                Error::Unavailable("a concurrent change got in the way; retry the request".into())
            }
            // PostgreSQL reports SQLSTATE 57014; Diesel only passes the message on.
            D::DatabaseError(_, info) if info.message().contains("statement timeout") => {
                Error::Unavailable("the database did not answer in time".into())
            }
            _ => Error::Database(err),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(err: r2d2::Error) -> Self {
        log::warn!("no database connection: {err}");
        match crate::db::pool_error() {
            Some(why) => Error::Unavailable(format!("the database is unavailable ({why}); retry shortly")),
            None => Error::Unavailable("the database is unavailable; retry shortly".into()),
        }
    }
}
