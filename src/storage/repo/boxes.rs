//! Boxes: registering, finding and changing them. Their place changes only through `moves`.

use diesel::dsl::sql;
use diesel::dsl::{AsSelect, now};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use std::collections::HashMap;

use diesel::sql_types::{Array, BigInt, Integer, Text};
use diesel_async::AsyncPgConnection;

use super::moves::{self, MoveContext};
use super::space::LockedShelves;
use crate::db::lower;
use crate::db::search::{Listed, Search, Tier, ranked, walks};
use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::schema::{boxes, files, fonds, locations};
use crate::storage::model::{
    ArchiveBox, BoxFilter, BoxPatch, BoxRecord, BoxStatus, ContainerType, ListedBox, LocationKind, MoveReason, NewBox,
    Outing, STANDARD_BOX_WIDTH_MM, ShelvedBox, box_places,
};

/// Boxes as the API shows them, read through the `box_places` view in one statement.
fn boxes_with_places() -> box_places::BoxedQuery<'static, Pg, AsSelect<BoxRecord, Pg>> {
    box_places::table.select(BoxRecord::as_select()).into_boxed()
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<ArchiveBox> {
    let found = boxes_with_places().filter(box_places::id.eq(id)).first::<BoxRecord>(conn).optional()?;
    Ok(found.ok_or_else(|| Error::NotFound(format!("no box has id {id}")))?.into())
}

/// The boxes of the files with these ids, to run on a connection of either kind.
pub fn of_files(file_ids: Vec<i64>) -> box_places::BoxedQuery<'static, Pg, AsSelect<BoxRecord, Pg>> {
    let boxes = files::table.filter(files::id.eq_any(file_ids)).select(files::box_id.assume_not_null());
    boxes_with_places().filter(box_places::id.eq_any(boxes))
}

/// The boxes with these ids, in id order.
pub fn get_many(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<ArchiveBox>> {
    let found = boxes_with_places().filter(box_places::id.eq_any(ids)).order(box_places::id).load::<BoxRecord>(conn)?;
    Ok(found.into_iter().map(ArchiveBox::from).collect())
}

/// The boxes with these barcodes (ignoring case), in no particular order: what a list of scans
/// names.
pub fn by_barcodes(conn: &mut PgConnection, barcodes: &[String]) -> Result<Vec<ArchiveBox>> {
    let lowered: Vec<String> = barcodes.iter().map(|b| b.trim().to_lowercase()).collect();
    let found = boxes_with_places().filter(lower(box_places::barcode).eq_any(lowered)).load::<BoxRecord>(conn)?;
    Ok(found.into_iter().map(ArchiveBox::from).collect())
}

/// The look-up behind every reader's request: one indexed statement, on a pipelined connection.
pub async fn get_by_barcode(conn: &AsyncPgConnection, barcode: &str) -> Result<ArchiveBox> {
    let not_found = || Error::NotFound(format!("no box has barcode `{}`", barcode.trim().escape_debug()));
    // No barcode holds a control character (and PostgreSQL text cannot hold NUL).
    if barcode.chars().any(char::is_control) {
        return Err(not_found());
    }
    let query = boxes_with_places().filter(lower(box_places::barcode).eq(lower(barcode.trim().to_string())));
    let found: QueryResult<BoxRecord> = diesel_async::RunQueryDsl::first(query, &mut &*conn).await;
    Ok(found.optional()?.ok_or_else(not_found)?.into())
}

/// Boxes matching `filter` in id order (searched: best first, see `db::search`) after `after`;
/// `limit + 1` at most, each with its tier, and since when and why those out are out.
pub fn list(
    conn: &mut PgConnection,
    filter: &BoxFilter,
    after: Option<(u8, i64)>,
    limit: i64,
) -> Result<Vec<(u8, ListedBox)>> {
    let search = filter.q.as_deref().map(Search::new);
    let rows = ranked(&mut BoxList { conn, filter }, search.as_ref(), after, limit)?;
    let boxes: Vec<(u8, ArchiveBox)> = rows.into_iter().map(|(tier, row)| (tier, row.into())).collect();
    let out: Vec<i64> = boxes.iter().filter(|(_, b)| b.status == BoxStatus::Out).map(|(_, b)| b.id).collect();
    let mut outings = outings(conn, &out)?;
    Ok(boxes.into_iter().map(|(tier, b)| (tier, ListedBox { out: outings.remove(&b.id), r#box: b })).collect())
}

/// The outing of each of these boxes: its latest movement, by box id.
fn outings(conn: &mut PgConnection, ids: &[i64]) -> Result<HashMap<i64, Outing>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let latest: Vec<LatestMovement> = diesel::sql_query(
        "SELECT DISTINCT ON (box_id) box_id, id, moved_at, reason, note, moved_by FROM movements \
         WHERE box_id = ANY($1) ORDER BY box_id, id DESC",
    )
    .bind::<Array<BigInt>, _>(ids)
    .load(conn)?;
    let answered_at = chrono::Utc::now();
    Ok(latest
        .into_iter()
        .map(|m| {
            let hours = (answered_at - m.moved_at).num_hours().max(0);
            let outing = Outing {
                movement_id: m.id,
                since: m.moved_at,
                reason: m.reason,
                note: m.note,
                moved_by: m.moved_by,
                hours,
            };
            (m.box_id, outing)
        })
        .collect())
}

#[derive(QueryableByName)]
struct LatestMovement {
    #[diesel(sql_type = BigInt)]
    box_id: i64,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    moved_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Text)]
    reason: MoveReason,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    note: Option<String>,
    #[diesel(sql_type = BigInt)]
    moved_by: i64,
}

struct BoxList<'a> {
    conn: &'a mut PgConnection,
    filter: &'a BoxFilter,
}

impl BoxList<'_> {
    /// The filtered boxes with ids in (`after`, `until`], in no order.
    fn within(&self, after: Option<&i64>, until: Option<&i64>) -> box_places::BoxedQuery<'static, Pg> {
        let filter = self.filter;
        let mut query = box_places::table.into_boxed().filter(box_places::id.gt(after.copied().unwrap_or(0)));
        if let Some(&until) = until {
            query = query.filter(box_places::id.le(until));
        }
        if let Some(barcode) = &filter.barcode {
            query = query.filter(lower(box_places::barcode).eq(lower(barcode.clone())));
        }
        if let Some(fonds) = &filter.fonds {
            query = query.filter(lower(box_places::fonds_code.assume_not_null()).eq(lower(fonds.clone())));
        }
        if let Some(fonds_id) = filter.fonds_id {
            query = query.filter(box_places::fonds_id.eq(fonds_id));
        }
        if let Some(within) = filter.location_id {
            let subtree = locations::table
                .filter(locations::id.eq(within).or(locations::ancestor_ids.contains(vec![Some(within)])))
                .select(locations::id);
            query = query.filter(box_places::current_location_id.eq_any(subtree));
        }
        if let Some(status) = filter.status {
            let on_shelf = box_places::current_kind.eq(LocationKind::Shelf);
            query = match status {
                BoxStatus::Lost => query.filter(box_places::lost_at.is_not_null()),
                BoxStatus::Missing => query.filter(box_places::missing).filter(box_places::lost_at.is_null()),
                BoxStatus::OnShelf => query.filter(box_places::missing.eq(false)).filter(on_shelf),
                BoxStatus::Out => query.filter(box_places::missing.eq(false)).filter(diesel::dsl::not(on_shelf)),
            };
        }
        query
    }
}

impl Listed for BoxList<'_> {
    type Row = BoxRecord;
    type Key = i64;

    fn rows(
        &mut self,
        tier: Option<(&Search, Tier)>,
        after: Option<&i64>,
        until: Option<&i64>,
        limit: i64,
    ) -> Result<Vec<BoxRecord>> {
        let walked = walks(tier, until);
        let mut query = self.within(after, until).select(BoxRecord::as_select());
        if let Some((search, tier)) = tier {
            query = query.filter(search.tier("box_places", "lower(box_places.barcode)", tier, walked));
        }
        // Sorted, not walked, when a search looks up matches by its indexes (`db::search::walks`).
        query = match walked {
            true => query.order(box_places::id),
            false => query.order(sql::<BigInt>("box_places.id + 0")),
        };
        Ok(query.limit(limit).load(self.conn)?)
    }

    fn nth_key(&mut self, after: Option<&i64>, n: i64) -> Result<Option<i64>> {
        let ids = self.within(after, None).order(box_places::id).select(box_places::id);
        Ok(ids.offset(n - 1).limit(1).first(self.conn).optional()?)
    }
}

/// Registers a box on its home shelf; that placement is its first movement.
pub fn create(conn: &mut PgConnection, new: &NewBox, actor: &Actor) -> Result<ArchiveBox> {
    let width = new.width_mm.unwrap_or(STANDARD_BOX_WIDTH_MM);
    let home = new.home_location_id;
    require_shelf(conn, home, "home_location_id")?;
    if let Some(fonds_id) = new.fonds_id {
        require_fonds(conn, fonds_id)?;
    }
    // A scanned label names one thing: a box's barcode is no location's.
    let labels: i64 =
        locations::table.filter(lower(locations::barcode).eq(lower(new.barcode.clone()))).count().get_result(conn)?;
    if labels > 0 {
        return Err(Error::Conflict(format!("a location has barcode `{}`; a box's must be its own", new.barcode)));
    }
    let mut shelves = LockedShelves::lock(conn, [home])?;
    shelves.reserve(home, width).map_err(Error::Conflict)?;
    shelves.load_places(conn, [home])?;
    // Its place: the position asked for, or the lowest free one (0: no box has that id yet).
    let position = match new.position {
        Some(asked) => shelves.take(home, asked, 0, &new.barcode).map(|()| asked).map_err(Error::Conflict)?,
        None => shelves.take_free(home, 0, &new.barcode).expect("the home shelf is locked"),
    };
    let id = diesel::insert_into(boxes::table)
        .values((
            boxes::barcode.eq(&new.barcode),
            boxes::label.eq(&new.label),
            boxes::fonds_id.eq(new.fonds_id),
            boxes::container_type.eq(new.container_type.unwrap_or(ContainerType::Box)),
            boxes::width_mm.eq(width),
            boxes::home_location_id.eq(home),
            boxes::current_location_id.eq(home),
            boxes::position.eq(position),
            boxes::notes.eq(&new.notes),
            boxes::created_by.eq(actor.key_id),
            boxes::updated_by.eq(actor.key_id),
        ))
        .returning(boxes::id)
        .get_result(conn)
        .map_err(|err| match err {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(format!("a box with barcode `{}` already exists", new.barcode))
            }
            other => other.into(),
        })?;
    shelves.save(conn)?;
    let intake = MoveContext { reason: MoveReason::Intake, note: None, audit_id: None };
    moves::record(conn, id, None, home, Some(position), &intake, actor)?;
    let created = get(conn, id)?;
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

fn require_shelf(conn: &mut PgConnection, id: i64, field: &'static str) -> Result<()> {
    let kind: Option<LocationKind> = locations::table.find(id).select(locations::kind).first(conn).optional()?;
    match kind {
        None => Err(Error::invalid(field, format!("no location has id {id}"))),
        Some(LocationKind::Shelf) => Ok(()),
        Some(other) => Err(Error::invalid(field, format!("a box's home is a shelf, not a {other}"))),
    }
}

fn require_fonds(conn: &mut PgConnection, id: i64) -> Result<()> {
    let found: i64 = fonds::table.filter(fonds::id.eq(id)).count().get_result(conn)?;
    if found == 0 {
        return Err(Error::invalid("fonds_id", format!("no fonds has id {id}")));
    }
    Ok(())
}

/// Changes a box at version `expected` (`None`: any). A new width or home takes space where
/// the box keeps it, checked like a move.
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    patch: &BoxPatch,
    expected: Option<i32>,
    actor: &Actor,
) -> Result<ArchiveBox> {
    let (barcode, version, width, home, current, holds_space): (String, i32, i32, i64, i64, bool) = boxes::table
        .find(id)
        .select((
            boxes::barcode,
            boxes::version,
            boxes::width_mm,
            boxes::home_location_id,
            boxes::current_location_id,
            boxes::holds_space,
        ))
        .for_no_key_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no box has id {id}")))?;
    let current_kind: LocationKind = locations::table.find(current).select(locations::kind).first(conn)?;
    if expected.is_some_and(|v| v != version) {
        return Err(Error::Stale { current: version });
    }
    if let Some(new_home) = patch.home_location_id {
        require_shelf(conn, new_home, "home_location_id")?;
    }
    if let Some(Some(fonds_id)) = patch.fonds_id {
        require_fonds(conn, fonds_id)?;
    }
    let new_home = patch.home_location_id.unwrap_or(home);
    let new_width = patch.width_mm.unwrap_or(width);
    // A box uses the shelf it stands on, or its home shelf while it is out (unless, missing,
    // it gave its space up: it takes space again when it is found).
    let uses = |home| if current_kind == LocationKind::Shelf { current } else { home };
    let (before, after) = (uses(home), uses(new_home));
    // A new shelf for its space gives it the lowest free place there.
    let mut position = None;
    if holds_space && (before != after || new_width != width) {
        let mut shelves = LockedShelves::lock(conn, [before, after])?;
        shelves.release(before, width);
        shelves.reserve(after, new_width).map_err(Error::Conflict)?;
        if before != after {
            shelves.load_places(conn, [after])?;
            position = shelves.take_free(after, id, &barcode);
        }
        shelves.save(conn)?;
    }
    let before = get(conn, id)?;
    diesel::update(boxes::table.find(id))
        .set((
            patch,
            position.map(|position| boxes::position.eq(position)),
            boxes::version.eq(boxes::version + 1),
            boxes::updated_at.eq(now),
            boxes::updated_by.eq(actor.key_id),
        ))
        .execute(conn)?;
    let after = get(conn, id)?;
    events::record(conn, &[Change::updated(&before, &after)])?;
    Ok(after)
}

/// What stands in a location, and the boxes out of it that keep a place on its shelves: on a
/// shelf, its boxes by position, a free position a gap in the numbers; higher up, every such
/// box below it by shelf and position. Lost boxes stand nowhere. Keyset: (shelf's path code or
/// the place's, position, id).
pub fn contents(
    conn: &mut PgConnection,
    location_id: i64,
    after: Option<(String, i32, i64)>,
    limit: i64,
) -> Result<Vec<ShelvedBox>> {
    let exists: i64 = locations::table.filter(locations::id.eq(location_id)).count().get_result(conn)?;
    if exists == 0 {
        return Err(Error::NotFound(format!("no location has id {location_id}")));
    }
    let (path_code, position, id) = after.unwrap_or_default();
    Ok(diesel::sql_query(
        "WITH here AS (SELECT id FROM locations WHERE id = $1 OR ancestor_ids @> ARRAY[$1]), \
              listed AS (SELECT id FROM boxes WHERE current_location_id IN (SELECT id FROM here) \
                         UNION SELECT id FROM boxes WHERE space_shelf_id IN (SELECT id FROM here)) \
         SELECT * FROM ( \
             SELECT b.id, b.barcode, b.label, f.code AS fonds_code, b.width_mm, b.position, \
                    CASE WHEN b.missing THEN 'missing' WHEN l.kind = 'shelf' THEN 'on_shelf' ELSE 'out' END AS status, \
                    l.id AS location_id, l.path_code AS location_path_code, \
                    s.id AS shelf_id, s.path_code AS shelf_path_code, \
                    coalesce(s.path_code, l.path_code) AS sort_path, coalesce(b.position, 2147483647) AS sort_position \
             FROM listed JOIN boxes b USING (id) JOIN locations l ON l.id = b.current_location_id \
             LEFT JOIN locations s ON s.id = b.space_shelf_id LEFT JOIN fonds f ON f.id = b.fonds_id \
             WHERE b.lost_at IS NULL) c \
         WHERE (sort_path, sort_position, id) > ($2, $3, $4) \
         ORDER BY sort_path, sort_position, id LIMIT $5",
    )
    .bind::<BigInt, _>(location_id)
    .bind::<Text, _>(path_code)
    .bind::<Integer, _>(position)
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(limit + 1)
    .load(conn)?)
}

/// The keyset of a box in a location's contents.
pub fn contents_key(shelved: &ShelvedBox) -> (String, i32, i64) {
    let path = shelved.shelf_path_code.as_ref().unwrap_or(&shelved.location_path_code);
    (path.clone(), shelved.position.unwrap_or(i32::MAX), shelved.id)
}
