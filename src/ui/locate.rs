//! Tra cứu / Locate: one field for whatever is scanned or typed. A box's barcode → where it is,
//! its files and last movements; a shelf's label → what stands there in position order; words →
//! files, boxes and fonds.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Frame, Unchecked, Visitor, i18n, render};
use crate::db::pipelined::PipelinedConnections;
use crate::error::Error;
use crate::holdings::model::{File, FileFilter, FondsFilter};
use crate::holdings::repo::{files, fonds};
use crate::people::model::Language;
use crate::storage::model::{ArchiveBox, BoxFilter, LocationDetail, Movement};
use crate::storage::repo::{boxes, locations, moves};

/// The longest search; a scanner's stray burst beyond it is refused, not searched.
const MAX_QUERY_CHARS: usize = 200;
/// Rows of each kind a search by words shows.
const WORDS_SHOWN: i64 = 10;
/// A box's files shown, and its last movements.
const FILES_SHOWN: i64 = 50;
const MOVES_SHOWN: i64 = 5;

#[derive(Template)]
#[template(path = "locate.html")]
struct LocatePage {
    frame: Frame,
    query: String,
    found: Option<Found>,
}

/// The answer alone, for the scan queue (`HX-Request`).
#[derive(Template)]
#[template(path = "_locate.html")]
struct LocateAnswer {
    frame: Frame,
    found: Found,
}

pub enum Found {
    Box(BoxView),
    Shelf(ShelfView),
    Words(WordsView),
    Nothing(String),
}

pub struct BoxView {
    announce: String,
    heading: String,
    label: Option<String>,
    status: String,
    status_code: String,
    path: Vec<Step>,
    home: String,
    files: Vec<FileLine>,
    moves: Vec<String>,
}

pub struct Step {
    kind: String,
    name: String,
}

pub struct FileLine {
    id: i64,
    number: String,
    title: String,
    pages: String,
}

pub struct ShelfView {
    announce: String,
    heading: String,
    space: String,
    boxes: Vec<ShelfLine>,
}

pub struct ShelfLine {
    position: String,
    barcode: String,
    label: Option<String>,
    status: String,
}

pub struct WordsView {
    announce: String,
    query: String,
    /// Each file's id and how it is named.
    files: Vec<(i64, String)>,
    boxes: Vec<String>,
    fonds: Vec<String>,
}

#[derive(Deserialize)]
pub struct LocateQuery {
    q: Option<String>,
}

pub async fn page(
    unchecked: Unchecked,
    req: HttpRequest,
    query: web::Query<LocateQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let query = crate::text::normalize(query.into_inner().q.unwrap_or_default().trim());
    let asked = !query.is_empty() && query.chars().count() <= MAX_QUERY_CHARS;
    // The session and the code's look-ups go out together.
    let scanned = async { if asked { Some(by_barcode(&req, &query).await) } else { None } };
    let (visitor, scanned) = futures_util::future::join(unchecked.0, scanned).await;
    let visitor = visitor?;
    let found = if query.is_empty() { None } else { Some(locate(&visitor, &query, scanned).await) };
    let frame = Frame::of(&visitor, "locate");
    Ok(match (found, req.headers().contains_key("hx-request")) {
        (Some(found), true) => render(StatusCode::OK, &LocateAnswer { frame, found }),
        (found, _) => render(StatusCode::OK, &LocatePage { frame, query, found }),
    })
}

/// What was scanned or typed, found: `scanned` is what its look-up by barcode found (none when
/// the query was too long to look up).
async fn locate(visitor: &Visitor, query: &str, scanned: Option<Result<Scanned, Error>>) -> Found {
    let lang = visitor.language;
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let nothing = || Found::Nothing(say("locate-none", &[("query", query)]));
    let unavailable = || Found::Nothing(say("unavailable", &[]));
    let Some(scanned) = scanned else { return Found::Nothing(say("locate-too-long", &[])) };
    let Ok((found_box, found_place, files, moves)) = scanned else { return unavailable() };
    let state = &visitor.state;
    let answer = match (found_box, found_place) {
        (Some(found), _) => return box_view(lang, found, files, moves),
        (None, Some(place)) => state.with_read_connection(move |conn| Ok(shelf_view(conn, lang, place)?)).await,
        (None, None) => {
            let query = query.to_string();
            state.with_read_connection(move |conn| Ok(words_view(conn, lang, &query)?)).await
        }
    };
    match answer {
        Ok(Some(found)) => found,
        Ok(None) => nothing(),
        Err(_) => unavailable(),
    }
}

/// A box with its files and last movements, or a place, or neither.
type Scanned = (Option<ArchiveBox>, Option<LocationDetail>, Vec<File>, Vec<Movement>);

/// What a scanned code names: a box (with its files and last movements) or a place, all asked
/// at once on a pipelined connection, one round trip.
async fn by_barcode(req: &HttpRequest, code: &str) -> Result<Scanned, Error> {
    // No barcode or label holds a control character (and PostgreSQL text cannot hold NUL).
    if code.chars().any(char::is_control) {
        return Ok((None, None, Vec::new(), Vec::new()));
    }
    let pipelined = req.app_data::<web::Data<PipelinedConnections>>().expect("registered per worker");
    let used = pipelined.get().await?;
    let conn = &used.conn;
    let (found_box, found_place, files, moves) = futures_util::future::join4(
        absent_if_missing(boxes::get_by_barcode(conn, code)),
        absent_if_missing(locations::get_by_barcode(conn, code)),
        files::in_box_with_barcode(conn, code, FILES_SHOWN),
        moves::latest_of_barcode(conn, code, MOVES_SHOWN),
    )
    .await;
    let asked = (|| Ok((found_box?, found_place?, files?, moves?)))();
    pipelined.forget_if_lost(&used, asked)
}

/// A look-up that found nothing is no error here.
async fn absent_if_missing<T>(found: impl std::future::Future<Output = Result<T, Error>>) -> Result<Option<T>, Error> {
    match found.await {
        Ok(found) => Ok(Some(found)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

fn box_view(lang: Language, found: ArchiveBox, files: Vec<File>, moves: Vec<Movement>) -> Found {
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let files = files
        .into_iter()
        .map(|file| FileLine {
            id: file.id,
            number: format!("{}/{}", file.inventory_no, file.file_no),
            title: file.title,
            pages: say("pages", &[("count", &i18n::number(lang, f64::from(file.page_count), 0))]),
        })
        .collect();
    let moves = moves
        .into_iter()
        .map(|m| {
            let reason = say(&format!("reason-{}", m.reason), &[]);
            let at = i18n::date_time(lang, m.moved_at);
            let from = m.from_path_code.unwrap_or_else(|| "—".into());
            say("moved-at", &[("at", &at), ("from", &from), ("to", &m.to_path_code), ("reason", &reason)])
        })
        .collect();
    let status_code = found.status.to_string();
    let status = say(&format!("status-{status_code}"), &[]);
    let path: Vec<Step> = found
        .current_location
        .path
        .iter()
        .map(|place| Step { kind: place.code.clone(), name: place.name.clone().unwrap_or_else(|| place.code.clone()) })
        .collect();
    let heading = say("box-heading", &[("barcode", &found.barcode)]);
    Found::Box(BoxView {
        announce: format!("{heading}: {}, {status}", found.current_location.path_code),
        heading,
        label: found.label,
        status,
        status_code,
        path,
        home: found.home_location.path_code,
        files,
        moves,
    })
}

fn shelf_view(
    conn: &mut diesel::PgConnection,
    lang: Language,
    place: LocationDetail,
) -> crate::error::Result<Option<Found>> {
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let location = place.location;
    let standing = boxes::contents(conn, location.id, None, 1000)?;
    let lines = standing
        .into_iter()
        .map(|b| ShelfLine {
            position: b.position.map_or_else(|| "—".into(), |p| p.to_string()),
            barcode: b.barcode,
            label: b.label,
            status: match b.status.to_string().as_str() {
                "out" => format!("{} ({})", say("status-out", &[]), b.location_path_code),
                other => say(&format!("status-{other}"), &[]),
            },
        })
        .collect::<Vec<_>>();
    let space = &location.space;
    let heading = say("shelf-heading", &[("path", &location.path_code)]);
    let space_line = say(
        "shelf-space",
        &[
            ("free", &i18n::number(lang, space.free_m, 2)),
            ("capacity", &i18n::number(lang, space.capacity_m, 2)),
            ("boxes", &i18n::number(lang, space.box_count as f64, 0)),
        ],
    );
    Ok(Some(Found::Shelf(ShelfView {
        announce: format!("{heading}: {space_line}"),
        heading,
        space: space_line,
        boxes: lines,
    })))
}

fn words_view(conn: &mut diesel::PgConnection, lang: Language, query: &str) -> crate::error::Result<Option<Found>> {
    let files: Vec<(i64, String)> =
        files::list(conn, &FileFilter { q: Some(query.into()), ..FileFilter::default() }, None, WORDS_SHOWN)?
            .into_iter()
            .take(WORDS_SHOWN as usize)
            .map(|(_, f)| (f.id, format!("{}/{} · {}", f.inventory_no, f.file_no, f.title)))
            .collect();
    let boxes: Vec<String> =
        boxes::list(conn, &BoxFilter { q: Some(query.into()), ..BoxFilter::default() }, None, WORDS_SHOWN)?
            .into_iter()
            .take(WORDS_SHOWN as usize)
            .map(|(_, b)| match b.r#box.label {
                Some(label) => format!("{} · {label} · {}", b.r#box.barcode, b.r#box.current_location.path_code),
                None => format!("{} · {}", b.r#box.barcode, b.r#box.current_location.path_code),
            })
            .collect();
    let fonds: Vec<String> = fonds::list(conn, &FondsFilter { q: Some(query.into()) }, None, WORDS_SHOWN)?
        .into_iter()
        .take(WORDS_SHOWN as usize)
        .map(|(_, f)| format!("{} · {}", f.code, f.name))
        .collect();
    if files.is_empty() && boxes.is_empty() && fonds.is_empty() {
        return Ok(None);
    }
    let counts = [(files.len(), "words-files"), (boxes.len(), "words-boxes"), (fonds.len(), "words-fonds")];
    let announce = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, key)| format!("{}: {n}", i18n::text(lang, key, &[])))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Some(Found::Words(WordsView { announce, query: query.into(), files, boxes, fonds })))
}
