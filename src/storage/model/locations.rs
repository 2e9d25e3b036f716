use std::borrow::Cow;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::db::text_enum;
use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::{Rules, nullable};
use crate::http::etag::Versioned;
use crate::schema::locations;
use crate::storage::model::{Space, SpaceTotals, pk_space};

/// Joins the codes of a location's ancestors and its own into its `path_code`.
pub const PATH_SEPARATOR: &str = "-";
pub const MAX_CAPACITY_MM: i32 = 100_000;

text_enum! {
    /// Levels of the storage tree, top to bottom, and `workspace` for places that are not shelving.
    pub enum LocationKind {
        /// kho: a repository building
        Building = "building",
        /// phòng kho: a stack room
        Room = "room",
        /// giá: a shelving unit
        Unit = "unit",
        /// khoang: a bay (section) of a unit
        Bay = "bay",
        /// đợt / tầng / ngăn: one shelf board; boxes stand here
        Shelf = "shelf",
        /// a lab, reading room or other place boxes go to that is not shelving
        Workspace = "workspace",
    }
}

impl LocationKind {
    /// Whether a location of this kind may hold a child of `child` kind: shelving levels go
    /// strictly downwards (levels may be skipped); workspaces sit in a building or a room.
    pub fn may_contain(self, child: LocationKind) -> bool {
        use LocationKind::*;
        match (self, child) {
            (Building | Room, Workspace) => true,
            (Workspace | Shelf, _) | (_, Workspace | Building) => false,
            (parent, child) => parent.depth() < child.depth(),
        }
    }

    fn depth(self) -> u8 {
        use LocationKind::*;
        match self {
            Building => 0,
            Room => 1,
            Unit | Workspace => 2,
            Bay => 3,
            Shelf => 4,
        }
    }
}

text_enum! {
    /// What a workspace is for.
    pub enum Purpose {
        ConservationLab = "conservation_lab",
        ReadingRoom = "reading_room",
        Digitization = "digitization",
        Quarantine = "quarantine",
        Exhibition = "exhibition",
        Loan = "loan",
        Other = "other",
    }
}

/// A place in the repository.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = locations, check_for_backend(diesel::pg::Pg))]
pub struct Location {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: LocationKind,
    #[schema(example = "G05")]
    pub code: String,
    #[schema(example = "Giá 5")]
    pub name: Option<String>,
    /// The codes from the building down to this location, joined with `-`.
    #[schema(example = "K1-P02-G05-3-4")]
    pub path_code: String,
    /// What its label's barcode reads: given, or `LOC-` and its id; a rename leaves it.
    #[schema(example = "LOC-000123")]
    pub barcode: String,
    /// Shelf length in millimetres (shelves only).
    pub capacity_mm: Option<i32>,
    /// What a workspace is for (workspaces only).
    pub purpose: Option<Purpose>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    /// Id of the API key that created it.
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
    /// Shelving it has and uses (for a shelf, its own; otherwise the shelves below it).
    #[diesel(select_expression = pk_space(locations::id), deserialize_as = SpaceTotals)]
    pub space: Space,
}

impl Versioned for Location {
    fn version(&self) -> i32 {
        self.version
    }
}

/// A location with the chain of places above it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationDetail {
    #[serde(flatten)]
    pub location: Location,
    /// From the building down to the parent.
    pub ancestors: Vec<LocationRef>,
}

impl Versioned for LocationDetail {
    fn version(&self) -> i32 {
        self.location.version
    }
}

impl Resource for LocationDetail {
    const KIND: &'static str = "location";

    fn subject(&self) -> String {
        format!("/api/v1/locations/{}", self.location.id)
    }
}

/// A short reference to a location.
#[derive(Debug, Clone, Serialize, Deserialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = locations, check_for_backend(diesel::pg::Pg))]
pub struct LocationRef {
    pub id: i64,
    pub kind: LocationKind,
    pub code: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    /// The location this one is in; omit for a building.
    pub parent_id: Option<i64>,
    pub kind: LocationKind,
    /// Short code, unique among siblings ignoring case and accents: letters, digits, `.` and `_`
    /// (not `-`, which joins codes into the path code).
    #[validate(custom(function = "valid_code"))]
    #[schema(min_length = 1, max_length = 20, pattern = r"^[\p{L}\p{N}._]+$", example = "G05")]
    pub code: String,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(min_length = 1, max_length = 200, example = "Phòng kho 2")]
    pub name: Option<String>,
    /// For its label: unique among locations and boxes, ignoring case; default `LOC-` and its id.
    #[validate(
        length(min = 1, max = 64, message = "must be 1 to 64 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 64, example = "K1-P02-G05-3-4")]
    pub barcode: Option<String>,
    /// Required for a shelf, in millimetres (1 mm to 100 m); not allowed for other kinds.
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000 mm"))]
    #[schema(minimum = 1, maximum = 100_000, example = 1000)]
    pub capacity_mm: Option<i32>,
    /// Required for a workspace; not allowed for other kinds.
    pub purpose: Option<Purpose>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

impl Rules for NewLocation {
    fn broken_rules(&self) -> Vec<FieldError> {
        let (has_capacity, has_purpose) = (self.capacity_mm.is_some(), self.purpose.is_some());
        let mut errors = missing_fields(self.kind, has_capacity, has_purpose);
        errors.extend(foreign_fields(self.kind, has_capacity, has_purpose));
        errors
    }
}

/// A shelf needs its capacity and a workspace its purpose.
fn missing_fields(kind: LocationKind, has_capacity: bool, has_purpose: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if kind == LocationKind::Shelf && !has_capacity {
        errors.push(FieldError::new("capacity_mm", "is required for a shelf"));
    }
    if kind == LocationKind::Workspace && !has_purpose {
        errors.push(FieldError::new("purpose", "is required for a workspace"));
    }
    errors
}

/// Capacity belongs to shelves and purpose to workspaces only.
pub fn foreign_fields(kind: LocationKind, has_capacity: bool, has_purpose: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if kind != LocationKind::Shelf && has_capacity {
        errors.push(FieldError::new("capacity_mm", format!("only shelves have a capacity, not a {kind}")));
    }
    if kind != LocationKind::Workspace && has_purpose {
        errors.push(FieldError::new("purpose", format!("only workspaces have a purpose, not a {kind}")));
    }
    errors
}

/// Changes to a location; absent fields stay as they are, `null` clears `name` or `notes`.
/// A location's kind and parent are fixed.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema, AsChangeset)]
#[diesel(table_name = locations)]
#[serde(deny_unknown_fields)]
pub struct LocationPatch {
    /// Renaming a code renames the path codes of everything below.
    #[validate(custom(function = "valid_code"))]
    #[schema(min_length = 1, max_length = 20, pattern = r"^[\p{L}\p{N}._]+$")]
    pub code: Option<String>,
    /// A new label: unique among locations and boxes, ignoring case.
    #[validate(
        length(min = 1, max = 64, message = "must be 1 to 64 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 64)]
    pub barcode: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub name: Option<Option<String>>,
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000 mm"))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub capacity_mm: Option<i32>,
    pub purpose: Option<Purpose>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

impl Rules for LocationPatch {}

/// Bays and shelves to create in a unit in one go.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShelvingRequest {
    /// Bays to create; 0 puts the shelves directly in the unit.
    #[validate(range(max = 100, message = "must be between 0 and 100"))]
    #[schema(minimum = 0, maximum = 100, example = 8)]
    pub bays: u32,
    /// Shelves in each bay (or in the unit when `bays` is 0).
    #[validate(range(min = 1, max = 20, message = "must be between 1 and 20"))]
    #[schema(minimum = 1, maximum = 20, example = 5)]
    pub shelves_per_bay: u32,
    /// Length of each shelf in millimetres.
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000 mm"))]
    #[schema(minimum = 1, maximum = 100_000, example = 1000)]
    pub capacity_mm: i32,
    /// Number of the first bay (default 1), to add bays after existing ones.
    #[validate(range(min = 1, max = 9999, message = "must be between 1 and 9999"))]
    #[schema(minimum = 1, maximum = 9999)]
    pub first_bay: Option<u32>,
    /// Put before each bay number, e.g. `K` gives `K1`, `K2`… (default none).
    #[validate(custom(function = "valid_prefix"))]
    #[schema(max_length = 10, pattern = r"^[\p{L}\p{N}._]*$")]
    pub bay_code_prefix: Option<String>,
    /// Put before each shelf number, e.g. `D` gives `D1`… (default none).
    #[validate(custom(function = "valid_prefix"))]
    #[schema(max_length = 10, pattern = r"^[\p{L}\p{N}._]*$")]
    pub shelf_code_prefix: Option<String>,
}

impl Rules for ShelvingRequest {}

/// What a shelving request created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Shelving {
    pub bays: Vec<Location>,
    pub shelves: Vec<Location>,
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LocationFilter {
    /// Only the direct children of this location.
    pub parent_id: Option<i64>,
    pub kind: Option<LocationKind>,
    /// Only the location with this path code, ignoring case (`K1-P02-G05-3-4`).
    #[validate(length(min = 1, max = 300, message = "must be 1 to 300 characters"))]
    #[param(min_length = 1, max_length = 300)]
    pub path_code: Option<String>,
    /// Words of the name, code or path code, in any order, ignoring case and accents; `"…"` for
    /// words in that order; or part of the path code. Best first: the path code as typed, then
    /// every word in the name, then the rest.
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
}

fn code_chars_ok(text: &str) -> bool {
    text.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '_')
}

fn valid_code(code: &str) -> Result<(), ValidationError> {
    let length = code.chars().count();
    if !(1..=20).contains(&length) {
        return Err(message("must be 1 to 20 characters"));
    }
    if !code_chars_ok(code) {
        return Err(message("may hold only letters, digits, `.` and `_`"));
    }
    Ok(())
}

fn valid_prefix(prefix: &str) -> Result<(), ValidationError> {
    if prefix.chars().count() > 10 || !code_chars_ok(prefix) {
        return Err(message("must be at most 10 letters, digits, `.` or `_`"));
    }
    Ok(())
}

fn message(text: &'static str) -> ValidationError {
    ValidationError::new("invalid").with_message(Cow::Borrowed(text))
}
