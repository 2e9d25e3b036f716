//! Moving boxes: the only way a box's place changes, and always with a movement kept.
//!
//! Single moves, bulk moves and audit reconciliation all lock their boxes and go through
//! [`execute`]: it checks every move (destination, permission, capacity) before changing
//! anything, then applies them all, so a request moves every box or none.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};

use super::space::LockedShelves;
use crate::db::{Kept, lower, one_of};
use crate::error::{Error, FieldError, Result};
use crate::events::model::Change;
use crate::keys::model::{Actor, Permission};
use crate::reading::repo as reading;
use crate::schema::{boxes, locations, movements};
use crate::storage::model::{BulkMoveRequest, LocationKind, MoveFilter, MoveReason, Movement, Purpose};

/// One box to move: where to (`None`: home, for a return), at which position, and why when
/// not for the request's reason.
#[derive(Debug, Clone, Default)]
pub struct MoveOrder {
    pub box_id: i64,
    pub to: Option<i64>,
    pub position: Option<i32>,
    pub reason: Option<MoveReason>,
    pub note: Option<String>,
}

/// What the moves of one request share (each order may give its own reason and note).
#[derive(Debug, Clone)]
pub struct MoveContext<'a> {
    pub reason: MoveReason,
    pub note: Option<&'a str>,
    pub audit_id: Option<i64>,
}

/// Why one move cannot happen.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// The order names something that does not exist or cannot take a box.
    Invalid(&'static str, String),
    /// The move contradicts where things are (already there, shelf full).
    Conflict(String),
    /// The key's role may not make this move.
    Forbidden(String),
}

/// Every box moved, or (with nothing changed) every refused order by its index.
pub type Outcome = std::result::Result<Vec<Movement>, Vec<(usize, Refusal)>>;

/// A box as a move sees it, locked for the transaction.
#[derive(Debug, Clone, Queryable)]
struct BoxState {
    id: i64,
    barcode: String,
    width_mm: i32,
    version: i32,
    home: i64,
    current: i64,
    position: Option<i32>,
    missing: bool,
    holds_space: bool,
    lost: bool,
}

#[derive(Debug, Clone, Queryable)]
struct Place {
    id: i64,
    kind: LocationKind,
    purpose: Option<Purpose>,
    path_code: String,
}

/// A checked move, ready to apply.
struct Planned {
    order: usize,
    box_id: i64,
    from: i64,
    to: i64,
    home: i64,
    position: Option<i32>,
}

/// Moves one box, named in the path; `expected` is the box version from `If-Match`, if any.
pub fn move_one(
    conn: &mut PgConnection,
    order: MoveOrder,
    context: &MoveContext,
    expected: Option<i32>,
    actor: &Actor,
) -> Result<Movement> {
    let box_id = order.box_id;
    let locked = lock_boxes(conn, &[box_id])?;
    let state = locked.get(&box_id).ok_or_else(|| Error::NotFound(format!("no box has id {box_id}")))?;
    if expected.is_some_and(|version| version != state.version) {
        return Err(Error::Stale { current: state.version });
    }
    match execute(conn, &[order], &locked, context, actor)? {
        Ok(mut moved) => Ok(moved.remove(0)),
        Err(mut refusals) => Err(match refusals.remove(0).1 {
            Refusal::Invalid(field, message) => Error::invalid(field, message),
            Refusal::Conflict(message) => Error::Conflict(message),
            Refusal::Forbidden(message) => Error::Forbidden(message),
        }),
    }
}

/// Settles a missing box where it is recorded, with a movement from that place to itself:
/// `found` clears it (one that gave its space up takes it again, or 409 if the shelf has no
/// room: then it is moved instead, which finds it too); `lost` writes it off and gives its
/// space up. `context.reason` is one of the two.
pub fn settle(
    conn: &mut PgConnection,
    box_id: i64,
    context: &MoveContext,
    expected: Option<i32>,
    actor: &Actor,
) -> Result<Movement> {
    let locked = lock_boxes(conn, &[box_id])?;
    let state = locked.get(&box_id).ok_or_else(|| Error::NotFound(format!("no box has id {box_id}")))?;
    if expected.is_some_and(|version| version != state.version) {
        return Err(Error::Stale { current: state.version });
    }
    let place: Place = locations::table
        .find(state.current)
        .select((locations::id, locations::kind, locations::purpose, locations::path_code))
        .first(conn)?;
    let found = context.reason == MoveReason::Found;
    if !state.missing {
        return Err(Error::Conflict(format!("box {} is not missing: it is at {}", state.barcode, place.path_code)));
    }
    if !found && state.lost {
        return Err(Error::Conflict(format!("box {} is written off already", state.barcode)));
    }
    // The shelf whose space it holds: the one it stands on, or its home while it is out.
    let shelf = if place.kind == LocationKind::Shelf { state.current } else { state.home };
    // Found, it keeps its place; one that gave its space up takes it again, and the lowest free
    // position. Written off, it gives both up.
    let mut position = state.position.filter(|_| found);
    if found != state.holds_space || (found && position.is_none()) {
        let mut shelves = LockedShelves::lock(conn, [shelf])?;
        if !found {
            shelves.release(shelf, state.width_mm);
        } else if !state.holds_space {
            shelves.reserve(shelf, state.width_mm).map_err(|message| {
                Error::Conflict(format!("box {}: {message}; move it to a shelf with room instead", state.barcode))
            })?;
        }
        if found {
            shelves.load_places(conn, [shelf])?;
            position = shelves.take_free(shelf, box_id, &state.barcode);
        }
        shelves.save(conn)?;
    }
    let plan = Planned { order: 0, box_id, from: state.current, to: state.current, home: state.home, position };
    let mut movement = Movement {
        id: 0,
        box_id,
        barcode: state.barcode.clone(),
        from_location_id: Some(state.current),
        from_path_code: Some(place.path_code.clone()),
        to_location_id: state.current,
        to_path_code: place.path_code,
        reason: context.reason,
        note: context.note.map(str::to_string),
        position: position.filter(|_| place.kind == LocationKind::Shelf),
        audit_id: context.audit_id,
        moved_at: Utc::now().trunc_subsecs(6),
        moved_by: actor.key_id,
    };
    movement.id = apply(conn, &plan, &movement, actor)?;
    Ok(movement)
}

/// Moves every box of a bulk request, or none; each refused item is named.
pub fn move_many(conn: &mut PgConnection, request: &BulkMoveRequest, actor: &Actor) -> Result<Vec<Movement>> {
    let barcodes: Vec<String> =
        request.moves.iter().filter_map(|m| m.barcode.as_deref()).map(str::to_lowercase).collect();
    let by_barcode: HashMap<String, i64> = boxes::table
        .filter(lower(boxes::barcode).eq_any(&barcodes))
        .select((lower(boxes::barcode), boxes::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let mut refusals = Vec::new();
    let mut orders = Vec::new();
    for (index, item) in request.moves.iter().enumerate() {
        let box_id = match (&item.barcode, item.box_id) {
            (Some(barcode), _) => by_barcode
                .get(&barcode.to_lowercase())
                .copied()
                .ok_or_else(|| Refusal::Invalid("barcode", format!("no box has barcode `{barcode}`"))),
            (None, Some(id)) => Ok(id),
            (None, None) => Err(Refusal::Invalid("barcode", "give either a barcode or a box_id".into())),
        };
        match box_id {
            Ok(box_id) => orders.push((
                index,
                MoveOrder {
                    box_id,
                    to: item.to_location_id,
                    position: item.position,
                    reason: item.reason,
                    note: item.note.clone(),
                },
            )),
            Err(refusal) => refusals.push((index, refusal)),
        }
    }
    let ids: Vec<i64> = orders.iter().map(|(_, order)| order.box_id).collect();
    let locked = lock_boxes(conn, &ids)?;
    for (index, order) in &orders {
        if !locked.contains_key(&order.box_id) {
            refusals.push((*index, Refusal::Invalid("box_id", format!("no box has id {}", order.box_id))));
        }
    }
    let known: Vec<(usize, MoveOrder)> = orders.into_iter().filter(|(_, o)| locked.contains_key(&o.box_id)).collect();
    let context = MoveContext { reason: request.reason, note: request.note.as_deref(), audit_id: None };
    let plain: Vec<MoveOrder> = known.iter().map(|(_, order)| order.clone()).collect();
    match execute(conn, &plain, &locked, &context, actor)? {
        Ok(moved) if refusals.is_empty() => Ok(moved),
        Ok(_) => Err(bulk_error(refusals)),
        Err(more) => {
            refusals.extend(more.into_iter().map(|(i, refusal)| (known[i].0, refusal)));
            Err(bulk_error(refusals))
        }
    }
}

/// One error naming every refused item: 422 if any item is invalid, else 403 if any is not
/// allowed, else 409.
fn bulk_error(mut refusals: Vec<(usize, Refusal)>) -> Error {
    refusals.sort_by_key(|(index, _)| *index);
    let errors: Vec<FieldError> = refusals
        .iter()
        .map(|(index, refusal)| match refusal {
            Refusal::Invalid(field, message) => FieldError::new(format!("moves[{index}].{field}"), message),
            Refusal::Conflict(message) | Refusal::Forbidden(message) => {
                FieldError::new(format!("moves[{index}]"), message)
            }
        })
        .collect();
    if refusals.iter().any(|(_, r)| matches!(r, Refusal::Invalid(..))) {
        Error::Invalid(errors)
    } else if refusals.iter().any(|(_, r)| matches!(r, Refusal::Forbidden(_))) {
        Error::Forbidden(errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
    } else {
        Error::Conflicts(errors)
    }
}

/// Locks the boxes with these ids, in id order.
fn lock_boxes(conn: &mut PgConnection, ids: &[i64]) -> Result<HashMap<i64, BoxState>> {
    let rows: Vec<BoxState> = boxes::table
        .filter(one_of(boxes::id, ids))
        .order(boxes::id)
        .select((
            boxes::id,
            boxes::barcode,
            boxes::width_mm,
            boxes::version,
            boxes::home_location_id,
            boxes::current_location_id,
            boxes::position,
            boxes::missing,
            boxes::holds_space,
            boxes::lost_at.is_not_null(),
        ))
        .for_no_key_update()
        .load(conn)?;
    Ok(rows.into_iter().map(|state| (state.id, state)).collect())
}

/// Moves the boxes of `orders` (locking them first): all of them, or none with every refusal
/// listed by order index.
pub(super) fn move_boxes(
    conn: &mut PgConnection,
    orders: &[MoveOrder],
    context: &MoveContext,
    actor: &Actor,
) -> Result<Outcome> {
    let ids: Vec<i64> = orders.iter().map(|order| order.box_id).collect();
    let locked = lock_boxes(conn, &ids)?;
    execute(conn, orders, &locked, context, actor)
}

/// Checks all `orders` against the locked boxes, then applies them all. The outer error is a
/// database failure; the inner one lists every refused order (by index) and nothing changed.
fn execute(
    conn: &mut PgConnection,
    orders: &[MoveOrder],
    locked: &HashMap<i64, BoxState>,
    context: &MoveContext,
    actor: &Actor,
) -> Result<Outcome> {
    let place_ids: BTreeSet<i64> = orders
        .iter()
        .flat_map(|o| {
            let state = &locked[&o.box_id];
            [o.to.unwrap_or(state.home), state.current, state.home]
        })
        .collect();
    let places: HashMap<i64, Place> = locations::table
        .filter(one_of(locations::id, &place_ids.into_iter().collect::<Vec<_>>()))
        .select((locations::id, locations::kind, locations::purpose, locations::path_code))
        .load::<Place>(conn)?
        .into_iter()
        .map(|place| (place.id, place))
        .collect();

    let mut refusals = Vec::new();
    let mut planned = Vec::new();
    let mut seen = HashSet::new();
    for (index, order) in orders.iter().enumerate() {
        let state = &locked[&order.box_id];
        match plan(index, order, state, &places, order.reason.unwrap_or(context.reason), actor, &mut seen) {
            Ok(plan) => planned.push(plan),
            Err(refusal) => refusals.push((index, refusal)),
        }
    }
    // The reading room keeps a box while a reader has, or is kept, a file of it.
    let reading_room = |place: i64| places[&place].purpose == Some(Purpose::ReadingRoom);
    let leaving: Vec<&Planned> =
        planned.iter().filter(|plan| reading_room(plan.from) && !reading_room(plan.to)).collect();
    if !leaving.is_empty() {
        let mut kept =
            reading::flow::kept_in_reading_room(conn, &leaving.iter().map(|p| p.box_id).collect::<Vec<_>>())?;
        for plan in leaving {
            if let Some(why) = kept.remove(&plan.box_id) {
                refusals.push((plan.order, Refusal::Conflict(format!("box {}: {why}", locked[&plan.box_id].barcode))));
            }
        }
    }
    // Space: a box uses the shelf it stands on, or its home shelf while it is out (none if,
    // missing, it gave its space up). Checked for every acceptable move, so that one answer
    // names every refused one.
    let uses = |place: i64, home: i64| if places[&place].kind == LocationKind::Shelf { place } else { home };
    let space = |plan: &Planned| {
        let state = &locked[&plan.box_id];
        (state.holds_space.then(|| uses(plan.from, state.home)), uses(plan.to, plan.home))
    };
    // A box keeps its place on the shelf whose space it keeps, unless given another; any other
    // takes the position asked for, or the lowest free one.
    let keeps_place = |plan: &Planned| {
        let position = locked[&plan.box_id].position;
        let (before, after) = space(plan);
        before == Some(after) && position.is_some() && plan.position.is_none_or(|asked| Some(asked) == position)
    };
    let (kept, placed): (Vec<&mut Planned>, Vec<&mut Planned>) = planned.iter_mut().partition(|plan| keeps_place(plan));
    // Only shelves whose space or places change hands are locked (none for a box going out and back).
    let changing = placed.iter().map(|plan| space(plan));
    let mut shelves =
        LockedShelves::lock(conn, changing.flat_map(|(before, after)| before.into_iter().chain([after])))?;
    for plan in kept {
        plan.position = locked[&plan.box_id].position;
    }
    shelves.load_places(conn, placed.iter().map(|plan| space(plan).1))?;
    for plan in &placed {
        let (before, after) = space(plan);
        before.into_iter().chain([after]).for_each(|shelf| shelves.leave(shelf, plan.box_id));
    }
    // Positions asked for first, so that none is given to a box that asked for none.
    let (asked, free): (Vec<&mut Planned>, Vec<&mut Planned>) =
        placed.into_iter().partition(|plan| plan.position.is_some());
    for plan in asked.into_iter().chain(free) {
        let state = &locked[&plan.box_id];
        let (before, after) = space(plan);
        if before != Some(after) {
            if let Some(before) = before {
                shelves.release(before, state.width_mm);
            }
            if let Err(message) = shelves.reserve(after, state.width_mm) {
                refusals.push((plan.order, Refusal::Conflict(format!("box {}: {message}", state.barcode))));
            }
        }
        match plan.position {
            Some(position) => {
                if let Err(message) = shelves.take(after, position, state.id, &state.barcode) {
                    refusals.push((plan.order, Refusal::Conflict(format!("box {}: {message}", state.barcode))));
                }
            }
            None => plan.position = shelves.take_free(after, state.id, &state.barcode),
        }
    }
    if !refusals.is_empty() {
        refusals.sort_by_key(|(index, _)| *index);
        return Ok(Err(refusals));
    }
    shelves.save(conn)?;

    // One moment for the moves of a request, to the microsecond PostgreSQL keeps.
    let moved_at = Utc::now().trunc_subsecs(6);
    let mut moved = Vec::with_capacity(planned.len());
    for plan in planned {
        let order = &orders[plan.order];
        let on_shelf_position = plan.position.filter(|_| places[&plan.to].kind == LocationKind::Shelf);
        let mut movement = Movement {
            id: 0,
            box_id: plan.box_id,
            barcode: locked[&plan.box_id].barcode.clone(),
            from_location_id: Some(plan.from),
            from_path_code: Some(places[&plan.from].path_code.clone()),
            to_location_id: plan.to,
            to_path_code: places[&plan.to].path_code.clone(),
            reason: order.reason.unwrap_or(context.reason),
            note: order.note.as_deref().or(context.note).map(str::to_string),
            position: on_shelf_position,
            audit_id: context.audit_id,
            moved_at,
            moved_by: actor.key_id,
        };
        movement.id = apply(conn, &plan, &movement, actor)?;
        moved.push(movement);
    }
    // Delivered to the reading room, or gone from it: the requests waiting on the boxes move on.
    let crossing = |inward: bool| -> Vec<i64> {
        let crosses = |m: &&Movement| {
            m.from_location_id.is_some_and(|from| reading_room(from) != inward)
                && reading_room(m.to_location_id) == inward
        };
        moved.iter().filter(crosses).map(|m| m.box_id).collect()
    };
    let (delivered, gone) = (crossing(true), crossing(false));
    if !delivered.is_empty() || !gone.is_empty() {
        reading::flow::boxes_moved(conn, &delivered, &gone, actor)?;
    }
    Ok(Ok(moved))
}

fn plan(
    index: usize,
    order: &MoveOrder,
    state: &BoxState,
    places: &HashMap<i64, Place>,
    reason: MoveReason,
    actor: &Actor,
    seen: &mut HashSet<i64>,
) -> std::result::Result<Planned, Refusal> {
    if !seen.insert(state.id) {
        return Err(Refusal::Invalid("box_id", format!("box {} is already moved by this request", state.barcode)));
    }
    let to = order.to.unwrap_or(state.home);
    let destination =
        places.get(&to).ok_or_else(|| Refusal::Invalid("to_location_id", format!("no location has id {to}")))?;
    let current = &places[&state.current];
    if !matches!(destination.kind, LocationKind::Shelf | LocationKind::Workspace) {
        return Err(Refusal::Invalid(
            "to_location_id",
            format!("a box goes only to a shelf or a workspace; {} is a {}", destination.path_code, destination.kind),
        ));
    }
    if reason == MoveReason::Relocation && destination.kind != LocationKind::Shelf {
        return Err(Refusal::Invalid(
            "to_location_id",
            format!("relocation gives a box a new home shelf; {} is a {}", destination.path_code, destination.kind),
        ));
    }
    // On its shelf, a box may only take another position.
    let moves_along =
        destination.kind == LocationKind::Shelf && order.position.is_some_and(|p| state.position != Some(p));
    if to == state.current && !moves_along {
        let hint =
            if state.missing { "; a missing box that turns up there is found with POST /boxes/{id}/found" } else { "" };
        return Err(Refusal::Conflict(format!("box {} is already at {}{hint}", state.barcode, destination.path_code)));
    }
    let lab = Some(Purpose::ConservationLab);
    if !actor.role.may(Permission::WriteBoxes) && current.purpose != lab && destination.purpose != lab {
        return Err(Refusal::Forbidden(format!(
            "the {} role moves boxes only into or out of a conservation lab",
            actor.role
        )));
    }
    let home = if reason == MoveReason::Relocation { to } else { state.home };
    Ok(Planned { order: index, box_id: state.id, from: state.current, to, home, position: order.position })
}

/// Puts the box where `plan` says, appends `movement` and its `box.moved` event; returns the
/// movement's id. The box is then where it is recorded, holding its space, unless the
/// movement writes it off (`lost`). One statement: one round trip, and a plan PostgreSQL keeps
/// for the connection. The event's data is the movement as serialised here (`Change`), but
/// for its id, which the statement writes in.
fn apply(conn: &mut PgConnection, plan: &Planned, movement: &Movement, actor: &Actor) -> Result<i64> {
    let lost_at = (movement.reason == MoveReason::Lost).then_some(movement.moved_at);
    let event = Change::new("moved", movement, None);
    // `{"id":0,…}`: everything after the id.
    let after_id = event.data.strip_prefix(r#"{"id":0"#).expect("a movement's representation begins with its id");
    let applied: Applied = Kept(
        diesel::sql_query(
            "WITH moved AS ( \
                 UPDATE boxes SET current_location_id = $2, home_location_id = $3, position = $4, \
                                  missing = $14::timestamptz IS NOT NULL, holds_space = $14::timestamptz IS NULL, \
                                  lost_at = $14, version = version + 1, updated_at = now(), updated_by = $5 \
                 WHERE id = $1 RETURNING id), \
             movement AS ( \
                 INSERT INTO movements (box_id, from_location_id, to_location_id, reason, note, position, audit_id, \
                                        moved_at, moved_by) \
                 SELECT id, $6, $2, $7, $8, $9, $10, $11, $5 FROM moved \
                 RETURNING id) \
             INSERT INTO events (type, subject, data) \
             SELECT $12, '/api/v1/moves/' || id, ('{\"id\":' || id || $13)::jsonb FROM movement \
             RETURNING (data ->> 'id')::int8 AS id",
        )
        .bind::<BigInt, _>(plan.box_id)
        .bind::<BigInt, _>(plan.to)
        .bind::<BigInt, _>(plan.home)
        .bind::<Nullable<Integer>, _>(plan.position)
        .bind::<BigInt, _>(actor.key_id)
        .bind::<BigInt, _>(plan.from)
        .bind::<Text, _>(movement.reason)
        .bind::<Nullable<Text>, _>(movement.note.as_deref())
        .bind::<Nullable<Integer>, _>(movement.position)
        .bind::<Nullable<BigInt>, _>(movement.audit_id)
        .bind::<Timestamptz, _>(movement.moved_at)
        .bind::<Text, _>(&event.event_type)
        .bind::<Text, _>(after_id)
        .bind::<Nullable<Timestamptz>, _>(lost_at),
    )
    .get_result(conn)?;
    Ok(applied.id)
}

#[derive(QueryableByName)]
struct Applied {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Appends one movement; returns its id and time.
pub fn record(
    conn: &mut PgConnection,
    box_id: i64,
    from: Option<i64>,
    to: i64,
    position: Option<i32>,
    context: &MoveContext,
    actor: &Actor,
) -> Result<(i64, DateTime<Utc>)> {
    Ok(diesel::insert_into(movements::table)
        .values((
            movements::box_id.eq(box_id),
            movements::from_location_id.eq(from),
            movements::to_location_id.eq(to),
            movements::reason.eq(context.reason),
            movements::note.eq(context.note),
            movements::position.eq(position),
            movements::audit_id.eq(context.audit_id),
            movements::moved_by.eq(actor.key_id),
        ))
        .returning((movements::id, movements::moved_at))
        .get_result(conn)?)
}

/// Movements with the path codes of both places.
const MOVEMENTS: &str = "SELECT m.id, m.box_id, b.barcode, m.from_location_id, f.path_code AS from_path_code, \
        m.to_location_id, t.path_code AS to_path_code, m.reason, m.note, m.position, m.audit_id, m.moved_at, m.moved_by \
    FROM movements m JOIN boxes b ON b.id = m.box_id LEFT JOIN locations f ON f.id = m.from_location_id \
    JOIN locations t ON t.id = m.to_location_id";

/// A box's movements, newest first, before the movement `before`; `limit + 1` at most.
pub fn history(conn: &mut PgConnection, box_id: i64, before: Option<i64>, limit: i64) -> Result<Vec<Movement>> {
    let query = diesel::sql_query(format!("{MOVEMENTS} WHERE m.box_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"))
        .bind::<BigInt, _>(box_id)
        .bind::<BigInt, _>(before.unwrap_or(i64::MAX))
        .bind::<BigInt, _>(limit + 1);
    Ok(Kept(query).load(conn)?)
}

/// The last `limit` movements of the box with this barcode, newest first: asked together with
/// the box on a pipelined connection (the locate screen), so by its barcode, not its id.
pub async fn latest_of_barcode(
    conn: &diesel_async::AsyncPgConnection,
    barcode: &str,
    limit: i64,
) -> Result<Vec<Movement>> {
    let query = diesel::sql_query(format!(
        "{MOVEMENTS} WHERE m.box_id = (SELECT id FROM boxes WHERE lower(barcode) = lower($1)) ORDER BY m.id DESC LIMIT $2"
    ))
    .bind::<Text, _>(barcode.to_string())
    .bind::<BigInt, _>(limit);
    Ok(diesel_async::RunQueryDsl::load(Kept(query), &mut &*conn).await?)
}

/// Movements across boxes matching `filter`, newest first, before the movement `before`;
/// `limit + 1` at most.
pub fn list(conn: &mut PgConnection, filter: &MoveFilter, before: Option<i64>, limit: i64) -> Result<Vec<Movement>> {
    Ok(diesel::sql_query(format!(
        "{MOVEMENTS} WHERE m.id < $1 AND ($2::timestamptz IS NULL OR m.moved_at >= $2) \
           AND ($3::timestamptz IS NULL OR m.moved_at < $3) AND ($4::text IS NULL OR m.reason = $4) \
           AND ($5::int8 IS NULL OR $5 IN (f.id, t.id) OR f.ancestor_ids @> ARRAY[$5] OR t.ancestor_ids @> ARRAY[$5]) \
           AND ($6::int8 IS NULL OR m.moved_by = $6) \
         ORDER BY m.id DESC LIMIT $7"
    ))
    .bind::<BigInt, _>(before.unwrap_or(i64::MAX))
    .bind::<Nullable<Timestamptz>, _>(filter.from)
    .bind::<Nullable<Timestamptz>, _>(filter.to)
    .bind::<Nullable<Text>, _>(filter.reason)
    .bind::<Nullable<BigInt>, _>(filter.location_id)
    .bind::<Nullable<BigInt>, _>(filter.actor)
    .bind::<BigInt, _>(limit + 1)
    .load(conn)?)
}

/// One movement.
pub fn get(conn: &mut PgConnection, id: i64) -> Result<Movement> {
    Kept(diesel::sql_query(format!("{MOVEMENTS} WHERE m.id = $1")).bind::<BigInt, _>(id))
        .get_result(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no movement has id {id}")))
}
