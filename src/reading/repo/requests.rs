use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use diesel::prelude::*;

use crate::conservation::repo::condition;
use crate::error::{Error, FieldError, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::holdings::model::{Access, File, PageSet, PagesInput};
use crate::keys::model::Actor;
use crate::reading::model::{
    Cancellation, CopyFormat, CopyStatus, CopyStep, Decision, LineReason, NewLine, NewRequest, Pull, PullLine,
    PullList, Reader, ReaderStatus, ReadingRequest, ReadingRules, Reason, RequestFilter, RequestKind, RequestLine,
    RequestRow, RequestStatus, Servability, ServabilityCheck, Servable,
};
use crate::reading::repo::{calendar, flow, readers};
use crate::schema::{boxes, files, locations, reading_requests, request_lines};
use crate::storage::model::Purpose;

/// The statuses of a line that the reader has, or is about to have, in hand.
pub(super) const HELD: [RequestStatus; 3] = [RequestStatus::Ready, RequestStatus::InUse, RequestStatus::Held];

/// The statuses of a line still to be fetched.
pub(super) const TO_FETCH: [RequestStatus; 3] =
    [RequestStatus::Submitted, RequestStatus::Approved, RequestStatus::InRetrieval];

/// The statuses after which a line is done with.
const DONE: [RequestStatus; 5] = [
    RequestStatus::Returned,
    RequestStatus::Closed,
    RequestStatus::Cancelled,
    RequestStatus::Refused,
    RequestStatus::NotServable,
];

/// The reader `id`, if they may ask for files now: not suspended, their card not expired, not
/// anonymised (409 otherwise); an unknown id is the field's problem.
fn reader_who_may_ask(conn: &mut PgConnection, id: i64) -> Result<Reader> {
    let reader = readers::get(conn, id).map_err(|err| match err {
        Error::NotFound(why) => Error::invalid("reader_id", why),
        other => other,
    })?;
    match reader.status {
        ReaderStatus::Active => Ok(reader),
        ReaderStatus::Suspended => {
            let why = reader.suspended_why.unwrap_or_default();
            Err(Error::Conflict(format!("reader {} is suspended: {why}", reader.reader_no)))
        }
        ReaderStatus::Expired => {
            let last = reader.card_expires_on.map(|d| d.to_string()).unwrap_or_default();
            Err(Error::Conflict(format!("the card of reader {} expired after {last}", reader.reader_no)))
        }
        ReaderStatus::Anonymised => {
            Err(Error::Conflict(format!("reader {} is anonymised: register them again", reader.reader_no)))
        }
    }
}

/// Lines decided, and the pages and files to copy of the servable ones.
struct Judged {
    lines: Vec<RequestLine>,
    copied: (i32, i32),
}

/// Decides each line asked for, as a request would: by the file's access, its pages'
/// condition, an open treatment, where its box is, another reader having it and, for a reader,
/// their limit of files. Without a reader, a file any reader has is in use elsewhere.
fn judge(conn: &mut PgConnection, reader_id: Option<i64>, asked: &[NewLine], rules: &ReadingRules) -> Result<Judged> {
    let ids: Vec<i64> = asked.iter().map(|line| line.file_id).collect();
    // Locked, so that two desks deciding on the same file wait for each other.
    let found: HashMap<i64, File> = files::table
        .filter(files::id.eq_any(&ids))
        .select(File::as_select())
        .for_share()
        .load(conn)?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut errors = Vec::new();
    let mut pages_asked = Vec::with_capacity(asked.len());
    for (index, line) in asked.iter().enumerate() {
        let Some(file) = found.get(&line.file_id) else {
            errors.push(FieldError::new(format!("lines[{index}].file_id"), format!("no file has id {}", line.file_id)));
            continue;
        };
        let pages = match &line.pages {
            None => PageSet::whole(file.page_count),
            Some(typed) => PageSet::parse(&PagesInput::Text(typed.clone()), file.page_count).unwrap_or_else(|why| {
                errors.push(FieldError::new(format!("lines[{index}].pages"), why));
                PageSet::default()
            }),
        };
        pages_asked.push((file, pages, line.pages.clone()));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let places = box_places(conn, &found.values().filter_map(|f| f.box_id).collect::<Vec<_>>())?;
    let elsewhere: Vec<i64> = request_lines::table
        .inner_join(reading_requests::table)
        .filter(request_lines::file_id.eq_any(&ids))
        .filter(request_lines::status.eq_any(HELD))
        // No reader: every reader's hand is elsewhere (ids are positive).
        .filter(reading_requests::reader_id.ne(reader_id.unwrap_or(0)))
        .select(request_lines::file_id)
        .load(conn)?;
    let mut held: Option<i64> = match reader_id {
        None => None,
        Some(reader_id) => Some(
            request_lines::table
                .inner_join(reading_requests::table)
                .filter(reading_requests::reader_id.eq(reader_id))
                .filter(request_lines::servable.ne(Servable::NotServable))
                .filter(request_lines::status.ne_all(DONE))
                .count()
                .get_result(conn)?,
        ),
    };
    let runs = condition::page_runs_of(conn, &pages_asked.iter().map(|(file, _, _)| *file).collect::<Vec<_>>())?;
    let mut lines = Vec::with_capacity(pages_asked.len());
    // Pages to copy and files to certify, of the servable lines.
    let mut copied = (0, 0);
    for (index, (file, pages, typed_pages)) in pages_asked.into_iter().enumerate() {
        let mut reasons = Vec::new();
        match file.access {
            Access::Closed => reasons.push(Reason::ClosedAccess),
            Access::Restricted => reasons.push(Reason::NeedsApproval),
            Access::Open => {}
        }
        // A digitized file is served as its copy: the original's state does not matter.
        if file.digital_copy.is_some() {
            reasons.push(Reason::DigitalCopy);
        } else {
            let touched = runs[&file.id]
                .iter()
                .filter(|run| pages.runs().iter().any(|&(first, last)| first <= run.last && last >= run.first));
            let (mut unusable, mut treated) = (false, false);
            for run in touched {
                unusable |= run.grade == Some(4) || run.live_damage || (run.grade == Some(3) && !rules.serve_grade_3);
                treated |= run.open_treatment;
            }
            if unusable {
                reasons.push(Reason::Condition);
            }
            if treated {
                reasons.push(Reason::InTreatment);
            }
            match file.box_id.map(|b| places.get(&b).copied()) {
                None | Some(None) => reasons.push(Reason::NoBox),
                Some(Some((true, _))) => reasons.push(Reason::BoxMissing),
                Some(Some((_, Some(purpose)))) if purpose != Purpose::ReadingRoom => reasons.push(Reason::BoxAway),
                Some(Some(_)) => {}
            }
            if elsewhere.contains(&file.id) {
                reasons.push(Reason::InUseElsewhere);
            }
        }
        if let Some(held) = held.as_mut().filter(|_| !reasons.iter().any(|r| r.blocks())) {
            if *held >= rules.files_at_once as i64 {
                reasons.push(Reason::ReaderLimit);
            } else {
                *held += 1;
            }
        }
        let servable = if reasons.iter().any(|r| r.blocks()) {
            Servable::NotServable
        } else if file.digital_copy.is_some() {
            Servable::Copy
        } else {
            Servable::Original
        };
        if servable != Servable::NotServable {
            copied.0 += pages.count() as i32;
            copied.1 += 1;
        }
        // A copy is at hand at once: nothing to fetch.
        let status = match (servable, reasons.contains(&Reason::NeedsApproval)) {
            (Servable::NotServable, _) => RequestStatus::NotServable,
            (_, true) => RequestStatus::AwaitingApproval,
            (Servable::Copy, false) => RequestStatus::Ready,
            (Servable::Original, false) => RequestStatus::Submitted,
        };
        lines.push(RequestLine {
            line_no: index as i32 + 1,
            file_id: file.id,
            pages: typed_pages.map(|_| pages.to_string()),
            servable,
            reasons: reasons.into_iter().map(LineReason::from).collect(),
            status,
        });
    }
    Ok(Judged { lines, copied })
}

/// Records a request and decides each line (see `judge`). Due in working days from its
/// receipt.
pub fn create(conn: &mut PgConnection, new: &NewRequest, actor: &Actor) -> Result<ReadingRequest> {
    let reader = reader_who_may_ask(conn, new.reader_id)?;
    let rules = super::rules::get(conn)?;
    if new.lines.len() > rules.files_at_once as usize {
        let most = rules.files_at_once;
        return Err(Error::invalid(
            "lines",
            format!("must name 1 to {most} files: a reader has at most {most} at a time"),
        ));
    }
    let Judged { lines, copied } = judge(conn, Some(reader.id), &new.lines, &rules)?;
    let status = flow::standing(&lines.iter().map(|l| l.status).collect::<Vec<_>>());
    let working_days = match (status, new.kind) {
        (RequestStatus::AwaitingApproval, _) => 7,
        (_, RequestKind::Read) => 1,
        _ => 2,
    };
    let copy = new.format.map(|format| {
        let price = match format {
            CopyFormat::Paper => rules.page_price_paper,
            CopyFormat::Pdf => rules.page_price_pdf,
        };
        let certifications =
            if new.kind == RequestKind::CopyCertified { copied.1 * rules.certification_price } else { 0 };
        let status = if copied.1 == 0 { CopyStatus::Cancelled } else { CopyStatus::Estimated };
        (format, copied.0, copied.0 * price + certifications, status)
    });
    let received_at = new.received_at.unwrap_or_else(Utc::now);
    let due_at = calendar::calendar(conn)?.due(received_at, working_days);
    // Digital copies are delivered as the request is received.
    let delivered_at = lines.iter().any(|l| l.status == RequestStatus::Ready).then_some(received_at);
    let row: RequestRow = diesel::insert_into(reading_requests::table)
        .values((
            reading_requests::reader_id.eq(reader.id),
            reading_requests::kind.eq(new.kind),
            reading_requests::channel.eq(new.channel.unwrap_or(crate::reading::model::Channel::Desk)),
            reading_requests::purpose.eq(&new.purpose),
            reading_requests::status.eq(status),
            reading_requests::received_at.eq(received_at),
            reading_requests::due_at.eq(due_at),
            reading_requests::delivered_at.eq(delivered_at),
            reading_requests::copy_format.eq(copy.map(|c| c.0)),
            reading_requests::copy_pages.eq(copy.map(|c| c.1)),
            reading_requests::fee.eq(copy.map(|c| c.2)),
            reading_requests::copy_status.eq(copy.map(|c| c.3)),
            reading_requests::created_by.eq(actor.key_id),
            reading_requests::updated_by.eq(actor.key_id),
        ))
        .returning(RequestRow::as_returning())
        .get_result(conn)?;
    let rows: Vec<_> = lines
        .iter()
        .map(|line| {
            (
                request_lines::request_id.eq(row.id),
                request_lines::line_no.eq(line.line_no),
                request_lines::file_id.eq(line.file_id),
                request_lines::pages.eq(line.pages.clone()),
                request_lines::servable.eq(line.servable),
                request_lines::reasons.eq(line.reasons.iter().map(|r| Some(r.code.to_string())).collect::<Vec<_>>()),
                request_lines::status.eq(line.status),
            )
        })
        .collect();
    diesel::insert_into(request_lines::table).values(rows).execute(conn)?;
    let created = ReadingRequest::of(row, lines);
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

/// What a request for `check`'s files would decide of each, recording nothing.
pub fn check(conn: &mut PgConnection, check: &ServabilityCheck) -> Result<Servability> {
    if let Some(reader_id) = check.reader_id {
        reader_who_may_ask(conn, reader_id)?;
    }
    let rules = super::rules::get(conn)?;
    let Judged { lines, .. } = judge(conn, check.reader_id, &check.lines, &rules)?;
    Ok(Servability { reader_id: check.reader_id, lines })
}

/// The request `id`, locked against a concurrent change.
fn locked(conn: &mut PgConnection, id: i64) -> Result<RequestRow> {
    reading_requests::table
        .find(id)
        .select(RequestRow::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no reading request has id {id}")))
}

/// Approves or refuses a request's lines of conditional access, once: its other lines stay as
/// they are; the request is then approved, or (nothing else to serve) refused.
pub fn decide(conn: &mut PgConnection, id: i64, decision: &Decision, actor: &Actor) -> Result<ReadingRequest> {
    let current = locked(conn, id)?;
    if current.status != RequestStatus::AwaitingApproval {
        let said = match current.decided_at {
            Some(_) => format!("this request was decided already: it is {}", current.status),
            None => format!("this request has no line awaiting approval: it is {}", current.status),
        };
        return Err(Error::Conflict(said));
    }
    let before = get(conn, id)?;
    let decided = if decision.approved { RequestStatus::Approved } else { RequestStatus::Refused };
    diesel::update(request_lines::table)
        .filter(request_lines::request_id.eq(id))
        .filter(request_lines::status.eq(RequestStatus::AwaitingApproval))
        .set(request_lines::status.eq(decided))
        .execute(conn)?;
    // Approved digital copies are at hand at once.
    let copies_ready = diesel::update(request_lines::table)
        .filter(request_lines::request_id.eq(id))
        .filter(request_lines::status.eq(RequestStatus::Approved))
        .filter(request_lines::servable.eq(Servable::Copy))
        .set(request_lines::status.eq(RequestStatus::Ready))
        .execute(conn)?;
    let delivered_at = current.delivered_at.or_else(|| (copies_ready > 0).then(Utc::now));
    let statuses: Vec<RequestStatus> =
        request_lines::table.filter(request_lines::request_id.eq(id)).select(request_lines::status).load(conn)?;
    let status = flow::standing(&statuses);
    diesel::update(reading_requests::table.find(id))
        .set((
            reading_requests::status.eq(status),
            reading_requests::delivered_at.eq(delivered_at),
            reading_requests::decided_at.eq(diesel::dsl::now),
            reading_requests::decided_by.eq(actor.key_id),
            reading_requests::decision_note.eq(&decision.note),
            reading_requests::version.eq(reading_requests::version + 1),
            reading_requests::updated_at.eq(diesel::dsl::now),
            reading_requests::updated_by.eq(actor.key_id),
        ))
        .execute(conn)?;
    let after = get(conn, id)?;
    events::record(conn, &[Change::new("decided", &after, Some(&before))])?;
    Ok(after)
}

/// Cancels what is left of a request: every line not yet given back (nor refused, nor not
/// servable) is cancelled. One whose files are all given back, or one the reader has a file
/// of in hand, is not.
pub fn cancel(conn: &mut PgConnection, id: i64, why: &Cancellation, actor: &Actor) -> Result<ReadingRequest> {
    let current = locked(conn, id)?;
    let before = get(conn, id)?;
    if before.lines.iter().any(|line| line.status == RequestStatus::InUse) {
        return Err(Error::Conflict("the reader has a file of it in hand: take it back first".into()));
    }
    let left: Vec<i32> = before.lines.iter().filter(|line| !DONE.contains(&line.status)).map(|l| l.line_no).collect();
    if left.is_empty() {
        return Err(Error::Conflict(format!(
            "a {} request cannot be cancelled: nothing of it is left",
            current.status
        )));
    }
    diesel::update(request_lines::table)
        .filter(request_lines::request_id.eq(id))
        .filter(request_lines::line_no.eq_any(&left))
        .set(request_lines::status.eq(RequestStatus::Cancelled))
        .execute(conn)?;
    let statuses: Vec<RequestStatus> = before
        .lines
        .iter()
        .map(|line| if left.contains(&line.line_no) { RequestStatus::Cancelled } else { line.status })
        .collect();
    diesel::update(reading_requests::table.find(id))
        .set((
            reading_requests::status.eq(flow::standing(&statuses)),
            reading_requests::cancel_reason.eq(&why.reason),
            reading_requests::version.eq(reading_requests::version + 1),
            reading_requests::updated_at.eq(diesel::dsl::now),
            reading_requests::updated_by.eq(actor.key_id),
        ))
        .execute(conn)?;
    let after = get(conn, id)?;
    events::record(conn, &[Change::new("cancelled", &after, Some(&before))])?;
    Ok(after)
}

/// Whether each box is missing (or lost), and the purpose of the place it stands in (none: a
/// shelf).
fn box_places(conn: &mut PgConnection, ids: &[i64]) -> Result<HashMap<i64, (bool, Option<Purpose>)>> {
    let found: Vec<(i64, bool, bool, Option<Purpose>)> = boxes::table
        .inner_join(locations::table.on(locations::id.eq(boxes::current_location_id)))
        .filter(boxes::id.eq_any(ids))
        .select((boxes::id, boxes::missing, boxes::lost_at.is_not_null(), locations::purpose))
        .load(conn)?;
    Ok(found.into_iter().map(|(id, missing, lost, purpose)| (id, (missing || lost, purpose))).collect())
}

type LineRow = (i64, i32, i64, Option<String>, Servable, Vec<Option<String>>, RequestStatus);

/// The lines of these requests, by request.
fn lines_of(conn: &mut PgConnection, ids: &[i64]) -> Result<HashMap<i64, Vec<RequestLine>>> {
    let rows: Vec<LineRow> = request_lines::table
        .filter(request_lines::request_id.eq_any(ids))
        .order((request_lines::request_id, request_lines::line_no))
        .select((
            request_lines::request_id,
            request_lines::line_no,
            request_lines::file_id,
            request_lines::pages,
            request_lines::servable,
            request_lines::reasons,
            request_lines::status,
        ))
        .load(conn)?;
    let mut lines: HashMap<i64, Vec<RequestLine>> = HashMap::new();
    for (request, line_no, file_id, pages, servable, reasons, status) in rows {
        let reasons = reasons.into_iter().flatten().filter_map(|r| r.parse::<Reason>().ok()).map(LineReason::from);
        lines.entry(request).or_default().push(RequestLine {
            line_no,
            file_id,
            pages,
            servable,
            reasons: reasons.collect(),
            status,
        });
    }
    Ok(lines)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<ReadingRequest> {
    let row: RequestRow = reading_requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no reading request has id {id}")))?;
    let lines = lines_of(conn, &[id])?.remove(&id).unwrap_or_default();
    Ok(ReadingRequest::of(row, lines))
}

/// Requests not over (a line still to serve or with the reader), soonest due first; `limit` at
/// most.
pub fn open(conn: &mut PgConnection, limit: i64) -> Result<Vec<ReadingRequest>> {
    let rows: Vec<RequestRow> = reading_requests::table
        .filter(reading_requests::status.ne_all(DONE))
        .order((reading_requests::due_at, reading_requests::id))
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)?;
    with_lines(conn, rows)
}

/// Requests newest first, before the request `before`; `limit + 1` at most.
pub fn list(
    conn: &mut PgConnection,
    filter: &RequestFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ReadingRequest>> {
    let mut query = reading_requests::table
        .filter(reading_requests::id.lt(before.unwrap_or(i64::MAX)))
        .select(RequestRow::as_select())
        .into_boxed();
    if let Some(reader) = filter.reader_id {
        query = query.filter(reading_requests::reader_id.eq(reader));
    }
    if let Some(status) = filter.status {
        query = query.filter(reading_requests::status.eq(status));
    }
    let rows: Vec<RequestRow> = query.order(reading_requests::id.desc()).limit(limit + 1).load(conn)?;
    with_lines(conn, rows)
}

/// The requests of `rows`, each with its lines.
fn with_lines(conn: &mut PgConnection, rows: Vec<RequestRow>) -> Result<Vec<ReadingRequest>> {
    let mut lines = lines_of(conn, &rows.iter().map(|r| r.id).collect::<Vec<_>>())?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let of = lines.remove(&row.id).unwrap_or_default();
            ReadingRequest::of(row, of)
        })
        .collect())
}

/// The boxes to fetch for every line still to be fetched, one pull a box however many of its
/// files are asked for, in the order of their shelves (building, room, unit, bay, shelf,
/// position): one walk fetches them.
pub fn pull_list(conn: &mut PgConnection) -> Result<PullList> {
    type Row = (i64, String, String, Option<i32>, i64, i32, i64, chrono::DateTime<Utc>, RequestStatus);
    let rows: Vec<Row> = request_lines::table
        .inner_join(reading_requests::table)
        .inner_join(
            files::table
                .inner_join(boxes::table.inner_join(locations::table.on(locations::id.eq(boxes::current_location_id)))),
        )
        // Written out, not bound, so that the indexes of the lines to fetch and of the open
        // requests (their predicates the same) serve every plan, generic ones too: a few hundred
        // rows read, not every line and request ever made.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "request_lines.status IN ('submitted', 'approved', 'in_retrieval') AND request_lines.servable = 'original' \
             AND reading_requests.status NOT IN ('returned', 'closed', 'cancelled', 'refused', 'not_servable')",
        ))
        .filter(locations::purpose.is_null())
        .order((locations::path_code, boxes::position, boxes::id, reading_requests::due_at, request_lines::line_no))
        .select((
            boxes::id,
            boxes::barcode,
            locations::path_code,
            boxes::position,
            reading_requests::id,
            request_lines::line_no,
            request_lines::file_id,
            reading_requests::due_at,
            request_lines::status,
        ))
        .load(conn)?;
    let count = rows.len();
    let mut pulls: Vec<Pull> = Vec::new();
    let mut at: BTreeMap<i64, usize> = BTreeMap::new();
    for (box_id, barcode, path_code, position, request_id, line_no, file_id, due_at, status) in rows {
        let index = *at.entry(box_id).or_insert_with(|| {
            pulls.push(Pull { box_id, barcode, path_code, position, lines: Vec::new() });
            pulls.len() - 1
        });
        pulls[index].lines.push(PullLine { request_id, line_no, file_id, due_at, status });
    }
    Ok(PullList { boxes: pulls, lines: count })
}

/// Takes a copy order one step: approved (the reader accepts the fee), produced (the originals,
/// in the reading room, are done with: their lines given back), delivered; or cancelled before
/// the copies are made. Any other step is 409.
pub fn copy_step(conn: &mut PgConnection, id: i64, step: &CopyStep, actor: &Actor) -> Result<ReadingRequest> {
    let current = locked(conn, id)?;
    let Some(status) = current.copy_status else {
        return Err(Error::Conflict(format!("request {id} is to read: it orders no copies")));
    };
    if !status.next().contains(&step.to) {
        return Err(Error::Conflict(format!("a copy order {status} cannot become {}", step.to)));
    }
    let before = get(conn, id)?;
    if step.to == CopyStatus::Produced {
        let waiting: Vec<_> =
            before.lines.iter().filter(|l| l.servable != Servable::NotServable && !DONE.contains(&l.status)).collect();
        if let Some(line) = waiting.iter().find(|l| !HELD.contains(&l.status)) {
            return Err(Error::Conflict(format!(
                "line {} is {}: copies are made once its box is in the reading room",
                line.line_no, line.status
            )));
        }
        let done: Vec<flow::LineKey> = waiting.iter().map(|l| (id, l.line_no)).collect();
        flow::advance(conn, &done, RequestStatus::Returned, "returned", actor)?;
    }
    diesel::update(reading_requests::table.find(id))
        .set((
            reading_requests::copy_status.eq(step.to),
            reading_requests::version.eq(reading_requests::version + 1),
            reading_requests::updated_at.eq(diesel::dsl::now),
            reading_requests::updated_by.eq(actor.key_id),
        ))
        .execute(conn)?;
    let after = get(conn, id)?;
    events::record(conn, &[Change::new("copy_transitioned", &after, Some(&before))])?;
    Ok(after)
}
