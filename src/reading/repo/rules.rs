use diesel::dsl::now;
use diesel::prelude::*;

use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::reading::model::{ReadingRules, RulesPatch};
use crate::schema::reading_rules;

pub fn get(conn: &mut PgConnection) -> Result<ReadingRules> {
    Ok(reading_rules::table.select(ReadingRules::as_select()).first(conn)?)
}

pub fn update(
    conn: &mut PgConnection,
    patch: &RulesPatch,
    expected: Option<i32>,
    actor: &Actor,
) -> Result<ReadingRules> {
    let current: ReadingRules =
        reading_rules::table.select(ReadingRules::as_select()).for_no_key_update().first(conn)?;
    if expected.is_some_and(|version| version != current.version) {
        return Err(Error::Stale { current: current.version });
    }
    let after: ReadingRules = diesel::update(reading_rules::table)
        .set((
            patch,
            reading_rules::version.eq(reading_rules::version + 1),
            reading_rules::updated_at.eq(now),
            reading_rules::updated_by.eq(actor.key_id),
        ))
        .returning(ReadingRules::as_returning())
        .get_result(conn)?;
    events::record(conn, &[Change::updated(&current, &after)])?;
    Ok(after)
}
