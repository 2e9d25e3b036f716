use diesel::dsl::{now, sql};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Bool, Text};

use crate::db::search::like_literally;
use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::reading::model::{
    Anonymisation, Anonymised, NewReader, Reader, ReaderFilter, ReaderPatch, ReaderRow, ReaderStatus,
};
use crate::schema::readers;

/// Registers a reader with the next reader number. An identity document registered already is
/// refused, naming the reader it belongs to (asked first: a failed insert ends the
/// transaction).
pub fn create(conn: &mut PgConnection, new: &NewReader, actor: &Actor) -> Result<Reader> {
    let (identity_no, nationality) = new.normalised().map_err(Error::Invalid)?;
    let holder: Option<String> = readers::table
        .filter(readers::identity_type.eq(new.identity_type))
        .filter(readers::identity_no.eq(&identity_no))
        .select(readers::reader_no)
        .first(conn)
        .optional()?;
    if let Some(holder) = holder {
        return Err(Error::Conflict(format!("this identity document is registered already, to reader {holder}")));
    }
    let created: Reader = diesel::insert_into(readers::table)
        .values((
            readers::reader_no.eq(sql::<Text>("'DG-' || lpad(nextval('reader_numbers')::text, 6, '0')")),
            readers::full_name.eq(&new.full_name),
            readers::identity_type.eq(new.identity_type),
            readers::identity_no.eq(&identity_no),
            readers::nationality.eq(&nationality),
            readers::organisation.eq(&new.organisation),
            readers::purpose.eq(new.purpose),
            readers::referral.eq(&new.referral),
            readers::topic.eq(&new.topic),
            readers::card_expires_on.eq(new.card_expires_on),
            readers::created_by.eq(actor.key_id),
            readers::updated_by.eq(actor.key_id),
        ))
        .returning(ReaderRow::as_returning())
        .get_result::<ReaderRow>(conn)
        .map_err(|err| match err {
            // Registered by another desk meanwhile.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict("this identity document is registered already".into())
            }
            other => other.into(),
        })?
        .into();
    events::record(conn, &[Change::created(&created.clone().masked())])?;
    Ok(created)
}

fn row(conn: &mut PgConnection, id: i64) -> Result<ReaderRow> {
    readers::table
        .find(id)
        .select(ReaderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no reader has id {id}")))
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Reader> {
    Ok(row(conn, id)?.into())
}

/// The readers `ids`, by id.
pub fn get_many(conn: &mut PgConnection, ids: &[i64]) -> Result<std::collections::HashMap<i64, Reader>> {
    let rows: Vec<ReaderRow> =
        readers::table.filter(readers::id.eq_any(ids)).select(ReaderRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|row| (row.id, Reader::from(row))).collect())
}

/// The reader whose number (on their card) reads `reader_no`, ignoring case.
pub fn by_number(conn: &mut PgConnection, reader_no: &str) -> Result<Reader> {
    readers::table
        .filter(readers::reader_no.eq(reader_no.trim().to_uppercase()))
        .select(ReaderRow::as_select())
        .first(conn)
        .optional()?
        .map(Reader::from)
        .ok_or_else(|| Error::NotFound(format!("no reader has the number `{reader_no}`")))
}

/// Readers in registration order after the reader `after`; `limit + 1` at most.
pub fn list(conn: &mut PgConnection, filter: &ReaderFilter, after: Option<i64>, limit: i64) -> Result<Vec<Reader>> {
    let mut query = readers::table.filter(readers::id.gt(after.unwrap_or(0))).into_boxed::<Pg>();
    if let Some(q) = filter.q.as_deref().map(str::trim) {
        let number = q.to_uppercase();
        let mut by_name: Box<dyn BoxableExpression<readers::table, Pg, SqlType = Bool>> = Box::new(sql::<Bool>("true"));
        for word in q.split_whitespace() {
            let word = format!("%{}%", like_literally(word));
            by_name =
                Box::new(by_name.and(sql::<Bool>("pk_fold(full_name) LIKE pk_fold(").bind::<Text, _>(word).sql(")")));
        }
        query = query.filter(readers::reader_no.eq(number).or(by_name));
    }
    let today = chrono::Utc::now().date_naive();
    query = match filter.status {
        None => query,
        Some(ReaderStatus::Anonymised) => query.filter(readers::anonymised_at.is_not_null()),
        Some(ReaderStatus::Suspended) => {
            query.filter(readers::anonymised_at.is_null()).filter(readers::suspended_at.is_not_null())
        }
        Some(ReaderStatus::Expired) => query
            .filter(readers::anonymised_at.is_null())
            .filter(readers::suspended_at.is_null())
            .filter(readers::card_expires_on.lt(today)),
        Some(ReaderStatus::Active) => query
            .filter(readers::anonymised_at.is_null())
            .filter(readers::suspended_at.is_null())
            .filter(readers::card_expires_on.is_null().or(readers::card_expires_on.ge(today))),
    };
    let rows = query.order(readers::id).limit(limit + 1).select(ReaderRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(Reader::from).collect())
}

/// Changes a registration: its details, its card, or whether the reader is suspended.
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    patch: &ReaderPatch,
    expected: Option<i32>,
    actor: &Actor,
) -> Result<Reader> {
    let current: ReaderRow = readers::table
        .find(id)
        .select(ReaderRow::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no reader has id {id}")))?;
    if expected.is_some_and(|version| version != current.version) {
        return Err(Error::Stale { current: current.version });
    }
    if current.anonymised_at.is_some() {
        return Err(Error::Conflict(format!(
            "reader {} is anonymised: their registration is closed",
            current.reader_no
        )));
    }
    let errors = patch.purpose_errors(&current);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let (suspended_at, suspended_why) = match patch.suspended {
        Some(true) => (current.suspended_at.or(Some(chrono::Utc::now())), patch.suspended_why.clone()),
        Some(false) => (None, None),
        None => (current.suspended_at, current.suspended_why.clone()),
    };
    let after: Reader = diesel::update(readers::table.find(id))
        .set((
            readers::full_name.eq(patch.full_name.as_ref().unwrap_or(&current.full_name)),
            readers::organisation.eq(patch.organisation.clone().unwrap_or(current.organisation.clone())),
            readers::purpose.eq(patch.purpose.unwrap_or(current.purpose)),
            readers::referral.eq(patch.referral.clone().unwrap_or(current.referral.clone())),
            readers::topic.eq(patch.topic.clone().unwrap_or(current.topic.clone())),
            readers::card_expires_on.eq(patch.card_expires_on.unwrap_or(current.card_expires_on)),
            readers::suspended_at.eq(suspended_at),
            readers::suspended_why.eq(suspended_why),
            readers::version.eq(readers::version + 1),
            readers::updated_at.eq(now),
            readers::updated_by.eq(actor.key_id),
        ))
        .returning(ReaderRow::as_returning())
        .get_result::<ReaderRow>(conn)?
        .into();
    let before = Reader::from(current).masked();
    events::record(conn, &[Change::updated(&before, &after.clone().masked())])?;
    Ok(after)
}

/// Anonymises readers: `reader_id` now, or every reader whose last registration, visit,
/// request or hand-over is older than the rules' `anonymise_after_days`. A reader in the
/// reading room, with a request under way or a file in hand, is not (409 when named). Their
/// name, identity document, organisation, referral, topic and card are removed; their number,
/// nationality and purpose stay, and so do the counts. Their earlier events are rewritten to
/// the anonymised reader, so that the change feed keeps no personal data of them either.
pub fn anonymise(conn: &mut PgConnection, which: &Anonymisation, actor: &Actor) -> Result<Anonymised> {
    use crate::schema::{handovers, reading_requests, visits};
    let busy = sql::<Bool>(
        "EXISTS (SELECT 1 FROM visits v WHERE v.reader_id = readers.id AND v.checked_out_at IS NULL)
         OR EXISTS (SELECT 1 FROM reading_requests q WHERE q.reader_id = readers.id
                    AND q.status NOT IN ('returned', 'closed', 'cancelled', 'refused', 'not_servable'))
         OR EXISTS (SELECT 1 FROM handovers h WHERE h.reader_id = readers.id AND h.returned_at IS NULL)",
    );
    let ids: Vec<i64> = match which.reader_id {
        Some(id) => {
            let reader = get(conn, id).map_err(|err| match err {
                Error::NotFound(why) => Error::invalid("reader_id", why),
                other => other,
            })?;
            if reader.anonymised_at.is_some() {
                return Err(Error::Conflict(format!("reader {} is anonymised already", reader.reader_no)));
            }
            let is_busy: bool = readers::table.find(id).select(busy).first(conn)?;
            if is_busy {
                return Err(Error::Conflict(format!(
                    "reader {} is being served (in the reading room, a request under way or a file in hand)",
                    reader.reader_no
                )));
            }
            vec![id]
        }
        None => {
            let days = super::rules::get(conn)?.anonymise_after_days;
            let before = chrono::Utc::now() - chrono::Duration::days(days.into());
            let last_seen = diesel::dsl::not(diesel::dsl::exists(
                visits::table.filter(visits::reader_id.eq(readers::id)).filter(visits::checked_in_at.ge(before)),
            ))
            .and(diesel::dsl::not(diesel::dsl::exists(
                reading_requests::table
                    .filter(reading_requests::reader_id.eq(readers::id))
                    .filter(reading_requests::updated_at.ge(before)),
            )))
            .and(diesel::dsl::not(diesel::dsl::exists(
                handovers::table.filter(handovers::reader_id.eq(readers::id)).filter(handovers::issued_at.ge(before)),
            )));
            readers::table
                .filter(readers::anonymised_at.is_null())
                .filter(readers::created_at.lt(before))
                .filter(readers::updated_at.lt(before))
                .filter(last_seen)
                .filter(diesel::dsl::not(busy))
                .order(readers::id)
                .select(readers::id)
                .load(conn)?
        }
    };
    for &id in &ids {
        let after: Reader = diesel::update(readers::table.find(id))
            .set((
                readers::full_name.eq(ANONYMOUS),
                readers::identity_type.eq(crate::reading::model::IdentityType::Other),
                readers::identity_no.eq(format!("ANON{id:08}")),
                readers::organisation.eq(None::<String>),
                readers::referral.eq(None::<String>),
                readers::topic.eq(None::<String>),
                readers::card_expires_on.eq(None::<chrono::NaiveDate>),
                readers::suspended_why.eq(None::<String>),
                readers::anonymised_at.eq(now),
                readers::version.eq(readers::version + 1),
                readers::updated_at.eq(now),
                readers::updated_by.eq(actor.key_id),
            ))
            .returning(ReaderRow::as_returning())
            .get_result::<ReaderRow>(conn)?
            .into();
        let shown = after.masked();
        let change = Change::new("anonymised", &shown, None);
        // What the feed said of them before is rewritten to what it says now.
        diesel::sql_query("SELECT set_config('paperkeep.anonymising', $1, true)")
            .bind::<Text, _>(&change.subject)
            .execute(conn)?;
        diesel::sql_query(
            "UPDATE events SET data = $2::jsonb, before = CASE WHEN before IS NULL THEN NULL ELSE $2::jsonb END
             WHERE subject = $1",
        )
        .bind::<Text, _>(&change.subject)
        .bind::<Text, _>(&change.data)
        .execute(conn)?;
        diesel::sql_query("SELECT set_config('paperkeep.anonymising', '', true)").execute(conn)?;
        events::record(conn, &[change])?;
    }
    Ok(Anonymised { reader_ids: ids })
}

/// The name an anonymised reader is shown by.
const ANONYMOUS: &str = "Độc giả đã ẩn danh";
