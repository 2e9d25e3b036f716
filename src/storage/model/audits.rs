use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::text_enum;
use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::Rules;

pub const MAX_SCANNED: usize = 10_000;

text_enum! {
    /// What an audit concluded about one barcode.
    pub enum AuditOutcome {
        /// Recorded here and scanned here.
        Found = "found",
        /// Recorded here, not scanned.
        Missing = "missing",
        /// Scanned here, recorded elsewhere.
        Unexpected = "unexpected",
        /// Scanned, but no box has this barcode.
        Unknown = "unknown",
    }
}

/// The barcodes scanned on a shelf (or in a workspace), to compare with the records.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAudit {
    pub location_id: i64,
    /// As scanned; a barcode scanned twice is counted once and reported.
    #[validate(length(max = 10000, message = "must hold at most 10000 barcodes"))]
    #[schema(max_items = 10000, example = json!(["HS-000123", "HS-000124"]))]
    pub scanned: Vec<String>,
}

impl Rules for NewAudit {
    fn broken_rules(&self) -> Vec<FieldError> {
        self.scanned
            .iter()
            .enumerate()
            .filter(|(_, barcode)| barcode.is_empty() || barcode.chars().count() > 64)
            .map(|(index, _)| FieldError::new(format!("scanned[{index}]"), "must be 1 to 64 characters"))
            .collect()
    }
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AuditCounts {
    pub expected: i64,
    pub scanned: i64,
    pub found: i64,
    pub missing: i64,
    pub unexpected: i64,
    pub unknown: i64,
    /// Barcodes scanned more than once.
    pub duplicates: i64,
}

/// A box named by an audit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditedBox {
    pub box_id: i64,
    pub barcode: String,
}

/// A box scanned in the audited place but recorded elsewhere.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnexpectedBox {
    pub box_id: i64,
    pub barcode: String,
    /// Where the records had it when it was scanned here.
    pub recorded_location_id: i64,
    pub recorded_path_code: String,
}

/// An audit in a list: what and when, with its counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditSummary {
    pub id: i64,
    pub location_id: i64,
    pub location_path_code: String,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    /// When the records were corrected to the audit (null until then).
    pub reconciled_at: Option<DateTime<Utc>>,
    pub reconciled_by: Option<i64>,
    pub counts: AuditCounts,
}

/// A shelf audit: what the records expected and what the scan found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Audit {
    #[serde(flatten)]
    pub summary: AuditSummary,
    pub expected: Vec<AuditedBox>,
    pub found: Vec<AuditedBox>,
    pub missing: Vec<AuditedBox>,
    pub unexpected: Vec<UnexpectedBox>,
    pub unknown: Vec<String>,
    pub duplicates: Vec<String>,
}

impl Resource for Audit {
    const KIND: &'static str = "audit";

    fn subject(&self) -> String {
        format!("/api/v1/audits/{}", self.summary.id)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only audits of this location.
    pub location_id: Option<i64>,
}
