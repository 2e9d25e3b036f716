use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::reading::model::{Calendar, ClosedPart, Closure, ClosureFilter, NewClosure};
use crate::schema::closures;

/// Closes some days; a range overlapping another closure is refused, naming it.
pub fn create(conn: &mut PgConnection, new: &NewClosure, actor: &Actor) -> Result<Closure> {
    let last = new.last();
    let overlapping = |conn: &mut PgConnection| -> Result<Error> {
        let other: Closure = closures::table
            .filter(closures::first_day.le(last))
            .filter(closures::last_day.ge(new.first_day))
            .select(Closure::as_select())
            .first(conn)?;
        Ok(Error::Conflict(format!(
            "these days overlap the closure `{}` ({} to {}); a day is closed once",
            other.name, other.first_day, other.last_day
        )))
    };
    // The exclusion constraint settles concurrent closures; asked first for a clear answer.
    if overlaps(conn, new.first_day, last)? {
        return Err(overlapping(conn)?);
    }
    let created = diesel::insert_into(closures::table)
        .values((
            closures::first_day.eq(new.first_day),
            closures::last_day.eq(last),
            closures::part.eq(new.part.unwrap_or(ClosedPart::Day)),
            closures::name.eq(&new.name),
            closures::created_by.eq(actor.key_id),
        ))
        .returning(Closure::as_returning())
        .get_result(conn)
        .map_err(|err| match err {
            DieselError::DatabaseError(_, info) if info.constraint_name().is_some_and(|c| c.contains("excl")) => {
                Error::Conflict("these days overlap another closure; a day is closed once".into())
            }
            other => other.into(),
        })?;
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

fn overlaps(conn: &mut PgConnection, first: NaiveDate, last: NaiveDate) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        closures::table.filter(closures::first_day.le(last)).filter(closures::last_day.ge(first)),
    ))
    .get_result(conn)?)
}

/// Closures in date order (those touching `year` when asked) from after the one beginning on
/// `after`; `limit + 1` at most. No two begin on the same day: they never overlap.
pub fn list(
    conn: &mut PgConnection,
    filter: &ClosureFilter,
    after: Option<NaiveDate>,
    limit: i64,
) -> Result<Vec<Closure>> {
    let mut query = closures::table.order(closures::first_day).select(Closure::as_select()).into_boxed();
    if let Some(after) = after {
        query = query.filter(closures::first_day.gt(after));
    }
    if let Some(year) = filter.year {
        let (first, last) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31));
        let (Some(first), Some(last)) = (first, last) else { return Ok(Vec::new()) };
        query = query.filter(closures::first_day.le(last)).filter(closures::last_day.ge(first));
    }
    Ok(query.limit(limit + 1).load(conn)?)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Closure> {
    closures::table
        .find(id)
        .select(Closure::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no closure has id {id}")))
}

/// Opens the days again.
pub fn delete(conn: &mut PgConnection, id: i64) -> Result<()> {
    let gone: Closure = diesel::delete(closures::table.find(id))
        .returning(Closure::as_returning())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no closure has id {id}")))?;
    events::record(conn, &[Change::new("deleted", &gone, Some(&gone))])
}

/// The archive's working calendar, as its closures make it.
pub fn calendar(conn: &mut PgConnection) -> Result<Calendar> {
    Ok(Calendar::new(&closures::table.select(Closure::as_select()).load(conn)?))
}
