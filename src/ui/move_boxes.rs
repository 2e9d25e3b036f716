//! Chuyển hộp / Move: the destination first (a shelf's label scanned, or a workspace chosen),
//! then the boxes scanned one after another — each row says where the box is and what stands in
//! its way — then one move of them all, or of none. The list lives in the page's address (each
//! scan adds a `box`), so it works without script and survives a reload.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::scans::{Scans, scanned_before, with_added};
use super::{Frame, Refused, Submitted, Visitor, i18n, render, see_other, unavailable};
use crate::error::{Error, Result};
use crate::storage::model::{
    BulkMoveItem, BulkMoveRequest, Location, LocationFilter, LocationKind, MoveReason, Purpose,
};
use crate::storage::repo::{locations, moves};

/// The most boxes one move takes (the bulk move's limit).
const MOST_BOXES: usize = 1000;
/// The reasons a person gives for a move to a chosen place (the others are the service's own,
/// or a return, which goes home).
const REASONS: [MoveReason; 8] = [
    MoveReason::Reshelve,
    MoveReason::Relocation,
    MoveReason::Conservation,
    MoveReason::ReadingRoom,
    MoveReason::Digitization,
    MoveReason::Exhibition,
    MoveReason::Loan,
    MoveReason::Quarantine,
];

/// The move as the address holds it.
#[derive(Deserialize, Default)]
pub struct Asked {
    to: Option<String>,
    #[serde(default, rename = "box")]
    boxes: Vec<String>,
    /// A barcode just scanned, to add to the list.
    add: Option<String>,
    reason: Option<String>,
    moved: Option<usize>,
}

pub struct Destination {
    code: String,
    path_code: String,
    /// Its name, for the places that have one (a shelf is known by its path).
    name: Option<String>,
    /// "còn trống 0,375 m" for a shelf.
    room: Option<String>,
}

pub struct Row {
    barcode: String,
    label: Option<String>,
    now_at: Option<String>,
    problem: Option<String>,
    /// The address of the list without this row.
    without: String,
    /// Its own reason, where it differs from the list's.
    reason: Option<MoveReason>,
}

impl Row {
    /// Whether the row has its own reason `code`.
    fn gives(&self, code: &str) -> bool {
        self.reason.is_some_and(|reason| reason.as_str() == code)
    }
}

pub struct Workspace {
    code: String,
    name: String,
}

#[derive(Template)]
#[template(path = "move.html")]
struct MovePage {
    frame: Frame,
    destination: Option<Destination>,
    /// What was typed for the destination when it named nothing.
    to_problem: Option<String>,
    typed_to: String,
    workspaces: Vec<Workspace>,
    rows: Vec<Row>,
    barcodes: Vec<String>,
    reasons: Vec<(MoveReason, String)>,
    reason: MoveReason,
    done: Option<String>,
    problem: Option<String>,
    /// Whether any row stands in the way.
    blocked: bool,
}

/// The address's `to` for a return: each box to its own home shelf.
const HOME: &str = "home";

/// Where the boxes go: a place, or each box's home (a return).
enum Target {
    Place(Box<Location>),
    Home,
}

/// The reasons a move to `target` may give.
fn reasons_for(target: Option<&Target>) -> &'static [MoveReason] {
    match target {
        Some(Target::Home) => &[MoveReason::Return],
        _ => &REASONS,
    }
}

/// What the page needs from the database: the destination, what was scanned, the workspaces.
struct Read {
    destination: Option<Target>,
    scans: Scans,
    workspaces: Vec<Location>,
}

fn read(conn: &mut diesel::PgConnection, to: &str, barcodes: &[String]) -> Result<Read> {
    let destination = match to {
        "" => None,
        HOME => Some(Target::Home),
        code => locations::find_by_code(conn, code)?.map(|place| Target::Place(Box::new(place))),
    };
    let scans = Scans::read(conn, barcodes)?;
    let filter = LocationFilter { kind: Some(LocationKind::Workspace), ..LocationFilter::default() };
    let workspaces = locations::list(conn, &filter, None, 100)?.into_iter().map(|(_, place)| place).collect();
    Ok(Read { destination, scans, workspaces })
}

pub async fn page(visitor: Visitor, req: HttpRequest) -> HttpResponse {
    // Read with serde_html_form: `box` comes once per box.
    let Asked { to, boxes, add, reason, moved } = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let boxes = with_added(boxes, add);
    let frame = Frame::of(&visitor, "move");
    let done = moved.map(|n| i18n::text(frame.lang, "move-done", &[("count", &n.to_string())]));
    let reason = reason.and_then(|r| r.parse().ok());
    let said = Said { done, ..Said::default() };
    show(&visitor, frame, to.unwrap_or_default(), boxes, reason, said, StatusCode::OK).await
}

/// What the page says besides the list: what was done, what went wrong, and why each row was
/// refused (by row) when the move was.
#[derive(Default)]
struct Said {
    done: Option<String>,
    problem: Option<String>,
    refused: HashMap<usize, String>,
    /// Each row's own reason, as chosen.
    reasons: Vec<Option<MoveReason>>,
}

/// The page for this destination and list.
async fn show(
    visitor: &Visitor,
    frame: Frame,
    to: String,
    barcodes: Vec<String>,
    reason: Option<MoveReason>,
    Said { done, problem, refused, reasons: own_reasons }: Said,
    status: StatusCode,
) -> HttpResponse {
    let to = crate::text::normalize(to.trim());
    let barcodes: Vec<String> = barcodes.into_iter().take(MOST_BOXES).collect();
    let (code, asked) = (to.clone(), barcodes.clone());
    let Ok(found) = visitor.state.with_read_connection(move |conn| Ok(read(conn, &code, &asked)?)).await else {
        return unavailable(frame);
    };
    let lang = frame.lang;
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let to_problem = (!to.is_empty() && found.destination.is_none()).then(|| say("move-no-such-place", &[]));
    let allowed = reasons_for(found.destination.as_ref());
    let reason = reason.filter(|r| allowed.contains(r)).unwrap_or_else(|| match &found.destination {
        Some(Target::Place(place)) => usual_reason(place),
        Some(Target::Home) => MoveReason::Return,
        None => MoveReason::Reshelve,
    });
    let mut free_mm = match &found.destination {
        Some(Target::Place(place)) if place.kind == LocationKind::Shelf => Some(place.space.free_mm),
        _ => None,
    };
    let address = |without: Option<usize>| {
        let mut pairs = vec![("to", to.clone()), ("reason", reason.to_string())];
        pairs.extend(barcodes.iter().enumerate().filter(|(i, _)| Some(*i) != without).map(|(_, b)| ("box", b.clone())));
        format!("/move?{}", serde_html_form::to_string(&pairs).unwrap_or_default())
    };
    let mut rows = Vec::new();
    for (index, barcode) in barcodes.iter().enumerate() {
        let found_box = found.scans.box_of(barcode);
        let twice = scanned_before(&barcodes, index);
        let problem = match (found_box, &found.destination) {
            _ if let Some(first) = twice => Some(say("move-twice", &[("row", &(first + 1).to_string())])),
            (None, _) => Some(match found.scans.label_of(barcode) {
                Some(path) => say("move-a-label", &[("path", path)]),
                None => say("move-no-such-box", &[]),
            }),
            (Some(b), Some(Target::Home)) if b.current_location.id == b.home_location.id => {
                Some(say("move-already-home", &[]))
            }
            (Some(b), Some(Target::Place(to))) if b.current_location.id == to.id => {
                Some(say("move-already-there", &[]))
            }
            (Some(b), Some(Target::Place(_))) => match free_mm.as_mut() {
                Some(free) if i64::from(b.width_mm) > *free => {
                    Some(say("move-no-room", &[("free", &i18n::number(lang, *free as f64 / 1000.0, 3))]))
                }
                Some(free) => {
                    *free -= i64::from(b.width_mm);
                    None
                }
                None => None,
            },
            (Some(_), Some(Target::Home) | None) => None,
        };
        rows.push(Row {
            barcode: barcode.clone(),
            label: found_box.and_then(|b| b.label.clone()),
            now_at: found_box.map(|b| b.current_location.path_code.clone()),
            problem: refused.get(&index).cloned().or(problem),
            without: address(Some(index)),
            reason: own_reasons.get(index).copied().flatten().filter(|r| allowed.contains(r)),
        });
    }
    let blocked = rows.iter().any(|row| row.problem.is_some());
    let destination = found.destination.map(|target| match target {
        Target::Place(place) => Destination {
            room: (place.kind == LocationKind::Shelf)
                .then(|| say("move-room", &[("free", &i18n::number(lang, place.space.free_mm as f64 / 1000.0, 3))])),
            code: place.barcode,
            name: place.name,
            path_code: place.path_code,
        },
        Target::Home => Destination { code: HOME.into(), name: None, path_code: say("move-home", &[]), room: None },
    });
    let workspaces = found
        .workspaces
        .into_iter()
        .map(|w| Workspace { code: w.barcode, name: format!("{} · {}", w.name.unwrap_or(w.code), w.path_code) })
        .collect();
    let reasons = allowed.iter().map(|r| (*r, say(&format!("reason-{r}"), &[]))).collect();
    let page = MovePage {
        frame,
        destination,
        to_problem,
        typed_to: to,
        workspaces,
        rows,
        barcodes,
        reasons,
        reason,
        done,
        problem,
        blocked,
    };
    render(status, &page)
}

/// The reason a move to `place` usually has.
fn usual_reason(place: &Location) -> MoveReason {
    match place.purpose {
        Some(Purpose::ConservationLab) => MoveReason::Conservation,
        Some(Purpose::ReadingRoom) => MoveReason::ReadingRoom,
        Some(Purpose::Digitization) => MoveReason::Digitization,
        Some(Purpose::Exhibition) => MoveReason::Exhibition,
        Some(Purpose::Loan) => MoveReason::Loan,
        Some(Purpose::Quarantine) => MoveReason::Quarantine,
        Some(Purpose::Other) | None => MoveReason::Reshelve,
    }
}

#[derive(Deserialize)]
pub struct Confirmed {
    to: String,
    #[serde(default, rename = "box")]
    boxes: Vec<String>,
    reason: String,
    /// Each row's own reason, in the order of the boxes; empty: the list's.
    #[serde(default)]
    row_reason: Vec<String>,
}

/// Moves every box of the list to the destination, or none: then each row says why.
pub async fn confirm(Submitted { visitor, form }: Submitted<Confirmed>) -> HttpResponse {
    let frame = Frame::of(&visitor, "move");
    let Confirmed { to, boxes: barcodes, reason, row_reason } = form;
    let home = to == HOME;
    let allowed = reasons_for(home.then_some(&Target::Home));
    let reason: Option<MoveReason> = reason.parse().ok().filter(|r| allowed.contains(r));
    let own: Vec<Option<MoveReason>> =
        row_reason.iter().map(|r| r.parse().ok().filter(|r| allowed.contains(r))).collect();
    let own_reasons = own.clone();
    let Some(reason) = reason.filter(|_| !barcodes.is_empty() && barcodes.len() <= MOST_BOXES) else {
        let problem = Some(frame.t("move-incomplete"));
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        let said = Said { problem, reasons: own, ..Said::default() };
        return show(&visitor, frame, to, barcodes, None, said, status).await;
    };
    let (code, asked) = (to.clone(), barcodes.clone());
    let moved = visitor
        .write(move |conn, actor| {
            let place = match code.as_str() {
                HOME => None,
                code => Some(
                    locations::find_by_code(conn, code)?
                        .ok_or_else(|| Error::invalid("to", "no place has this label or code"))?,
                ),
            };
            let moves = asked
                .iter()
                .enumerate()
                .map(|(index, barcode)| BulkMoveItem {
                    barcode: Some(barcode.clone()),
                    box_id: None,
                    to_location_id: place.as_ref().map(|p| p.id),
                    position: None,
                    reason: own_reasons.get(index).copied().flatten(),
                    note: None,
                })
                .collect();
            let code = place.map_or_else(|| HOME.to_string(), |p| p.barcode);
            Ok((code, moves::move_many(conn, &BulkMoveRequest { reason, note: None, moves }, actor)?))
        })
        .await;
    let refused = match moved {
        Ok((code, moved)) => {
            let next = serde_html_form::to_string([("to", code.as_str()), ("moved", &moved.len().to_string())]);
            return see_other(&format!("/move?{}", next.unwrap_or_default()));
        }
        Err(err) => Refused::of(err),
    };
    let Some(Refused { by_row, general }) = refused else {
        return unavailable(frame);
    };
    let problem = Some(format!("{} {}", frame.t("move-refused"), general.join("; ")).trim_end().to_string());
    let said = Said { done: None, problem, refused: by_row, reasons: own };
    show(&visitor, frame, to, barcodes, Some(reason), said, StatusCode::CONFLICT).await
}
