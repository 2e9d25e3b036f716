//! Ghi công việc trong ngày / A day's work: the treatments done on one day over many files, one
//! row each — the file by its reference (`SNV 1/37`), its pages, the type, the condition after
//! and the hours — with the day, the conservators, the method and the materials said once for
//! all. Enter adds a row; every row is logged in one transaction, or none with each row's
//! problems on the row.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::{NaiveDate, TimeZone, Utc};
use diesel::PgConnection;

use super::terms::{self, Choice};
use super::{
    Frame, Submitted, Visitor, failed_read, i18n, render, row_fields, see_other, survey, typed_number, unavailable,
};
use crate::conservation::model::{ConditionInput, Material, Method, NewTreatment, TreatmentStatus, Vocabulary};
use crate::conservation::repo::treatments;
use crate::error::{Error, FieldError, Result};
use crate::holdings::model::{FileFilter, PagesInput};
use crate::holdings::repo::{files, fonds};
use crate::people::model::Language;

/// Rows a day's form takes.
const MOST_ROWS: usize = 200;
/// The hour of the day (UTC: noon in Việt Nam) work logged for a past day is recorded at.
const LOGGED_AT_HOUR: u32 = 5;

/// A row as typed, and what is wrong with it.
#[derive(Default, Clone)]
pub struct Row {
    file: String,
    pages: String,
    kind: String,
    grade: String,
    hours: String,
    problems: Vec<String>,
}

impl Row {
    fn is_empty(&self) -> bool {
        [&self.file, &self.pages, &self.kind, &self.grade, &self.hours].iter().all(|f| f.trim().is_empty())
    }
}

/// What is said once for every row.
#[derive(Default)]
pub struct Shared {
    day: String,
    method: String,
    conservators: Vec<String>,
    others: String,
    materials: Vec<String>,
}

#[derive(Template)]
#[template(path = "day_log.html")]
struct DayPage {
    frame: Frame,
    shared: Shared,
    rows: Vec<Row>,
    focus: usize,
    types: Vec<Choice>,
    materials: Vec<Choice>,
    staff: Vec<String>,
    problem: Option<String>,
}

impl DayPage {
    fn chose(&self, name: &str) -> bool {
        self.shared.conservators.iter().any(|chosen| chosen == name)
    }

    fn used(&self, code: &str) -> bool {
        self.shared.materials.iter().any(|used| used == code)
    }
}

pub async fn form(visitor: Visitor) -> HttpResponse {
    let frame = Frame::of(&visitor, "treatments");
    let mut shared = Shared { day: Utc::now().date_naive().to_string(), ..Shared::default() };
    if let Some(signed_in) = &visitor.signed_in {
        shared.conservators.push(signed_in.person.display_name.clone());
    }
    show(&visitor, frame, shared, vec![Row::default()], None, StatusCode::OK).await
}

async fn show(
    visitor: &Visitor,
    frame: Frame,
    shared: Shared,
    rows: Vec<Row>,
    problem: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let lang = frame.lang;
    let read = visitor
        .state
        .with_read_connection(move |conn| {
            let types = terms::offered(conn, lang, Vocabulary::TreatmentType)?;
            let materials = terms::offered(conn, lang, Vocabulary::Material)?;
            Ok((types, materials, super::propose::staff(conn)?))
        })
        .await;
    let (types, materials, staff) = match read {
        Ok(read) => read,
        Err(err) => return failed_read(frame, err),
    };
    let focus = rows.iter().position(|row| !row.problems.is_empty()).unwrap_or(rows.len().saturating_sub(1));
    render(status, &DayPage { frame, shared, rows, focus, types, materials, staff, problem })
}

/// The form as posted: the shared fields, `action` (`add` a row or `save`), and the rows'
/// fields named `r{row}.{field}`.
pub async fn submit(Submitted { visitor, form }: Submitted<Vec<(String, String)>>) -> HttpResponse {
    let frame = Frame::of(&visitor, "treatments");
    let all = |name: &str| -> Vec<String> {
        form.iter().filter(|(n, _)| n == name).map(|(_, v)| crate::text::normalize(v.trim())).collect()
    };
    let one = |name: &str| all(name).pop().unwrap_or_default();
    let shared = Shared {
        day: one("day"),
        method: one("method"),
        conservators: all("conservator"),
        others: one("others"),
        materials: all("material").into_iter().filter(|m| !m.is_empty()).collect(),
    };
    let mut rows = rows_of(&form);
    if one("action") == "add" {
        if rows.len() < MOST_ROWS {
            rows.push(Row::default());
        }
        return show(&visitor, frame, shared, rows, None, StatusCode::OK).await;
    }
    rows.retain(|row| !row.is_empty());
    if rows.is_empty() {
        let problem = Some(frame.t("survey-no-rows"));
        return show(&visitor, frame, shared, vec![Row::default()], problem, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let lang = frame.lang;
    let Some(completed_at) = logged_at(&shared.day) else {
        let problem = Some(frame.t("treat-day-unreadable"));
        return show(&visitor, frame, shared, rows, problem, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let references: Vec<String> = rows.iter().map(|row| row.file.clone()).collect();
    let found = visitor
        .state
        .with_read_connection(move |conn| {
            references.iter().map(|r| file_by_reference(conn, r)).collect::<Result<Vec<_>>>().map_err(Into::into)
        })
        .await;
    let Ok(found) = found else {
        return unavailable(frame);
    };
    let entries = check(lang, &shared, &mut rows, &found, completed_at);
    if rows.iter().any(|row| !row.problems.is_empty()) {
        let problem = Some(frame.t("treat-day-fix-rows"));
        return show(&visitor, frame, shared, rows, problem, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let logged = visitor.write(move |conn, actor| treatments::create_batch(conn, &entries, actor)).await;
    let refused = match logged {
        Ok(ids) => return see_other(&format!("/treatments?stage=waiting&logged={}", ids.len())),
        Err(Error::Invalid(errors) | Error::Conflicts(errors)) => errors,
        Err(_) => return unavailable(frame),
    };
    for FieldError { field, message, .. } in refused {
        let row = field.strip_prefix("entries[").and_then(|r| r.split(']').next()?.parse::<usize>().ok());
        if let Some(row) = row.and_then(|row| rows.get_mut(row)) {
            row.problems.push(i18n::text(lang, "treat-overlap", &[("why", &message)]));
        }
    }
    let problem = Some(frame.t("treat-day-fix-rows"));
    show(&visitor, frame, shared, rows, problem, StatusCode::CONFLICT).await
}

/// When work of `day` (`2026-12-04`) is recorded: noon in Việt Nam, or now for work of today
/// logged before then; none for a day unreadable or to come.
fn logged_at(day: &str) -> Option<chrono::DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok().filter(|d| !crate::clock::is_future_date(*d))?;
    let noon = Utc.from_utc_datetime(&day.and_hms_opt(LOGGED_AT_HOUR, 0, 0)?);
    Some(noon.min(Utc::now()))
}

/// A file by the reference the app shows (`SNV 1/37`: the fonds' code, inventory and file
/// numbers): its id and leaves; none when no file has it.
fn file_by_reference(conn: &mut PgConnection, typed: &str) -> Result<Option<(i64, i32)>> {
    let Some((code, numbers)) = typed.trim().rsplit_once(' ') else { return Ok(None) };
    let Some((inventory, file)) = numbers.split_once('/') else { return Ok(None) };
    let (Ok(inventory), Ok(file)) = (inventory.parse::<i32>(), file.parse::<i32>()) else { return Ok(None) };
    let Some(fonds) = fonds::find_by_code(conn, code)? else { return Ok(None) };
    let filter = FileFilter { fonds_id: Some(fonds.id), q: Some(numbers.to_string()), ..FileFilter::default() };
    Ok(files::list(conn, &filter, None, 50)?
        .into_iter()
        .map(|(_, f)| f)
        .find(|f| f.inventory_no == inventory && f.file_no == file)
        .map(|f| (f.id, f.page_count)))
}

/// The rows of a posted form, in order of their numbers.
fn rows_of(form: &[(String, String)]) -> Vec<Row> {
    let mut rows: BTreeMap<usize, Row> = BTreeMap::new();
    for (row, field, value) in row_fields(form, MOST_ROWS) {
        let line = rows.entry(row).or_default();
        let value = value.trim().to_string();
        match field {
            "file" => line.file = value,
            "pages" => line.pages = value,
            "type" => line.kind = value,
            "grade" => line.grade = value,
            "hours" => line.hours = value,
            _ => {}
        }
    }
    rows.into_values().collect()
}

/// Each row checked, its problems said on it: a file that exists, pages within it, a type, the
/// condition after, hours as a number. The rows as treatments done.
fn check(
    lang: Language,
    shared: &Shared,
    rows: &mut [Row],
    found: &[Option<(i64, i32)>],
    completed_at: chrono::DateTime<Utc>,
) -> Vec<NewTreatment> {
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let mut conservators = shared.conservators.clone();
    conservators.extend(shared.others.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()));
    let materials: Vec<Material> = shared
        .materials
        .iter()
        .map(|code| Material { code: code.clone(), detail: None, quantity: None, unit: None })
        .collect();
    let mut entries = Vec::new();
    for (row, file) in rows.iter_mut().zip(found) {
        let Some((file_id, page_count)) = *file else {
            row.problems.push(say("treat-day-file-unknown", &[("file", &row.file)]));
            continue;
        };
        let pages = match row.pages.as_str() {
            "" => None,
            typed => match survey::pages_of(typed, page_count) {
                Ok(set) => Some(PagesInput::Text(set.to_string())),
                Err((key, part)) => {
                    row.problems.push(say(key, &[("part", &part), ("count", &page_count.to_string())]));
                    None
                }
            },
        };
        if row.kind.is_empty() {
            row.problems.push(say("treat-type-missing", &[]));
        }
        let grade = row.grade.parse::<i16>().ok().filter(|g| (1..=4).contains(g));
        if grade.is_none() {
            row.problems.push(say("treat-grade-after-missing", &[]));
        }
        let hours = typed_number(&row.hours, 10_000.0).unwrap_or_else(|()| {
            row.problems.push(say("treat-hours-number", &[]));
            None
        });
        entries.push(NewTreatment {
            file_id,
            pages,
            treatment_type: row.kind.clone(),
            method: shared.method.parse::<Method>().ok(),
            materials: materials.clone(),
            conservators: conservators.clone(),
            reversible: None,
            before_assessment_id: None,
            notes: None,
            status: Some(TreatmentStatus::Completed),
            started_at: None,
            completed_at: Some(completed_at),
            after: grade.map(|grade| ConditionInput::of_grade(grade, None)),
            priority: None,
            due_date: None,
            hours,
            conservator_hours: Vec::new(),
        });
    }
    entries
}
