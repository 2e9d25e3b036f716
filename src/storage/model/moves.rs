use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

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
        /// Records corrected to what a shelf audit found.
        AuditCorrection = "audit_correction",
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
        let mut errors = reason_rules(self.reason);
        if self.to_location_id.is_none() && self.reason != MoveReason::Return {
            errors.push(FieldError::new("to_location_id", "is required unless the reason is `return`"));
        }
        errors
    }
}

fn reason_rules(reason: MoveReason) -> Vec<FieldError> {
    match reason {
        MoveReason::Intake => vec![FieldError::new("reason", "`intake` is the first placement of a new box")],
        _ => Vec::new(),
    }
}

/// Moves up to 1,000 boxes for one reason, all or nothing.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkMoveRequest {
    pub reason: MoveReason,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    #[validate(length(min = 1, max = 1000, message = "must hold 1 to 1000 moves"), nested)]
    #[schema(min_items = 1, max_items = 1000)]
    pub moves: Vec<BulkMoveItem>,
}

impl Rules for BulkMoveRequest {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors = reason_rules(self.reason);
        for (index, item) in self.moves.iter().enumerate() {
            let field = |name: &str| format!("moves[{index}].{name}");
            if item.barcode.is_some() == item.box_id.is_some() {
                errors.push(FieldError::new(field("barcode"), "give either a barcode or a box_id"));
            }
            if item.to_location_id.is_none() && self.reason != MoveReason::Return {
                errors.push(FieldError::new(field("to_location_id"), "is required unless the reason is `return`"));
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
}

/// One movement of a box, as kept forever.
#[derive(Debug, Clone, Serialize, ToSchema, QueryableByName)]
pub struct Movement {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub box_id: i64,
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
