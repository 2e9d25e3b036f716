use chrono::{DateTime, NaiveDate, Utc};
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

/// A proposal's priority when none is given: normal.
pub const DEFAULT_PRIORITY: i16 = 2;

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

text_enum! {
    /// What a material's quantity is counted in.
    pub enum MaterialUnit {
        SquareMetre = "m²",
        Sheet = "sheet",
        Gram = "g",
        Millilitre = "ml",
        Litre = "l",
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
    /// How much, in `unit` (more than 0): given together, or not at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 2.5, exclusive_minimum = 0, maximum = 1_000_000)]
    pub quantity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<MaterialUnit>,
}

/// The rules of materials' quantities, for fields under `prefix`.
fn material_rules(materials: &[Material], prefix: &str, errors: &mut Vec<FieldError>) {
    for (index, material) in materials.iter().enumerate() {
        let field = |name: &str| format!("{prefix}materials[{index}].{name}");
        match (material.quantity, material.unit) {
            (Some(quantity), _) if !(quantity > 0.0 && quantity <= 1_000_000.0) => {
                errors.push(FieldError::new(field("quantity"), "must be more than 0 and at most 1000000"))
            }
            (Some(_), None) => errors.push(FieldError::new(field("unit"), "is required with a quantity")),
            (None, Some(_)) => errors.push(FieldError::new(field("quantity"), "is required with a unit")),
            _ => {}
        }
    }
}

/// Time one conservator spent on a treatment.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConservatorHours {
    /// One of the treatment's conservators.
    #[schema(example = "Nguyễn Thị Lan")]
    pub name: String,
    #[validate(range(min = 0.0, max = 10_000.0, message = "must be between 0 and 10000"))]
    #[schema(minimum = 0, maximum = 10_000, example = 6.5)]
    pub hours: f64,
}

/// The hours of a treatment: each conservator's one of `conservators`, and their sum the total
/// when both are given.
fn hours_rules(hours: Option<f64>, by: &[ConservatorHours], conservators: &[&str], errors: &mut Vec<FieldError>) {
    for (index, entry) in by.iter().enumerate() {
        if !conservators.contains(&entry.name.as_str()) {
            errors.push(FieldError::new(format!("conservator_hours[{index}].name"), "is not one of the conservators"));
        }
    }
    let sum: f64 = by.iter().map(|entry| entry.hours).sum();
    if let Some(total) = hours
        && !by.is_empty()
        && (total - sum).abs() > 0.005
    {
        errors.push(FieldError::new("hours", format!("must be the conservators' hours added up ({sum})")));
    }
}

/// The total hours: as given, or the conservators' added up.
pub fn total_hours(hours: Option<f64>, by: &[ConservatorHours]) -> Option<f64> {
    hours.or_else(|| (!by.is_empty()).then(|| by.iter().map(|entry| entry.hours).sum()))
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
    /// 1 urgent, 2 normal, 3 when time allows.
    pub priority: i16,
    /// When the work should be done by.
    pub due_date: Option<NaiveDate>,
    /// Time spent, in hours.
    pub hours: Option<f64>,
    #[schema(value_type = Vec<ConservatorHours>)]
    pub conservator_hours: Json<Vec<ConservatorHours>>,
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
    /// 1 urgent, 2 normal (default), 3 when time allows.
    #[validate(range(min = 1, max = 3, message = "must be 1, 2 or 3"))]
    #[schema(minimum = 1, maximum = 3)]
    pub priority: Option<i16>,
    /// For a proposal: when the work should be done by (not before the day it is proposed).
    pub due_date: Option<NaiveDate>,
    /// For work done: time spent, in hours; the conservators' hours added up when left out.
    #[validate(range(min = 0.0, max = 10_000.0, message = "must be between 0 and 10000"))]
    #[schema(minimum = 0, maximum = 10_000)]
    pub hours: Option<f64>,
    /// For work done: each conservator's hours.
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 entries"), nested)]
    #[schema(max_items = 20)]
    pub conservator_hours: Vec<ConservatorHours>,
}

impl Rules for NewTreatment {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        material_rules(&self.materials, "", &mut errors);
        let conservators: Vec<&str> = self.conservators.iter().map(String::as_str).collect();
        hours_rules(self.hours, &self.conservator_hours, &conservators, &mut errors);
        if self.due_date.is_some_and(crate::clock::is_past_date) {
            errors.push(FieldError::new("due_date", "must not be before the day the treatment is proposed"));
        }
        match self.status.unwrap_or(TreatmentStatus::Proposed) {
            TreatmentStatus::Proposed => {
                for (field, given) in [
                    ("started_at", self.started_at.is_some()),
                    ("completed_at", self.completed_at.is_some()),
                    ("after", self.after.is_some()),
                    ("hours", self.hours.is_some()),
                    ("conservator_hours", !self.conservator_hours.is_empty()),
                ] {
                    if given {
                        errors.push(FieldError::new(field, "is only for logging a completed treatment"));
                    }
                }
            }
            TreatmentStatus::Completed => {
                if self.due_date.is_some() {
                    errors.push(FieldError::new("due_date", "is for a proposal, not for work done"));
                }
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
    /// A new priority (while the treatment stays open).
    #[validate(range(min = 1, max = 3, message = "must be 1, 2 or 3"))]
    #[schema(minimum = 1, maximum = 3)]
    pub priority: Option<i16>,
    /// A new due date (while it stays open; not before today).
    pub due_date: Option<NaiveDate>,
    /// When completing: the materials used, in place of those proposed.
    #[validate(length(max = 30, message = "at most 30 materials"), nested)]
    #[schema(max_items = 30)]
    pub materials: Option<Vec<Material>>,
    /// When completing: time spent, in hours; the conservators' hours added up when left out.
    #[validate(range(min = 0.0, max = 10_000.0, message = "must be between 0 and 10000"))]
    #[schema(minimum = 0, maximum = 10_000)]
    pub hours: Option<f64>,
    /// When completing: each conservator's hours (names among the treatment's conservators).
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 entries"), nested)]
    #[schema(max_items = 20)]
    pub conservator_hours: Vec<ConservatorHours>,
}

impl Rules for TransitionRequest {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let completing = self.to == TreatmentStatus::Completed;
        match (completing, &self.after) {
            (true, None) => {
                errors.push(FieldError::new("after", "is required: completing a treatment records the condition after"))
            }
            (false, Some(_)) => errors.push(FieldError::new("after", "is only given when completing")),
            _ => {}
        }
        for (field, given) in [
            ("materials", self.materials.is_some()),
            ("hours", self.hours.is_some()),
            ("conservator_hours", !self.conservator_hours.is_empty()),
        ] {
            if given && !completing {
                errors.push(FieldError::new(field, "is only given when completing"));
            }
        }
        let stays_open = self.to.is_open();
        for (field, given) in [("priority", self.priority.is_some()), ("due_date", self.due_date.is_some())] {
            if given && !stays_open {
                errors.push(FieldError::new(field, "is only changed while the treatment stays open"));
            }
        }
        if self.due_date.is_some_and(crate::clock::is_past_date) {
            errors.push(FieldError::new("due_date", "must not be before today"));
        }
        material_rules(self.materials.as_deref().unwrap_or_default(), "", &mut errors);
        errors
    }
}

impl TransitionRequest {
    /// The rules of the hours against the treatment's conservators.
    pub fn hours_errors(&self, conservators: &[&str]) -> Vec<FieldError> {
        let mut errors = Vec::new();
        hours_rules(self.hours, &self.conservator_hours, conservators, &mut errors);
        errors
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
