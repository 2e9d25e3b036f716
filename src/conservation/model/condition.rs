//! What follows from the records: a file's condition, a page's history, the queue.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::Queryable;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{Assessment, Treatment, TreatmentStatus};
use crate::db::text_enum;
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

/// Pages of a file that look alike on its page map (`first`..=`last`): the same current grade
/// (none: never assessed), live damage on them or not, an open treatment covering them or not.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRun {
    pub first: i32,
    pub last: i32,
    pub grade: Option<i16>,
    pub live_damage: bool,
    pub open_treatment: bool,
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

text_enum! {
    /// Which work the queue lists.
    pub enum QueueStage {
        /// Pages whose condition calls for treatment, whether or not one is proposed.
        Waiting = "waiting",
        /// Treatments proposed and awaiting approval: the pages they cover.
        Proposed = "proposed",
        /// Treatments approved and not started: the pages they cover.
        Approved = "approved",
        /// Treatments started and not completed: the pages they cover.
        InProgress = "in_progress",
    }
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    pub fonds_id: Option<i64>,
    /// `waiting` (default), `proposed`, `approved` or `in_progress`.
    pub stage: Option<QueueStage>,
    /// A treatment type: pages whose condition calls for it (it is recommended, or nothing is
    /// recommended and the grade is 3–4) and that no completed treatment of it has covered since.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub treatment_type: Option<String>,
}

/// A file with pages waiting for treatment (or, at a later stage, in treatments at that stage).
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntry {
    pub file_id: i64,
    pub fonds_id: i64,
    pub inventory_no: i32,
    pub file_no: i32,
    pub title: String,
    pub box_id: Option<i64>,
    /// The box's barcode, where it stands now, and whether that is a conservation lab.
    pub box_barcode: Option<String>,
    pub box_path_code: Option<String>,
    pub in_lab: bool,
    /// The most urgent priority among its open treatments (of the stage); 2, normal, with none.
    #[schema(minimum = 1, maximum = 3)]
    pub priority: i16,
    /// The earliest due date among them.
    pub due_date: Option<NaiveDate>,
    /// Its open treatments (of the stage asked for, and the type), most urgent first.
    pub treatments: Vec<QueuedTreatment>,
    /// The worst current grade among the waiting pages (none: never assessed).
    pub worst_grade: Option<i16>,
    /// Whether active damage (live mould, insects) touches the waiting pages.
    pub active_damage: bool,
    #[schema(value_type = String, example = "1-120, 140")]
    pub pages_waiting: PageSet,
    pub pages_waiting_count: i64,
    /// The treatments the waiting pages call for (empty: grade 3–4 with none recommended).
    pub treatment_types: Vec<String>,
}

/// An open treatment of a file in the queue.
#[derive(Debug, Clone, Serialize, Queryable, ToSchema)]
pub struct QueuedTreatment {
    pub id: i64,
    #[serde(skip)]
    pub file_id: i64,
    #[serde(rename = "type")]
    pub treatment_type: String,
    pub status: TreatmentStatus,
    #[schema(value_type = String, example = "1-120")]
    pub pages: PageSet,
    pub priority: i16,
    pub due_date: Option<NaiveDate>,
}
