//! Kiểm kê giá / Shelf audit: the shelf's label scanned, then its boxes one after another (or a
//! batch pasted from a scanner's memory) — each box the records expect here ticked as it is
//! found, a box recorded elsewhere or a code naming no box standing out at once — then the audit
//! kept: missing, unexpected, unknown; reconciled; a missing box marked found when it turns up.
//! The scans live in the page's address (each adds a `box`), as on Move.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::scans::{Scans, scanned_before, with_added};
use super::{
    FieldProblems, Frame, Submitted, Visitor, failed_read, i18n, not_found_page, render, see_other, unavailable,
};
use crate::error::{Error, Result};
use crate::keys::model::Permission;
use crate::keys::repo as keys;
use crate::people::model::Language;
use crate::storage::model::{
    ArchiveBox, Audit, AuditCounts, AuditFilter, AuditSummary, BoxStatus, Location, LocationKind, MAX_SCANNED,
    MoveReason, NewAudit, ShelvedBox,
};
use crate::storage::repo::moves::MoveContext;
use crate::storage::repo::{audits, boxes, locations, moves};

/// The longest barcode an audit takes.
const LONGEST_BARCODE: usize = 64;
/// Audits the start lists.
const RECENT: i64 = 20;

#[derive(Deserialize, Default)]
pub struct Asked {
    at: Option<String>,
    #[serde(default, rename = "box")]
    boxes: Vec<String>,
    add: Option<String>,
}

pub struct Shelf {
    code: String,
    path_code: String,
}

/// A box the records have here, ticked when scanned.
pub struct ExpectedLine {
    position: String,
    barcode: String,
    label: Option<String>,
    found: bool,
    /// The address without its scan, when it was scanned.
    without: Option<String>,
}

/// A scan that is not one of the boxes expected here (or one scanned again).
pub struct OtherLine {
    barcode: String,
    why: String,
    without: String,
}

pub struct RecentAudit {
    id: i64,
    at: String,
    when: String,
    counts: String,
    reconciled: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    frame: Frame,
    shelf: Option<Shelf>,
    typed_at: String,
    at_problem: Option<String>,
    recent: Vec<RecentAudit>,
    expected: Vec<ExpectedLine>,
    others: Vec<OtherLine>,
    barcodes: Vec<String>,
    tally: String,
    /// The last scan and what it was, for the screen reader.
    last: Option<String>,
    pasted: String,
    problems: FieldProblems,
}

/// What the scanning page needs from the database.
struct Read {
    shelf: Option<Location>,
    expected: Vec<ShelvedBox>,
    scans: Scans,
    recent: Vec<AuditSummary>,
}

fn read(conn: &mut diesel::PgConnection, at: &str, barcodes: &[String]) -> Result<Read> {
    let shelf = match at {
        "" => None,
        code => locations::find_by_code(conn, code)?
            .filter(|p| matches!(p.kind, LocationKind::Shelf | LocationKind::Workspace)),
    };
    let (expected, recent) = match &shelf {
        // The boxes recorded here: those of its contents not out elsewhere.
        Some(shelf) => {
            let here = boxes::contents(conn, shelf.id, None, MAX_SCANNED as i64)?;
            (here.into_iter().filter(|b| b.location_id == shelf.id).collect(), Vec::new())
        }
        None => (Vec::new(), audits::list(conn, &AuditFilter::default(), None, RECENT)?),
    };
    Ok(Read { shelf, expected, scans: Scans::read(conn, barcodes)?, recent })
}

pub async fn page(visitor: Visitor, req: HttpRequest) -> HttpResponse {
    let Asked { at, boxes, add } = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let frame = Frame::of(&visitor, "audit");
    show(&visitor, frame, at.unwrap_or_default(), with_added(boxes, add), Pasted::default(), StatusCode::OK).await
}

/// A batch pasted on finishing, and what was wrong with it.
#[derive(Default)]
struct Pasted {
    text: String,
    problems: FieldProblems,
}

async fn show(
    visitor: &Visitor,
    frame: Frame,
    at: String,
    barcodes: Vec<String>,
    pasted: Pasted,
    status: StatusCode,
) -> HttpResponse {
    let at = crate::text::normalize(at.trim());
    let barcodes: Vec<String> = barcodes.into_iter().take(MAX_SCANNED).collect();
    let (code, asked) = (at.clone(), barcodes.clone());
    let Ok(found) = visitor.state.with_read_connection(move |conn| Ok(read(conn, &code, &asked)?)).await else {
        return unavailable(frame);
    };
    let lang = frame.lang;
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let address = |without: usize| {
        let mut pairs = vec![("at", at.clone())];
        pairs.extend(barcodes.iter().enumerate().filter(|(i, _)| *i != without).map(|(_, b)| ("box", b.clone())));
        format!("/audit?{}", serde_html_form::to_string(&pairs).unwrap_or_default())
    };
    let mut expected: Vec<ExpectedLine> = found
        .expected
        .iter()
        .map(|b| ExpectedLine {
            position: b.position.map_or_else(|| "—".into(), |p| p.to_string()),
            barcode: b.barcode.clone(),
            label: b.label.clone(),
            found: false,
            without: None,
        })
        .collect();
    let (mut others, mut last) = (Vec::new(), None);
    for (index, barcode) in barcodes.iter().enumerate() {
        let here = expected.iter_mut().find(|line| line.barcode.eq_ignore_ascii_case(barcode));
        let why = match (scanned_before(&barcodes, index), here, found.scans.box_of(barcode)) {
            (Some(first), ..) => Some(say("move-twice", &[("row", &(first + 1).to_string())])),
            (None, Some(line), _) => {
                line.found = true;
                line.without = Some(address(index));
                None
            }
            (None, None, Some(elsewhere)) => {
                Some(say("audit-recorded-elsewhere", &[("path", &elsewhere.current_location.path_code)]))
            }
            (None, None, None) => Some(match found.scans.label_of(barcode) {
                Some(path) => say("move-a-label", &[("path", path)]),
                None => say("move-no-such-box", &[]),
            }),
        };
        last = Some(format!("{barcode}: {}", why.clone().unwrap_or_else(|| say("audit-found", &[]))));
        if let Some(why) = why {
            others.push(OtherLine { barcode: barcode.clone(), why, without: address(index) });
        }
    }
    let ticked = expected.iter().filter(|line| line.found).count();
    let count = |n: usize| i18n::number(lang, n as f64, 0);
    let tally = say(
        "audit-tally",
        &[("found", &count(ticked)), ("expected", &count(expected.len())), ("others", &count(others.len()))],
    );
    let recent = found.recent.into_iter().map(|a| recent_line(lang, a)).collect();
    let page = AuditPage {
        frame,
        at_problem: (!at.is_empty() && found.shelf.is_none()).then(|| say("audit-no-such-shelf", &[])),
        shelf: found.shelf.map(|s| Shelf { code: s.barcode, path_code: s.path_code }),
        typed_at: at,
        recent,
        expected,
        others,
        barcodes,
        tally,
        last,
        pasted: pasted.text,
        problems: pasted.problems,
    };
    render(status, &page)
}

/// An audit as the start lists it.
fn recent_line(lang: Language, audit: AuditSummary) -> RecentAudit {
    RecentAudit {
        id: audit.id,
        when: i18n::date_time(lang, audit.created_at),
        counts: counts_line(lang, &audit.counts),
        at: audit.location_path_code,
        reconciled: audit.reconciled_at.is_some(),
    }
}

fn counts_line(lang: Language, counts: &AuditCounts) -> String {
    let n = |v: i64| i18n::number(lang, v as f64, 0);
    i18n::text(
        lang,
        "audit-counts",
        &[
            ("found", &n(counts.found)),
            ("expected", &n(counts.expected)),
            ("missing", &n(counts.missing)),
            ("unexpected", &n(counts.unexpected)),
            ("unknown", &n(counts.unknown)),
        ],
    )
}

#[derive(Deserialize)]
pub struct Finished {
    at: String,
    #[serde(default, rename = "box")]
    boxes: Vec<String>,
    #[serde(default)]
    pasted: String,
}

/// Keeps the audit: what was scanned (and pasted) compared with the records, then its result.
pub async fn finish(Submitted { visitor, form }: Submitted<Finished>) -> HttpResponse {
    let frame = Frame::of(&visitor, "audit");
    let Finished { at, boxes: barcodes, pasted } = form;
    let mut problems = FieldProblems::default();
    let lines: Vec<String> = pasted
        .split(['\n', '\r', '\t', ',', ';'])
        .map(|line| crate::text::normalize(line.trim()))
        .filter(|line| !line.is_empty())
        .collect();
    if let Some(long) = lines.iter().find(|line| line.chars().count() > LONGEST_BARCODE) {
        let start: String = long.chars().take(20).collect();
        problems.add(
            "pasted",
            i18n::text(frame.lang, "audit-too-long", &[("start", &start), ("most", &LONGEST_BARCODE.to_string())]),
        );
    } else if barcodes.len() + lines.len() > MAX_SCANNED {
        let most = i18n::number(frame.lang, MAX_SCANNED as f64, 0);
        let count = i18n::number(frame.lang, (barcodes.len() + lines.len()) as f64, 0);
        problems.add("pasted", i18n::text(frame.lang, "audit-too-many", &[("count", &count), ("most", &most)]));
    }
    if !problems.is_empty() {
        let pasted = Pasted { text: pasted, problems };
        return show(&visitor, frame, at, barcodes, pasted, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let scanned: Vec<String> = barcodes.iter().cloned().chain(lines).collect();
    let code = at.clone();
    let kept = visitor
        .write(move |conn, actor| {
            let shelf = locations::find_by_code(conn, &code)?
                .ok_or_else(|| Error::invalid("location_id", "no place has this label or code"))?;
            audits::create(conn, &NewAudit { location_id: shelf.id, scanned }, actor)
        })
        .await;
    match kept {
        Ok(audit) => see_other(&format!("/audit/{}", audit.summary.id)),
        Err(Error::Invalid(errors)) => {
            let mut problems = FieldProblems::default();
            problems.add("pasted", errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; "));
            show(&visitor, frame, at, barcodes, Pasted { text: pasted, problems }, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(_) => unavailable(frame),
    }
}

/// A box missing from the audit, as its result shows it.
pub struct MissingLine {
    id: i64,
    barcode: String,
    /// Whether it may be marked found here: still recorded here, and missing (or written off).
    findable: bool,
    status: String,
}

pub struct UnexpectedLine {
    barcode: String,
    recorded_at: String,
}

#[derive(Template)]
#[template(path = "audit_result.html")]
struct ResultPage {
    frame: Frame,
    id: i64,
    at: String,
    heading_line: String,
    counts: String,
    reconciled: Option<String>,
    found: Vec<String>,
    missing: Vec<MissingLine>,
    unexpected: Vec<UnexpectedLine>,
    unknown: Vec<String>,
    duplicates: Vec<String>,
    may_write: bool,
    done: Option<String>,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct ResultDone {
    reconciled: Option<u8>,
    found: Option<String>,
}

pub async fn result(visitor: Visitor, id: web::Path<i64>, done: web::Query<ResultDone>) -> HttpResponse {
    let frame = Frame::of(&visitor, "audit");
    let done = match (done.reconciled, &done.found) {
        (Some(_), _) => Some(frame.t("audit-reconciled-done")),
        (None, Some(barcode)) => Some(i18n::text(frame.lang, "audit-found-done", &[("barcode", barcode)])),
        (None, None) => None,
    };
    result_page(&visitor, frame, id.into_inner(), done, None, StatusCode::OK).await
}

/// An audit kept, with its missing boxes as they stand now and who did what.
type Kept = (Audit, Vec<ArchiveBox>, std::collections::HashMap<i64, String>);

async fn result_page(
    visitor: &Visitor,
    frame: Frame,
    id: i64,
    done: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let read = visitor
        .state
        .with_read_connection(move |conn| -> std::result::Result<Kept, crate::http::problem::ApiError> {
            let audit = audits::get(conn, id)?;
            let missing: Vec<String> = audit.missing.iter().map(|b| b.barcode.clone()).collect();
            let now = boxes::by_barcodes(conn, &missing)?;
            let actors = [Some(audit.summary.created_by), audit.summary.reconciled_by];
            let names = keys::names(conn, &actors.into_iter().flatten().collect::<Vec<_>>())?;
            Ok((audit, now, names))
        })
        .await;
    let (audit, now, names) = match read {
        Ok(read) => read,
        Err(err) => return failed_read(frame, err),
    };
    let lang = frame.lang;
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let name = |actor: i64| names.get(&actor).cloned().unwrap_or_else(|| format!("#{actor}"));
    let summary = &audit.summary;
    let missing = audit
        .missing
        .iter()
        .map(|b| {
            let box_now = now.iter().find(|n| n.id == b.box_id);
            let status = box_now.map(|n| n.status).unwrap_or(BoxStatus::OnShelf);
            MissingLine {
                id: b.box_id,
                barcode: b.barcode.clone(),
                findable: summary.reconciled_at.is_some()
                    && box_now.is_some_and(|n| n.current_location.id == summary.location_id)
                    && matches!(status, BoxStatus::Missing | BoxStatus::Lost),
                status: say(&format!("status-{status}"), &[]),
            }
        })
        .collect();
    let page = ResultPage {
        id,
        heading_line: say(
            "audit-made",
            &[("when", &i18n::date_time(lang, summary.created_at)), ("who", &name(summary.created_by))],
        ),
        at: summary.location_path_code.clone(),
        counts: counts_line(lang, &summary.counts),
        reconciled: summary.reconciled_at.map(|when| {
            let who = summary.reconciled_by.map(name).unwrap_or_default();
            say("audit-reconciled-at", &[("when", &i18n::date_time(lang, when)), ("who", &who)])
        }),
        found: audit.found.iter().map(|b| b.barcode.clone()).collect(),
        missing,
        unexpected: audit
            .unexpected
            .iter()
            .map(|b| UnexpectedLine { barcode: b.barcode.clone(), recorded_at: b.recorded_path_code.clone() })
            .collect(),
        unknown: audit.unknown.clone(),
        duplicates: audit.duplicates.clone(),
        may_write: visitor.may(Permission::WriteBoxes),
        frame,
        done,
        problem,
    };
    render(status, &page)
}

#[derive(Deserialize)]
pub struct Plain {}

/// Corrects the records to the audit (`storage::repo::audits::reconcile`).
pub async fn reconcile(Submitted { visitor, .. }: Submitted<Plain>, id: web::Path<i64>) -> HttpResponse {
    let id = id.into_inner();
    let frame = Frame::of(&visitor, "audit");
    match visitor.write(move |conn, actor| audits::reconcile(conn, id, actor)).await {
        Ok(_) => see_other(&format!("/audit/{id}?reconciled=1")),
        Err(Error::NotFound(_)) => not_found_page(frame),
        Err(Error::Conflicts(errors) | Error::Invalid(errors)) => {
            let why = errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; ");
            let problem = Some(format!("{} {why}", frame.t("audit-reconcile-refused")));
            result_page(&visitor, frame, id, None, problem, StatusCode::CONFLICT).await
        }
        Err(Error::Conflict(why)) => {
            let problem = Some(format!("{} {why}", frame.t("audit-reconcile-refused")));
            result_page(&visitor, frame, id, None, problem, StatusCode::CONFLICT).await
        }
        Err(_) => unavailable(frame),
    }
}

#[derive(Deserialize)]
pub struct FoundBox {
    #[serde(rename = "box")]
    box_id: i64,
}

/// A missing box turned up on the audited shelf: a `found` movement, tied to the audit.
pub async fn mark_found(Submitted { visitor, form }: Submitted<FoundBox>, id: web::Path<i64>) -> HttpResponse {
    let (id, box_id) = (id.into_inner(), form.box_id);
    let frame = Frame::of(&visitor, "audit");
    let settled = visitor
        .write(move |conn, actor| {
            let audit = audits::get(conn, id)?;
            let missing = audit.missing.iter().find(|b| b.box_id == box_id);
            let barcode = missing.ok_or_else(|| Error::Conflict("this box was not missing from this audit".into()))?;
            let barcode = barcode.barcode.clone();
            let found = MoveContext { reason: MoveReason::Found, note: None, audit_id: Some(id) };
            moves::settle(conn, box_id, &found, None, actor)?;
            Ok(barcode)
        })
        .await;
    match settled {
        Ok(barcode) => {
            let found = serde_html_form::to_string([("found", barcode)]).unwrap_or_default();
            see_other(&format!("/audit/{id}?{found}"))
        }
        Err(Error::NotFound(_)) => not_found_page(frame),
        Err(Error::Conflict(why)) => {
            let problem = Some(format!("{} {why}", frame.t("audit-found-refused")));
            result_page(&visitor, frame, id, None, problem, StatusCode::CONFLICT).await
        }
        Err(_) => unavailable(frame),
    }
}
