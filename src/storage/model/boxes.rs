use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{LocationKind, LocationRef, Purpose};
use crate::db::{Json, text_enum};
use crate::events::model::Resource;
use crate::http::body::{Rules, nullable};
use crate::http::etag::Versioned;
use crate::schema::{boxes, files, locations};

pub const STANDARD_BOX_WIDTH_MM: i32 = 125;

text_enum! {
    pub enum ContainerType {
        /// hộp: an archival box
        Box = "box",
        /// cặp: a portfolio
        Portfolio = "portfolio",
        Other = "other",
    }
}

text_enum! {
    /// Where a box is, from its current location.
    pub enum BoxStatus {
        /// On a shelf.
        OnShelf = "on_shelf",
        /// In a workspace (lab, reading room…); its home shelf keeps its space.
        Out = "out",
        /// Not found by an audit where it is recorded; it keeps its place there to be found.
        Missing = "missing",
        /// Written off: missing, its space given up, until it is found.
        Lost = "lost",
    }
}

diesel::table! {
    /// Boxes with both their places and their fonds' code: a view (migrations 2 and 3), declared here because
    /// `diesel print-schema` describes tables only.
    box_places (id) {
        id -> Int8,
        barcode -> Text,
        label -> Nullable<Text>,
        fonds_id -> Nullable<Int8>,
        fonds_code -> Nullable<Text>,
        container_type -> Text,
        width_mm -> Int4,
        home_location_id -> Int8,
        current_location_id -> Int8,
        position -> Nullable<Int4>,
        missing -> Bool,
        notes -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Int8,
        search_key -> Nullable<Text>,
        current_kind -> Text,
        current_code -> Text,
        current_name -> Nullable<Text>,
        current_path_code -> Text,
        current_purpose -> Nullable<Text>,
        current_path -> Jsonb,
        home_kind -> Text,
        home_code -> Text,
        home_name -> Nullable<Text>,
        home_path_code -> Text,
        home_purpose -> Nullable<Text>,
        home_path -> Jsonb,
        holds_space -> Bool,
        lost_at -> Nullable<Timestamptz>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(box_places, locations);
diesel::allow_tables_to_appear_in_same_query!(box_places, files);

/// A box as read, with both its places.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = box_places, check_for_backend(diesel::pg::Pg))]
pub struct BoxRecord {
    pub id: i64,
    pub barcode: String,
    pub label: Option<String>,
    pub fonds_id: Option<i64>,
    pub fonds_code: Option<String>,
    pub container_type: ContainerType,
    pub width_mm: i32,
    pub home_location_id: i64,
    pub current_location_id: i64,
    pub position: Option<i32>,
    pub missing: bool,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
    pub current_kind: LocationKind,
    pub current_code: String,
    pub current_name: Option<String>,
    pub current_path_code: String,
    pub current_purpose: Option<Purpose>,
    pub current_path: Json<Vec<LocationRef>>,
    pub home_kind: LocationKind,
    pub home_code: String,
    pub home_name: Option<String>,
    pub home_path_code: String,
    pub home_purpose: Option<Purpose>,
    pub home_path: Json<Vec<LocationRef>>,
    pub holds_space: bool,
    pub lost_at: Option<DateTime<Utc>>,
}

/// A location as a box shows it: with its whole path, building first, itself last.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Place {
    pub id: i64,
    pub kind: LocationKind,
    pub code: String,
    pub name: Option<String>,
    #[schema(example = "K1-P02-G05-3-4")]
    pub path_code: String,
    /// For a workspace: what it is for.
    pub purpose: Option<Purpose>,
    pub path: Vec<LocationRef>,
}

/// An archival box (hộp) or portfolio (cặp) and where it is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArchiveBox {
    pub id: i64,
    #[schema(example = "HS-000123")]
    pub barcode: String,
    #[schema(example = "Hộp 12")]
    pub label: Option<String>,
    /// The fonds (phông) whose files the box holds.
    pub fonds_id: Option<i64>,
    #[schema(example = "SNV")]
    pub fonds_code: Option<String>,
    pub container_type: ContainerType,
    pub width_mm: i32,
    pub status: BoxStatus,
    /// Whether it takes its width on a shelf: the one it stands on, or its home while it is
    /// out. Only a missing box may have given its space up.
    pub holds_space: bool,
    /// When it was written off (status `lost`).
    pub lost_at: Option<DateTime<Utc>>,
    /// Its place on the shelf whose space it takes: the one it stands on, or its home while it
    /// is out; unique there. None for a box that gave its space up (written off).
    pub position: Option<i32>,
    /// Where it is, or for a missing or lost box where it was last recorded.
    pub current_location: Place,
    pub home_location: Place,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
}

impl From<BoxRecord> for ArchiveBox {
    fn from(r: BoxRecord) -> Self {
        let status = match (r.lost_at, r.missing, r.current_kind) {
            (Some(_), ..) => BoxStatus::Lost,
            (None, true, _) => BoxStatus::Missing,
            (None, false, LocationKind::Shelf) => BoxStatus::OnShelf,
            (None, false, _) => BoxStatus::Out,
        };
        let current_location = Place {
            id: r.current_location_id,
            kind: r.current_kind,
            code: r.current_code,
            name: r.current_name,
            path_code: r.current_path_code,
            purpose: r.current_purpose,
            path: r.current_path.0,
        };
        let home_location = Place {
            id: r.home_location_id,
            kind: r.home_kind,
            code: r.home_code,
            name: r.home_name,
            path_code: r.home_path_code,
            purpose: r.home_purpose,
            path: r.home_path.0,
        };
        ArchiveBox {
            id: r.id,
            barcode: r.barcode,
            label: r.label,
            fonds_id: r.fonds_id,
            fonds_code: r.fonds_code,
            container_type: r.container_type,
            width_mm: r.width_mm,
            status,
            holds_space: r.holds_space,
            lost_at: r.lost_at,
            position: r.position,
            current_location,
            home_location,
            notes: r.notes,
            version: r.version,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

impl Versioned for ArchiveBox {
    fn version(&self) -> i32 {
        self.version
    }
}

impl Resource for ArchiveBox {
    const KIND: &'static str = "box";

    fn subject(&self) -> String {
        format!("/api/v1/boxes/{}", self.id)
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBox {
    /// Unique, compared ignoring case; surrounding spaces are dropped.
    #[validate(
        length(min = 1, max = 64, message = "must be 1 to 64 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 64, example = "HS-000123")]
    pub barcode: String,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(min_length = 1, max_length = 200, example = "Hộp 12")]
    pub label: Option<String>,
    /// The fonds (phông) whose files the box holds.
    pub fonds_id: Option<i64>,
    /// Default `box`.
    pub container_type: Option<ContainerType>,
    /// Default 125 mm, the standard box (TCVN 9252:2012).
    #[validate(range(min = 1, max = 1000, message = "must be between 1 and 1000 mm"))]
    #[schema(minimum = 1, maximum = 1000, example = 125)]
    pub width_mm: Option<i32>,
    /// The shelf the box belongs on; placing it there is its first movement.
    pub home_location_id: i64,
    #[validate(range(min = 1, max = 100_000, message = "must be between 1 and 100000"))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub position: Option<i32>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

impl Rules for NewBox {}

/// Changes to a box. Where it is changes only by moving it.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema, AsChangeset)]
#[diesel(table_name = boxes)]
#[serde(deny_unknown_fields)]
pub struct BoxPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub label: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub fonds_id: Option<Option<i64>>,
    pub container_type: Option<ContainerType>,
    #[validate(range(min = 1, max = 1000, message = "must be between 1 and 1000 mm"))]
    #[schema(minimum = 1, maximum = 1000)]
    pub width_mm: Option<i32>,
    /// A new home shelf. A box out in a workspace takes its reserved space there.
    pub home_location_id: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

impl Rules for BoxPatch {}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoxFilter {
    /// Exact barcode, ignoring case.
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    #[param(min_length = 1, max_length = 64)]
    pub barcode: Option<String>,
    /// Fonds code, ignoring case.
    #[validate(length(min = 1, max = 50, message = "must be 1 to 50 characters"))]
    #[param(min_length = 1, max_length = 50)]
    pub fonds: Option<String>,
    pub fonds_id: Option<i64>,
    /// Boxes now at this location or anywhere below it.
    pub location_id: Option<i64>,
    pub status: Option<BoxStatus>,
    /// Words of the label or barcode, in any order, ignoring case and accents; `"…"` for words in
    /// that order; or part of the barcode. Best first: the barcode as typed, then every word in
    /// the label, then the rest.
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
}

/// A box in a list: as GET shows it, and for a box that is out, since when and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedBox {
    #[serde(flatten)]
    pub r#box: ArchiveBox,
    /// For a box out of its shelf (status `out`): the movement that took it where it is.
    pub out: Option<Outing>,
}

/// Since when, why and by whom a box is out, and for how long now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Outing {
    /// The movement that took it there (`GET /api/v1/moves/{id}`).
    pub movement_id: i64,
    pub since: DateTime<Utc>,
    pub reason: super::MoveReason,
    pub note: Option<String>,
    /// Id of the API key that moved it.
    pub moved_by: i64,
    /// Whole hours it has been out, at the time of the answer.
    pub hours: i64,
}

/// A box in a location's contents: its place, and where it stands.
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct ShelvedBox {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub barcode: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub label: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub fonds_code: Option<String>,
    #[diesel(sql_type = Integer)]
    pub width_mm: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub position: Option<i32>,
    #[diesel(sql_type = Text)]
    pub status: BoxStatus,
    /// The shelf or workspace it is in.
    #[diesel(sql_type = BigInt)]
    pub location_id: i64,
    #[diesel(sql_type = Text)]
    pub location_path_code: String,
    /// The shelf its position is on: the one it stands on, or its home while it is out (none for
    /// a missing box that gave its space up).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub shelf_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub shelf_path_code: Option<String>,
}
