use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::ConditionInput;
use crate::db::{Json, text_enum};
use crate::error::FieldError;
use crate::events::model::Resource;
use crate::holdings::model::{PageSet, PagesInput};
use crate::http::body::Rules;
use crate::http::etag::Versioned;
use crate::schema::{treatment_transitions, treatments};

pub const MAX_BATCH: usize = 10_000;

text_enum! {
    /// Where a treatment is in its workflow: proposed → approved → in_progress → completed, or
    /// cancelled from any open state.
    pub enum TreatmentStatus {
        Proposed = "proposed",
        Approved = "approved",
        InProgress = "in_progress",
        Completed = "completed",
        Cancelled = "cancelled",
    }
}

impl TreatmentStatus {
    pub const OPEN: [TreatmentStatus; 3] =
        [TreatmentStatus::Proposed, TreatmentStatus::Approved, TreatmentStatus::InProgress];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// The workflow: which status may follow this one.
    pub fn may_become(self, next: TreatmentStatus) -> bool {
        use TreatmentStatus::*;
        matches!(
            (self, next),
            (Proposed, Approved)
                | (Approved, InProgress)
                | (InProgress, Completed)
                | (Proposed | Approved | InProgress, Cancelled)
        )
    }
}

text_enum! {
    pub enum Method {
        Manual = "manual",
        Machine = "machine",
    }
}

/// A material used, with what is worth saying about it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Material {
    /// A material term, e.g. `do_paper`.
    #[schema(example = "do_paper")]
    pub code: String,
    /// Weight, concentration…: `9 g/m²`, `CMC 3 %`.
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[schema(max_length = 200, example = "9 g/m²")]
    pub detail: Option<String>,
}

/// A treatment of some pages of a file.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = treatments, check_for_backend(diesel::pg::Pg))]
pub struct Treatment {
    pub id: i64,
    pub file_id: i64,
    #[schema(value_type = String, example = "1-250")]
    pub pages: PageSet,
    pub page_count: i32,
    /// A treatment_type term, e.g. `backing`.
    #[serde(rename = "type")]
    #[diesel(column_name = type_)]
    pub treatment_type: String,
    pub method: Method,
    #[schema(value_type = Vec<Material>)]
    pub materials: Json<Vec<Material>>,
    #[schema(value_type = Vec<String>)]
    pub conservators: Vec<Option<String>>,
    pub reversible: Option<bool>,
    pub before_assessment_id: Option<i64>,
    /// The condition after, recorded when it was completed.
    pub after_assessment_id: Option<i64>,
    pub notes: Option<String>,
    pub status: TreatmentStatus,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<i64>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// When it was proposed (or logged).
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
}

impl Versioned for Treatment {
    fn version(&self) -> i32 {
        self.version
    }
}

/// One step of a treatment's workflow.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = treatment_transitions, check_for_backend(diesel::pg::Pg))]
pub struct Transition {
    /// None for the treatment's creation.
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
    pub by: i64,
}

/// A treatment with every step of its workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct TreatmentDetail {
    #[serde(flatten)]
    pub treatment: Treatment,
    pub transitions: Vec<Transition>,
}

impl Versioned for TreatmentDetail {
    fn version(&self) -> i32 {
        self.treatment.version
    }
}

/// A treatment's events (`treatment.transitioned` too) carry it with every step.
impl Resource for TreatmentDetail {
    const KIND: &'static str = "treatment";

    fn subject(&self) -> String {
        format!("/api/v1/treatments/{}", self.treatment.id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTreatment {
    pub file_id: i64,
    /// Default: the whole file.
    pub pages: Option<PagesInput>,
    #[serde(rename = "type")]
    #[schema(example = "backing")]
    pub treatment_type: String,
    /// Default `manual`.
    pub method: Option<Method>,
    #[serde(default)]
    #[validate(length(max = 30, message = "at most 30 materials"), nested)]
    #[schema(max_items = 30)]
    pub materials: Vec<Material>,
    /// Who does (or did) the work.
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 conservators"), custom(function = "names"))]
    #[schema(max_items = 20, example = json!(["Nguyễn Thị Lan"]))]
    pub conservators: Vec<String>,
    pub reversible: Option<bool>,
    /// The assessment this treatment answers (of the same file).
    pub before_assessment_id: Option<i64>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// `proposed` (default), or `completed` to log work already done (with `completed_at`,
    /// optionally `started_at`, and the condition `after`).
    pub status: Option<TreatmentStatus>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    #[validate(nested)]
    pub after: Option<ConditionInput>,
}

impl Rules for NewTreatment {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match self.status.unwrap_or(TreatmentStatus::Proposed) {
            TreatmentStatus::Proposed => {
                for (field, given) in [
                    ("started_at", self.started_at.is_some()),
                    ("completed_at", self.completed_at.is_some()),
                    ("after", self.after.is_some()),
                ] {
                    if given {
                        errors.push(FieldError::new(field, "is only for logging a completed treatment"));
                    }
                }
            }
            TreatmentStatus::Completed => {
                if self.after.is_none() {
                    errors.push(FieldError::new(
                        "after",
                        "is required: a completed treatment records the condition after",
                    ));
                }
                if let (Some(started), Some(completed)) = (self.started_at, self.completed_at)
                    && started > completed
                {
                    errors.push(FieldError::new("completed_at", "must not come before started_at"));
                }
            }
            _ => errors.push(FieldError::new("status", "a treatment starts `proposed`, or is logged `completed`")),
        }
        errors
    }
}

fn names(names: &[String]) -> Result<(), validator::ValidationError> {
    if names.iter().all(|name| (1..=200).contains(&name.chars().count()) && crate::text::single_line(name).is_ok()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("names")
            .with_message("each name must be 1 to 200 characters on one line".into()))
    }
}

/// A step of the workflow: proposed → approved → in_progress → completed, or cancelled.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub to: TreatmentStatus,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// The condition after: required to complete.
    #[validate(nested)]
    pub after: Option<ConditionInput>,
}

impl Rules for TransitionRequest {
    fn broken_rules(&self) -> Vec<FieldError> {
        match (self.to, &self.after) {
            (TreatmentStatus::Completed, None) => {
                vec![FieldError::new("after", "is required: completing a treatment records the condition after")]
            }
            (TreatmentStatus::Completed, Some(_)) | (_, None) => Vec::new(),
            (_, Some(_)) => vec![FieldError::new("after", "is only given when completing")],
        }
    }
}

/// Up to 10,000 treatments logged at once, all or nothing.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TreatmentBatch {
    #[validate(length(min = 1, max = 10000, message = "must hold 1 to 10000 entries"), nested)]
    #[schema(min_items = 1, max_items = 10000)]
    pub entries: Vec<NewTreatment>,
}

/// Each entry's rules are checked with what the stored records say of it (its pages against its
/// file…), so that one answer names every bad entry (`conservation::repo::treatments`).
impl Rules for TreatmentBatch {}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchLogged {
    pub logged: usize,
    /// The new treatments' ids, in the order of the entries.
    pub ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TreatmentFilter {
    pub file_id: Option<i64>,
    pub fonds_id: Option<i64>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub treatment_type: Option<String>,
    pub status: Option<TreatmentStatus>,
    /// Completed (or, when not completed, proposed) at or after.
    pub from: Option<DateTime<Utc>>,
    /// … and before.
    pub to: Option<DateTime<Utc>>,
}
