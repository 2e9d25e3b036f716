//! Shelf space: the counters every change of a box's place goes through, and the space finder.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::one_of;
use crate::error::{Error, Result};
use crate::schema::{boxes, locations};
use crate::storage::model::{LocationKind, STANDARD_BOX_WIDTH_MM, ShelfRoom, SpaceFound, SpaceQuery};

#[derive(Debug, Clone)]
struct ShelfState {
    path_code: String,
    capacity_mm: i32,
    used_mm: i32,
    box_count: i32,
    changed: bool,
    /// The boxes with a place on it, by position (once `load_places` has read them).
    places: BTreeMap<i32, (i64, String)>,
}

/// Shelves locked for the rest of the transaction, so that their free space cannot change
/// under us: two moves onto the last free space serialise here and only one fits.
pub struct LockedShelves(BTreeMap<i64, ShelfState>);

impl LockedShelves {
    /// Locks the shelves among `ids` (other kinds are ignored), in id order to avoid deadlocks.
    pub fn lock(conn: &mut PgConnection, ids: impl IntoIterator<Item = i64>) -> Result<Self> {
        let ids: Vec<i64> = ids.into_iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        if ids.is_empty() {
            return Ok(LockedShelves(BTreeMap::new()));
        }

        let rows: Vec<(i64, String, Option<i32>, i32, i32)> = locations::table
            .filter(one_of(locations::id, &ids))
            .filter(locations::kind.eq(LocationKind::Shelf))
            .order(locations::id)
            .select((
                locations::id,
                locations::path_code,
                locations::capacity_mm,
                locations::used_mm,
                locations::box_count,
            ))
            .for_no_key_update()
            .load(conn)?;
        Ok(LockedShelves(
            rows.into_iter()
                .map(|(id, path_code, capacity, used_mm, box_count)| {
                    let capacity_mm = capacity.unwrap_or(0);
                    let places = BTreeMap::new();
                    (id, ShelfState { path_code, capacity_mm, used_mm, box_count, changed: false, places })
                })
                .collect(),
        ))
    }

    /// Whether `shelf` is one of the locked shelves (other kinds are never locked).
    pub fn has(&self, shelf: i64) -> bool {
        self.0.contains_key(&shelf)
    }

    /// Takes `width_mm` on `shelf` for one box, or says why it does not fit.
    pub fn reserve(&mut self, shelf: i64, width_mm: i32) -> std::result::Result<(), String> {
        let state = self.0.get_mut(&shelf).ok_or_else(|| format!("location {shelf} is not a shelf"))?;
        let free = state.capacity_mm - state.used_mm;
        if free < width_mm {
            return Err(format!(
                "shelf {} is full: the box needs {width_mm} mm and {free} mm are free",
                state.path_code
            ));
        }
        state.used_mm += width_mm;
        state.box_count += 1;
        state.changed = true;
        Ok(())
    }

    /// Gives back the space of one box of `width_mm` on `shelf`.
    pub fn release(&mut self, shelf: i64, width_mm: i32) {
        if let Some(state) = self.0.get_mut(&shelf) {
            state.used_mm -= width_mm;
            state.box_count -= 1;
            state.changed = true;
        }
    }

    /// Reads which boxes have which places on these locked shelves, for `take` and `take_free`.
    pub fn load_places(&mut self, conn: &mut PgConnection, shelves: impl IntoIterator<Item = i64>) -> Result<()> {
        let ids: Vec<i64> = shelves.into_iter().filter(|id| self.has(*id)).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let rows: Vec<(Option<i64>, Option<i32>, i64, String)> = boxes::table
            .filter(one_of(boxes::space_shelf_id.assume_not_null(), &ids))
            .filter(boxes::position.is_not_null())
            .select((boxes::space_shelf_id, boxes::position, boxes::id, boxes::barcode))
            .load(conn)?;
        for (shelf, position, id, barcode) in rows {
            if let (Some(state), Some(position)) = (shelf.and_then(|shelf| self.0.get_mut(&shelf)), position) {
                state.places.insert(position, (id, barcode));
            }
        }
        Ok(())
    }

    /// Gives up the place a box has on `shelf`, if any (it moves away or takes another).
    pub fn leave(&mut self, shelf: i64, box_id: i64) {
        if let Some(state) = self.0.get_mut(&shelf) {
            state.places.retain(|_, (id, _)| *id != box_id);
        }
    }

    /// Takes `position` on `shelf` for a box, or says which box has it.
    pub fn take(&mut self, shelf: i64, position: i32, box_id: i64, barcode: &str) -> std::result::Result<(), String> {
        let state = self.0.get_mut(&shelf).ok_or_else(|| format!("location {shelf} is not a shelf"))?;
        match state.places.get(&position) {
            Some((id, holder)) if *id != box_id => {
                Err(format!("position {position} on shelf {} is box {holder}'s", state.path_code))
            }
            _ => {
                state.places.insert(position, (box_id, barcode.to_string()));
                Ok(())
            }
        }
    }

    /// Takes the lowest free position on `shelf` for a box.
    pub fn take_free(&mut self, shelf: i64, box_id: i64, barcode: &str) -> Option<i32> {
        let state = self.0.get_mut(&shelf)?;
        let free = (1..)
            .zip(state.places.keys())
            .find(|(n, taken)| n != *taken)
            .map_or(state.places.len() as i32 + 1, |(n, _)| n);
        state.places.insert(free, (box_id, barcode.to_string()));
        Some(free)
    }

    /// Writes the counters that changed.
    pub fn save(self, conn: &mut PgConnection) -> Result<()> {
        for (id, state) in self.0.into_iter().filter(|(_, s)| s.changed) {
            diesel::update(locations::table.find(id))
                .set((locations::used_mm.eq(state.used_mm), locations::box_count.eq(state.box_count)))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// Shelves within a location with room for boxes of the asked width, in path order, until all
/// the boxes are placed.
pub fn find(conn: &mut PgConnection, query: &SpaceQuery) -> Result<SpaceFound> {
    let width_mm = query.width_mm.unwrap_or(STANDARD_BOX_WIDTH_MM);
    let within_exists: i64 = locations::table.filter(locations::id.eq(query.within)).count().get_result(conn)?;
    if within_exists == 0 {
        return Err(Error::invalid("within", format!("no location has id {}", query.within)));
    }
    let shelves: Vec<ShelfWithRoom> = diesel::sql_query(
        "SELECT id, path_code, (capacity_mm - used_mm)::int8 AS free_mm FROM locations \
         WHERE kind = 'shelf' AND (id = $1 OR ancestor_ids @> ARRAY[$1]) AND capacity_mm - used_mm >= $2 \
         ORDER BY path_code, id",
    )
    .bind::<BigInt, _>(query.within)
    .bind::<Integer, _>(width_mm)
    .load(conn)?;
    let mut found = SpaceFound {
        within: query.within,
        boxes: query.boxes,
        width_mm,
        fits: false,
        room_for: 0,
        shelves: Vec::new(),
    };
    for shelf in shelves {
        if found.room_for < query.boxes {
            let takes = shelf.free_mm / i64::from(width_mm);
            found.shelves.push(ShelfRoom { id: shelf.id, path_code: shelf.path_code, free_mm: shelf.free_mm, takes });
        }
        found.room_for += shelf.free_mm / i64::from(width_mm);
    }
    found.fits = found.room_for >= query.boxes;
    Ok(found)
}

#[derive(QueryableByName)]
struct ShelfWithRoom {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    path_code: String,
    #[diesel(sql_type = BigInt)]
    free_mm: i64,
}
