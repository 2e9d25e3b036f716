use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::db::text_enum;
use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::Rules;

pub const MAX_BULK_MOVES: usize = 1000;

text_enum! {
    /// Why a box moved.
    pub enum MoveReason {
        /// Its first placement, when it was registered (set by the service).
        Intake = "intake",
        Reshelve = "reshelve",
        Conservation = "conservation",
        ReadingRoom = "reading_room",
        Digitization = "digitization",
        Exhibition = "exhibition",
        Loan = "loan",
        Quarantine = "quarantine",
        /// Back home; with no destination, to its home shelf.
        Return = "return",
        /// To a new home shelf: the destination becomes its home.
        Relocation = "relocation",
        /// Records corrected to what a shelf audit found (made by reconciling it).
        AuditCorrection = "audit_correction",
        /// A missing or lost box found where it is recorded (`POST /boxes/{id}/found`).
        Found = "found",
        /// A missing box written off, its space given up (`POST /boxes/{id}/lost`).
        Lost = "lost",
    }
}

/// Moves a box to a shelf or a workspace.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// A shelf or a workspace. May be left out with reason `return`: the box goes home.
    pub to_location_id: Option<i64>,
    pub reason: MoveReason,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000, example = "Yêu cầu của độc giả số 57")]
    pub note: Option<String>,
    /// Position on the destination shelf.
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000"))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub position: Option<i32>,
}

impl Rules for MoveRequest {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> =
            reason_rule(self.reason).map(|m| FieldError::new("reason", m)).into_iter().collect();
        errors.extend(destination_rule(self.reason, self.to_location_id).map(|m| FieldError::new("to_location_id", m)));
        errors
    }
}

/// Why a move request may not give `reason`: the service makes these movements itself.
fn reason_rule(reason: MoveReason) -> Option<&'static str> {
    match reason {
        MoveReason::Intake => Some("`intake` is the first placement of a new box"),
        MoveReason::AuditCorrection => Some("`audit_correction` is made by reconciling an audit"),
        MoveReason::Found => Some("`found` is made by POST /api/v1/boxes/{id}/found"),
        MoveReason::Lost => Some("`lost` is made by POST /api/v1/boxes/{id}/lost"),
        _ => None,
    }
}

/// A return goes home, and only a return may leave the destination out.
fn destination_rule(reason: MoveReason, to: Option<i64>) -> Option<&'static str> {
    match (reason, to) {
        (MoveReason::Return, Some(_)) => Some("a return goes to the box's home; leave the destination out"),
        (MoveReason::Return, None) | (_, Some(_)) => None,
        (_, None) => Some("is required unless the reason is `return`"),
    }
}

/// Moves up to 1,000 boxes, all or nothing.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkMoveRequest {
    /// Why, for every item that does not say.
    pub reason: MoveReason,
    /// A note for every item that has none of its own.
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    #[validate(length(min = 1, max = 1000, message = "must hold 1 to 1000 moves"), nested)]
    #[schema(min_items = 1, max_items = 1000)]
    pub moves: Vec<BulkMoveItem>,
}

impl Rules for BulkMoveRequest {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> =
            reason_rule(self.reason).map(|m| FieldError::new("reason", m)).into_iter().collect();
        for (index, item) in self.moves.iter().enumerate() {
            let field = |name: &str| format!("moves[{index}].{name}");
            if item.barcode.is_some() == item.box_id.is_some() {
                errors.push(FieldError::new(field("barcode"), "give either a barcode or a box_id"));
            }
            errors.extend(item.reason.and_then(reason_rule).map(|m| FieldError::new(field("reason"), m)));
            if let Some(message) = destination_rule(item.reason.unwrap_or(self.reason), item.to_location_id) {
                errors.push(FieldError::new(field("to_location_id"), message));
            }
        }
        errors
    }
}

/// One box of a bulk move, named by barcode or by id.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkMoveItem {
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    #[schema(min_length = 1, max_length = 64)]
    pub barcode: Option<String>,
    pub box_id: Option<i64>,
    pub to_location_id: Option<i64>,
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000"))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub position: Option<i32>,
    /// Why this box moves, if not for the request's reason.
    pub reason: Option<MoveReason>,
    /// Its own note, in place of the request's.
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A missing or lost box found where it is recorded.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FoundBox {
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000, example = "Nằm sau hộp bên cạnh")]
    pub note: Option<String>,
}

impl Rules for FoundBox {}

/// A missing box written off: why is required.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LostBox {
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    #[schema(min_length = 1, max_length = 2000, example = "Không tìm thấy sau ba lần kiểm tra kho")]
    pub note: String,
}

impl Rules for LostBox {}

/// One movement of a box, as kept forever.
#[derive(Debug, Clone, Serialize, ToSchema, QueryableByName)]
pub struct Movement {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub box_id: i64,
    #[diesel(sql_type = Text)]
    #[schema(example = "HS-000123")]
    pub barcode: String,
    /// Where it came from (none for its intake).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub from_location_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub from_path_code: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub to_location_id: i64,
    #[diesel(sql_type = Text)]
    pub to_path_code: String,
    #[diesel(sql_type = Text)]
    pub reason: MoveReason,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
    /// Position on the destination shelf.
    #[diesel(sql_type = Nullable<Integer>)]
    pub position: Option<i32>,
    /// The audit whose reconciliation made this movement.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub audit_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    pub moved_at: DateTime<Utc>,
    /// Id of the API key that moved it.
    #[diesel(sql_type = BigInt)]
    pub moved_by: i64,
}

/// Filters of the movements across boxes; all optional, combined with AND.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
#[validate(schema(function = "from_before_to", skip_on_field_errors = true))]
pub struct MoveFilter {
    /// Only movements at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only movements before this time.
    pub to: Option<DateTime<Utc>>,
    pub reason: Option<MoveReason>,
    /// Only movements from or to this location or any place below it.
    pub location_id: Option<i64>,
    /// Only movements made by this API key.
    pub actor: Option<i64>,
}

fn from_before_to(filter: &MoveFilter) -> Result<(), ValidationError> {
    match (filter.from, filter.to) {
        (Some(from), Some(to)) if from >= to => {
            Err(ValidationError::new("from").with_message("`from` must be before `to`".into()))
        }
        _ => Ok(()),
    }
}

/// A movement is what a box's `box.moved` event carries.
impl Resource for Movement {
    const KIND: &'static str = "box";

    fn subject(&self) -> String {
        format!("/api/v1/moves/{}", self.id)
    }
}

/// What a bulk move did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkMoved {
    pub moved: usize,
    pub movements: Vec<Movement>,
}
