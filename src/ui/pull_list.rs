//! Lấy hộp / The pull list: the boxes to fetch for the open requests, one a box, in the order
//! of the shelves so that one walk fetches them, each with its barcode; printed on A4, taken
//! (its lines are then in retrieval), and each box scanned as it reaches the reading room: that
//! scan moves it there (reason `reading_room`), and its files are ready for their readers.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::labels::code_128;
use super::{Frame, Submitted, Visitor, i18n, refusal, render, see_other, unavailable};
use crate::error::Error;
use crate::keys::model::Permission;
use crate::reading::model::{PullList, RequestStatus};
use crate::reading::repo::{flow, requests, visits};
use crate::storage::model::{BulkMoveItem, BulkMoveRequest, MoveReason};
use crate::storage::repo::moves;

pub struct PullRow {
    barcode: String,
    /// The barcode drawn, or why it cannot be.
    drawn: Result<String, String>,
    place: String,
    files: Vec<String>,
    due: String,
    /// Taken already: someone is fetching it.
    taken: bool,
}

#[derive(Template)]
#[template(path = "pull_list.html")]
struct PullListPage {
    frame: Frame,
    rows: Vec<PullRow>,
    /// "2 boxes to fetch for 3 files."
    summary: String,
    /// Lines not yet taken.
    untaken: usize,
    may_take: bool,
    may_deliver: bool,
    done: Option<String>,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct Shown {
    taken: Option<usize>,
    delivered: Option<String>,
}

pub async fn page(visitor: Visitor, shown: web::Query<Shown>) -> HttpResponse {
    let frame = Frame::of(&visitor, "reading");
    let Shown { taken, delivered } = shown.into_inner();
    let done = match (taken, delivered) {
        (Some(n), _) => Some(i18n::text(frame.lang, "pull-taken", &[("count", &n.to_string())])),
        (None, Some(code)) => Some(i18n::text(frame.lang, "pull-delivered", &[("code", &code)])),
        (None, None) => None,
    };
    pull_page(&visitor, frame, done, None, StatusCode::OK).await
}

async fn pull_page(
    visitor: &Visitor,
    frame: Frame,
    done: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let read = visitor
        .state
        .with_read_connection(|conn| {
            let list = requests::pull_list(conn)?;
            let files: Vec<i64> = list.boxes.iter().flat_map(|p| p.lines.iter().map(|l| l.file_id)).collect();
            Ok((list, crate::holdings::repo::files::references(conn, &files)?))
        })
        .await;
    let Ok((PullList { boxes, lines }, references)) = read else {
        return unavailable(frame);
    };
    let lang = frame.lang;
    let untaken = boxes.iter().flat_map(|p| &p.lines).filter(|l| l.status != RequestStatus::InRetrieval).count();
    let rows: Vec<PullRow> = boxes
        .into_iter()
        .map(|pull| PullRow {
            drawn: code_128(lang, &pull.barcode),
            place: match pull.position {
                Some(position) => format!(
                    "{} · {}",
                    pull.path_code,
                    i18n::text(lang, "pull-position", &[("n", &position.to_string())])
                ),
                None => pull.path_code,
            },
            files: pull
                .lines
                .iter()
                .map(|l| {
                    let file = references.get(&l.file_id).cloned().unwrap_or_else(|| format!("#{}", l.file_id));
                    format!("{file} (#{})", l.request_id)
                })
                .collect(),
            due: pull.lines.iter().map(|l| l.due_at).min().map(|at| i18n::date_time(lang, at)).unwrap_or_default(),
            taken: pull.lines.iter().all(|l| l.status == RequestStatus::InRetrieval),
            barcode: pull.barcode,
        })
        .collect();
    let (may_take, may_deliver) = (visitor.may(Permission::WriteBoxes), visitor.may(Permission::MoveBoxes));
    let count = |n: usize| i18n::number(lang, n as f64, 0);
    let summary = i18n::text(lang, "pull-summary", &[("boxes", &count(rows.len())), ("files", &count(lines))]);
    render(status, &PullListPage { frame, rows, summary, untaken, may_take, may_deliver, done, problem })
}

/// Takes the whole list: its lines are in retrieval from now.
pub async fn take(Submitted { visitor, .. }: Submitted<serde::de::IgnoredAny>) -> HttpResponse {
    let frame = Frame::of(&visitor, "reading");
    match visitor.write(|conn, actor| flow::take(conn, &[], actor)).await {
        Ok(taken) => see_other(&format!("/pull-list?taken={}", taken.boxes.len())),
        Err(Error::Invalid(errors)) => {
            let problem = errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" ");
            pull_page(&visitor, frame, None, Some(problem), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(_) => unavailable(frame),
    }
}

#[derive(Deserialize)]
pub struct Scanned {
    code: String,
}

/// A box scanned as it reaches the reading room: moved there.
pub async fn deliver(Submitted { visitor, form }: Submitted<Scanned>) -> HttpResponse {
    let frame = Frame::of(&visitor, "reading");
    let code = crate::text::normalize(form.code.trim());
    if code.is_empty() {
        let problem = Some(frame.t("pull-scan-a-box"));
        return pull_page(&visitor, frame, None, problem, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let barcode = code.clone();
    let outcome = visitor
        .write(move |conn, actor| {
            let room = visits::reading_room(conn, None)?;
            let item = BulkMoveItem {
                barcode: Some(barcode),
                box_id: None,
                to_location_id: Some(room),
                position: None,
                reason: None,
                note: None,
            };
            moves::move_many(
                conn,
                &BulkMoveRequest { reason: MoveReason::ReadingRoom, note: None, moves: vec![item] },
                actor,
            )
        })
        .await;
    let problem = match outcome {
        Ok(_) => {
            let code: String = form_urlencoded::byte_serialize(code.as_bytes()).collect();
            return see_other(&format!("/pull-list?delivered={code}"));
        }
        Err(err) => match refusal(err) {
            Some((_, why)) => why,
            None => return unavailable(frame),
        },
    };
    let problem = format!("{code}: {problem}");
    pull_page(&visitor, frame, None, Some(problem), StatusCode::CONFLICT).await
}
