//! Khảo sát / Condition survey: a file picked (its box scanned, or words), then rows of page
//! ranges, each with its grade, damages (their own pages, live or not), pH and the treatments
//! it calls for — by keyboard, Enter adding a row — each row's problems said on the row, and all
//! rows saved as assessments in one transaction, or none.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::terms::{self, Choice};
use super::{
    Frame, Submitted, Visitor, failed_read, file, i18n, not_found_page, render, row_fields, see_other, typed_number,
    unavailable,
};
use crate::conservation::model::{DamageInput, NewAssessment, Vocabulary};
use crate::conservation::repo::assessments;
use crate::error::{Error, FieldError};
use crate::holdings::model::{PageSet, PagesInput};
use crate::holdings::repo::files;
use crate::people::model::Language;

/// Rows a survey takes, and damages a row.
const MOST_ROWS: usize = 100;
const MOST_DAMAGES: usize = 10;

/// A damage as typed on a row.
#[derive(Default, Clone)]
pub struct DamageLine {
    kind: String,
    severity: String,
    pages: String,
    live: bool,
}

/// A row as typed, and what is wrong with it.
#[derive(Default, Clone)]
pub struct Row {
    pages: String,
    grade: String,
    ph: String,
    treatments: Vec<String>,
    damages: Vec<DamageLine>,
    notes: String,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    frame: Frame,
    file: Option<(i64, String, i32)>,
    find: String,
    found: Vec<(i64, String)>,
    rows: Vec<Row>,
    /// The row whose pages field takes the focus.
    focus: usize,
    damage_types: Vec<Choice>,
    treatment_types: Vec<Choice>,
    problem: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct Asked {
    file: Option<i64>,
    find: Option<String>,
    from: Option<String>,
    to: Option<String>,
    saved: Option<usize>,
}

pub async fn page(visitor: Visitor, asked: web::Query<Asked>) -> HttpResponse {
    let frame = Frame::of(&visitor, "survey");
    let Asked { file, find, from, to, saved } = asked.into_inner();
    let pages = file::typed_range(from, to);
    let done = saved.map(|n| i18n::text(frame.lang, "survey-saved", &[("count", &n.to_string())]));
    let rows = vec![Row { pages, ..Row::default() }];
    let find = crate::text::normalize(find.unwrap_or_default().trim());
    show(&visitor, frame, file, find, rows, Said { done, problem: None }, StatusCode::OK).await
}

#[derive(Default)]
struct Said {
    done: Option<String>,
    problem: Option<String>,
}

/// What the page needs: the file, the files found, the vocabularies.
struct Read {
    picked: file::Picked,
    damage_types: Vec<Choice>,
    treatment_types: Vec<Choice>,
}

async fn show(
    visitor: &Visitor,
    frame: Frame,
    file_id: Option<i64>,
    find: String,
    rows: Vec<Row>,
    said: Said,
    status: StatusCode,
) -> HttpResponse {
    let (looking, lang) = (find.clone(), frame.lang);
    let read = visitor
        .state
        .with_read_connection(move |conn| {
            let picked = file::picked(conn, file_id, &looking)?;
            let damage_types = terms::offered(conn, lang, Vocabulary::DamageType)?;
            let treatment_types = terms::offered(conn, lang, Vocabulary::TreatmentType)?;
            Ok(Read { picked, damage_types, treatment_types })
        })
        .await;
    let read = match read {
        Ok(read) => read,
        Err(err) => return failed_read(frame, err),
    };
    let problem = said.problem.or_else(|| {
        (!find.is_empty() && read.picked.file.is_none() && read.picked.found.is_empty())
            .then(|| i18n::text(lang, "survey-none-found", &[]))
    });
    let page = SurveyPage {
        file: read.picked.file,
        found: read.picked.found,
        find,
        focus: rows.iter().position(|row| !row.problems.is_empty()).unwrap_or(rows.len().saturating_sub(1)),
        rows: rows.into_iter().map(with_empty_damage).collect(),
        damage_types: read.damage_types,
        treatment_types: read.treatment_types,
        problem,
        done: said.done,
        frame,
    };
    render(status, &page)
}

/// A row as shown: its damages and one empty, to add another.
fn with_empty_damage(mut row: Row) -> Row {
    if row.damages.len() < MOST_DAMAGES {
        row.damages.push(DamageLine::default());
    }
    row
}

/// The form as posted: `file`, `action` (`add` a row or `save`), and the rows' fields named
/// `r{row}.{field}` (`r0.pages`, `r0.treat` once per treatment, `r0.d1.type`…).
pub async fn submit(Submitted { visitor, form }: Submitted<Vec<(String, String)>>) -> HttpResponse {
    let frame = Frame::of(&visitor, "survey");
    let value = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let Some(file_id) = value("file").and_then(|f| f.parse::<i64>().ok()) else {
        let problem = Some(i18n::text(frame.lang, "survey-choose-file", &[]));
        let said = Said { problem, done: None };
        return show(&visitor, frame, None, String::new(), Vec::new(), said, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let mut rows = rows_of(&form);
    if value("action").as_deref() == Some("add") {
        if rows.len() < MOST_ROWS {
            rows.push(Row::default());
        }
        return show(&visitor, frame, Some(file_id), String::new(), rows, Said::default(), StatusCode::OK).await;
    }
    rows.retain(|row| !row.is_empty());
    let lang = frame.lang;
    if rows.is_empty() {
        return refused(&visitor, frame, file_id, vec![Row::default()], "survey-no-rows").await;
    }
    let page_count = {
        let read = visitor.state.with_read_connection(move |conn| Ok(files::page_count(conn, file_id)?)).await;
        match read {
            Ok(Some(count)) => count,
            Ok(None) => return not_found_page(frame),
            Err(_) => return unavailable(frame),
        }
    };
    let surveys = check(lang, file_id, &mut rows, page_count);
    if rows.iter().any(|row| !row.problems.is_empty()) {
        return refused(&visitor, frame, file_id, rows, "survey-fix-rows").await;
    }
    let saved = visitor
        .write(move |conn, actor| {
            for (index, survey) in surveys.iter().enumerate() {
                assessments::create(conn, survey, actor).map_err(|err| match err {
                    Error::Invalid(errors) => Error::Invalid(
                        errors
                            .into_iter()
                            .map(|e| FieldError::new(format!("rows[{index}].{}", e.field), e.message))
                            .collect(),
                    ),
                    other => other,
                })?;
            }
            Ok(surveys.len())
        })
        .await;
    match saved {
        Ok(count) => see_other(&format!("/files/{file_id}?surveyed={count}")),
        Err(Error::Invalid(errors)) => {
            for error in errors {
                let row = error.field.strip_prefix("rows[").and_then(|r| r.split(']').next()?.parse::<usize>().ok());
                if let Some(row) = row.and_then(|row| rows.get_mut(row)) {
                    row.problems.push(error.message);
                }
            }
            refused(&visitor, frame, file_id, rows, "survey-fix-rows").await
        }
        Err(Error::NotFound(_)) => not_found_page(frame),
        Err(_) => unavailable(frame),
    }
}

/// The rows shown again, refused, with what the page says about them.
async fn refused(visitor: &Visitor, frame: Frame, file_id: i64, rows: Vec<Row>, said: &str) -> HttpResponse {
    let problem = Some(i18n::text(frame.lang, said, &[]));
    let said = Said { problem, done: None };
    show(visitor, frame, Some(file_id), String::new(), rows, said, StatusCode::UNPROCESSABLE_ENTITY).await
}

impl Row {
    /// Whether the row recommends the treatment `code`.
    pub fn treats(&self, code: &str) -> bool {
        self.treatments.iter().any(|t| t == code)
    }

    fn is_empty(&self) -> bool {
        self.pages.trim().is_empty()
            && self.grade.is_empty()
            && self.ph.trim().is_empty()
            && self.treatments.is_empty()
            && self.notes.trim().is_empty()
            && self.damages.iter().all(|d| d.kind.is_empty() && d.pages.trim().is_empty())
    }
}

/// The rows of a posted form, in order of their numbers.
fn rows_of(form: &[(String, String)]) -> Vec<Row> {
    let mut rows: BTreeMap<usize, Row> = BTreeMap::new();
    for (row, field, value) in row_fields(form, MOST_ROWS) {
        let line = rows.entry(row).or_default();
        match field {
            "pages" => line.pages = value,
            "grade" => line.grade = value,
            "ph" => line.ph = value,
            "notes" => line.notes = value,
            "treat" => line.treatments.push(value),
            damage => {
                let Some((index, part)) = damage.strip_prefix('d').and_then(|d| d.split_once('.')) else { continue };
                let Some(index) = index.parse::<usize>().ok().filter(|&d| d < MOST_DAMAGES) else { continue };
                if line.damages.len() <= index {
                    line.damages.resize(index + 1, DamageLine::default());
                }
                let damage = &mut line.damages[index];
                match part {
                    "type" => damage.kind = value,
                    "severity" => damage.severity = value,
                    "pages" => damage.pages = value,
                    "live" => damage.live = true,
                    _ => {}
                }
            }
        }
    }
    for row in rows.values_mut() {
        row.damages.retain(|d| !d.kind.is_empty() || !d.pages.trim().is_empty());
    }
    rows.into_values().collect()
}

/// Each row checked, its problems said on it in the page's language: pages within the file and
/// in order, not in another row, a grade, each damage's type and severity, its pages within the
/// row's, a pH from 0 to 14. The rows as assessments to record.
fn check(lang: Language, file_id: i64, rows: &mut [Row], page_count: i32) -> Vec<NewAssessment> {
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let count = page_count.to_string();
    let mut surveys = Vec::new();
    let mut taken: Vec<(usize, PageSet)> = Vec::new();
    for (index, row) in rows.iter_mut().enumerate() {
        let pages = match pages_of(&row.pages, page_count) {
            Ok(pages) => pages,
            Err(why) => {
                row.problems.push(say(why.0, &[("part", &why.1), ("count", &count)]));
                PageSet::default()
            }
        };
        for (other, theirs) in &taken {
            let shared = theirs.intersection(&pages);
            if !shared.is_empty() {
                let (shared, other) = (shared.to_string(), (other + 1).to_string());
                row.problems.push(say("survey-pages-in-row", &[("pages", &shared), ("row", &other)]));
            }
        }
        taken.push((index, pages.clone()));
        let grade = row.grade.parse::<i16>().ok().filter(|g| (1..=4).contains(g));
        if grade.is_none() {
            row.problems.push(say("survey-grade", &[]));
        }
        let ph = typed_number(&row.ph, 14.0).unwrap_or_else(|()| {
            row.problems.push(say("survey-ph", &[]));
            None
        });
        let mut damages = Vec::new();
        for damage in &row.damages {
            let severity = damage.severity.parse::<i16>().ok().filter(|s| (1..=3).contains(s));
            if damage.kind.is_empty() || severity.is_none() {
                row.problems.push(say("survey-damage-incomplete", &[]));
                continue;
            }
            let own = match damage.pages.trim() {
                "" => None,
                typed => match pages_of(typed, page_count) {
                    Ok(own) if own.is_subset_of(&pages) => Some(own),
                    Ok(own) => {
                        let outside = own.difference(&pages).to_string();
                        row.problems.push(say("survey-damage-outside", &[("pages", &outside)]));
                        None
                    }
                    Err(why) => {
                        row.problems.push(say(why.0, &[("part", &why.1), ("count", &count)]));
                        None
                    }
                },
            };
            damages.push(DamageInput {
                damage_type: damage.kind.clone(),
                severity: severity.unwrap_or(1),
                pages: own.map(|own| PagesInput::Text(own.to_string())),
                active: damage.live,
            });
        }
        surveys.push(NewAssessment {
            file_id,
            pages: Some(PagesInput::Text(pages.to_string())),
            grade: grade.unwrap_or(1),
            damages,
            ph,
            extent_pct: None,
            recommended_treatments: row.treatments.clone(),
            notes: Some(row.notes.trim().to_string()).filter(|n| !n.is_empty()),
            assessed_at: None,
            supersedes_id: None,
        });
    }
    surveys
}

/// Pages as typed (`1-20, 25`): a set within a file of `page_count` pages, or the catalogue key
/// of why not and the part it is about.
pub fn pages_of(typed: &str, page_count: i32) -> Result<PageSet, (&'static str, String)> {
    if typed.trim().is_empty() {
        return Err(("survey-pages-missing", String::new()));
    }
    for part in typed.split(',').map(str::trim) {
        let number = |n: &str| n.trim().parse::<i32>().ok();
        let (first, last) = match part.split_once(['-', '–']) {
            Some((first, last)) => (number(first), number(last)),
            None => (number(part), number(part)),
        };
        match (first, last) {
            (Some(first), Some(last)) if first > last => return Err(("survey-pages-reversed", part.to_string())),
            (Some(first), Some(last)) if first < 1 || last > page_count => {
                return Err(("survey-pages-past-end", part.to_string()));
            }
            (Some(_), Some(_)) => {}
            _ => return Err(("survey-pages-unreadable", part.to_string())),
        }
    }
    PageSet::parse(&PagesInput::Text(typed.to_string()), page_count)
        .map_err(|_| ("survey-pages-unreadable", typed.to_string()))
}
