use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::Rules;
use crate::schema::handovers;

/// An entry of the hand-over book (sổ giao, nhận tài liệu) as written: a file issued to a
/// reader at the desk, and its return with the leaves counted back. Written once, then its
/// return once.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = handovers, check_for_backend(diesel::pg::Pg))]
pub struct HandoverEntry {
    pub id: i64,
    /// The request and its line the file was asked for by.
    pub request_id: i64,
    pub line_no: i32,
    pub file_id: i64,
    pub reader_id: i64,
    pub issued_at: DateTime<Utc>,
    /// The key of the staff member who issued it.
    pub issued_by: i64,
    /// The leaves handed over.
    pub leaves_issued: i32,
    /// None while the reader has it.
    pub returned_at: Option<DateTime<Utc>>,
    pub returned_by: Option<i64>,
    /// The leaves counted back.
    pub leaves_returned: Option<i32>,
    /// Given back but kept in the reading room for the reader's next day.
    pub kept: Option<bool>,
    /// What was seen on return: a leaf missing, a new tear…
    pub remarks: Option<String>,
    /// The file's digital copy was shown, not the original (the file is digitized).
    pub copy: bool,
}

/// An entry of the hand-over book, with when its file is due back.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Handover {
    #[serde(flatten)]
    pub entry: HandoverEntry,
    /// The day the reader is to give the file back for good: its first issue on this request
    /// and the days the rules let a reader keep a file.
    pub due_back: DateTime<Utc>,
    /// Still with the reader (in hand, or kept for them) after `due_back`.
    pub overdue: bool,
}

impl Resource for Handover {
    const KIND: &'static str = "handover";

    fn subject(&self) -> String {
        format!("/api/v1/handovers/{}", self.entry.id)
    }
}

/// A file issued to the reader who asked for it.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHandover {
    pub request_id: i64,
    pub line_no: i32,
    /// The leaves handed over; the file's count when it is numbered in leaves.
    #[validate(range(min = 1, max = 100_000, message = "must be 1 to 100000"))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub leaves: Option<i32>,
}

impl Rules for NewHandover {}

/// A file given back at the desk.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverReturn {
    /// The leaves counted back.
    #[validate(range(min = 0, max = 100_000, message = "must be 0 to 100000"))]
    #[schema(minimum = 0, maximum = 100_000)]
    pub leaves: i32,
    /// What was seen; required when the leaves counted back are not those issued.
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    #[schema(min_length = 1, max_length = 2000, example = "Tờ 12 bị rách thêm ở mép")]
    pub remarks: Option<String>,
    /// Kept in the reading room for the reader's next day; otherwise given back for good.
    #[serde(default)]
    pub keep: bool,
}

impl Rules for HandoverReturn {}

impl HandoverReturn {
    /// The return as it fits the issue: remarks say why the leaves do not match.
    pub fn broken_against(&self, issued: i32) -> Vec<FieldError> {
        match (self.leaves != issued, &self.remarks) {
            (true, None) => vec![FieldError::new(
                "remarks",
                format!("are required: {} leaves were issued and {} counted back", issued, self.leaves),
            )],
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HandoverFilter {
    pub reader_id: Option<i64>,
    pub file_id: Option<i64>,
    /// Only files still with a reader (`true`), or only those given back (`false`).
    pub open: Option<bool>,
    /// Only files kept past their day.
    pub overdue: Option<bool>,
}
