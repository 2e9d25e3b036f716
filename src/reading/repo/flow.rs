//! A request's way through the reading room once decided: its boxes taken from the pull list,
//! delivered (a movement into the reading room), its files issued and given back, kept for the
//! next day, and closed when the box goes home. A request stands where its least advanced
//! line stands; every step is an event of the request with who and when.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use diesel::dsl::now;
use diesel::prelude::*;

use crate::error::{Error, FieldError, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::reading::model::{Pull, PullList, ReadingRequest, RequestStatus, Servable};
use crate::reading::repo::requests::{self, TO_FETCH};
use crate::schema::{files, readers, reading_requests, request_lines};

/// The order a line goes through; lines refused, cancelled or not servable are off it.
const PROGRESS: [RequestStatus; 9] = [
    RequestStatus::AwaitingApproval,
    // Before `submitted`: a request whose approved lines wait with its open ones says approved.
    RequestStatus::Approved,
    RequestStatus::Submitted,
    RequestStatus::InRetrieval,
    RequestStatus::Ready,
    RequestStatus::InUse,
    RequestStatus::Held,
    RequestStatus::Returned,
    RequestStatus::Closed,
];

/// Where a request stands, from its lines: with its least advanced line still on the way;
/// with none, refused if a line was, else cancelled if one was, else not servable.
pub fn standing(lines: &[RequestStatus]) -> RequestStatus {
    let on_the_way = lines.iter().filter_map(|status| PROGRESS.iter().position(|p| p == status)).min();
    match on_the_way {
        Some(index) => PROGRESS[index],
        None => [RequestStatus::Refused, RequestStatus::Cancelled]
            .into_iter()
            .find(|s| lines.contains(s))
            .unwrap_or(RequestStatus::NotServable),
    }
}

/// A line of a request: (request id, line number).
pub type LineKey = (i64, i32);

/// Puts `lines` at `to`; each request they belong to then stands where its lines say, one
/// version on, with the event `reading_request.<action>`. A request's first delivery is kept
/// as when it was delivered.
pub fn advance(
    conn: &mut PgConnection,
    lines: &[LineKey],
    to: RequestStatus,
    action: &str,
    actor: &Actor,
) -> Result<Vec<ReadingRequest>> {
    let mut by_request: BTreeMap<i64, Vec<i32>> = BTreeMap::new();
    for &(request, line) in lines {
        by_request.entry(request).or_default().push(line);
    }
    let ids: Vec<i64> = by_request.keys().copied().collect();
    // In id order, so that two desks advancing the same requests wait for each other.
    reading_requests::table
        .filter(reading_requests::id.eq_any(&ids))
        .order(reading_requests::id)
        .select(reading_requests::id)
        .for_no_key_update()
        .load::<i64>(conn)?;
    let mut changed = Vec::with_capacity(ids.len());
    let mut changes = Vec::with_capacity(ids.len());
    for (id, line_nos) in by_request {
        let before = requests::get(conn, id)?;
        diesel::update(request_lines::table)
            .filter(request_lines::request_id.eq(id))
            .filter(request_lines::line_no.eq_any(&line_nos))
            .set(request_lines::status.eq(to))
            .execute(conn)?;
        let statuses: Vec<RequestStatus> =
            before.lines.iter().map(|line| if line_nos.contains(&line.line_no) { to } else { line.status }).collect();
        let delivered_at = before.delivered_at.or_else(|| (to == RequestStatus::Ready).then(Utc::now));
        diesel::update(reading_requests::table.find(id))
            .set((
                reading_requests::status.eq(standing(&statuses)),
                reading_requests::delivered_at.eq(delivered_at),
                reading_requests::version.eq(reading_requests::version + 1),
                reading_requests::updated_at.eq(now),
                reading_requests::updated_by.eq(actor.key_id),
            ))
            .execute(conn)?;
        let after = requests::get(conn, id)?;
        changes.push(Change::new(action, &after, Some(&before)));
        changed.push(after);
    }
    events::record(conn, &changes)?;
    Ok(changed)
}

/// Takes the boxes of the pull list to fetch (all of it when `boxes` is empty): their lines
/// waiting to be fetched are in retrieval. The boxes taken, as the pull list shows them; a box
/// with nothing to fetch is refused by its index.
pub fn take(conn: &mut PgConnection, boxes: &[i64], actor: &Actor) -> Result<PullList> {
    let list = requests::pull_list(conn)?;
    let unknown: Vec<FieldError> = boxes
        .iter()
        .enumerate()
        .filter(|(_, id)| !list.boxes.iter().any(|pull| pull.box_id == **id))
        .map(|(index, id)| FieldError::new(format!("box_ids[{index}]"), format!("box {id} has nothing to fetch")))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Invalid(unknown));
    }
    let taken = |pull: &&Pull| boxes.is_empty() || boxes.contains(&pull.box_id);
    let waiting: Vec<LineKey> = list
        .boxes
        .iter()
        .filter(taken)
        .flat_map(|pull| &pull.lines)
        .filter(|line| line.status != RequestStatus::InRetrieval)
        .map(|line| (line.request_id, line.line_no))
        .collect();
    advance(conn, &waiting, RequestStatus::InRetrieval, "retrieving", actor)?;
    let mut after = requests::pull_list(conn)?;
    after.boxes.retain(|pull| taken(&pull));
    after.lines = after.boxes.iter().map(|pull| pull.lines.len()).sum();
    Ok(after)
}

/// The lines of files in these boxes standing at one of `statuses`.
fn lines_in(conn: &mut PgConnection, boxes: &[i64], statuses: &[RequestStatus]) -> Result<Vec<LineKey>> {
    Ok(request_lines::table
        .inner_join(files::table)
        .filter(files::box_id.eq_any(boxes))
        .filter(request_lines::status.eq_any(statuses))
        .filter(request_lines::servable.eq(Servable::Original))
        .order((request_lines::request_id, request_lines::line_no))
        .select((request_lines::request_id, request_lines::line_no))
        .load(conn)?)
}

/// What boxes moved mean for the requests: the lines waiting for a box now in the reading room
/// are ready (the request delivered); those returned whose box went home are closed.
pub fn boxes_moved(conn: &mut PgConnection, delivered: &[i64], gone_home: &[i64], actor: &Actor) -> Result<()> {
    if !delivered.is_empty() {
        let ready = lines_in(conn, delivered, &TO_FETCH)?;
        advance(conn, &ready, RequestStatus::Ready, "delivered", actor)?;
    }
    if !gone_home.is_empty() {
        let over = lines_in(conn, gone_home, &[RequestStatus::Returned])?;
        advance(conn, &over, RequestStatus::Closed, "closed", actor)?;
    }
    Ok(())
}

/// Why each of these boxes may not leave the reading room: a file of it in a reader's hands,
/// or kept for one (ready, or held for the next day). By box id; none for a box free to go.
pub fn kept_in_reading_room(conn: &mut PgConnection, boxes: &[i64]) -> Result<HashMap<i64, String>> {
    let rows: Vec<(i64, i64, i64, RequestStatus, String)> = request_lines::table
        .inner_join(files::table)
        .inner_join(reading_requests::table.inner_join(readers::table))
        .filter(files::box_id.eq_any(boxes))
        .filter(request_lines::status.eq_any(requests::HELD))
        // A digital copy keeps no box.
        .filter(request_lines::servable.eq(Servable::Original))
        .order((request_lines::request_id, request_lines::line_no))
        .select((
            files::box_id.assume_not_null(),
            files::id,
            request_lines::request_id,
            request_lines::status,
            readers::reader_no,
        ))
        .load(conn)?;
    let mut why = HashMap::new();
    for (box_id, file, request, status, reader) in rows {
        why.entry(box_id).or_insert_with(|| match status {
            RequestStatus::InUse => {
                format!("its file {file} is in the hands of reader {reader} (request {request}): take it back first")
            }
            _ => format!(
                "its file {file} is kept for reader {reader} (request {request}): give it back or cancel the request first"
            ),
        });
    }
    Ok(why)
}
