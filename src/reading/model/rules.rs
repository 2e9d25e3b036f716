use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::events::model::Resource;
use crate::http::body::Rules;
use crate::http::etag::Versioned;
use crate::schema::reading_rules;

/// The reading room's rules, as the archive sets them.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = reading_rules, check_for_backend(diesel::pg::Pg))]
pub struct ReadingRules {
    /// Files a reader may have at once: asked for and not yet returned (10 by the rules).
    pub files_at_once: i32,
    /// Days a reader may keep a file (14 by the rules); kept longer, it shows as overdue.
    pub keep_days: i32,
    /// Whether pages of grade 3 (poor) are served; pages of grade 4 never are.
    pub serve_grade_3: bool,
    /// Days after a reader's last visit or request when their personal data is anonymised.
    pub anonymise_after_days: i32,
    /// The price of a page copied on paper, in đồng.
    pub page_price_paper: i32,
    /// The price of a page copied as PDF, in đồng.
    pub page_price_pdf: i32,
    /// The price of certifying a copied file (chứng thực lưu trữ), in đồng.
    pub certification_price: i32,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    /// None until an admin first changes them.
    pub updated_by: Option<i64>,
}

impl Versioned for ReadingRules {
    fn version(&self) -> i32 {
        self.version
    }
}

impl Resource for ReadingRules {
    const KIND: &'static str = "reading_rules";

    fn subject(&self) -> String {
        "/api/v1/reading-rules".into()
    }
}

/// Changes to the rules; each left out stays.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema, AsChangeset)]
#[diesel(table_name = reading_rules)]
#[serde(deny_unknown_fields)]
pub struct RulesPatch {
    #[validate(range(min = 1, max = 100, message = "must be 1 to 100"))]
    #[schema(minimum = 1, maximum = 100)]
    pub files_at_once: Option<i32>,
    #[validate(range(min = 1, max = 365, message = "must be 1 to 365 days"))]
    #[schema(minimum = 1, maximum = 365)]
    pub keep_days: Option<i32>,
    pub serve_grade_3: Option<bool>,
    #[validate(range(min = 30, max = 36500, message = "must be 30 to 36500 days"))]
    #[schema(minimum = 30, maximum = 36500)]
    pub anonymise_after_days: Option<i32>,
    #[validate(range(min = 0, max = 10_000_000, message = "must be 0 to 10000000 đồng"))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub page_price_paper: Option<i32>,
    #[validate(range(min = 0, max = 10_000_000, message = "must be 0 to 10000000 đồng"))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub page_price_pdf: Option<i32>,
    #[validate(range(min = 0, max = 10_000_000, message = "must be 0 to 10000000 đồng"))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub certification_price: Option<i32>,
}

impl Rules for RulesPatch {}
