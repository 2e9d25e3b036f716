//! Đề xuất tu bổ / Propose a treatment: a file (picked by its box or by words, or come from the
//! page map or the board with its pages), the pages, the type, the materials with their
//! quantities, the conservators chosen from the staff or typed, the priority and a due date.
//! Each field's problem is said on the field; the proposal then awaits the head's approval.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use diesel::PgConnection;
use serde::Deserialize;

use super::terms::{self, Choice};
use super::{
    FieldProblems, Frame, Submitted, Visitor, failed_read, file, i18n, not_found_page, render, see_other, survey,
    typed_number, unavailable,
};
use crate::conservation::model::{Material, MaterialUnit, Method, NewTreatment, Vocabulary};
use crate::conservation::repo::treatments;
use crate::error::Error;
use crate::holdings::model::PagesInput;
use crate::holdings::repo::files;
use crate::keys::model::Role;
use crate::people::model::Language;
use crate::people::repo as people;

/// Material lines the form offers.
const MATERIAL_LINES: usize = 3;
/// The units a material's quantity may be counted in, as the form offers them, with the
/// message naming each.
const UNITS: [(MaterialUnit, &str); 5] = [
    (MaterialUnit::Sheet, "unit-sheet"),
    (MaterialUnit::SquareMetre, "unit-square-metre"),
    (MaterialUnit::Gram, "unit-gram"),
    (MaterialUnit::Millilitre, "unit-millilitre"),
    (MaterialUnit::Litre, "unit-litre"),
];

/// The proposal as typed: each material line's four fields come once per line, in order.
#[derive(Default, Deserialize)]
pub struct Proposal {
    #[serde(default)]
    file: String,
    #[serde(default)]
    pages: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    material: Vec<String>,
    #[serde(default)]
    detail: Vec<String>,
    #[serde(default)]
    quantity: Vec<String>,
    #[serde(default)]
    unit: Vec<String>,
    /// Staff chosen, by name.
    #[serde(default)]
    conservator: Vec<String>,
    /// Others, typed, separated by commas.
    #[serde(default)]
    others: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    reversible: String,
    #[serde(default)]
    notes: String,
}

/// A material line as typed.
pub struct MaterialLine {
    code: String,
    detail: String,
    quantity: String,
    unit: String,
}

#[derive(Template)]
#[template(path = "propose.html")]
struct ProposePage {
    frame: Frame,
    /// The file chosen: id, name, leaves.
    file: Option<(i64, String, i32)>,
    find: String,
    found: Vec<(i64, String)>,
    typed: Proposal,
    lines: Vec<MaterialLine>,
    types: Vec<Choice>,
    materials: Vec<Choice>,
    /// Each unit's value and name.
    units: Vec<(&'static str, String)>,
    staff: Vec<String>,
    problems: FieldProblems,
    problem: Option<String>,
}

impl ProposePage {
    fn chose(&self, name: &str) -> bool {
        self.typed.conservator.iter().any(|chosen| chosen == name)
    }
}

#[derive(Deserialize)]
pub struct Asked {
    file: Option<i64>,
    find: Option<String>,
    pages: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub async fn form(visitor: Visitor, asked: web::Query<Asked>) -> HttpResponse {
    let frame = Frame::of(&visitor, "treatments");
    let Asked { file, find, pages, from, to, kind } = asked.into_inner();
    let pages = pages.map(|p| crate::text::normalize(p.trim())).unwrap_or_else(|| file::typed_range(from, to));
    let mut typed = Proposal { pages, kind: kind.unwrap_or_default(), priority: "2".into(), ..Proposal::default() };
    // Who proposes usually does the work.
    if let Some(signed_in) = visitor.signed_in.as_ref().filter(|s| is_conservator(s.person.role)) {
        typed.conservator.push(signed_in.person.display_name.clone());
    }
    let find = crate::text::normalize(find.unwrap_or_default().trim());
    show(&visitor, frame, file, find, typed, Shown::default(), StatusCode::OK).await
}

fn is_conservator(role: Role) -> bool {
    matches!(role, Role::Conservator | Role::HeadConservator)
}

/// The conservators on the staff (accounts enabled), by name: whom a form offers to choose.
pub fn staff(conn: &mut PgConnection) -> crate::error::Result<Vec<String>> {
    Ok(people::list(conn, None, 1000)?
        .into_iter()
        .filter(|p| p.disabled_at.is_none() && is_conservator(p.role))
        .map(|p| p.display_name)
        .collect())
}

#[derive(Default)]
struct Shown {
    problems: FieldProblems,
    problem: Option<String>,
}

struct Read {
    picked: file::Picked,
    types: Vec<Choice>,
    materials: Vec<Choice>,
    staff: Vec<String>,
}

async fn show(
    visitor: &Visitor,
    frame: Frame,
    file_id: Option<i64>,
    find: String,
    typed: Proposal,
    shown: Shown,
    status: StatusCode,
) -> HttpResponse {
    let (looking, lang) = (find.clone(), frame.lang);
    let read = visitor
        .state
        .with_read_connection(move |conn| {
            let picked = file::picked(conn, file_id, &looking)?;
            let staff = staff(conn)?;
            let types = terms::offered(conn, lang, Vocabulary::TreatmentType)?;
            let materials = terms::offered(conn, lang, Vocabulary::Material)?;
            Ok(Read { picked, types, materials, staff })
        })
        .await;
    let read = match read {
        Ok(read) => read,
        Err(err) => return failed_read(frame, err),
    };
    let problem = shown.problem.or_else(|| {
        (!find.is_empty() && read.picked.file.is_none() && read.picked.found.is_empty())
            .then(|| frame.t("survey-none-found"))
    });
    let lines = (0..MATERIAL_LINES)
        .map(|i| {
            let at = |list: &[String]| list.get(i).cloned().unwrap_or_default();
            MaterialLine {
                code: at(&typed.material),
                detail: at(&typed.detail),
                quantity: at(&typed.quantity),
                unit: at(&typed.unit),
            }
        })
        .collect();
    let page = ProposePage {
        file: read.picked.file,
        found: read.picked.found,
        find,
        typed,
        lines,
        types: read.types,
        materials: read.materials,
        units: UNITS.iter().map(|(unit, key)| (unit.as_str(), frame.t(key))).collect(),
        staff: read.staff,
        problems: shown.problems,
        problem,
        frame,
    };
    render(status, &page)
}

/// Records the proposal, or shows the form again with each field's problem.
pub async fn submit(Submitted { visitor, form }: Submitted<Proposal>) -> HttpResponse {
    let frame = Frame::of(&visitor, "treatments");
    let Ok(file_id) = form.file.parse::<i64>() else {
        let shown = Shown { problem: Some(frame.t("survey-choose-file")), ..Shown::default() };
        return show(&visitor, frame, None, String::new(), form, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let page_count = match visitor.state.with_read_connection(move |conn| Ok(files::page_count(conn, file_id)?)).await {
        Ok(Some(count)) => count,
        Ok(None) => return not_found_page(frame),
        Err(_) => return unavailable(frame),
    };
    let new = match proposal(frame.lang, file_id, page_count, &form) {
        Ok(new) => new,
        Err(problems) => {
            let shown = Shown { problems, problem: Some(frame.t("treat-fix-fields")) };
            return show(&visitor, frame, Some(file_id), String::new(), form, shown, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let created = visitor.write(move |conn, actor| treatments::create(conn, &new, actor)).await;
    let problem = match created {
        Ok(created) => return see_other(&format!("/treatments/{}?done=proposed", created.treatment.id)),
        Err(Error::Conflict(why)) => i18n::text(frame.lang, "treat-overlap", &[("why", &why)]),
        Err(Error::Invalid(errors)) => {
            errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
        }
        Err(Error::NotFound(_)) => return not_found_page(frame),
        Err(_) => return unavailable(frame),
    };
    let shown = Shown { problem: Some(problem), ..Shown::default() };
    show(&visitor, frame, Some(file_id), String::new(), form, shown, StatusCode::CONFLICT).await
}

/// The proposal as the domain takes it, or each field's problem in the page's language.
fn proposal(lang: Language, file_id: i64, page_count: i32, typed: &Proposal) -> Result<NewTreatment, FieldProblems> {
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let mut problems = FieldProblems::default();
    let pages = match typed.pages.trim() {
        "" => None,
        pages => match survey::pages_of(pages, page_count) {
            Ok(set) => Some(PagesInput::Text(set.to_string())),
            Err((key, part)) => {
                problems.add("pages", say(key, &[("part", &part), ("count", &page_count.to_string())]));
                None
            }
        },
    };
    if typed.kind.is_empty() {
        problems.add("type", say("treat-type-missing", &[]));
    }
    let mut materials = Vec::new();
    for (index, code) in typed.material.iter().enumerate().filter(|(_, code)| !code.is_empty()) {
        let at = |list: &[String]| list.get(index).map(|v| v.trim().to_string()).unwrap_or_default();
        let quantity = match typed_number(&at(&typed.quantity), 1_000_000.0) {
            Ok(quantity) => quantity.filter(|q| *q > 0.0),
            Err(()) => None,
        };
        let unit = at(&typed.unit).parse::<MaterialUnit>().ok();
        if quantity.is_some() != unit.is_some() || (quantity.is_none() && !at(&typed.quantity).is_empty()) {
            problems.add("materials", say("treat-material-quantity", &[]));
        }
        let detail = Some(crate::text::normalize(&at(&typed.detail))).filter(|d| !d.is_empty());
        materials.push(Material { code: code.clone(), detail, quantity, unit });
    }
    let mut conservators: Vec<String> = typed.conservator.clone();
    conservators.extend(typed.others.split(',').map(|n| crate::text::normalize(n.trim())).filter(|n| !n.is_empty()));
    conservators.dedup();
    if conservators.iter().any(|name| name.chars().count() > 200) {
        problems.add("others", say("treat-name-long", &[]));
    }
    let due_date = match typed.due.trim() {
        "" => None,
        due => match NaiveDate::parse_from_str(due, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(due, "%d/%m/%Y"))
        {
            Ok(day) if crate::clock::is_past_date(day) => {
                problems.add("due", say("treat-due-past", &[]));
                None
            }
            Ok(day) => Some(day),
            Err(_) => {
                problems.add("due", say("treat-due-unreadable", &[]));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(NewTreatment {
        file_id,
        pages,
        treatment_type: typed.kind.clone(),
        method: typed.method.parse::<Method>().ok(),
        materials,
        conservators,
        reversible: match typed.reversible.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        before_assessment_id: None,
        notes: Some(crate::text::normalize(typed.notes.trim())).filter(|n| !n.is_empty()),
        status: None,
        started_at: None,
        completed_at: None,
        after: None,
        priority: typed.priority.parse::<i16>().ok().filter(|p| (1..=3).contains(p)),
        due_date,
        hours: None,
        conservator_hours: Vec::new(),
    })
}
