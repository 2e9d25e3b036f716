//! Tu bổ / Treatments: the board — pages waiting worst first, then treatments proposed, approved
//! and in progress, each file with its box's barcode and where the box stands — and one
//! treatment's page, which moves it along its workflow: approved by the head conservator,
//! started, completed with the condition after and the hours spent, or cancelled with why.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::terms::{self, Choice};
use super::{
    FieldProblems, Frame, Submitted, Tab, Visitor, failed_read, i18n, not_found_page, render, see_other, typed_number,
    unavailable,
};
use crate::conservation::model::{
    ConditionInput, ConservatorHours, QueueEntry, QueueFilter, QueueStage, TransitionRequest, TreatmentDetail,
    TreatmentStatus, Vocabulary,
};
use crate::conservation::repo::{assessments, condition, treatments};
use crate::error::{Error, FieldError};
use crate::holdings::model::FileDetail;
use crate::holdings::repo::{files, fonds};
use crate::keys::model::Permission;
use crate::keys::repo as keys;
use crate::people::model::Language;

/// Files a stage of the board shows at once.
const SHOWN: usize = 50;

/// The board's stages, in its order, with the message naming each.
const STAGES: [(QueueStage, &str); 4] = [
    (QueueStage::Waiting, "treat-stage-waiting"),
    (QueueStage::Proposed, "treat-stage-proposed"),
    (QueueStage::Approved, "treat-stage-approved"),
    (QueueStage::InProgress, "treat-stage-in_progress"),
];

/// A file on the board.
pub struct BoardLine {
    file_id: i64,
    file: String,
    box_barcode: Option<String>,
    /// Where the box stands, and whether that is the lab.
    place: Option<String>,
    in_lab: bool,
    grade: String,
    live_damage: bool,
    pages: String,
    /// The treatments its pages call for.
    calls_for: String,
    priority: String,
    due: Option<String>,
    /// Its treatments at this stage: id, and what it is.
    treatments: Vec<(i64, String)>,
    /// Where a proposal for the waiting pages starts.
    propose: String,
}

#[derive(Template)]
#[template(path = "treatments.html")]
struct BoardPage {
    frame: Frame,
    tabs: Vec<Tab>,
    stage: &'static str,
    lines: Vec<BoardLine>,
    /// The next part of the board, when there is more.
    more: Option<String>,
    may_write: bool,
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct BoardAsked {
    stage: Option<String>,
    skip: Option<usize>,
    /// Treatments just logged from the day's form.
    logged: Option<usize>,
}

pub async fn board(visitor: Visitor, asked: web::Query<BoardAsked>) -> HttpResponse {
    let frame = Frame::of(&visitor, "treatments");
    let lang = frame.lang;
    let stage = asked.stage.as_deref().and_then(|s| s.parse().ok()).unwrap_or(QueueStage::Waiting);
    let skip = asked.skip.unwrap_or(0);
    let read = visitor
        .state
        .with_read_connection(move |conn| {
            let filter = QueueFilter { stage: Some(stage), ..QueueFilter::default() };
            let entries = condition::queue(conn, &filter, skip, SHOWN + 1)?;
            let fonds_ids: Vec<i64> = entries.iter().map(|e| e.fonds_id).collect();
            let codes = fonds::codes(conn, &fonds_ids)?;
            Ok((entries, codes, terms::all(conn, lang, Vocabulary::TreatmentType)?))
        })
        .await;
    let (mut entries, codes, types) = match read {
        Ok(read) => read,
        Err(err) => return failed_read(frame, err),
    };
    let more = (entries.len() > SHOWN).then(|| format!("/treatments?stage={stage}&skip={}", skip + SHOWN));
    entries.truncate(SHOWN);
    let lines = entries.into_iter().map(|entry| board_line(lang, entry, &codes, &types)).collect();
    let tabs = STAGES
        .iter()
        .map(|(tab, key)| Tab { href: format!("/treatments?stage={tab}"), label: frame.t(key), current: *tab == stage })
        .collect();
    let may_write = visitor.may(Permission::WriteTreatments);
    let done = asked.logged.map(|n| i18n::text(lang, "treat-day-logged", &[("count", &n.to_string())]));
    render(StatusCode::OK, &BoardPage { frame, tabs, stage: stage.as_str(), lines, more, may_write, done })
}

fn board_line(lang: Language, entry: QueueEntry, codes: &HashMap<i64, String>, types: &[Choice]) -> BoardLine {
    let say = |key: &str| i18n::text(lang, key, &[]);
    let fonds = codes.get(&entry.fonds_id).map_or("", String::as_str);
    let calls_for: Vec<&str> = entry.treatment_types.iter().map(|code| terms::label(types, code)).collect();
    let pages = entry.pages_waiting.to_string();
    BoardLine {
        propose: format!(
            "/treatments/new?file={}&pages={}",
            entry.file_id,
            form_urlencoded::byte_serialize(pages.as_bytes()).collect::<String>()
        ),
        file_id: entry.file_id,
        file: format!("{fonds} {}/{} · {}", entry.inventory_no, entry.file_no, entry.title),
        box_barcode: entry.box_barcode,
        place: entry.box_path_code,
        in_lab: entry.in_lab,
        grade: entry.worst_grade.map_or_else(|| say("grade-none"), |g| say(&format!("grade-{g}"))),
        live_damage: entry.active_damage,
        pages: format!(
            "{} {} · {pages}",
            i18n::number(lang, entry.pages_waiting_count as f64, 0),
            say("survey-leaves")
        ),
        calls_for: calls_for.join(", "),
        priority: say(&format!("priority-{}", entry.priority)),
        due: entry.due_date.map(|day| i18n::date(lang, day)),
        treatments: entry
            .treatments
            .iter()
            .map(|t| {
                let status = say(&format!("treatment-{}", t.status));
                (t.id, format!("{} · {} · {status}", terms::label(types, &t.treatment_type), t.pages))
            })
            .collect(),
    }
}

/// A step of the workflow as the page shows it.
pub struct StepLine {
    at: String,
    what: String,
    by: String,
    note: String,
}

/// What was typed into the step forms, kept when a step is refused.
#[derive(Default, Deserialize)]
pub struct Step {
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    ph: String,
    #[serde(default)]
    hours: String,
    /// Each conservator's hours, in the order of the treatment's conservators.
    #[serde(default)]
    hours_of: Vec<String>,
}

#[derive(Template)]
#[template(path = "treatment.html")]
struct TreatmentPage {
    frame: Frame,
    id: i64,
    heading: String,
    status: &'static str,
    status_label: String,
    file_id: i64,
    file: String,
    facts: Vec<(String, String)>,
    steps: Vec<StepLine>,
    /// The steps this person may take now: `approved`, `in_progress`, `completed`, `cancelled`.
    next: Vec<&'static str>,
    /// Proposed, and this person may not approve: who may is said.
    awaits_head: bool,
    conservators: Vec<String>,
    typed: Step,
    problems: FieldProblems,
    problem: Option<String>,
    done: Option<String>,
}

impl TreatmentPage {
    fn offers(&self, step: &str) -> bool {
        self.next.contains(&step)
    }

    /// The hours typed for the `index`th conservator.
    fn hours_of(&self, index: &usize) -> &str {
        self.typed.hours_of.get(*index).map_or("", String::as_str)
    }
}

#[derive(Deserialize)]
pub struct Said {
    done: Option<String>,
}

pub async fn page(visitor: Visitor, id: web::Path<i64>, said: web::Query<Said>) -> HttpResponse {
    let frame = Frame::of(&visitor, "treatments");
    const SAID: [&str; 5] = ["proposed", "approved", "in_progress", "completed", "cancelled"];
    let done = said.done.as_deref().filter(|d| SAID.contains(d)).map(|d| frame.t(&format!("treat-done-{d}")));
    let shown = Shown { done, ..Shown::default() };
    show(&visitor, frame, id.into_inner(), Step::default(), shown, StatusCode::OK).await
}

/// What the page says besides the treatment.
#[derive(Default)]
struct Shown {
    problems: FieldProblems,
    problem: Option<String>,
    done: Option<String>,
}

/// What one treatment's page reads.
struct Read {
    detail: TreatmentDetail,
    file: FileDetail,
    names: HashMap<i64, String>,
    types: Vec<Choice>,
    materials: Vec<Choice>,
    grade_after: Option<i16>,
}

async fn show(visitor: &Visitor, frame: Frame, id: i64, typed: Step, shown: Shown, status: StatusCode) -> HttpResponse {
    let lang = frame.lang;
    let read = visitor
        .state
        .with_read_connection(move |conn| {
            let detail = treatments::get(conn, id)?;
            let file = files::detail(conn, detail.treatment.file_id)?;
            let t = &detail.treatment;
            let mut actors = vec![t.created_by];
            actors.extend(detail.transitions.iter().map(|step| step.by));
            let names = keys::names(conn, &actors)?;
            let grade_after = t.after_assessment_id.map(|a| assessments::get(conn, a)).transpose()?.map(|a| a.grade);
            let types = terms::all(conn, lang, Vocabulary::TreatmentType)?;
            let materials = terms::all(conn, lang, Vocabulary::Material)?;
            Ok(Read { detail, file, names, types, materials, grade_after })
        })
        .await;
    let read = match read {
        Ok(read) => read,
        Err(err) => return failed_read(frame, err),
    };
    let page = treatment_page(visitor, frame, read, typed, shown);
    render(status, &page)
}

fn treatment_page(visitor: &Visitor, frame: Frame, read: Read, typed: Step, shown: Shown) -> TreatmentPage {
    let lang = frame.lang;
    let say = |key: &str| i18n::text(lang, key, &[]);
    let Read { detail, file, names, types, materials, grade_after } = read;
    let t = detail.treatment;
    let who = |actor: i64| names.get(&actor).cloned().unwrap_or_else(|| format!("#{actor}"));
    let kind = terms::label(&types, &t.treatment_type).to_string();
    let mut facts = vec![
        (say("file-pages"), format!("{} ({} {})", t.pages, t.page_count, say("survey-leaves"))),
        (say("treat-method"), say(&format!("method-{}", t.method))),
        (say("treat-priority"), say(&format!("priority-{}", t.priority))),
    ];
    if let Some(due) = t.due_date {
        facts.push((say("treat-due"), i18n::date(lang, due)));
    }
    if let Some(in_box) = &file.in_box {
        facts.push((say("file-box"), format!("{} · {}", in_box.barcode, in_box.current_location.path_code)));
    }
    let used: Vec<String> = t
        .materials
        .0
        .iter()
        .map(|m| {
            let mut said = terms::label(&materials, &m.code).to_string();
            if let Some(detail) = &m.detail {
                said.push_str(&format!(" ({detail})"));
            }
            if let (Some(quantity), Some(unit)) = (m.quantity, m.unit) {
                said.push_str(&format!(" · {} {unit}", i18n::number(lang, quantity, 2)));
            }
            said
        })
        .collect();
    if !used.is_empty() {
        facts.push((say("treat-materials"), used.join("; ")));
    }
    let conservators: Vec<String> = t.conservators.iter().flatten().cloned().collect();
    if !conservators.is_empty() {
        facts.push((say("treat-conservators"), conservators.join(", ")));
    }
    if let Some(reversible) = t.reversible {
        facts.push((say("treat-reversible"), say(if reversible { "answer-yes" } else { "answer-no" })));
    }
    if let Some(hours) = t.hours {
        let by: Vec<String> =
            t.conservator_hours.0.iter().map(|h| format!("{} {}", h.name, i18n::number(lang, h.hours, 1))).collect();
        let by = if by.is_empty() { String::new() } else { format!(" ({})", by.join(", ")) };
        facts.push((say("treat-hours"), format!("{}{by}", i18n::number(lang, hours, 1))));
    }
    if let Some(grade) = grade_after {
        facts.push((say("treat-grade-after"), say(&format!("grade-{grade}"))));
    }
    if let Some(notes) = &t.notes {
        facts.push((say("survey-notes"), notes.clone()));
    }
    let steps = detail
        .transitions
        .iter()
        .map(|step| StepLine {
            at: i18n::date_time(lang, step.at),
            what: say(&format!("treat-step-{}", step.to_status)),
            by: who(step.by),
            note: step.note.clone().unwrap_or_default(),
        })
        .collect();
    let (may_write, may_approve) =
        (visitor.may(Permission::WriteTreatments), visitor.may(Permission::ApproveTreatments));
    let next: Vec<&'static str> = [
        TreatmentStatus::Approved,
        TreatmentStatus::InProgress,
        TreatmentStatus::Completed,
        TreatmentStatus::Cancelled,
    ]
    .into_iter()
    .filter(|step| t.status.may_become(*step))
    .filter(|step| may_write && (*step != TreatmentStatus::Approved || may_approve))
    .map(TreatmentStatus::as_str)
    .collect();
    let fonds_code = &file.fonds_code;
    let f = &file.file;
    TreatmentPage {
        id: t.id,
        heading: format!("{} #{} · {kind}", say("treat-title-one"), t.id),
        status: t.status.as_str(),
        status_label: say(&format!("treatment-{}", t.status)),
        file_id: f.id,
        file: format!("{fonds_code} {}/{} · {}", f.inventory_no, f.file_no, f.title),
        facts,
        steps,
        next,
        awaits_head: t.status == TreatmentStatus::Proposed && may_write && !may_approve,
        conservators,
        typed,
        problems: shown.problems,
        problem: shown.problem,
        done: shown.done,
        frame,
    }
}

/// Takes one step of the workflow, as the form says; refused, the page again with why.
pub async fn step(Submitted { visitor, form }: Submitted<Step>, id: web::Path<i64>) -> HttpResponse {
    let frame = Frame::of(&visitor, "treatments");
    let id = id.into_inner();
    let lang = frame.lang;
    let conservators = {
        let read = visitor.state.with_read_connection(move |conn| Ok(treatments::get(conn, id)?)).await;
        match read {
            Ok(detail) => detail.treatment.conservators.into_iter().flatten().collect::<Vec<_>>(),
            Err(err) => return failed_read(frame, err),
        }
    };
    let request = match step_request(lang, &form, &conservators) {
        Ok(request) => request,
        Err(problems) => {
            let shown = Shown { problems, problem: Some(frame.t("treat-fix-step")), done: None };
            return show(&visitor, frame, id, form, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let taken = visitor.write(move |conn, actor| treatments::transition(conn, id, &request, actor)).await;
    let (status, problem) = match taken {
        Ok(stepped) => return see_other(&format!("/treatments/{id}?done={}", stepped.treatment.status)),
        Err(Error::NotFound(_)) => return not_found_page(frame),
        Err(Error::Forbidden(_)) => (StatusCode::FORBIDDEN, frame.t("treat-may-not-approve")),
        Err(Error::Conflict(_)) => (StatusCode::CONFLICT, frame.t("treat-step-stale")),
        Err(Error::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, said_plainly(&errors)),
        Err(_) => return unavailable(frame),
    };
    let shown = Shown { problem: Some(problem), ..Shown::default() };
    show(&visitor, frame, id, form, shown, status).await
}

/// The domain's reasons, each with its field.
fn said_plainly(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

/// The step as the domain takes it, or each field's problem in the page's language: the
/// condition after to complete, a pH from 0 to 14, hours as numbers, why to cancel.
fn step_request(
    lang: Language,
    typed: &Step,
    conservators: &[String],
) -> std::result::Result<TransitionRequest, FieldProblems> {
    let say = |key: &str| i18n::text(lang, key, &[]);
    let mut problems = FieldProblems::default();
    let Ok(to) = typed.to.parse::<TreatmentStatus>() else {
        problems.add("to", say("treat-fix-step"));
        return Err(problems);
    };
    let note = Some(crate::text::normalize(typed.note.trim())).filter(|n| !n.is_empty());
    if to == TreatmentStatus::Cancelled && note.is_none() {
        problems.add("reason", say("treat-cancel-why"));
    }
    let mut request = TransitionRequest {
        to,
        note,
        after: None,
        priority: None,
        due_date: None,
        materials: None,
        hours: None,
        conservator_hours: Vec::new(),
    };
    if to == TreatmentStatus::Completed {
        let grade = typed.grade.parse::<i16>().ok().filter(|g| (1..=4).contains(g));
        if grade.is_none() {
            problems.add("grade", say("treat-grade-after-missing"));
        }
        let ph = match typed_number(&typed.ph, 14.0) {
            Ok(ph) => ph,
            Err(()) => {
                problems.add("ph", say("survey-ph"));
                None
            }
        };
        match typed_number(&typed.hours, 10_000.0) {
            Ok(hours) => request.hours = hours,
            Err(()) => problems.add("hours", say("treat-hours-number")),
        }
        for (name, hours) in conservators.iter().zip(&typed.hours_of) {
            match typed_number(hours, 10_000.0) {
                Ok(Some(hours)) => request.conservator_hours.push(ConservatorHours { name: name.clone(), hours }),
                Ok(None) => {}
                Err(()) => problems.add("hours", say("treat-hours-number")),
            }
        }
        request.after = grade.map(|grade| ConditionInput::of_grade(grade, ph));
    }
    if problems.is_empty() { Ok(request) } else { Err(problems) }
}
