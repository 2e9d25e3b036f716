//! In nhãn / Labels: box labels (fonds, label, barcode, home) and shelf labels (path, barcode),
//! chosen by place, by fonds or by a scanned list, laid out on A4 sheets of 2 × 7 (99.1 × 38.1
//! mm) or one per 100 × 50 mm thermal label. Barcodes are Code 128, drawn here as SVG; the
//! sheet is sized in millimetres, so the browser prints it as it is.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use barcoders::generators::svg::SVG;
use barcoders::sym::code128::Code128;
use serde::Deserialize;

use super::{FieldProblems, Frame, Visitor, i18n, render, unavailable};
use crate::error::Result;
use crate::holdings::repo::fonds;
use crate::people::model::Language;
use crate::storage::model::{ArchiveBox, BoxFilter, Location};
use crate::storage::repo::{boxes, locations};

/// The most labels one print takes (about 70 A4 sheets).
const MOST_LABELS: usize = 1000;
const MOST_COPIES: u32 = 20;
/// The narrowest bar (mm) a barcode is drawn with, as wide as fits up to this, and the widest
/// barcode a label holds (inside its quiet zones).
const NARROWEST_BAR_MM: f64 = 0.25;
const WIDEST_BAR_MM: f64 = 0.4;
const WIDEST_BARCODE_MM: f64 = 84.0;
const BARCODE_HEIGHT_MM: f64 = 13.0;

#[derive(Deserialize, Default)]
pub struct Asked {
    /// `boxes` or `shelves`.
    kind: Option<String>,
    place: Option<String>,
    fonds: Option<String>,
    /// Codes scanned, one per line.
    codes: Option<String>,
    /// `a4` or `thermal`.
    sheet: Option<String>,
    copies: Option<String>,
    /// Set when the labels are to be shown for printing (else the form).
    print: Option<String>,
}

/// What to print, as the form shows it.
struct Choice {
    shelves: bool,
    place: String,
    fonds: String,
    codes: String,
    thermal: bool,
    copies: String,
}

impl Choice {
    /// The form's address with this choice.
    fn address(&self, sheet: &str) -> String {
        let kind = if self.shelves { "shelves" } else { "boxes" };
        let pairs = [
            ("kind", kind),
            ("place", &self.place),
            ("fonds", &self.fonds),
            ("codes", &self.codes),
            ("sheet", sheet),
            ("copies", &self.copies),
        ];
        format!("/labels?{}", serde_html_form::to_string(pairs).unwrap_or_default())
    }
}

#[derive(Clone)]
pub struct Label {
    /// Small, above: a box's fonds; a shelf's name.
    over: Option<String>,
    /// Large: a box's label (or its barcode); a shelf's path.
    heading: String,
    /// The Code 128 drawing, or why there is none.
    barcode: Result<String, String>,
    code: String,
    /// Small, below: a box's home.
    under: Option<String>,
}

#[derive(Template)]
#[template(path = "labels.html")]
struct LabelsPage {
    frame: Frame,
    choice: Choice,
    problems: FieldProblems,
}

#[derive(Template)]
#[template(path = "labels_print.html")]
struct PrintPage {
    frame: Frame,
    /// `a4` or `thermal`: the sheet's class.
    sheet: &'static str,
    pages: Vec<Vec<Label>>,
    count: String,
    /// The form's address, to change what is printed.
    back: String,
}

pub async fn page(visitor: Visitor, req: HttpRequest) -> HttpResponse {
    let asked: Asked = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let frame = Frame::of(&visitor, "labels");
    let choice = Choice {
        shelves: asked.kind.as_deref() == Some("shelves"),
        place: crate::text::normalize(asked.place.as_deref().unwrap_or_default().trim()),
        fonds: crate::text::normalize(asked.fonds.as_deref().unwrap_or_default().trim()),
        codes: crate::text::normalize(asked.codes.as_deref().unwrap_or_default()),
        thermal: asked.sheet.as_deref() == Some("thermal"),
        copies: asked.copies.clone().unwrap_or_else(|| "1".into()),
    };
    if asked.print.is_none() {
        return render(StatusCode::OK, &LabelsPage { frame, choice, problems: FieldProblems::default() });
    }
    let mut problems = FieldProblems::default();
    let copies = match choice.copies.trim().parse::<u32>() {
        Ok(n) if (1..=MOST_COPIES).contains(&n) => n,
        _ => {
            problems
                .add("copies", i18n::text(frame.lang, "labels-copies-range", &[("most", &MOST_COPIES.to_string())]));
            1
        }
    };
    let codes: Vec<String> = choice
        .codes
        .split(['\n', '\r', '\t', ',', ';'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    let asked_for = [!choice.place.is_empty(), !choice.fonds.is_empty() && !choice.shelves, !codes.is_empty()];
    match asked_for.iter().filter(|&&asked| asked).count() {
        0 => problems.add("place", frame.t("labels-choose")),
        1 => {}
        _ => problems.add("place", frame.t("labels-one-way")),
    }
    if choice.shelves && !choice.fonds.is_empty() {
        problems.add("fonds", frame.t("labels-no-fonds-for-shelves"));
    }
    if !problems.is_empty() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &LabelsPage { frame, choice, problems });
    }
    let (shelves, place, fonds_code) = (choice.shelves, choice.place.clone(), choice.fonds.clone());
    let asked_codes = codes.clone();
    let read = visitor
        .state
        .with_read_connection(move |conn| Ok(chosen(conn, shelves, &place, &fonds_code, &asked_codes)?))
        .await;
    let Ok(chosen) = read else {
        return unavailable(frame);
    };
    let lang = frame.lang;
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let labels = match chosen {
        Chosen::NoPlace => {
            problems.add("place", say("audit-no-such-shelf", &[]));
            Vec::new()
        }
        Chosen::NoFonds => {
            problems.add("fonds", say("labels-no-fonds", &[]));
            Vec::new()
        }
        Chosen::Unknown(unknown) => {
            problems.add("codes", say("labels-unknown", &[("codes", &unknown.join(", "))]));
            Vec::new()
        }
        Chosen::Boxes(found, names) => found.iter().map(|b| box_label(lang, b, &names)).collect(),
        Chosen::Shelves(found) => found.iter().map(|s| shelf_label(lang, s)).collect(),
    };
    let total = labels.len() * copies as usize;
    if problems.is_empty() && total == 0 {
        problems.add("place", say("labels-nothing", &[]));
    } else if total > MOST_LABELS {
        let n = |v: usize| i18n::number(lang, v as f64, 0);
        problems.add("place", say("labels-too-many", &[("count", &n(total)), ("most", &n(MOST_LABELS))]));
    }
    if !problems.is_empty() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &LabelsPage { frame, choice, problems });
    }
    let per_page = if choice.thermal { 1 } else { 14 };
    let mut pages: Vec<Vec<Label>> = Vec::new();
    for label in labels.into_iter().flat_map(|label| std::iter::repeat_n(label, copies as usize)) {
        match pages.last_mut() {
            Some(page) if page.len() < per_page => page.push(label),
            _ => pages.push(vec![label]),
        }
    }
    let count = say("labels-count", &[("count", &i18n::number(lang, total as f64, 0))]);
    let sheet = if choice.thermal { "thermal" } else { "a4" };
    let back = choice.address(sheet);
    render(StatusCode::OK, &PrintPage { frame, sheet, pages, count, back })
}

/// What the choice names.
enum Chosen {
    Boxes(Vec<ArchiveBox>, HashMap<i64, String>),
    Shelves(Vec<Location>),
    NoPlace,
    NoFonds,
    /// Scanned codes naming nothing of the kind asked.
    Unknown(Vec<String>),
}

fn chosen(
    conn: &mut diesel::PgConnection,
    shelves: bool,
    place: &str,
    fonds_code: &str,
    codes: &[String],
) -> Result<Chosen> {
    // One past the most, to say there are too many.
    let limit = MOST_LABELS as i64 + 1;
    let place = match place {
        "" => None,
        code => match locations::find_by_code(conn, code)? {
            Some(place) => Some(place),
            None => return Ok(Chosen::NoPlace),
        },
    };
    if shelves {
        let found = match place {
            Some(place) => locations::shelves_within(conn, place.id, limit)?,
            None => {
                let mut found = Vec::new();
                let mut unknown = Vec::new();
                for code in codes {
                    match locations::find_by_code(conn, code)? {
                        Some(shelf) => found.push(shelf),
                        None => unknown.push(code.clone()),
                    }
                }
                if !unknown.is_empty() {
                    return Ok(Chosen::Unknown(unknown));
                }
                found
            }
        };
        return Ok(Chosen::Shelves(found));
    }
    let found = match (place, fonds_code) {
        // In shelf order: the boxes standing there and those out that keep a place there.
        (Some(place), _) => {
            let standing: Vec<String> =
                boxes::contents(conn, place.id, None, limit)?.into_iter().map(|b| b.barcode).collect();
            in_order_of(boxes::by_barcodes(conn, &standing)?, &standing)
        }
        (None, "") => {
            let found = boxes::by_barcodes(conn, codes)?;
            let unknown: Vec<String> =
                codes.iter().filter(|c| !found.iter().any(|b| b.barcode.eq_ignore_ascii_case(c))).cloned().collect();
            if !unknown.is_empty() {
                return Ok(Chosen::Unknown(unknown));
            }
            in_order_of(found, codes)
        }
        (None, code) => {
            if fonds::find_by_code(conn, code)?.is_none() {
                return Ok(Chosen::NoFonds);
            }
            let filter = BoxFilter { fonds: Some(code.to_string()), ..BoxFilter::default() };
            boxes::list(conn, &filter, None, limit)?.into_iter().map(|(_, listed)| listed.r#box).collect()
        }
    };
    let fonds_ids: Vec<i64> = found.iter().filter_map(|b| b.fonds_id).collect();
    let names = fonds::names(conn, &fonds_ids)?;
    Ok(Chosen::Boxes(found, names))
}

/// `found` in the order of `codes` (each code once).
fn in_order_of(found: Vec<ArchiveBox>, codes: &[String]) -> Vec<ArchiveBox> {
    let mut ordered: Vec<ArchiveBox> = Vec::with_capacity(found.len());
    for code in codes {
        if let Some(b) = found.iter().find(|b| b.barcode.eq_ignore_ascii_case(code))
            && !ordered.iter().any(|o| o.id == b.id)
        {
            ordered.push(b.clone());
        }
    }
    ordered
}

fn box_label(lang: Language, found: &ArchiveBox, names: &HashMap<i64, String>) -> Label {
    let fonds = match (&found.fonds_code, found.fonds_id.and_then(|id| names.get(&id))) {
        (Some(code), Some(name)) => Some(format!("{code} · {name}")),
        (Some(code), None) => Some(code.clone()),
        _ => None,
    };
    Label {
        over: fonds,
        heading: found.label.clone().unwrap_or_else(|| found.barcode.clone()),
        barcode: code_128(lang, &found.barcode),
        code: found.barcode.clone(),
        under: Some(i18n::text(lang, "labels-home", &[("path", &found.home_location.path_code)])),
    }
}

fn shelf_label(lang: Language, shelf: &Location) -> Label {
    Label {
        over: shelf.name.clone(),
        heading: shelf.path_code.clone(),
        barcode: code_128(lang, &shelf.barcode),
        code: shelf.barcode.clone(),
        under: None,
    }
}

/// `code` as a Code 128 barcode (character set B: printable ASCII), drawn as SVG sized in
/// millimetres: bars as wide as fit the label, never narrower than a scanner reads well.
pub(super) fn code_128(lang: Language, code: &str) -> Result<String, String> {
    let unprintable = || i18n::text(lang, "labels-not-encodable", &[]);
    if !code.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Err(unprintable());
    }
    let modules = Code128::new(format!("Ɓ{code}")).map_err(|_| unprintable())?.encode();
    let bar_mm = (WIDEST_BARCODE_MM / modules.len() as f64).min(WIDEST_BAR_MM);
    if bar_mm < NARROWEST_BAR_MM {
        return Err(i18n::text(lang, "labels-too-long", &[]));
    }
    let drawn = SVG::new(1).generate(&modules).map_err(|_| unprintable())?;
    let sized = format!(
        r#"<svg width="{:.2}mm" height="{BARCODE_HEIGHT_MM}mm" preserveAspectRatio="none" aria-hidden="true" "#,
        modules.len() as f64 * bar_mm
    );
    Ok(drawn.replacen("<svg ", &sized, 1))
}
