//! Bàn phục vụ / The reading-room desk: a reader card scanned (or a name typed) opens the
//! reader; today's open requests, soonest due first, the late ones marked; and the files in
//! readers' hands, those kept too long marked.

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::Utc;

use super::{Frame, Visitor, i18n, render, unavailable};
use crate::error::Result;
use crate::holdings::repo::files;
use crate::people::model::Language;
use crate::reading::model::{Handover, HandoverFilter, Reader, ReadingRequest, RequestStatus};
use crate::reading::repo::{handovers, readers, requests};

/// The most requests, and files in hand, the desk lists.
const LISTED: i64 = 500;

/// A request as the desk lists it.
pub struct DeskRequest {
    pub id: i64,
    pub reader_id: i64,
    pub reader: String,
    pub kind: String,
    pub received: String,
    pub due: String,
    /// Not yet delivered, and past its legal deadline.
    pub late: bool,
    pub status: String,
    pub files: usize,
}

impl DeskRequest {
    pub fn of(request: &ReadingRequest, reader: String, lang: Language) -> DeskRequest {
        let waiting = matches!(
            request.status,
            RequestStatus::Submitted
                | RequestStatus::AwaitingApproval
                | RequestStatus::Approved
                | RequestStatus::InRetrieval
        );
        DeskRequest {
            id: request.id,
            reader_id: request.reader_id,
            reader,
            kind: i18n::text(lang, &format!("request-kind-{}", request.kind), &[]),
            received: i18n::date_time(lang, request.received_at),
            due: i18n::date_time(lang, request.due_at),
            late: waiting && request.due_at < Utc::now(),
            status: i18n::text(lang, &format!("request-status-{}", request.status), &[]),
            files: request.lines.len(),
        }
    }
}

/// A file in a reader's hands.
pub struct InHand {
    pub id: i64,
    pub file: String,
    pub reader_id: i64,
    pub reader: String,
    pub issued: String,
    pub due_back: String,
    pub overdue: bool,
    pub leaves: i32,
}

impl InHand {
    pub fn of(handover: &Handover, file: String, reader: String, lang: Language) -> InHand {
        InHand {
            id: handover.entry.id,
            file,
            reader_id: handover.entry.reader_id,
            reader,
            issued: i18n::date_time(lang, handover.entry.issued_at),
            due_back: i18n::date_time(lang, handover.due_back),
            overdue: handover.overdue,
            leaves: handover.entry.leaves_issued,
        }
    }
}

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    frame: Frame,
    requests: Vec<DeskRequest>,
    late: usize,
    in_hand: Vec<InHand>,
    overdue: usize,
}

pub async fn page(visitor: Visitor) -> HttpResponse {
    let frame = Frame::of(&visitor, "reading");
    let lang = frame.lang;
    let read = visitor.state.with_read_connection(move |conn| Ok(desk(conn, lang)?)).await;
    let Ok((requests, in_hand)) = read else {
        return unavailable(frame);
    };
    let late = requests.iter().filter(|r| r.late).count();
    let overdue = in_hand.iter().filter(|h| h.overdue).count();
    render(StatusCode::OK, &DeskPage { frame, requests, late, in_hand, overdue })
}

fn desk(conn: &mut diesel::PgConnection, lang: Language) -> Result<(Vec<DeskRequest>, Vec<InHand>)> {
    let open = requests::open(conn, LISTED)?;
    let filter = HandoverFilter { open: Some(true), ..HandoverFilter::default() };
    let mut lent = handovers::list(conn, &filter, None, LISTED)?;
    lent.truncate(LISTED as usize);
    let reader_ids: Vec<i64> = open.iter().map(|r| r.reader_id).chain(lent.iter().map(|h| h.entry.reader_id)).collect();
    let names = reader_names(conn, &reader_ids)?;
    let titles = files::references(conn, &lent.iter().map(|h| h.entry.file_id).collect::<Vec<_>>())?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
    let requests = open.iter().map(|r| DeskRequest::of(r, name(r.reader_id), lang)).collect();
    let in_hand = lent
        .iter()
        .map(|h| {
            let file = titles.get(&h.entry.file_id).cloned().unwrap_or_else(|| format!("#{}", h.entry.file_id));
            InHand::of(h, file, name(h.entry.reader_id), lang)
        })
        .collect();
    Ok((requests, in_hand))
}

/// Each of the readers `ids` by its name on the screens.
fn reader_names(conn: &mut diesel::PgConnection, ids: &[i64]) -> Result<HashMap<i64, String>> {
    Ok(readers::get_many(conn, ids)?.into_values().map(|r| (r.id, reader_name(&r))).collect())
}

/// A reader as the screens name them: `Trần Văn Minh (DG-000012)`.
pub fn reader_name(reader: &Reader) -> String {
    format!("{} ({})", reader.full_name, reader.reader_no)
}
