//! All SQL of the storage tree.

use diesel::dsl::{now, sql};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::AsyncPgConnection;

use crate::db::search::{Listed, Search, Tier, ranked, walks};
use crate::db::{Json, lower};
use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::schema::{boxes, locations};
use crate::storage::model::{
    Location, LocationDetail, LocationFilter, LocationKind, LocationPatch, LocationRef, NewLocation, PATH_SEPARATOR,
    Shelving, ShelvingRequest, foreign_fields,
};

/// Serialises changes to the tree's shape (inserts, renames, deletes) so that path codes are
/// always derived from committed ancestors. Only setting up shelving takes it; boxes never do.
fn lock_tree(conn: &mut PgConnection) -> Result<()> {
    const TREE_LOCK: i64 = 0x6c6f_6374_7265_6500; // "loctree"
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)").bind::<BigInt, _>(TREE_LOCK).execute(conn)?;
    Ok(())
}

/// What a new child needs to know of its parent.
struct Parent {
    id: i64,
    kind: LocationKind,
    ancestor_ids: Vec<i64>,
}

fn load_parent(conn: &mut PgConnection, id: i64) -> Result<Option<Parent>> {
    let row = locations::table
        .find(id)
        .select((locations::kind, locations::ancestor_ids))
        .first::<(LocationKind, Vec<Option<i64>>)>(conn)
        .optional()?;
    Ok(row.map(|(kind, ancestors)| Parent { id, kind, ancestor_ids: ancestors.into_iter().flatten().collect() }))
}

/// Adds a location.
pub fn create(conn: &mut PgConnection, new: &NewLocation, actor: &Actor) -> Result<LocationDetail> {
    let id = insert(conn, new, actor)?;
    record_created(conn, &[id])?.pop().ok_or_else(|| not_found(id))
}

/// The events of the locations with these ids, just made (in id order): what they are once
/// the request's other writes (shelves in a new bay…) are done. Returns them.
pub fn record_created(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<LocationDetail>> {
    let created = details(conn, ids)?;
    events::record(conn, &created.iter().map(Change::created).collect::<Vec<_>>())?;
    Ok(created)
}

/// Adds a location without its event (see [`record_created`]); returns its id.
pub fn insert(conn: &mut PgConnection, new: &NewLocation, actor: &Actor) -> Result<i64> {
    lock_tree(conn)?;
    let parent = match new.parent_id {
        Some(id) => Some(
            load_parent(conn, id)?.ok_or_else(|| Error::invalid("parent_id", format!("no location has id {id}")))?,
        ),
        None => None,
    };
    match &parent {
        Some(parent) if !parent.kind.may_contain(new.kind) => {
            return Err(Error::invalid("kind", format!("a {} cannot be placed in a {}", new.kind, parent.kind)));
        }
        None if new.kind != LocationKind::Building => {
            return Err(Error::invalid(
                "parent_id",
                format!("is required: only a building stands on its own, not a {}", new.kind),
            ));
        }
        _ => {}
    }
    if let Some(barcode) = &new.barcode {
        not_a_box(conn, barcode)?;
    }
    let ancestor_ids: Vec<Option<i64>> = match &parent {
        Some(parent) => parent.ancestor_ids.iter().copied().chain([parent.id]).map(Some).collect(),
        None => Vec::new(),
    };
    let id = diesel::insert_into(locations::table)
        .values((
            locations::parent_id.eq(new.parent_id),
            locations::kind.eq(new.kind),
            locations::code.eq(&new.code),
            locations::name.eq(&new.name),
            // Derived just below, from the ancestors.
            locations::path_code.eq(""),
            locations::path.eq(serde_json::json!([])),
            locations::ancestor_ids.eq(ancestor_ids),
            locations::capacity_mm.eq(new.capacity_mm),
            locations::purpose.eq(new.purpose),
            locations::notes.eq(&new.notes),
            // None given: empty, for the database to make one of the new id (migration 12).
            locations::barcode.eq(new.barcode.as_deref().unwrap_or_default()),
            locations::created_by.eq(actor.key_id),
            locations::updated_by.eq(actor.key_id),
        ))
        .returning(locations::id)
        .get_result(conn)
        .map_err(|err| taken(err, &new.code, new.barcode.as_deref()))?;
    refresh_paths(conn, id, actor)?;
    Ok(id)
}

/// A unique code or barcode taken, said as such.
fn taken(err: DieselError, code: &str, barcode: Option<&str>) -> Error {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            if info.constraint_name() == Some("locations_barcode") {
                let barcode = barcode.unwrap_or_default();
                Error::Conflict(format!("another location has barcode `{barcode}` (ignoring case)"))
            } else {
                Error::Conflict(format!("a location with code `{code}` already exists here"))
            }
        }
        other => other.into(),
    }
}

/// A scanned label names one thing: a location's barcode is no box's.
fn not_a_box(conn: &mut PgConnection, barcode: &str) -> Result<()> {
    let boxes: i64 =
        boxes::table.filter(lower(boxes::barcode).eq(lower(barcode.to_string()))).count().get_result(conn)?;
    if boxes > 0 {
        return Err(Error::Conflict(format!("a box has barcode `{barcode}`; a location's must be its own")));
    }
    Ok(())
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Location> {
    locations::table.find(id).select(Location::as_select()).first(conn).optional()?.ok_or_else(|| not_found(id))
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("no location has id {id}"))
}

pub fn get_detail(conn: &mut PgConnection, id: i64) -> Result<LocationDetail> {
    details(conn, &[id])?.pop().ok_or_else(|| not_found(id))
}

/// The location whose label reads `barcode` (ignoring case), on a pipelined connection: as
/// quick as a box's look-up.
pub async fn get_by_barcode(conn: &AsyncPgConnection, barcode: &str) -> Result<LocationDetail> {
    let not_found = || Error::NotFound(format!("no location has barcode `{}`", barcode.trim().escape_debug()));
    if barcode.chars().any(char::is_control) {
        return Err(not_found());
    }
    let query = locations::table
        .filter(lower(locations::barcode).eq(lower(barcode.trim().to_string())))
        .select((Location::as_select(), locations::path));
    let found: QueryResult<(Location, Json<Vec<LocationRef>>)> =
        diesel_async::RunQueryDsl::first(query, &mut &*conn).await;
    Ok(with_ancestors(found.optional()?.ok_or_else(not_found)?))
}

/// The location whose label or path code reads `code` (ignoring case): what a person scans
/// or types to name a place.
pub fn find_by_code(conn: &mut PgConnection, code: &str) -> Result<Option<Location>> {
    let code = lower(code.trim().to_string());
    Ok(locations::table
        .filter(lower(locations::barcode).eq(code.clone()).or(lower(locations::path_code).eq(code)))
        .select(Location::as_select())
        .first(conn)
        .optional()?)
}

/// The shelves at or below a place, in path order; `limit` at most.
pub fn shelves_within(conn: &mut PgConnection, place_id: i64, limit: i64) -> Result<Vec<Location>> {
    Ok(locations::table
        .filter(locations::kind.eq(LocationKind::Shelf))
        .filter(locations::id.eq(place_id).or(locations::ancestor_ids.contains(vec![Some(place_id)])))
        .order(locations::path_code)
        .select(Location::as_select())
        .limit(limit)
        .load(conn)?)
}

/// A location and its path, as a detail: the path's last place is the location itself.
fn with_ancestors((location, Json(mut ancestors)): (Location, Json<Vec<LocationRef>>)) -> LocationDetail {
    ancestors.pop();
    LocationDetail { location, ancestors }
}

/// The locations with these ids, with their ancestors, in id order.
fn details(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<LocationDetail>> {
    let rows = locations::table
        .filter(locations::id.eq_any(ids))
        .order(locations::id)
        .select((Location::as_select(), locations::path))
        .load::<(Location, Json<Vec<LocationRef>>)>(conn)?;
    Ok(rows.into_iter().map(with_ancestors).collect())
}

/// A location's place in the list: its path code and id.
type LocationKey = (String, i64);

/// Locations in path order (searched: best first, see `db::search`) after `after` (a path code
/// and id); `limit + 1` rows at most, each with its tier.
pub fn list(
    conn: &mut PgConnection,
    filter: &LocationFilter,
    after: Option<(u8, LocationKey)>,
    limit: i64,
) -> Result<Vec<(u8, Location)>> {
    let search = filter.q.as_deref().map(Search::new);
    ranked(&mut LocationList { conn, filter }, search.as_ref(), after, limit)
}

struct LocationList<'a> {
    conn: &'a mut PgConnection,
    filter: &'a LocationFilter,
}

impl LocationList<'_> {
    /// The filtered locations with keys in (`after`, `until`], in no order.
    fn within(&self, after: Option<&LocationKey>, until: Option<&LocationKey>) -> locations::BoxedQuery<'static, Pg> {
        let mut query = locations::table.into_boxed();
        if let Some(parent_id) = self.filter.parent_id {
            query = query.filter(locations::parent_id.eq(parent_id));
        }
        if let Some(kind) = self.filter.kind {
            query = query.filter(locations::kind.eq(kind));
        }
        if let Some(path_code) = &self.filter.path_code {
            query = query.filter(lower(locations::path_code).eq(lower(path_code.clone())));
        }
        for (key, comparison) in [(after, ">"), (until, "<=")] {
            if let Some((path_code, id)) = key {
                query = query.filter(
                    sql::<Bool>(&format!("(locations.path_code, locations.id) {comparison} ("))
                        .bind::<Text, _>(path_code.clone())
                        .sql(", ")
                        .bind::<BigInt, _>(*id)
                        .sql(")"),
                );
            }
        }
        query
    }
}

impl Listed for LocationList<'_> {
    type Row = Location;
    type Key = LocationKey;

    fn rows(
        &mut self,
        tier: Option<(&Search, Tier)>,
        after: Option<&LocationKey>,
        until: Option<&LocationKey>,
        limit: i64,
    ) -> Result<Vec<Location>> {
        let walked = walks(tier, until);
        let mut query = self.within(after, until).select(Location::as_select());
        if let Some((search, tier)) = tier {
            query = query.filter(search.tier("locations", "lower(locations.path_code)", tier, walked));
        }
        // Sorted, not walked, when a search looks up matches by its indexes (`db::search::walks`).
        query = match walked {
            true => query.order((locations::path_code, locations::id)),
            false => query.order(sql::<BigInt>("(locations.path_code, locations.id)")),
        };
        Ok(query.limit(limit).load(self.conn)?)
    }

    fn nth_key(&mut self, after: Option<&LocationKey>, n: i64) -> Result<Option<LocationKey>> {
        let keys = self
            .within(after, None)
            .order((locations::path_code, locations::id))
            .select((locations::path_code, locations::id));
        Ok(keys.offset(n - 1).limit(1).first(self.conn).optional()?)
    }
}

/// Applies `patch` if the location is still at version `expected` (`None`: any version). A
/// new code or name changes the path of every location below, each of which changes version.
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    patch: &LocationPatch,
    expected: Option<i32>,
    actor: &Actor,
) -> Result<LocationDetail> {
    lock_tree(conn)?;
    let current = locations::table
        .find(id)
        .select(Location::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(id))?;
    if expected.is_some_and(|version| version != current.version) {
        return Err(Error::Stale { current: current.version });
    }
    let errors = foreign_fields(current.kind, patch.capacity_mm.is_some(), patch.purpose.is_some());
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    if let Some(capacity) = patch.capacity_mm.filter(|c| i64::from(*c) < current.space.used_mm) {
        return Err(Error::Conflict(format!(
            "the boxes of shelf {} take {} mm; it cannot shrink to {capacity} mm",
            current.path_code, current.space.used_mm
        )));
    }
    if let Some(barcode) = &patch.barcode {
        not_a_box(conn, barcode)?;
    }
    let renamed = patch.code.as_ref().is_some_and(|code| *code != current.code)
        || patch.name.as_ref().is_some_and(|name| *name != current.name);
    let below: Vec<i64> = if renamed { subtree(conn, id)? } else { vec![id] };
    let before = details(conn, &below)?;
    diesel::update(locations::table.find(id))
        .set((
            patch,
            locations::version.eq(locations::version + 1),
            locations::updated_at.eq(now),
            locations::updated_by.eq(actor.key_id),
        ))
        .execute(conn)
        .map_err(|err| taken(err, patch.code.as_deref().unwrap_or_default(), patch.barcode.as_deref()))?;
    if renamed {
        refresh_paths(conn, id, actor)?;
    }
    let after = details(conn, &below)?;
    // The location itself first, then those whose path it renamed.
    let (changed, others): (Vec<_>, Vec<_>) = before.iter().zip(&after).partition(|(_, after)| after.location.id == id);
    let changes: Vec<Change> =
        changed.into_iter().chain(others).map(|(before, after)| Change::updated(before, after)).collect();
    events::record(conn, &changes)?;
    after.into_iter().find(|l| l.location.id == id).ok_or_else(|| not_found(id))
}

/// The ids of a location and of every location below it.
fn subtree(conn: &mut PgConnection, id: i64) -> Result<Vec<i64>> {
    Ok(locations::table
        .filter(locations::id.eq(id).or(locations::ancestor_ids.contains(vec![Some(id)])))
        .select(locations::id)
        .load(conn)?)
}

/// Derives `path_code` (codes joined with `-`) and `path` (the chain of places) of `root` and
/// everything below it from their ancestors, after an insert or a change of code or name. The
/// locations below change version: what the API shows of them changed.
fn refresh_paths(conn: &mut PgConnection, root: i64, actor: &Actor) -> Result<()> {
    diesel::sql_query(
        "UPDATE locations d SET (path_code, path) = ( \
             SELECT string_agg(a.code, $2 ORDER BY cardinality(a.ancestor_ids)), \
                    jsonb_agg(jsonb_build_object('id', a.id, 'kind', a.kind, 'code', a.code, 'name', a.name) \
                              ORDER BY cardinality(a.ancestor_ids)) \
             FROM locations a WHERE a.id = ANY (d.ancestor_ids || d.id)), \
             version = CASE WHEN d.id = $1 THEN d.version ELSE d.version + 1 END, \
             updated_at = CASE WHEN d.id = $1 THEN d.updated_at ELSE now() END, \
             updated_by = CASE WHEN d.id = $1 THEN d.updated_by ELSE $3 END \
         WHERE d.id = $1 OR d.ancestor_ids @> ARRAY[$1]",
    )
    .bind::<BigInt, _>(root)
    .bind::<Text, _>(PATH_SEPARATOR)
    .bind::<BigInt, _>(actor.key_id)
    .execute(conn)?;
    Ok(())
}

/// Deletes a location that holds nothing and never has.
pub fn delete(conn: &mut PgConnection, id: i64) -> Result<()> {
    lock_tree(conn)?;
    let last = get_detail(conn, id)?;
    let children: i64 = locations::table.filter(locations::parent_id.eq(id)).count().get_result(conn)?;
    if children > 0 {
        return Err(Error::Conflict(format!("it contains {children} location(s); delete or keep them first")));
    }
    diesel::delete(locations::table.find(id)).execute(conn).map_err(|err| match err {
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            Error::Conflict("boxes have been here; its history must be kept".into())
        }
        other => other.into(),
    })?;
    events::record(conn, &[Change::new("deleted", &last, Some(&last))])
}

/// Creates the bays and shelves of a unit with numbered codes, all or nothing.
pub fn add_shelving(
    conn: &mut PgConnection,
    unit_id: i64,
    request: &ShelvingRequest,
    actor: &Actor,
) -> Result<Shelving> {
    let unit = get(conn, unit_id)?;
    if unit.kind != LocationKind::Unit {
        return Err(Error::invalid("id", format!("shelving is added to a unit; this location is a {}", unit.kind)));
    }
    let bay_prefix = request.bay_code_prefix.as_deref().unwrap_or_default();
    let shelf_prefix = request.shelf_code_prefix.as_deref().unwrap_or_default();
    let first_bay = request.first_bay.unwrap_or(1);
    // With no bays, the shelves stand directly in the unit.
    let mut bays = Vec::new();
    for number in first_bay..first_bay + request.bays {
        let bay = child(unit.id, LocationKind::Bay, format!("{bay_prefix}{number}"), None);
        bays.push(insert(conn, &bay, actor)?);
    }
    let parents = if bays.is_empty() { vec![unit.id] } else { bays.clone() };
    let mut shelves = Vec::new();
    for parent in parents {
        for number in 1..=request.shelves_per_bay {
            let shelf =
                child(parent, LocationKind::Shelf, format!("{shelf_prefix}{number}"), Some(request.capacity_mm));
            shelves.push(insert(conn, &shelf, actor)?);
        }
    }
    record_created(conn, &[&bays[..], &shelves].concat())?;
    Ok(Shelving { bays: load_in_path_order(conn, &bays)?, shelves: load_in_path_order(conn, &shelves)? })
}

fn load_in_path_order(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<Location>> {
    Ok(locations::table
        .filter(locations::id.eq_any(ids))
        .order((locations::path_code, locations::id))
        .select(Location::as_select())
        .load(conn)?)
}

fn child(parent_id: i64, kind: LocationKind, code: String, capacity_mm: Option<i32>) -> NewLocation {
    NewLocation {
        parent_id: Some(parent_id),
        kind,
        code,
        name: None,
        barcode: None,
        capacity_mm,
        purpose: None,
        notes: None,
    }
}
