//! The hand-over book: files issued to readers at the desk and given back, one reader at a time.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::dsl::now;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::{Error, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::holdings::model::Numbering;
use crate::keys::model::Actor;
use crate::reading::model::{
    Handover, HandoverEntry, HandoverFilter, HandoverReturn, NewHandover, ReaderStatus, RequestStatus, Servable,
};
use crate::reading::repo::flow::LineKey;
use crate::reading::repo::{flow, readers, requests, rules};
use crate::schema::{boxes, files, handovers, locations, request_lines, visits};
use crate::storage::model::Purpose;

/// Issues the file of a request's line to its reader: the line ready (its box delivered) or
/// kept for the reader, the box in the reading room, the reader in and allowed. A file is in
/// one reader's hands at a time.
pub fn issue(conn: &mut PgConnection, new: &NewHandover, actor: &Actor) -> Result<Handover> {
    let request = requests::get(conn, new.request_id).map_err(|err| match err {
        Error::NotFound(why) => Error::invalid("request_id", why),
        other => other,
    })?;
    let line = request
        .lines
        .iter()
        .find(|line| line.line_no == new.line_no)
        .ok_or_else(|| Error::invalid("line_no", format!("request {} has no line {}", request.id, new.line_no)))?;
    match line.status {
        RequestStatus::Ready | RequestStatus::Held => {}
        RequestStatus::InUse => {
            return Err(Error::Conflict(format!("the reader has file {} in hand already", line.file_id)));
        }
        other => {
            return Err(Error::Conflict(format!(
                "line {} is {other}: a file is issued once its box is in the reading room",
                line.line_no
            )));
        }
    }
    // Kept for another reader overnight, the file is theirs until given back.
    let kept_for: Option<i64> = request_lines::table
        .filter(request_lines::file_id.eq(line.file_id))
        .filter(request_lines::status.eq(RequestStatus::Held))
        .filter(request_lines::request_id.ne(request.id))
        .select(request_lines::request_id)
        .first(conn)
        .optional()?;
    if let Some(other) = kept_for {
        return Err(Error::Conflict(format!("file {} is kept for another reader (request {other})", line.file_id)));
    }
    let reader = readers::get(conn, request.reader_id)?;
    if reader.status != ReaderStatus::Active {
        return Err(Error::Conflict(format!(
            "reader {} is {}: nothing is issued to them",
            reader.reader_no, reader.status
        )));
    }
    let inside: bool = diesel::select(diesel::dsl::exists(
        visits::table.filter(visits::reader_id.eq(reader.id)).filter(visits::checked_out_at.is_null()),
    ))
    .get_result(conn)?;
    if !inside {
        return Err(Error::Conflict(format!("reader {} is not checked in at the reading room", reader.reader_no)));
    }
    let (page_count, numbering, purpose, barcode): (i32, Numbering, Option<Purpose>, Option<String>) = files::table
        .left_join(boxes::table.left_join(locations::table.on(locations::id.eq(boxes::current_location_id))))
        .filter(files::id.eq(line.file_id))
        .select((files::page_count, files::numbering, locations::purpose.nullable(), boxes::barcode.nullable()))
        .first(conn)?;
    let copy = line.servable == Servable::Copy;
    if !copy && purpose != Some(Purpose::ReadingRoom) {
        let said = barcode.map_or("is in no box".to_string(), |b| format!("is in box {b}, which is not there"));
        return Err(Error::Conflict(format!("file {} is not in the reading room: it {said}", line.file_id)));
    }
    let leaves = match (new.leaves, numbering) {
        (Some(leaves), _) => leaves,
        (None, Numbering::Leaf) => page_count,
        (None, Numbering::Page) => {
            return Err(Error::invalid("leaves", "is required: the file is numbered in pages, so count its leaves"));
        }
    };
    let row: HandoverEntry = diesel::insert_into(handovers::table)
        .values((
            handovers::request_id.eq(request.id),
            handovers::line_no.eq(line.line_no),
            handovers::file_id.eq(line.file_id),
            handovers::reader_id.eq(reader.id),
            handovers::issued_by.eq(actor.key_id),
            handovers::leaves_issued.eq(leaves),
            handovers::copy.eq(copy),
        ))
        .returning(HandoverEntry::as_returning())
        .get_result(conn)
        .map_err(|err| match err {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(format!("file {} is in another reader's hands", line.file_id))
            }
            other => other.into(),
        })?;
    flow::advance(conn, &[(request.id, line.line_no)], RequestStatus::InUse, "issued", actor)?;
    let issued = shown(conn, vec![row])?.remove(0);
    events::record(conn, &[Change::new("issued", &issued, None)])?;
    Ok(issued)
}

/// Takes a file back, once: the leaves counted (remarks say why, when they are not those
/// issued); kept for the reader's next day, or given back for good.
pub fn give_back(conn: &mut PgConnection, id: i64, back: &HandoverReturn, actor: &Actor) -> Result<Handover> {
    let current: HandoverEntry = handovers::table
        .find(id)
        .select(HandoverEntry::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no hand-over has id {id}")))?;
    if let Some(at) = current.returned_at {
        return Err(Error::Conflict(format!("file {} was given back already, at {at}", current.file_id)));
    }
    let errors = back.broken_against(current.leaves_issued);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let before = shown(conn, vec![current.clone()])?.remove(0);
    let row: HandoverEntry = diesel::update(handovers::table.find(id))
        .set((
            handovers::returned_at.eq(now),
            handovers::returned_by.eq(actor.key_id),
            handovers::leaves_returned.eq(back.leaves),
            handovers::kept.eq(back.keep),
            handovers::remarks.eq(&back.remarks),
        ))
        .returning(HandoverEntry::as_returning())
        .get_result(conn)?;
    // A digital copy has no box to go home: given back, its line is over.
    let (to, action) = match (back.keep, row.copy) {
        (true, _) => (RequestStatus::Held, "held"),
        (false, false) => (RequestStatus::Returned, "returned"),
        (false, true) => (RequestStatus::Closed, "closed"),
    };
    flow::advance(conn, &[(row.request_id, row.line_no)], to, action, actor)?;
    let after = shown(conn, vec![row])?.remove(0);
    events::record(conn, &[Change::new("returned", &after, Some(&before))])?;
    Ok(after)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Handover> {
    let row: HandoverEntry = handovers::table
        .find(id)
        .select(HandoverEntry::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no hand-over has id {id}")))?;
    Ok(shown(conn, vec![row])?.remove(0))
}

/// The book newest first, before the entry `before`; `limit + 1` at most.
pub fn list(
    conn: &mut PgConnection,
    filter: &HandoverFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Handover>> {
    let mut query = handovers::table
        .filter(handovers::id.lt(before.unwrap_or(i64::MAX)))
        .select(HandoverEntry::as_select())
        .into_boxed();
    if let Some(reader) = filter.reader_id {
        query = query.filter(handovers::reader_id.eq(reader));
    }
    if let Some(file) = filter.file_id {
        query = query.filter(handovers::file_id.eq(file));
    }
    query = match filter.open {
        Some(true) => query.filter(handovers::returned_at.is_null()),
        Some(false) => query.filter(handovers::returned_at.is_not_null()),
        None => query,
    };
    if filter.overdue == Some(true) {
        // Issued before the days a reader may keep a file, and still with the reader (in hand
        // or kept): the rest cannot be overdue.
        let keep_days = rules::get(conn)?.keep_days;
        query = query
            .filter(handovers::issued_at.lt(Utc::now() - Duration::days(keep_days.into())))
            .filter(handovers::returned_at.is_null().or(handovers::kept.eq(true)));
    }
    let rows: Vec<HandoverEntry> = query.order(handovers::id.desc()).limit(limit + 1).load(conn)?;
    let shown = shown(conn, rows)?;
    Ok(match filter.overdue {
        Some(overdue) => shown.into_iter().filter(|entry| entry.overdue == overdue).collect(),
        None => shown,
    })
}

/// The entries as the API shows them: each with the day its file is due back (its first issue
/// on the line and the days the rules allow), overdue when the reader still has it after.
fn shown(conn: &mut PgConnection, rows: Vec<HandoverEntry>) -> Result<Vec<Handover>> {
    let keep = Duration::days(rules::get(conn)?.keep_days.into());
    let requests: Vec<i64> = rows.iter().map(|row| row.request_id).collect();
    let first_issues: Vec<(i64, i32, Option<DateTime<Utc>>, RequestStatus)> =
        request_lines::table
            .left_join(handovers::table.on(
                handovers::request_id.eq(request_lines::request_id).and(handovers::line_no.eq(request_lines::line_no)),
            ))
            .filter(request_lines::request_id.eq_any(&requests))
            .group_by((request_lines::request_id, request_lines::line_no, request_lines::status))
            .select((
                request_lines::request_id,
                request_lines::line_no,
                diesel::dsl::min(handovers::issued_at.nullable()),
                request_lines::status,
            ))
            .load(conn)?;
    let lines: HashMap<LineKey, (Option<DateTime<Utc>>, RequestStatus)> =
        first_issues.into_iter().map(|(request, line, first, status)| ((request, line), (first, status))).collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let (first, status) =
                lines.get(&(row.request_id, row.line_no)).copied().unwrap_or((None, RequestStatus::Closed));
            let due_back = first.unwrap_or(row.issued_at) + keep;
            let with_reader = row.returned_at.is_none() || (row.kept == Some(true) && status == RequestStatus::Held);
            Handover { entry: row, due_back, overdue: with_reader && due_back < Utc::now() }
        })
        .collect())
}
