use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::Rules;
use crate::schema::visits;

/// A reader's visit to the reading room: checked in and out at the desk.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = visits, check_for_backend(diesel::pg::Pg))]
pub struct Visit {
    pub id: i64,
    pub reader_id: i64,
    /// The reading room (a workspace for reading).
    pub location_id: i64,
    pub checked_in_at: DateTime<Utc>,
    /// None while the reader is in.
    pub checked_out_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
}

impl Resource for Visit {
    const KIND: &'static str = "visit";

    fn subject(&self) -> String {
        format!("/api/v1/visits/{}", self.id)
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    pub reader_id: i64,
    /// The reading room; the archive's only one when left out.
    pub location_id: Option<i64>,
    /// When the reader came in; now when left out.
    pub at: Option<DateTime<Utc>>,
}

impl Rules for NewVisit {
    fn broken_rules(&self) -> Vec<FieldError> {
        not_future(self.at)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckOut {
    /// When the reader left; now when left out. After the check-in.
    pub at: Option<DateTime<Utc>>,
}

impl Rules for CheckOut {
    fn broken_rules(&self) -> Vec<FieldError> {
        not_future(self.at)
    }
}

fn not_future(at: Option<DateTime<Utc>>) -> Vec<FieldError> {
    match at {
        Some(at) if crate::clock::is_future(at) => vec![FieldError::new("at", crate::clock::FUTURE)],
        _ => Vec::new(),
    }
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VisitFilter {
    pub reader_id: Option<i64>,
    /// true: the readers in the reading room now; false: visits that are over.
    pub open: Option<bool>,
}
