use diesel::dsl::now;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::{lower, search_key_contains};
use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::holdings::model::{Fonds, FondsFilter, FondsPatch, NewFonds, years_in_order};
use crate::keys::model::Actor;
use crate::schema::fonds;

fn duplicate(err: DieselError, code: &str) -> Error {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            Error::Conflict(format!("a fonds with code `{code}` already exists"))
        }
        other => other.into(),
    }
}

pub fn create(conn: &mut PgConnection, new: &NewFonds, actor: &Actor) -> Result<Fonds> {
    let created = diesel::insert_into(fonds::table)
        .values((new, fonds::created_by.eq(actor.key_id), fonds::updated_by.eq(actor.key_id)))
        .returning(Fonds::as_returning())
        .get_result(conn)
        .map_err(|err| duplicate(err, &new.code))?;
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Fonds> {
    fonds::table
        .find(id)
        .select(Fonds::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no fonds has id {id}")))
}

/// Fonds in code order after the code `after`; `limit + 1` at most.
pub fn list(conn: &mut PgConnection, filter: &FondsFilter, after: Option<String>, limit: i64) -> Result<Vec<Fonds>> {
    let mut query = fonds::table.select(Fonds::as_select()).into_boxed();
    if let Some(q) = &filter.q {
        query = query.filter(search_key_contains("fonds", q));
    }
    if let Some(after) = after {
        query = query.filter(lower(fonds::code).gt(lower(after)));
    }
    Ok(query.order(lower(fonds::code)).limit(limit + 1).load(conn)?)
}

pub fn update(
    conn: &mut PgConnection,
    id: i64,
    patch: &FondsPatch,
    expected: Option<i32>,
    actor: &Actor,
) -> Result<Fonds> {
    let current = fonds::table
        .find(id)
        .select(Fonds::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no fonds has id {id}")))?;
    if expected.is_some_and(|version| version != current.version) {
        return Err(Error::Stale { current: current.version });
    }
    let errors = years_in_order(patch.year_from.unwrap_or(current.year_from), patch.year_to.unwrap_or(current.year_to));
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let after = diesel::update(fonds::table.find(id))
        .set((
            patch,
            fonds::version.eq(fonds::version + 1),
            fonds::updated_at.eq(now),
            fonds::updated_by.eq(actor.key_id),
        ))
        .returning(Fonds::as_returning())
        .get_result(conn)
        .map_err(|err| duplicate(err, patch.code.as_deref().unwrap_or_default()))?;
    events::record(conn, &[Change::updated(&current, &after)])?;
    Ok(after)
}
