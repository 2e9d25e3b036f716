use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::{Rules, nullable};
use crate::http::etag::Versioned;
use crate::schema::fonds;

/// A fonds (phông): the records of one creator, e.g. Phông Sở Nội vụ.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = fonds, check_for_backend(diesel::pg::Pg))]
pub struct Fonds {
    pub id: i64,
    /// Phông số; unique, compared ignoring case.
    #[schema(example = "SNV")]
    pub code: String,
    #[schema(example = "Phông Sở Nội vụ")]
    pub name: String,
    #[schema(example = "Sở Nội vụ tỉnh Thanh Hoá")]
    pub creator: Option<String>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
}

impl Versioned for Fonds {
    fn version(&self) -> i32 {
        self.version
    }
}

impl Resource for Fonds {
    const KIND: &'static str = "fonds";

    fn subject(&self) -> String {
        format!("/api/v1/fonds/{}", self.id)
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema, Insertable)]
#[diesel(table_name = fonds)]
#[serde(deny_unknown_fields)]
pub struct NewFonds {
    #[validate(
        length(min = 1, max = 50, message = "must be 1 to 50 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 50, example = "SNV")]
    pub code: String,
    #[validate(
        length(min = 1, max = 300, message = "must be 1 to 300 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 300, example = "Phông Sở Nội vụ")]
    pub name: String,
    #[validate(
        length(min = 1, max = 300, message = "must be 1 to 300 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub creator: Option<String>,
    #[validate(range(min = 1000, max = 2200, message = "must be a year between 1000 and 2200"))]
    #[schema(minimum = 1000, maximum = 2200, example = 1945)]
    pub year_from: Option<i32>,
    #[validate(range(min = 1000, max = 2200, message = "must be a year between 1000 and 2200"))]
    #[schema(minimum = 1000, maximum = 2200, example = 1975)]
    pub year_to: Option<i32>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

impl Rules for NewFonds {
    fn broken_rules(&self) -> Vec<FieldError> {
        check_years(self.year_from, self.year_to)
    }
}

/// `year_from` comes no later than `year_to`, and neither is in the future.
pub fn check_years(from: Option<i32>, to: Option<i32>) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = [("year_from", from), ("year_to", to)]
        .into_iter()
        .filter(|(_, year)| year.is_some_and(crate::clock::is_future_year))
        .map(|(field, _)| FieldError::new(field, crate::clock::FUTURE))
        .collect();
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.push(FieldError::new("year_to", "must not come before year_from"));
    }
    errors
}

/// Changes to a fonds; `null` clears an optional field.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema, AsChangeset)]
#[diesel(table_name = fonds)]
#[serde(deny_unknown_fields)]
pub struct FondsPatch {
    #[validate(
        length(min = 1, max = 50, message = "must be 1 to 50 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 50)]
    pub code: Option<String>,
    #[validate(
        length(min = 1, max = 300, message = "must be 1 to 300 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 300, message = "must be 1 to 300 characters"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub creator: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(range(min = 1000, max = 2200, message = "must be a year between 1000 and 2200"))]
    #[schema(value_type = Option<i32>, minimum = 1000, maximum = 2200)]
    pub year_from: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(range(min = 1000, max = 2200, message = "must be a year between 1000 and 2200"))]
    #[schema(value_type = Option<i32>, minimum = 1000, maximum = 2200)]
    pub year_to: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

impl Rules for FondsPatch {}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FondsFilter {
    /// Words of the code, name or creator, in any order, ignoring case and accents; `"…"` for
    /// words in that order; or part of the code. Best first: the code as typed, then every word
    /// in the name or creator, then the rest.
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
}
