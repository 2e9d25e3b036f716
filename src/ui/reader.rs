//! Một độc giả / One reader at the desk: who they are, checked in or out; files found for them
//! by words, each with whether it can be served, ticked and asked for in one request; their
//! requests line by line; a box scanned to issue them its files that wait for them; and each file
//! in their hands taken back, its leaves counted.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::desk::InHand;
use super::{Frame, Submitted, Visitor, i18n, not_found_page, refusal, render, see_other, unavailable};
use crate::error::{Error, Result};
use crate::holdings::model::FileFilter;
use crate::holdings::repo::files;
use crate::keys::model::Permission;
use crate::people::model::Language;
use crate::reading::model::{
    CheckOut, HandoverFilter, HandoverReturn, LineReason, NewHandover, NewLine, NewRequest, NewVisit, Reader,
    ReadingRequest, RequestFilter, RequestKind, RequestStatus, Servability, ServabilityCheck, Servable, Visit,
    VisitFilter,
};
use crate::reading::repo::{handovers, readers, requests, visits};
use crate::storage::repo::boxes;

/// The most files a search for a reader shows, and the most of their requests listed.
const FOUND: i64 = 20;
const REQUESTS_LISTED: i64 = 20;

/// A file found for the reader, and how it would be served.
pub struct Found {
    id: i64,
    reference: String,
    servable: bool,
    reasons: Vec<String>,
}

/// A line of one of the reader's requests.
pub struct Line {
    /// `request-line`, for a digital copy ready to issue (no box to scan).
    copy_ready: Option<String>,
    file: String,
    status: String,
    status_code: String,
    reasons: Vec<String>,
}

pub struct Request {
    id: i64,
    kind: String,
    received: String,
    due: String,
    status: String,
    lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "reader.html")]
struct ReaderPage {
    frame: Frame,
    reader: Reader,
    status: String,
    identity_type: String,
    purpose: String,
    card: Option<String>,
    /// When they checked in, while they are in the reading room.
    in_since: Option<String>,
    query: String,
    found: Option<Vec<Found>>,
    requests: Vec<Request>,
    /// Files waiting for them in the reading room.
    waiting: usize,
    in_hand: Vec<InHand>,
    may_serve: bool,
    done: Option<String>,
    problem: Option<String>,
    /// The hand-over being given back: its count has the focus (its remark, once counted).
    back: Option<i64>,
    counted: Option<i32>,
}

#[derive(Deserialize)]
pub struct Shown {
    q: Option<String>,
    done: Option<String>,
    /// A hand-over whose box was just scanned: its count takes the focus.
    back: Option<i64>,
}

pub async fn page(visitor: Visitor, id: web::Path<i64>, shown: web::Query<Shown>) -> HttpResponse {
    let Shown { q, done, back } = shown.into_inner();
    let query = q.map(|q| crate::text::normalize(q.trim())).unwrap_or_default();
    let frame = Frame::of(&visitor, "reading");
    let done = done.filter(|d| DONE.contains(&d.as_str())).map(|d| frame.t(&format!("reader-done-{d}")));
    let done = done.or_else(|| back.map(|_| frame.t("reader-count-now")));
    reader_page(
        &visitor,
        frame,
        id.into_inner(),
        query,
        Told { done, problem: None, back, counted: None },
        StatusCode::OK,
    )
    .await
}

/// What a form on the page may come back saying it did.
const DONE: [&str; 6] = ["registered", "requested", "issued", "returned", "checked-in", "checked-out"];

/// The page, read afresh.
/// What the page says after a form, and which file given back has the focus.
#[derive(Default)]
struct Told {
    done: Option<String>,
    problem: Option<String>,
    back: Option<i64>,
    /// The leaves counted back, when a remark must go with them.
    counted: Option<i32>,
}

impl Told {
    fn problem(problem: String) -> Told {
        Told { problem: Some(problem), ..Told::default() }
    }
}

async fn reader_page(
    visitor: &Visitor,
    frame: Frame,
    id: i64,
    query: String,
    told: Told,
    status: StatusCode,
) -> HttpResponse {
    let (lang, whole, searched) = (frame.lang, visitor.may(Permission::ServeReaders), query.clone());
    let read = visitor.state.with_read_connection(move |conn| Ok(read_reader(conn, id, &searched, lang)?)).await;
    let desk = match read {
        Ok(desk) => desk,
        Err(crate::http::problem::ApiError::Domain(Error::NotFound(_))) => return not_found_page(frame),
        Err(_) => return unavailable(frame),
    };
    let reader = desk.reader.shown(whole);
    let page = ReaderPage {
        status: frame.t(&format!("reader-status-{}", reader.status)),
        identity_type: frame.t(&format!("identity-type-{}", reader.identity_type)),
        purpose: frame.t(&format!("reader-purpose-{}", reader.purpose)),
        card: reader.card_expires_on.map(|day| i18n::date(lang, day)),
        in_since: desk.in_since,
        found: desk.found,
        requests: desk.requests,
        waiting: desk.waiting,
        in_hand: desk.in_hand,
        may_serve: whole,
        reader,
        query,
        frame,
        done: told.done,
        problem: told.problem,
        back: told.back,
        counted: told.counted,
    };
    render(status, &page)
}

/// What the page shows of a reader, read in one go.
struct Desk {
    reader: Reader,
    in_since: Option<String>,
    found: Option<Vec<Found>>,
    requests: Vec<Request>,
    waiting: usize,
    in_hand: Vec<InHand>,
}

fn read_reader(conn: &mut diesel::PgConnection, id: i64, query: &str, lang: Language) -> Result<Desk> {
    let reader = readers::get(conn, id)?;
    let in_since = visit_now(conn, id)?.map(|v| i18n::date_time(lang, v.checked_in_at));
    let mut asked = requests::list(conn, &RequestFilter { reader_id: Some(id), status: None }, None, REQUESTS_LISTED)?;
    asked.truncate(REQUESTS_LISTED as usize);
    let lent = handovers::list(
        conn,
        &HandoverFilter { reader_id: Some(id), open: Some(true), ..Default::default() },
        None,
        100,
    )?;
    let found = match query {
        "" => None,
        words => {
            let filter = FileFilter { q: Some(words.chars().take(200).collect()), ..FileFilter::default() };
            let hits: Vec<i64> =
                files::list(conn, &filter, None, FOUND)?.into_iter().take(FOUND as usize).map(|(_, f)| f.id).collect();
            Some(hits)
        }
    };
    let file_ids: Vec<i64> = asked
        .iter()
        .flat_map(|r| r.lines.iter().map(|l| l.file_id))
        .chain(lent.iter().map(|h| h.entry.file_id))
        .chain(found.iter().flatten().copied())
        .collect();
    let references = files::references(conn, &file_ids)?;
    let reference = |file: i64| references.get(&file).cloned().unwrap_or_else(|| format!("#{file}"));
    let found = match found {
        None => None,
        Some(hits) if hits.is_empty() => Some(Vec::new()),
        Some(hits) => {
            // Judged for nobody in particular when the reader may not ask now: the page says why.
            let lines: Vec<NewLine> = hits.iter().map(|&file_id| NewLine { file_id, pages: None }).collect();
            let check = ServabilityCheck { reader_id: Some(id), lines: lines.clone() };
            let Servability { lines: judged, .. } = match requests::check(conn, &check) {
                Err(Error::Conflict(_)) => requests::check(conn, &ServabilityCheck { reader_id: None, lines })?,
                other => other?,
            };
            Some(
                judged
                    .into_iter()
                    .map(|line| Found {
                        id: line.file_id,
                        reference: reference(line.file_id),
                        servable: line.servable != Servable::NotServable,
                        reasons: line.reasons.iter().map(|r| said(r, lang)).collect(),
                    })
                    .collect(),
            )
        }
    };
    let waiting = asked
        .iter()
        .flat_map(|r| &r.lines)
        .filter(|l| matches!(l.status, RequestStatus::Ready | RequestStatus::Held))
        .count();
    let name = super::desk::reader_name(&reader);
    let in_hand = lent.iter().map(|h| InHand::of(h, reference(h.entry.file_id), name.clone(), lang)).collect();
    let requests = asked.iter().map(|r| request_shown(r, &reference, lang)).collect();
    Ok(Desk { reader, in_since, found, requests, waiting, in_hand })
}

/// The reader's visit while they are in the reading room.
fn visit_now(conn: &mut diesel::PgConnection, reader: i64) -> Result<Option<Visit>> {
    let open = VisitFilter { reader_id: Some(reader), open: Some(true) };
    Ok(visits::list(conn, &open, None, 1)?.into_iter().next())
}

/// What a reader is told of a reason, in the page's language.
fn said(reason: &LineReason, lang: Language) -> String {
    match lang {
        Language::Vi => reason.vi.to_string(),
        Language::En => reason.en.to_string(),
    }
}

fn request_shown(request: &ReadingRequest, reference: &dyn Fn(i64) -> String, lang: Language) -> Request {
    let status = |status: RequestStatus| i18n::text(lang, &format!("request-status-{status}"), &[]);
    Request {
        id: request.id,
        kind: i18n::text(lang, &format!("request-kind-{}", request.kind), &[]),
        received: i18n::date_time(lang, request.received_at),
        due: i18n::date_time(lang, request.due_at),
        status: status(request.status),
        lines: request
            .lines
            .iter()
            .map(|line| Line {
                copy_ready: (line.servable == Servable::Copy && line.status == RequestStatus::Ready)
                    .then(|| format!("{}-{}", request.id, line.line_no)),
                file: reference(line.file_id),
                status: status(line.status),
                status_code: line.status.to_string(),
                reasons: line.reasons.iter().map(|r| said(r, lang)).collect(),
            })
            .collect(),
    }
}

/// The files ticked among those found.
#[derive(Deserialize)]
pub struct Asked {
    #[serde(default)]
    file: Vec<i64>,
    #[serde(default)]
    q: String,
}

/// A request to read the files ticked, each line decided by the service.
pub async fn ask(Submitted { visitor, form }: Submitted<Asked>, id: web::Path<i64>) -> HttpResponse {
    let (id, frame) = (id.into_inner(), Frame::of(&visitor, "reading"));
    let query = crate::text::normalize(form.q.trim());
    if form.file.is_empty() {
        let told = Told::problem(frame.t("reader-tick-files"));
        return reader_page(&visitor, frame, id, query, told, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let new = NewRequest {
        reader_id: id,
        kind: RequestKind::Read,
        channel: None,
        purpose: None,
        format: None,
        received_at: None,
        lines: form.file.iter().map(|&file_id| NewLine { file_id, pages: None }).collect(),
    };
    let broken = crate::http::body::Rules::broken_rules(&new);
    let outcome = match broken.is_empty() {
        true => visitor.write(move |conn, actor| requests::create(conn, &new, actor)).await.map(|_| ()),
        false => Err(Error::Invalid(broken)),
    };
    answer(&visitor, frame, id, query, outcome, "requested").await
}

/// A box's barcode scanned at the desk, or a digital copy's line (`request-line`) chosen.
#[derive(Deserialize)]
pub struct Scanned {
    #[serde(default)]
    code: String,
    line: Option<String>,
}

/// Issues to the reader every file of theirs the scanned box holds that waits for them in the
/// reading room, in one go; or the digital copy chosen.
pub async fn issue(Submitted { visitor, form }: Submitted<Scanned>, id: web::Path<i64>) -> HttpResponse {
    let (id, frame) = (id.into_inner(), Frame::of(&visitor, "reading"));
    let chosen = form
        .line
        .as_deref()
        .and_then(|l| l.split_once('-'))
        .and_then(|(r, l)| Some((r.parse().ok()?, l.parse().ok()?)));
    if let Some((request_id, line_no)) = chosen {
        let new = NewHandover { request_id, line_no, leaves: None };
        let outcome = visitor.write(move |conn, actor| handovers::issue(conn, &new, actor)).await.map(|_| ());
        return answer(&visitor, frame, id, String::new(), outcome, "issued").await;
    }
    let code = crate::text::normalize(form.code.trim());
    if code.is_empty() {
        let told = Told::problem(frame.t("pull-scan-a-box"));
        return reader_page(&visitor, frame, id, String::new(), told, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let scanned = visitor
        .write(move |conn, actor| {
            let Some(found) = boxes::by_barcodes(conn, std::slice::from_ref(&code))?.pop() else {
                return Ok(Scan::NoSuchBox(code));
            };
            let filter = FileFilter { box_id: Some(found.id), ..FileFilter::default() };
            let in_box: Vec<i64> = files::list(conn, &filter, None, 10_000)?.into_iter().map(|(_, f)| f.id).collect();
            let asked = requests::list(conn, &RequestFilter { reader_id: Some(id), status: None }, None, 1000)?;
            let waiting: Vec<(i64, i32)> = asked
                .iter()
                .flat_map(|r| r.lines.iter().map(move |l| (r.id, l)))
                .filter(|(_, l)| matches!(l.status, RequestStatus::Ready | RequestStatus::Held))
                .filter(|(_, l)| in_box.contains(&l.file_id))
                .map(|(request, l)| (request, l.line_no))
                .collect();
            for &(request_id, line_no) in &waiting {
                handovers::issue(conn, &NewHandover { request_id, line_no, leaves: None }, actor)?;
            }
            if !waiting.is_empty() {
                return Ok(Scan::Issued);
            }
            // Nothing to issue from it: a file of it in the reader's hands is being given back.
            let lent = HandoverFilter { reader_id: Some(id), open: Some(true), ..HandoverFilter::default() };
            let back = handovers::list(conn, &lent, None, 100)?.into_iter().find(|h| in_box.contains(&h.entry.file_id));
            Ok(back.map_or(Scan::NothingFor(found.barcode), |h| Scan::GiveBack(h.entry.id)))
        })
        .await;
    let lang = frame.lang;
    let outcome = match scanned {
        Ok(Scan::Issued) => Ok(()),
        Ok(Scan::GiveBack(handover)) => return see_other(&format!("/readers/{id}?back={handover}")),
        Ok(Scan::NoSuchBox(code)) => Err(Error::NotFound(i18n::text(lang, "reader-no-such-box", &[("code", &code)]))),
        Ok(Scan::NothingFor(code)) => {
            Err(Error::Conflict(i18n::text(lang, "reader-nothing-in-box", &[("code", &code)])))
        }
        Err(err) => Err(err),
    };
    answer(&visitor, frame, id, String::new(), outcome, "issued").await
}

/// What a box scanned on a reader's page comes to.
enum Scan {
    /// Their files in it issued.
    Issued,
    /// Nothing of theirs waits in it, but they have one of its files: this hand-over is being
    /// given back.
    GiveBack(i64),
    NoSuchBox(String),
    NothingFor(String),
}

/// A file given back: its leaves counted, remarks when they differ, kept for the next day or not.
#[derive(Deserialize)]
pub struct GivenBack {
    leaves: String,
    #[serde(default)]
    remarks: String,
    keep: Option<String>,
}

pub async fn give_back(Submitted { visitor, form }: Submitted<GivenBack>, id: web::Path<i64>) -> HttpResponse {
    let (handover, frame) = (id.into_inner(), Frame::of(&visitor, "reading"));
    let read = visitor.state.with_read_connection(move |conn| Ok(handovers::get(conn, handover)?)).await;
    let Ok(entry) = read else {
        return not_found_page(frame);
    };
    let reader = entry.entry.reader_id;
    let Ok(leaves) = form.leaves.trim().parse::<i32>() else {
        let told = Told { back: Some(handover), ..Told::problem(frame.t("reader-count-leaves")) };
        return reader_page(&visitor, frame, reader, String::new(), told, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let remarks = Some(crate::text::normalize(form.remarks.trim())).filter(|r| !r.is_empty());
    let back = HandoverReturn { leaves, remarks, keep: form.keep.is_some() };
    match visitor.write(move |conn, actor| handovers::give_back(conn, handover, &back, actor)).await {
        // The count kept, the remark's field given the focus.
        Err(Error::Invalid(errors)) if errors.iter().any(|e| e.field == "remarks") => {
            let problem = Some(frame.t("reader-remarks-needed"));
            let told = Told { problem, back: Some(handover), counted: Some(leaves), ..Told::default() };
            reader_page(&visitor, frame, reader, String::new(), told, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        outcome => answer(&visitor, frame, reader, String::new(), outcome.map(|_| ()), "returned").await,
    }
}

/// Checks the reader in to the reading room, or out when they are in.
pub async fn visit(Submitted { visitor, .. }: Submitted<serde::de::IgnoredAny>, id: web::Path<i64>) -> HttpResponse {
    let (id, frame) = (id.into_inner(), Frame::of(&visitor, "reading"));
    let outcome = visitor
        .write(move |conn, actor| match visit_now(conn, id)? {
            Some(visit) => visits::check_out(conn, visit.id, &CheckOut { at: None }, actor).map(|_| "checked-out"),
            None => visits::create(conn, &NewVisit { reader_id: id, location_id: None, at: None }, actor)
                .map(|_| "checked-in"),
        })
        .await;
    match outcome {
        Ok(done) => see_other(&format!("/readers/{id}?done={done}")),
        Err(err) => answer(&visitor, frame, id, String::new(), Err(err), "").await,
    }
}

/// After a form: back to the reader's page saying what was done, or the page again with why not.
async fn answer(
    visitor: &Visitor,
    frame: Frame,
    id: i64,
    query: String,
    outcome: std::result::Result<(), Error>,
    done: &str,
) -> HttpResponse {
    let Err(err) = outcome else {
        return see_other(&format!("/readers/{id}?done={done}"));
    };
    let Some((status, problem)) = refusal(err) else {
        return unavailable(frame);
    };
    reader_page(visitor, frame, id, query, Told::problem(problem), status).await
}
