use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::Json;
use crate::events::model::Resource;
use crate::holdings::model::{PageSet, PagesInput};
use crate::http::body::Rules;
use crate::schema::files;

diesel::table! {
    /// Assessments with what points at them: a view (migration 3), declared here because
    /// `diesel print-schema` describes tables only.
    assessment_records (id) {
        id -> Int8,
        file_id -> Int8,
        pages -> Int4multirange,
        page_count -> Int4,
        grade -> Int2,
        damages -> Jsonb,
        ph -> Nullable<Float8>,
        extent_pct -> Nullable<Float8>,
        recommended_treatments -> Array<Nullable<Text>>,
        notes -> Nullable<Text>,
        assessed_at -> Timestamptz,
        supersedes_id -> Nullable<Int8>,
        superseded_by -> Nullable<Int8>,
        treatment_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        created_by -> Int8,
        withdrawn_at -> Nullable<Timestamptz>,
        withdrawn_by -> Nullable<Int8>,
        withdrawal_reason -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(assessment_records, files);

/// One kind of damage seen on some of the assessed pages.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Damage {
    /// A damage_type term, e.g. `mould`.
    #[serde(rename = "type")]
    #[schema(example = "mould")]
    pub damage_type: String,
    /// 1 slight, 2 moderate, 3 severe.
    #[schema(minimum = 1, maximum = 3)]
    pub severity: i16,
    /// The pages with this damage (normalised), within the assessment's pages.
    #[schema(value_type = String, example = "3-12")]
    pub pages: String,
    /// Still going on (live mould, insects).
    pub active: bool,
}

/// A condition survey of some pages of a file. Kept forever; corrected by a new assessment
/// that supersedes it.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = assessment_records, check_for_backend(diesel::pg::Pg))]
pub struct Assessment {
    pub id: i64,
    pub file_id: i64,
    #[schema(value_type = String, example = "1-250")]
    pub pages: PageSet,
    pub page_count: i32,
    /// 1 good (tốt), 2 fair (hư hỏng nhẹ), 3 poor (hư hỏng nặng), 4 unusable (không sử dụng được).
    pub grade: i16,
    #[schema(value_type = Vec<Damage>)]
    pub damages: Json<Vec<Damage>>,
    pub ph: Option<f64>,
    /// Share of the sheet affected, in %.
    pub extent_pct: Option<f64>,
    #[schema(value_type = Vec<String>)]
    pub recommended_treatments: Vec<Option<String>>,
    pub notes: Option<String>,
    pub assessed_at: DateTime<Utc>,
    /// The assessment this one corrects.
    pub supersedes_id: Option<i64>,
    /// The assessment correcting this one; a superseded assessment no longer counts.
    pub superseded_by: Option<i64>,
    /// The treatment whose condition after this records.
    pub treatment_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    /// When it was withdrawn, recorded in error: it counts nowhere since, and stays in the page
    /// history marked so.
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<i64>,
    pub withdrawal_reason: Option<String>,
}

impl Damage {
    /// The pages it is on (stored as the normalised text of a page set).
    pub fn pages(&self) -> PageSet {
        PageSet::parse(&PagesInput::Text(self.pages.clone()), i32::MAX).unwrap_or_default()
    }
}

impl Resource for Assessment {
    const KIND: &'static str = "assessment";

    fn subject(&self) -> String {
        format!("/api/v1/assessments/{}", self.id)
    }
}

/// A damage as given in a request.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DamageInput {
    #[serde(rename = "type")]
    #[schema(example = "torn")]
    pub damage_type: String,
    #[validate(range(min = 1, max = 3, message = "must be 1, 2 or 3"))]
    #[schema(minimum = 1, maximum = 3)]
    pub severity: i16,
    /// Default: all the assessed pages.
    pub pages: Option<PagesInput>,
    #[serde(default)]
    pub active: bool,
}

/// The condition of pages: what an assessment records, and what completing a treatment
/// records as the condition after.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionInput {
    #[validate(range(min = 1, max = 4, message = "must be 1, 2, 3 or 4"))]
    #[schema(minimum = 1, maximum = 4)]
    pub grade: i16,
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 damages"), nested)]
    #[schema(max_items = 50)]
    pub damages: Vec<DamageInput>,
    #[validate(range(min = 0.0, max = 14.0, message = "must be between 0 and 14"))]
    #[schema(minimum = 0, maximum = 14, example = 5.2)]
    pub ph: Option<f64>,
    #[validate(range(min = 0.0, max = 100.0, message = "must be between 0 and 100"))]
    #[schema(minimum = 0, maximum = 100)]
    pub extent_pct: Option<f64>,
    /// treatment_type terms, e.g. `["backing", "deacidification"]`.
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 treatments"))]
    #[schema(max_items = 20)]
    pub recommended_treatments: Vec<String>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

impl Rules for ConditionInput {}

impl ConditionInput {
    /// A condition said by its grade (and pH) alone, as a treatment's condition after often is.
    pub fn of_grade(grade: i16, ph: Option<f64>) -> Self {
        ConditionInput {
            grade,
            damages: Vec::new(),
            ph,
            extent_pct: None,
            recommended_treatments: Vec::new(),
            notes: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssessment {
    pub file_id: i64,
    /// Default: the whole file.
    pub pages: Option<PagesInput>,
    #[validate(range(min = 1, max = 4, message = "must be 1, 2, 3 or 4"))]
    #[schema(minimum = 1, maximum = 4)]
    pub grade: i16,
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 damages"), nested)]
    #[schema(max_items = 50)]
    pub damages: Vec<DamageInput>,
    #[validate(range(min = 0.0, max = 14.0, message = "must be between 0 and 14"))]
    #[schema(minimum = 0, maximum = 14, example = 5.2)]
    pub ph: Option<f64>,
    #[validate(range(min = 0.0, max = 100.0, message = "must be between 0 and 100"))]
    #[schema(minimum = 0, maximum = 100)]
    pub extent_pct: Option<f64>,
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 treatments"))]
    #[schema(max_items = 20)]
    pub recommended_treatments: Vec<String>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// When the survey was made (default: now); not in the future.
    pub assessed_at: Option<DateTime<Utc>>,
    /// The assessment this one corrects (of the same file).
    pub supersedes_id: Option<i64>,
}

impl Rules for NewAssessment {}

impl NewAssessment {
    /// The condition part of the request.
    pub fn condition(&self) -> ConditionInput {
        ConditionInput {
            grade: self.grade,
            damages: self.damages.clone(),
            ph: self.ph,
            extent_pct: self.extent_pct,
            recommended_treatments: self.recommended_treatments.clone(),
            notes: self.notes.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssessmentFilter {
    pub file_id: Option<i64>,
    pub fonds_id: Option<i64>,
    #[validate(range(min = 1, max = 4, message = "must be 1, 2, 3 or 4"))]
    #[param(minimum = 1, maximum = 4)]
    pub grade: Option<i16>,
    /// Assessed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Assessed before.
    pub to: Option<DateTime<Utc>>,
}

/// Withdraws an assessment recorded in error (on the wrong file, say).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    #[schema(min_length = 1, max_length = 2000, example = "Ghi nhầm hồ sơ: khảo sát này là của hồ sơ 13")]
    pub reason: String,
}

impl Rules for Withdrawal {}
