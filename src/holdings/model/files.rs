use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::conservation::model::ConditionSummary;
use crate::db::text_enum;
use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::{Rules, nullable};
use crate::http::etag::Versioned;
use crate::schema::files;
use crate::storage::model::ArchiveBox;

pub const MAX_PAGE_COUNT: i32 = 100_000;

text_enum! {
    /// What a file's numbers count: leaves (tờ, the default) or pages (trang).
    pub enum Numbering {
        Leaf = "leaf",
        Page = "page",
    }
}

text_enum! {
    /// Who may read the file.
    pub enum Access {
        Open = "open",
        Restricted = "restricted",
        Closed = "closed",
    }
}

/// A file (hồ sơ): numbered within an inventory (mục lục) of a fonds.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = files, check_for_backend(diesel::pg::Pg))]
pub struct File {
    pub id: i64,
    pub fonds_id: i64,
    /// Mục lục số.
    pub inventory_no: i32,
    /// Hồ sơ số, unique within the inventory.
    pub file_no: i32,
    /// Mã hồ sơ; unique when given.
    pub archive_code: Option<String>,
    #[schema(example = "Tập công văn của Sở Nội vụ về công tác cán bộ năm 1976")]
    pub title: String,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    /// How many numbered units (pages or leaves, as `numbering` says) the file has.
    pub page_count: i32,
    pub numbering: Numbering,
    pub box_id: Option<i64>,
    pub access: Access,
    pub notes: Option<String>,
    /// Where the file's digital copy is (its identifier in the digitization system): a file
    /// with one is served to readers as that copy, never as the original.
    pub digital_copy: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
}

impl Versioned for File {
    fn version(&self) -> i32 {
        self.version
    }
}

/// A file with its fonds, where it is, and the state of its conservation.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileDetail {
    #[serde(flatten)]
    pub file: File,
    pub fonds_code: String,
    pub fonds_name: String,
    /// The box holding the file, with where the box is and where it belongs.
    #[serde(rename = "box")]
    pub in_box: Option<ArchiveBox>,
    pub conservation: ConditionSummary,
}

impl Versioned for FileDetail {
    fn version(&self) -> i32 {
        self.file.version
    }
}

impl Resource for FileDetail {
    const KIND: &'static str = "file";

    fn subject(&self) -> String {
        format!("/api/v1/files/{}", self.file.id)
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFile {
    pub fonds_id: i64,
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000"))]
    #[schema(minimum = 1, maximum = 100_000, example = 1)]
    pub inventory_no: i32,
    #[validate(range(min = 1, max = 1_000_000, message = "must be between 1 and 1000000"))]
    #[schema(minimum = 1, maximum = 1_000_000, example = 37)]
    pub file_no: i32,
    #[validate(
        length(min = 1, max = 60, message = "must be 1 to 60 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 60)]
    pub archive_code: Option<String>,
    #[validate(length(min = 1, max = 1000, message = "must be 1 to 1000 characters"))]
    #[schema(min_length = 1, max_length = 1000)]
    pub title: String,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000"))]
    #[schema(minimum = 1, maximum = 100_000, example = 250)]
    pub page_count: i32,
    /// Default `leaf`.
    pub numbering: Option<Numbering>,
    pub box_id: Option<i64>,
    /// Default `open`.
    pub access: Option<Access>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// Where its digital copy is, once digitized.
    #[validate(length(min = 1, max = 300, message = "must be 1 to 300 characters"))]
    #[schema(min_length = 1, max_length = 300, example = "SO-STNV-1-37")]
    pub digital_copy: Option<String>,
}

impl Rules for NewFile {
    fn broken_rules(&self) -> Vec<FieldError> {
        check_dates(self.date_from, self.date_to)
    }
}

/// `date_from` comes no later than `date_to`, and neither is in the future: they are the dates
/// of the file's documents.
pub fn check_dates(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = [("date_from", from), ("date_to", to)]
        .into_iter()
        .filter(|(_, date)| date.is_some_and(crate::clock::is_future_date))
        .map(|(field, _)| FieldError::new(field, crate::clock::FUTURE))
        .collect();
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.push(FieldError::new("date_to", "must not come before date_from"));
    }
    errors
}

/// Changes to a file; `null` clears an optional field. The fonds and numbers are fixed.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema, AsChangeset)]
#[diesel(table_name = files)]
#[serde(deny_unknown_fields)]
pub struct FilePatch {
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 60, message = "must be 1 to 60 characters"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 60)]
    pub archive_code: Option<Option<String>>,
    #[validate(length(min = 1, max = 1000, message = "must be 1 to 1000 characters"))]
    #[schema(min_length = 1, max_length = 1000)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub date_from: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub date_to: Option<Option<NaiveDate>>,
    /// Not below the highest page any assessment or treatment names.
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000"))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub page_count: Option<i32>,
    pub numbering: Option<Numbering>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub box_id: Option<Option<i64>>,
    pub access: Option<Access>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
    /// Where its digital copy is, once digitized; `null`: none.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 300, message = "must be 1 to 300 characters"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub digital_copy: Option<Option<String>>,
}

impl Rules for FilePatch {}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FileFilter {
    pub fonds_id: Option<i64>,
    pub box_id: Option<i64>,
    /// Words of the title, archive code, number (`1/37`: inventory 1, file 37) or years, in any
    /// order, ignoring case and accents (`cong van so noi vu` finds `Tập công văn của Sở Nội
    /// vụ`); `"…"` for words in that order; or part of the archive code. Best first: the archive
    /// code as typed, then every word in the title, then the rest.
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
}
