//! What follows from the records: a file's condition, a page's history, the queue.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{Assessment, Treatment};
use crate::holdings::model::PageSet;

/// The conservation state of a file, page by page.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ConditionSummary {
    /// Pages by their current grade (the latest assessment covering each, corrections applied).
    #[schema(value_type = BTreeMap<String, i64>, example = json!({"1": 20, "2": 0, "3": 230, "4": 0}))]
    pub pages_by_grade: BTreeMap<i16, i64>,
    pub pages_never_assessed: i64,
    /// Pages covered by completed treatments, by treatment type.
    #[schema(example = json!({"backing": 250}))]
    pub pages_treated_by_type: BTreeMap<String, i64>,
    /// Pages waiting for treatment (as in the queue).
    #[schema(value_type = String, example = "1-20")]
    pub pages_waiting: PageSet,
    pub pages_waiting_count: i64,
}

/// Everything that happened to one page, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageHistory {
    pub file_id: i64,
    pub page: i32,
    /// From the latest assessment covering the page that no correction supersedes.
    pub current_grade: Option<i16>,
    pub current_assessment_id: Option<i64>,
    pub events: Vec<PageEvent>,
}

/// An assessment or a treatment covering the page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageEvent {
    /// `assessment` or `treatment`.
    #[schema(example = "assessment")]
    pub kind: String,
    /// When: assessed; or for a treatment completed, else started, else proposed.
    pub at: DateTime<Utc>,
    pub assessment: Option<Assessment>,
    pub treatment: Option<Treatment>,
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    pub fonds_id: Option<i64>,
    /// A treatment type: pages whose condition calls for it (it is recommended, or nothing is
    /// recommended and the grade is 3–4) and that no completed treatment of it has covered since.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub treatment_type: Option<String>,
}

/// A file with pages waiting for treatment.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntry {
    pub file_id: i64,
    pub fonds_id: i64,
    pub inventory_no: i32,
    pub file_no: i32,
    pub title: String,
    pub box_id: Option<i64>,
    /// The worst current grade among the waiting pages.
    pub worst_grade: i16,
    /// Whether active damage (live mould, insects) touches the waiting pages.
    pub active_damage: bool,
    #[schema(value_type = String, example = "1-120, 140")]
    pub pages_waiting: PageSet,
    pub pages_waiting_count: i64,
    /// The treatments the waiting pages call for (empty: grade 3–4 with none recommended).
    pub treatment_types: Vec<String>,
}
