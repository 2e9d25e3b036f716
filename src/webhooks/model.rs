use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::error::FieldError;
use crate::events::model::{Resource, known_types};
use crate::http::body::Rules;
use crate::schema::{webhook_deliveries, webhooks};

/// A subscription, as listed (never its secret).
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = webhooks, check_for_backend(diesel::pg::Pg))]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// Event types (`box.moved`) or resources (`box`); empty: every event.
    pub types: Vec<Option<String>>,
    pub description: Option<String>,
    pub active: bool,
    /// Failed attempts at the event now at the head of its queue (0 when all is well).
    pub attempts: i32,
    pub failing_since: Option<DateTime<Utc>>,
    pub retry_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
}

impl Resource for Webhook {
    const KIND: &'static str = "webhook";
    const INTERNAL: bool = true;

    fn subject(&self) -> String {
        format!("/api/v1/webhooks/{}", self.id)
    }
}

/// A new subscription, with the secret to check signatures with: shown in this answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` and base64 key bytes, as Standard Webhooks libraries take it.
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to POST events: an http or https URL.
    #[validate(length(max = 2000, message = "must be at most 2000 characters"), custom(function = "http_url"))]
    #[schema(example = "https://catalogue.example.org/hooks/paperkeep")]
    pub url: String,
    /// Event types or resources to send; omitted or empty: every event.
    #[serde(default)]
    #[schema(example = json!(["box.moved", "treatment"]))]
    pub types: Vec<String>,
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    pub description: Option<String>,
}

impl Rules for NewWebhook {
    fn broken_rules(&self) -> Vec<FieldError> {
        let unknown = |(i, t): (usize, &String)| {
            let err = known_types(std::slice::from_ref(t), false).err()?;
            Some(FieldError::new(format!("types[{i}]"), err.message.unwrap_or_default()))
        };
        self.types.iter().enumerate().filter_map(unknown).collect()
    }
}

fn http_url(url: &str) -> Result<(), ValidationError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !url.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(ValidationError::new("url").with_message("must be an http:// or https:// URL".into())),
    }
}

/// One attempt at delivering one event.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = webhook_deliveries, check_for_backend(diesel::pg::Pg))]
pub struct Delivery {
    pub id: i64,
    /// The event's id, sent as `webhook-id`.
    #[schema(value_type = String, format = "uuid")]
    pub event_id: uuid::Uuid,
    pub event_type: String,
    /// 1 for the first try.
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// The HTTP status the receiver answered, if it answered.
    pub status: Option<i16>,
    pub error: Option<String>,
    /// delivered, retrying (another attempt is scheduled) or given_up (after a day of failures).
    pub outcome: String,
}
