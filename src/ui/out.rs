//! Đang ở ngoài / Out: every box away from its shelf — where, since when, why, moved by whom —
//! the longest out first; those ticked are returned home in one move, all or none.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Frame, Refused, Submitted, Visitor, i18n, render, see_other, unavailable};
use crate::error::Result;
use crate::keys::model::Permission;
use crate::keys::repo as keys;
use crate::storage::model::{BoxFilter, BoxStatus, BulkMoveItem, BulkMoveRequest, ListedBox, MoveReason};
use crate::storage::repo::{boxes, moves};

/// The most boxes the screen lists; beyond, it says how many more there are.
const LISTED: i64 = 1000;
/// Up to this many hours out, the time is said in hours; beyond, in days.
const HOURS_SAID: i64 = 48;

pub struct OutLine {
    id: i64,
    barcode: String,
    label: Option<String>,
    at: String,
    since: String,
    how_long: String,
    reason: String,
    note: Option<String>,
    moved_by: String,
    /// Why it could not be returned, when a return was refused.
    refused: Option<String>,
}

#[derive(Template)]
#[template(path = "out.html")]
struct OutPage {
    frame: Frame,
    lines: Vec<OutLine>,
    /// Whether there are more than the screen lists.
    more: bool,
    may_return: bool,
    done: Option<String>,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    returned: Option<usize>,
}

pub async fn list(visitor: Visitor, query: web::Query<Done>) -> HttpResponse {
    let frame = Frame::of(&visitor, "out");
    let done = query.returned.map(|n| frame_text(&frame, "out-returned", n));
    out_page(&visitor, frame, done, None, Vec::new(), StatusCode::OK).await
}

fn frame_text(frame: &Frame, key: &str, count: usize) -> String {
    i18n::text(frame.lang, key, &[("count", &i18n::number(frame.lang, count as f64, 0))])
}

/// The screen, read afresh: `refusals` are (box id, why) of a refused return.
async fn out_page(
    visitor: &Visitor,
    frame: Frame,
    done: Option<String>,
    problem: Option<String>,
    refusals: Vec<(i64, String)>,
    status: StatusCode,
) -> HttpResponse {
    let lang = frame.lang;
    let read = visitor.state.with_read_connection(move |conn| Ok(out_of_shelves(conn)?)).await;
    let Ok((out, names, more)) = read else {
        return unavailable(frame);
    };
    let lines: Vec<OutLine> = out
        .into_iter()
        .filter_map(|listed| {
            let outing = listed.out?;
            let found = listed.r#box;
            let how_long = if outing.hours == 0 {
                i18n::text(lang, "out-under-an-hour", &[])
            } else if outing.hours <= HOURS_SAID {
                i18n::text(lang, "out-hours", &[("n", &outing.hours.to_string())])
            } else {
                i18n::text(lang, "out-days", &[("n", &(outing.hours / 24).to_string())])
            };
            Some(OutLine {
                id: found.id,
                refused: refusals.iter().find(|(id, _)| *id == found.id).map(|(_, why)| why.clone()),
                barcode: found.barcode,
                label: found.label,
                at: found.current_location.path_code,
                since: i18n::date_time(lang, outing.since),
                how_long,
                reason: i18n::text(lang, &format!("reason-{}", outing.reason), &[]),
                note: outing.note,
                moved_by: names.get(&outing.moved_by).cloned().unwrap_or_else(|| format!("#{}", outing.moved_by)),
            })
        })
        .collect();
    // A refused box the list does not show (it was not out): its reason goes with the problem.
    let unshown: Vec<&str> = refusals
        .iter()
        .filter(|(id, _)| !lines.iter().any(|line| line.id == *id))
        .map(|(_, why)| why.as_str())
        .collect();
    let problem = problem.map(|problem| [&[problem.as_str()][..], &unshown].concat().join(" "));
    let may_return = visitor.may(Permission::MoveBoxes);
    render(status, &OutPage { frame, lines, more, may_return, done, problem })
}

/// The boxes out, longest out first, the names of those who moved them, and whether there are
/// more than listed.
type Out = (Vec<ListedBox>, std::collections::HashMap<i64, String>, bool);

fn out_of_shelves(conn: &mut diesel::PgConnection) -> Result<Out> {
    let filter = BoxFilter { status: Some(BoxStatus::Out), ..BoxFilter::default() };
    let mut out: Vec<ListedBox> = boxes::list(conn, &filter, None, LISTED)?.into_iter().map(|(_, b)| b).collect();
    let more = out.len() as i64 > LISTED;
    out.truncate(LISTED as usize);
    out.sort_by_key(|b| b.out.as_ref().map(|o| o.since));
    let movers: Vec<i64> = out.iter().filter_map(|b| b.out.as_ref().map(|o| o.moved_by)).collect();
    let names = keys::names(conn, &movers)?;
    Ok((out, names, more))
}

#[derive(Deserialize)]
pub struct Ticked {
    #[serde(default, rename = "box")]
    boxes: Vec<i64>,
}

/// Returns the ticked boxes home, all in one move: every box, or (when one cannot go) none,
/// each refused one saying why on its row.
pub async fn return_home(Submitted { visitor, form }: Submitted<Ticked>) -> HttpResponse {
    let frame = Frame::of(&visitor, "out");
    if form.boxes.is_empty() {
        let problem = Some(frame.t("out-none-ticked"));
        return out_page(&visitor, frame, None, problem, Vec::new(), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let ticked = form.boxes.clone();
    let request = BulkMoveRequest {
        reason: MoveReason::Return,
        note: None,
        moves: form
            .boxes
            .iter()
            .map(|id| BulkMoveItem {
                barcode: None,
                box_id: Some(*id),
                to_location_id: None,
                position: None,
                reason: None,
                note: None,
            })
            .collect(),
    };
    let refused = match visitor.write(move |conn, actor| moves::move_many(conn, &request, actor)).await {
        Ok(moved) => return see_other(&format!("/out?returned={}", moved.len())),
        Err(err) => Refused::of(err),
    };
    let Some(Refused { by_row, general }) = refused else {
        return unavailable(frame);
    };
    // Row `i` of the move is the `i`th box ticked.
    let refusals: Vec<(i64, String)> =
        by_row.into_iter().filter_map(|(index, why)| Some((*ticked.get(index)?, why))).collect();
    let problem = if refusals.is_empty() {
        format!("{} {}", frame.t("out-refused-all"), general.join("; "))
    } else {
        frame_text(&frame, "out-refused", refusals.len())
    };
    out_page(&visitor, frame, None, Some(problem), refusals, StatusCode::CONFLICT).await
}
