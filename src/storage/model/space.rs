use diesel::define_sql_function;
use diesel::sql_types::BigInt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// How much shelving a location has and uses: a shelf's own figures, or the sum over the
/// shelves below any other location. A box uses the shelf it stands on, or keeps its home shelf's
/// space while it is out in a workspace. Linear metres (mét giá) are the millimetres / 1000.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Space {
    pub capacity_mm: i64,
    pub used_mm: i64,
    pub free_mm: i64,
    /// Boxes whose space this is.
    pub box_count: i64,
    pub capacity_m: f64,
    pub used_m: f64,
    pub free_m: f64,
}

define_sql_function! {
    /// Capacity, used length and box count of a location's shelving (migration 2).
    fn pk_space(location_id: BigInt) -> diesel::pg::sql_types::Record<(BigInt, BigInt, BigInt)>;
}

/// The totals `pk_space()` gives: capacity, used, boxes.
pub type SpaceTotals = (i64, i64, i64);

impl From<SpaceTotals> for Space {
    fn from((capacity_mm, used_mm, box_count): SpaceTotals) -> Self {
        let metres = |mm: i64| mm as f64 / 1000.0;
        let free_mm = capacity_mm - used_mm;
        Space {
            capacity_mm,
            used_mm,
            free_mm,
            box_count,
            capacity_m: metres(capacity_mm),
            used_m: metres(used_mm),
            free_m: metres(free_mm),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SpaceQuery {
    /// Where to look: a room, unit, bay, shelf…
    pub within: i64,
    /// How many boxes need a place.
    #[validate(range(min = 1, max = 10_000, message = "must be between 1 and 10000"))]
    #[param(minimum = 1, maximum = 10_000)]
    pub boxes: i64,
    /// Width of each box in millimetres (default 125, the standard box).
    #[validate(range(min = 1, max = 1000, message = "must be between 1 and 1000 mm"))]
    #[param(minimum = 1, maximum = 1000)]
    pub width_mm: Option<i32>,
}

/// Where `boxes` boxes of `width_mm` can go.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpaceFound {
    pub within: i64,
    pub boxes: i64,
    pub width_mm: i32,
    /// Whether all the boxes fit.
    pub fits: bool,
    /// How many such boxes all the shelves within could take.
    pub room_for: i64,
    /// The shelves to use, in path order, until the boxes are placed (all shelves with room
    /// when they do not all fit).
    pub shelves: Vec<ShelfRoom>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShelfRoom {
    pub id: i64,
    pub path_code: String,
    pub free_mm: i64,
    /// How many such boxes it takes.
    pub takes: i64,
}
