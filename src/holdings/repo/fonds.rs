use diesel::dsl::now;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::lower;
use crate::db::search::{Listed, Search, Tier, ranked, walks};
use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::holdings::model::{Fonds, FondsFilter, FondsPatch, NewFonds, check_years};
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

/// The fonds whose code reads `code`, ignoring case.
pub fn find_by_code(conn: &mut PgConnection, code: &str) -> Result<Option<Fonds>> {
    Ok(fonds::table
        .filter(lower(fonds::code).eq(lower(code.trim().to_string())))
        .select(Fonds::as_select())
        .first(conn)
        .optional()?)
}

/// The names of the fonds with these ids.
pub fn names(conn: &mut PgConnection, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
    Ok(fonds::table.filter(fonds::id.eq_any(ids)).select((fonds::id, fonds::name)).load(conn)?.into_iter().collect())
}

/// The codes of the fonds with these ids.
pub fn codes(conn: &mut PgConnection, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
    Ok(fonds::table.filter(fonds::id.eq_any(ids)).select((fonds::id, fonds::code)).load(conn)?.into_iter().collect())
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Fonds> {
    fonds::table
        .find(id)
        .select(Fonds::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no fonds has id {id}")))
}

/// Fonds in code order (searched: best first, see `db::search`) after the code `after`;
/// `limit + 1` at most, each with its tier.
pub fn list(
    conn: &mut PgConnection,
    filter: &FondsFilter,
    after: Option<(u8, String)>,
    limit: i64,
) -> Result<Vec<(u8, Fonds)>> {
    let search = filter.q.as_deref().map(Search::new);
    ranked(&mut FondsList(conn), search.as_ref(), after, limit)
}

struct FondsList<'a>(&'a mut PgConnection);

/// The fonds with codes (ignoring case) in (`after`, `until`], in code order.
fn within(after: Option<&String>, until: Option<&String>) -> fonds::BoxedQuery<'static, Pg> {
    let mut query = fonds::table.into_boxed();
    if let Some(after) = after {
        query = query.filter(lower(fonds::code).gt(lower(after.clone())));
    }
    if let Some(until) = until {
        query = query.filter(lower(fonds::code).le(lower(until.clone())));
    }
    query.order(lower(fonds::code))
}

impl Listed for FondsList<'_> {
    type Row = Fonds;
    type Key = String;

    fn rows(
        &mut self,
        tier: Option<(&Search, Tier)>,
        after: Option<&String>,
        until: Option<&String>,
        limit: i64,
    ) -> Result<Vec<Fonds>> {
        let walked = walks(tier, until);
        let mut query = within(after, until).select(Fonds::as_select());
        if let Some((search, tier)) = tier {
            query = query.filter(search.tier("fonds", "lower(fonds.code)", tier, walked));
        }
        Ok(query.limit(limit).load(self.0)?)
    }

    fn nth_key(&mut self, after: Option<&String>, n: i64) -> Result<Option<String>> {
        Ok(within(after, None).select(fonds::code).offset(n - 1).limit(1).first(self.0).optional()?)
    }
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
    let errors = check_years(patch.year_from.unwrap_or(current.year_from), patch.year_to.unwrap_or(current.year_to));
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
