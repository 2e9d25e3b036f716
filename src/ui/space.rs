//! Tìm chỗ trống / Space: where N boxes of a width can go within a room, unit or bay — the
//! shelves with room, in path order, until all are placed, or how many fit when not all do.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{FieldProblems, Frame, Visitor, i18n, render, unavailable};
use crate::error::Error;
use crate::http::problem::ApiError;
use crate::keys::model::Permission;
use crate::storage::model::{STANDARD_BOX_WIDTH_MM, SpaceFound, SpaceQuery};
use crate::storage::repo::{locations, space};

/// The form as typed, shown again with the answer.
#[derive(Deserialize, Default)]
pub struct Asked {
    within: Option<String>,
    boxes: Option<String>,
    width_mm: Option<String>,
}

pub struct ShelfLine {
    path_code: String,
    free: String,
    takes: String,
}

pub struct Answer {
    summary: String,
    fits: bool,
    shelves: Vec<ShelfLine>,
}

#[derive(Template)]
#[template(path = "space.html")]
struct SpacePage {
    frame: Frame,
    within: String,
    boxes: String,
    width_mm: String,
    problems: FieldProblems,
    answer: Option<Answer>,
    /// Whether each shelf offers to open the move screen with it as the destination.
    may_move: bool,
    /// The field that has the focus when nothing is wrong: none once there is an answer, which
    /// takes it.
    first: &'static str,
}

pub async fn page(visitor: Visitor, query: web::Query<Asked>) -> HttpResponse {
    let frame = Frame::of(&visitor, "space");
    let Asked { within, boxes, width_mm } = query.into_inner();
    let within = crate::text::normalize(within.unwrap_or_default().trim());
    let boxes = boxes.unwrap_or_default().trim().to_string();
    let width_mm = width_mm.map_or_else(|| STANDARD_BOX_WIDTH_MM.to_string(), |w| w.trim().to_string());
    let mut problems = FieldProblems::default();
    let show = |frame, problems, answer: Option<Answer>, status| {
        let first = if answer.is_some() { "" } else { "within" };
        let (within, boxes, width_mm) = (within.clone(), boxes.clone(), width_mm.clone());
        let may_move = visitor.may(Permission::MoveBoxes);
        let page = SpacePage { frame, within, boxes, width_mm, problems, answer, first, may_move };
        render(status, &page)
    };
    if within.is_empty() && boxes.is_empty() {
        return show(frame, problems, None, StatusCode::OK);
    }
    let count = boxes.parse::<i64>().ok().filter(|n| (1..=10_000).contains(n));
    let width = width_mm.parse::<i32>().ok().filter(|w| (1..=1000).contains(w));
    for (field, wrong) in [("within", within.is_empty()), ("boxes", count.is_none()), ("width_mm", width.is_none())] {
        if wrong {
            problems.add(field, frame.t(&format!("space-invalid-{field}")));
        }
    }
    let (Some(count), Some(width), false) = (count, width, within.is_empty()) else {
        return show(frame, problems, None, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let code = within.clone();
    let found = visitor
        .state
        .with_read_connection(move |conn| {
            let Some(place) = locations::find_by_code(conn, &code)? else { return Ok(None) };
            let asked = SpaceQuery { within: place.id, boxes: count, width_mm: Some(width) };
            Ok(Some((place.path_code, space::find(conn, &asked)?)))
        })
        .await;
    match found {
        Ok(Some((path_code, found))) => {
            let answer = answer(&frame, &path_code, found);
            show(frame, problems, Some(answer), StatusCode::OK)
        }
        Ok(None) | Err(ApiError::Domain(Error::Invalid(_))) => {
            problems.add("within", frame.t("space-invalid-within-unknown"));
            show(frame, problems, None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(_) => unavailable(frame),
    }
}

fn answer(frame: &Frame, path_code: &str, found: SpaceFound) -> Answer {
    let lang = frame.lang;
    let count = |n: i64| i18n::number(lang, n as f64, 0);
    let summary = if found.fits {
        i18n::text(lang, "space-fits", &[("boxes", &count(found.boxes)), ("within", path_code)])
    } else {
        let args = [("boxes", count(found.boxes)), ("room", count(found.room_for)), ("within", path_code.to_string())];
        let args: Vec<(&str, &str)> = args.iter().map(|(name, value)| (*name, value.as_str())).collect();
        i18n::text(lang, "space-short", &args)
    };
    let shelves = found
        .shelves
        .into_iter()
        .map(|shelf| ShelfLine {
            path_code: shelf.path_code,
            free: i18n::number(lang, shelf.free_mm as f64 / 1000.0, 3),
            takes: count(shelf.takes),
        })
        .collect();
    Answer { summary, fits: found.fits, shelves }
}
