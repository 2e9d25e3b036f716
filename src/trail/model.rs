use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Jsonb, Nullable};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::events::model::{Event, known_types, type_list};

/// One write: the event it left, and the row as it was before (for changes and deletions).
#[derive(Debug, Serialize, QueryableByName, ToSchema)]
pub struct TrailEntry {
    #[serde(flatten)]
    #[diesel(embed)]
    pub event: Event,
    /// The row before the change; null for creations. Secrets and search keys are left out.
    #[diesel(sql_type = Nullable<Jsonb>)]
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// True for writes that only the trail shows (`api_key.*`, `webhook.*`), not the feed.
    #[diesel(sql_type = Bool)]
    pub internal: bool,
}

/// Filters of the audit trail; all optional, combined with AND.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrailFilter {
    /// Comma-separated event types (`box.moved`) or resources (`api_key`), as in the feed.
    #[validate(length(max = 1000, message = "must be at most 1000 characters"), custom(function = "trail_types"))]
    #[param(max_length = 1000)]
    pub types: Option<String>,
    /// Only this resource, e.g. `/api/v1/boxes/12`.
    #[validate(length(max = 300, message = "must be at most 300 characters"))]
    #[param(max_length = 300)]
    pub subject: Option<String>,
    /// Only writes by this API key.
    pub actor: Option<i64>,
    /// Only writes at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only writes before this time.
    pub to: Option<DateTime<Utc>>,
}

fn trail_types(types: &str) -> Result<(), ValidationError> {
    known_types(&type_list(Some(types)), true)
}

impl TrailFilter {
    /// The requested types and resources, without blanks.
    pub fn types(&self) -> Vec<String> {
        type_list(self.types.as_deref())
    }
}
