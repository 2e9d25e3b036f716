use chrono::Utc;
use diesel::dsl::now;
use diesel::prelude::*;

use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::reading::model::{CheckOut, NewVisit, ReaderStatus, Visit, VisitFilter};
use crate::reading::repo::readers;
use crate::schema::{locations, visits};
use crate::storage::model::Purpose;

/// The reading room `asked` for, or the archive's only one when none is: a place that is no
/// reading room, or none when there are several, is the field `location_id`'s problem.
pub fn reading_room(conn: &mut PgConnection, asked: Option<i64>) -> Result<i64> {
    let rooms: Vec<i64> = locations::table
        .filter(locations::purpose.eq(Purpose::ReadingRoom))
        .select(locations::id)
        .order(locations::id)
        .load(conn)?;
    match asked {
        Some(id) if rooms.contains(&id) => Ok(id),
        Some(id) => Err(Error::invalid("location_id", format!("location {id} is not a reading room"))),
        None if rooms.len() == 1 => Ok(rooms[0]),
        None => Err(Error::invalid("location_id", "is required: the archive has no single reading room")),
    }
}

/// Checks a reader in at the reading room: an active reader, not in already.
pub fn create(conn: &mut PgConnection, new: &NewVisit, actor: &Actor) -> Result<Visit> {
    let reader = readers::get(conn, new.reader_id).map_err(|err| match err {
        Error::NotFound(why) => Error::invalid("reader_id", why),
        other => other,
    })?;
    if reader.status != ReaderStatus::Active {
        return Err(Error::Conflict(format!("reader {} is {} and cannot come in", reader.reader_no, reader.status)));
    }
    let room = reading_room(conn, new.location_id)?;
    let inside: Option<Visit> = visits::table
        .filter(visits::reader_id.eq(reader.id))
        .filter(visits::checked_out_at.is_null())
        .select(Visit::as_select())
        .for_update()
        .first(conn)
        .optional()?;
    if let Some(inside) = inside {
        return Err(Error::Conflict(format!(
            "reader {} is in the reading room already, since {} (visit {})",
            reader.reader_no, inside.checked_in_at, inside.id
        )));
    }
    let created: Visit = diesel::insert_into(visits::table)
        .values((
            visits::reader_id.eq(reader.id),
            visits::location_id.eq(room),
            visits::checked_in_at.eq(new.at.unwrap_or_else(Utc::now)),
            visits::created_by.eq(actor.key_id),
            visits::updated_by.eq(actor.key_id),
        ))
        .returning(Visit::as_returning())
        .get_result(conn)
        .map_err(|err| match err {
            // Checked in by another desk meanwhile.
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(format!("reader {} is in the reading room already", reader.reader_no))
            }
            other => other.into(),
        })?;
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

/// Checks a reader out, once, after their check-in.
pub fn check_out(conn: &mut PgConnection, id: i64, out: &CheckOut, actor: &Actor) -> Result<Visit> {
    let current: Visit = visits::table
        .find(id)
        .select(Visit::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no visit has id {id}")))?;
    if let Some(at) = current.checked_out_at {
        return Err(Error::Conflict(format!("this visit was checked out already, at {at}")));
    }
    let at = out.at.unwrap_or_else(Utc::now);
    if at <= current.checked_in_at {
        return Err(Error::invalid("at", format!("must come after the check-in, at {}", current.checked_in_at)));
    }
    let after: Visit = diesel::update(visits::table.find(id))
        .set((visits::checked_out_at.eq(at), visits::updated_at.eq(now), visits::updated_by.eq(actor.key_id)))
        .returning(Visit::as_returning())
        .get_result(conn)?;
    events::record(conn, &[Change::new("closed", &after, Some(&current))])?;
    Ok(after)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Visit> {
    visits::table
        .find(id)
        .select(Visit::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no visit has id {id}")))
}

/// Visits newest first, before the visit `before`; `limit + 1` at most.
pub fn list(conn: &mut PgConnection, filter: &VisitFilter, before: Option<i64>, limit: i64) -> Result<Vec<Visit>> {
    let mut query =
        visits::table.filter(visits::id.lt(before.unwrap_or(i64::MAX))).select(Visit::as_select()).into_boxed();
    if let Some(reader) = filter.reader_id {
        query = query.filter(visits::reader_id.eq(reader));
    }
    query = match filter.open {
        Some(true) => query.filter(visits::checked_out_at.is_null()),
        Some(false) => query.filter(visits::checked_out_at.is_not_null()),
        None => query,
    };
    Ok(query.order(visits::id.desc()).limit(limit + 1).load(conn)?)
}
