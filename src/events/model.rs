use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Jsonb, Nullable, SmallInt, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

/// What the API shows of a resource: what its events carry.
pub trait Resource: Serialize {
    /// The resource part of its event types: `box` in `box.moved`.
    const KIND: &'static str;
    /// Writes only the audit trail shows (keys, webhooks), not the feed.
    const INTERNAL: bool = false;
    /// Its path in the API: a GET of it answers what its latest event carries.
    fn subject(&self) -> String;
}

/// Every event type, and whether only the audit trail shows it.
pub const EVENT_TYPES: [(&str, bool); 44] = [
    ("location.created", false),
    ("location.updated", false),
    ("location.deleted", false),
    ("box.created", false),
    ("box.updated", false),
    ("box.moved", false),
    ("audit.created", false),
    ("audit.reconciled", false),
    ("fonds.created", false),
    ("fonds.updated", false),
    ("file.created", false),
    ("file.updated", false),
    ("assessment.created", false),
    ("assessment.withdrawn", false),
    ("treatment.created", false),
    ("treatment.transitioned", false),
    ("vocabulary_term.created", false),
    ("vocabulary_term.updated", false),
    ("reader.created", false),
    ("reader.updated", false),
    ("reader.anonymised", false),
    ("closure.created", false),
    ("closure.deleted", false),
    ("reading_request.created", false),
    ("reading_request.decided", false),
    ("reading_request.cancelled", false),
    ("reading_request.retrieving", false),
    ("reading_request.delivered", false),
    ("reading_request.issued", false),
    ("reading_request.held", false),
    ("reading_request.returned", false),
    ("reading_request.closed", false),
    ("reading_request.copy_transitioned", false),
    ("handover.issued", false),
    ("handover.returned", false),
    ("reading_rules.updated", false),
    ("visit.created", false),
    ("visit.closed", false),
    ("api_key.created", true),
    ("api_key.revoked", true),
    ("webhook.created", true),
    ("webhook.deactivated", true),
    ("person.created", true),
    ("person.updated", true),
];

/// One change to record as an event, in the transaction that makes it.
#[derive(Debug, Clone)]
pub struct Change {
    pub event_type: String,
    pub subject: String,
    /// The resource as the API shows it after the change (for a deletion, as it was), as JSON.
    pub data: String,
    /// The resource before an update or deletion, as JSON.
    pub before: Option<String>,
    pub internal: bool,
}

impl Change {
    /// `action` (`created`, `moved`…) happened to `after`, which was `before` until now.
    pub fn new<R: Resource>(action: &str, after: &R, before: Option<&R>) -> Self {
        let json = |resource: &R| serde_json::to_string(resource).expect("representations serialise");
        let event_type = format!("{}.{action}", R::KIND);
        debug_assert!(EVENT_TYPES.iter().any(|(known, _)| *known == event_type), "{event_type} is listed");
        Change {
            event_type,
            subject: after.subject(),
            data: json(after),
            before: before.map(json),
            internal: R::INTERNAL,
        }
    }

    pub fn created<R: Resource>(resource: &R) -> Self {
        Change::new("created", resource, None)
    }

    pub fn updated<R: Resource>(before: &R, after: &R) -> Self {
        Change::new("updated", after, Some(before))
    }
}

/// One committed change.
#[derive(Debug, Clone, Serialize, QueryableByName, ToSchema)]
pub struct Event {
    /// Unique; a consumer can use it to drop an event it has seen (after a crash of its own).
    #[diesel(sql_type = Text)]
    #[schema(format = "uuid")]
    pub id: String,
    /// `<resource>.<what happened>`: location.created|updated|deleted, box.created|updated|moved,
    /// audit.created|reconciled, fonds.created|updated, file.created|updated,
    /// assessment.created|withdrawn, treatment.created|transitioned, vocabulary_term.created|updated,
    /// reader.created|updated|anonymised, closure.created|deleted,
    /// reading_request.created|decided|cancelled|retrieving|delivered|issued|held|returned|closed|
    /// copy_transitioned,
    /// visit.created|closed, handover.issued|returned, reading_rules.updated (and in the audit
    /// trail only: api_key.created|revoked, webhook.created|deactivated, person.created|updated).
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
    /// The resource as `GET {subject}` answered right after the change (for a deletion, as it
    /// was before); for `box.moved` the movement, for `treatment.transitioned` the treatment.
    #[diesel(sql_type = Jsonb)]
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The shape of `data`: 2, the API's representation; 1, the table row (events written
    /// before 2026-12, kept as they were).
    #[diesel(sql_type = SmallInt)]
    #[schema(minimum = 1, maximum = 2)]
    pub data_schema: i16,
    #[diesel(sql_type = BigInt)]
    #[serde(skip)]
    pub tx: i64,
    #[diesel(sql_type = BigInt)]
    #[serde(skip)]
    pub position: i64,
}

/// Where a reader is in the feed: after the event of transaction `tx` at `position`.
pub type FeedPosition = (i64, i64);

/// What a feed cursor names: in the feed of one database, the event it follows, by the
/// position it has had since it was written (a restore keeps it) and its id (which tells it
/// from another database's event at the same position); none: before the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedCursor(pub uuid::Uuid, pub Option<(i64, uuid::Uuid)>);

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
    #[validate(custom(function = "feed_types"))]
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

fn feed_types(types: &str) -> Result<(), ValidationError> {
    known_types(&type_list(Some(types)), false)
}

/// Every one of `types` is an event type or a resource (`box`) that the feed shows, or with
/// `internal`, that the audit trail shows; otherwise the error names those that are not.
pub fn known_types(types: &[String], internal: bool) -> Result<(), ValidationError> {
    let shown = EVENT_TYPES.iter().filter(|(_, only_trail)| internal || !only_trail).map(|(name, _)| *name);
    let names: Vec<&str> = shown.flat_map(|name| [name, name.split('.').next().unwrap_or(name)]).collect();
    let unknown: Vec<String> =
        types.iter().filter(|t| !names.contains(&t.as_str())).map(|t| format!("`{t}`")).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let mut listed: Vec<&str> = names;
    listed.sort_unstable();
    listed.dedup();
    let message = format!(
        "{} {} not an event type or resource here; these are: {}",
        unknown.join(", "),
        if unknown.len() == 1 { "is" } else { "are" },
        listed.join(", ")
    );
    Err(ValidationError::new("types").with_message(message.into()))
}

/// An answer of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    pub items: Vec<Event>,
    /// Pass as `after` to get what follows; there is always one, even when nothing is new.
    pub next_cursor: String,
}
