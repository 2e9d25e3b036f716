use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// One committed change.
#[derive(Debug, Clone, Serialize, QueryableByName, ToSchema)]
pub struct Event {
    /// Unique; a consumer can use it to drop an event it has seen (after a crash of its own).
    #[diesel(sql_type = Text)]
    #[schema(format = "uuid")]
    pub id: String,
    /// `<resource>.<what happened>`: location.created|updated|deleted, box.created|updated|moved,
    /// audit.created|reconciled, fonds.created|updated, file.created|updated,
    /// assessment.created, treatment.created|transitioned, vocabulary_term.created|updated (and in
    /// the audit trail only: api_key.created|revoked, webhook.created|deactivated).
    #[diesel(sql_type = Text)]
    #[serde(rename = "type")]
    pub event_type: String,
    /// The resource's path, e.g. `/api/v1/boxes/12`.
    #[diesel(sql_type = Text)]
    pub subject: String,
    /// When the writing transaction began.
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    /// The id of the API key that made the change.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub actor: Option<i64>,
    /// The record as it was committed (for box.moved the movement, for treatment.transitioned the
    /// transition).
    #[diesel(sql_type = Jsonb)]
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    #[diesel(sql_type = BigInt)]
    #[serde(skip)]
    pub tx: i64,
    #[diesel(sql_type = BigInt)]
    #[serde(skip)]
    pub position: i64,
}

/// Where a consumer is in the feed: after the event of transaction `tx` at `position`.
pub type FeedPosition = (i64, i64);

/// The feed's parameters.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next_cursor` of the previous answer; omitted: from the first event.
    #[param(pattern = "^[A-Za-z0-9_-]{1,1000}$")]
    pub after: Option<String>,
    /// Events per answer, 1 to 1000 (default 100).
    #[validate(range(min = 1, max = 1000, message = "must be between 1 and 1000"))]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Comma-separated event types (`box.moved`) or resources (`box`); omitted: all.
    pub types: Option<String>,
    /// Long poll: when nothing is new, wait up to this many seconds (0 to 60) for an event.
    #[validate(range(max = 60, message = "must be between 0 and 60"))]
    #[param(minimum = 0, maximum = 60)]
    pub wait: Option<u32>,
}

impl FeedQuery {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(100)
    }

    /// The requested types and resources, without blanks.
    pub fn types(&self) -> Vec<String> {
        type_list(self.types.as_deref())
    }
}

/// A comma-separated list of event types or resources, without blanks.
pub fn type_list(types: Option<&str>) -> Vec<String> {
    types.iter().flat_map(|t| t.split(',')).map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()
}

/// An answer of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    pub items: Vec<Event>,
    /// Pass as `after` to get what follows; there is always one, even when nothing is new.
    pub next_cursor: String,
}
