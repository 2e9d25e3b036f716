//! Hồ sơ / File: a file's pages as a map coloured by current grade — each page also showing its
//! grade as a digit, a mark for live damage and one for an open treatment, so colour is never
//! the only signal — with the runs of pages alike as a table (what a screen reader reads), the
//! conservation summary beside, and a range of pages chosen to see its history.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{
    FieldProblems, Frame, Submitted, Visitor, failed_read, i18n, not_found_page, render, see_other, unavailable,
};
use crate::conservation::model::{PageEvent, PageRun};
use crate::conservation::repo::{assessments, condition};
use crate::error::Error;
use crate::holdings::model::{FileDetail, FileFilter, PageSet, PagesInput};
use crate::holdings::repo::files;
use crate::keys::model::Permission;
use crate::people::model::Language;
use crate::storage::repo::boxes;
use diesel::PgConnection;

/// Pages a row of the map holds.
const ROW: i32 = 50;

pub struct MapRow {
    /// The row's first page.
    first: i32,
    /// Its squares, written here (a page's classes are fixed words, nothing to escape): with
    /// 2,000 pages, the template's loop and escaping were most of the page's time.
    squares: String,
}

pub struct RunLine {
    pages: String,
    first: i32,
    last: i32,
    grade: String,
    live_damage: bool,
    open_treatment: bool,
}

pub struct HistoryLine {
    /// The survey's id, while it counts (not withdrawn, not corrected): it may be withdrawn.
    withdrawable: Option<i64>,
    at: String,
    what: String,
    pages: String,
}

#[derive(Template)]
#[template(path = "file.html")]
struct FilePage {
    frame: Frame,
    id: i64,
    heading: String,
    facts: Vec<(String, String)>,
    summary: Vec<(String, String)>,
    rows: Vec<MapRow>,
    runs: Vec<RunLine>,
    page_count: i32,
    from: String,
    to: String,
    problems: FieldProblems,
    /// The pages chosen, and what happened to them (newest first).
    history: Option<(String, Vec<HistoryLine>)>,
    may_survey: bool,
    /// Whether the chosen pages may be proposed for treatment.
    may_treat: bool,
    /// Whether history lines offer to withdraw their survey.
    may_withdraw: bool,
    done: Option<String>,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct Chosen {
    from: Option<String>,
    to: Option<String>,
    /// Survey rows just saved.
    surveyed: Option<usize>,
    /// A survey just withdrawn.
    withdrawn: Option<i64>,
}

/// What the page shows, read in one go.
struct Read {
    detail: FileDetail,
    runs: Vec<PageRun>,
    history: Option<Vec<PageEvent>>,
}

pub async fn page(visitor: Visitor, id: web::Path<i64>, chosen: web::Query<Chosen>) -> HttpResponse {
    let frame = Frame::of(&visitor, "");
    let done = match (chosen.surveyed, chosen.withdrawn) {
        (Some(n), _) => Some(i18n::text(frame.lang, "file-surveyed", &[("count", &n.to_string())])),
        (None, Some(_)) => Some(frame.t("file-withdrawn-done")),
        (None, None) => None,
    };
    let (from, to) = (chosen.from.clone().unwrap_or_default(), chosen.to.clone().unwrap_or_default());
    show(&visitor, frame, id.into_inner(), (from, to), Said { done, problem: None }, StatusCode::OK).await
}

/// What the page says above the map.
struct Said {
    done: Option<String>,
    problem: Option<String>,
}

async fn show(
    visitor: &Visitor,
    frame: Frame,
    id: i64,
    (from, to): (String, String),
    said: Said,
    status: StatusCode,
) -> HttpResponse {
    let asked = (!from.trim().is_empty() || !to.trim().is_empty()).then(|| (from.clone(), to.clone()));
    let read = visitor
        .state
        .with_read_connection(move |conn| {
            let detail = files::detail(conn, id)?;
            let runs = condition::page_runs(conn, &detail.file)?;
            let pages = asked.and_then(|(from, to)| chosen_pages(&from, &to, detail.file.page_count).ok());
            let history = pages.map(|pages| condition::pages_history(conn, id, &pages)).transpose()?;
            Ok(Read { detail, runs, history })
        })
        .await;
    let read = match read {
        Ok(read) => read,
        Err(err) => return failed_read(frame, err),
    };
    let lang = frame.lang;
    let page_count = read.detail.file.page_count;
    let mut problems = FieldProblems::default();
    let mut history = None;
    if !from.trim().is_empty() || !to.trim().is_empty() {
        match chosen_pages(&from, &to, page_count) {
            Ok(pages) => {
                let lines =
                    read.history.unwrap_or_default().iter().rev().map(|event| history_line(lang, event)).collect();
                history = Some((i18n::text(lang, "file-history-of", &[("pages", &pages.to_string())]), lines));
            }
            Err(why) => problems.add("from", i18n::text(lang, why, &[("count", &page_count.to_string())])),
        }
    }
    let detail = &read.detail;
    let file = &detail.file;
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let number = |n: i64| i18n::number(lang, n as f64, 0);
    let mut facts = vec![
        (say("file-fonds", &[]), format!("{} · {}", detail.fonds_code, detail.fonds_name)),
        (say("file-pages", &[]), number(i64::from(page_count))),
    ];
    if let Some(in_box) = &detail.in_box {
        let status = say(&format!("status-{}", in_box.status), &[]);
        facts.push((
            say("file-box", &[]),
            format!("{} · {} ({status})", in_box.barcode, in_box.current_location.path_code),
        ));
    }
    let conservation = &detail.conservation;
    let mut summary: Vec<(String, String)> = conservation
        .pages_by_grade
        .iter()
        .map(|(grade, pages)| (say(&format!("grade-{grade}"), &[]), number(*pages)))
        .collect();
    summary.push((say("grade-none", &[]), number(conservation.pages_never_assessed)));
    summary.push((say("file-waiting", &[]), number(conservation.pages_waiting_count)));
    for (kind, pages) in &conservation.pages_treated_by_type {
        summary.push((say("file-treated", &[("type", kind)]), number(*pages)));
    }
    let page = FilePage {
        id: file.id,
        heading: format!("{} {}/{} · {}", detail.fonds_code, file.inventory_no, file.file_no, file.title),
        facts,
        summary,
        rows: map_rows(&read.runs, page_count),
        runs: read.runs.iter().map(|run| run_line(lang, run)).collect(),
        page_count,
        from,
        to,
        problems,
        history,
        may_survey: visitor.may(Permission::WriteAssessments),
        may_treat: visitor.may(Permission::WriteTreatments),
        may_withdraw: visitor.may(Permission::WithdrawAssessments),
        done: said.done,
        problem: said.problem,
        frame,
    };
    render(if page.problems.is_empty() { status } else { StatusCode::UNPROCESSABLE_ENTITY }, &page)
}

#[derive(Deserialize)]
pub struct Withdrawal {
    reason: String,
    file: i64,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// Withdraws a survey recorded in error (the head conservator), with why; back to the file's
/// page and the range shown.
pub async fn withdraw(Submitted { visitor, form }: Submitted<Withdrawal>, id: web::Path<i64>) -> HttpResponse {
    let (id, frame) = (id.into_inner(), Frame::of(&visitor, ""));
    let Withdrawal { reason, file, from, to } = form;
    let reason = crate::text::normalize(reason.trim());
    let problem = if reason.is_empty() || reason.chars().count() > 2000 {
        Some(frame.t("file-withdraw-reason"))
    } else {
        let withdrawn = visitor.write(move |conn, actor| assessments::withdraw(conn, id, &reason, actor)).await;
        match withdrawn {
            Ok(_) => {
                let back = serde_html_form::to_string([("from", &from), ("to", &to), ("withdrawn", &id.to_string())]);
                return see_other(&format!("/files/{file}?{}#history-heading", back.unwrap_or_default()));
            }
            Err(Error::NotFound(_)) => return not_found_page(frame),
            Err(Error::Conflict(why)) => Some(format!("{} {why}", frame.t("file-withdraw-refused"))),
            Err(_) => return unavailable(frame),
        }
    };
    show(&visitor, frame, file, (from, to), Said { done: None, problem }, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// The pages from `from` to `to` (either alone: that page), or the catalogue key of why not.
fn chosen_pages(from: &str, to: &str, page_count: i32) -> Result<PageSet, &'static str> {
    let number = |text: &str| text.trim().parse::<i32>().ok();
    let (first, last) = match (from.trim(), to.trim()) {
        ("", "") => return Err("file-pages-range"),
        (one, "") | ("", one) => (number(one), number(one)),
        (from, to) => (number(from), number(to)),
    };
    match (first, last) {
        (Some(first), Some(last)) if 1 <= first && first <= last && last <= page_count => {
            PageSet::parse(&PagesInput::Text(format!("{first}-{last}")), page_count).map_err(|_| "file-pages-range")
        }
        _ => Err("file-pages-range"),
    }
}

/// The map's rows of `ROW` pages, each page's classes from its run.
fn map_rows(runs: &[PageRun], page_count: i32) -> Vec<MapRow> {
    let mut cells: Vec<&'static str> = Vec::with_capacity(page_count.max(0) as usize);
    for run in runs {
        let class = cell_class(run);
        cells.extend(std::iter::repeat_n(class, (run.last - run.first + 1) as usize));
    }
    cells
        .chunks(ROW as usize)
        .enumerate()
        .map(|(n, row)| MapRow {
            first: n as i32 * ROW + 1,
            squares: row.iter().map(|class| format!(r#"<b class="{class}"></b>"#)).collect(),
        })
        .collect()
}

/// A page's classes: `g1`–`g4` (or `g0`, never assessed), `d` live damage, `t` an open treatment.
fn cell_class(run: &PageRun) -> &'static str {
    const CLASSES: [[&str; 4]; 5] = [
        ["g0", "g0 t", "g0 d", "g0 d t"],
        ["g1", "g1 t", "g1 d", "g1 d t"],
        ["g2", "g2 t", "g2 d", "g2 d t"],
        ["g3", "g3 t", "g3 d", "g3 d t"],
        ["g4", "g4 t", "g4 d", "g4 d t"],
    ];
    let marks = usize::from(run.open_treatment) + 2 * usize::from(run.live_damage);
    CLASSES[run.grade.unwrap_or(0).clamp(0, 4) as usize][marks]
}

fn run_line(lang: Language, run: &PageRun) -> RunLine {
    let pages = if run.first == run.last { run.first.to_string() } else { format!("{}–{}", run.first, run.last) };
    let grade = match run.grade {
        Some(grade) => i18n::text(lang, &format!("grade-{grade}"), &[]),
        None => i18n::text(lang, "grade-none", &[]),
    };
    RunLine {
        pages,
        first: run.first,
        last: run.last,
        grade,
        live_damage: run.live_damage,
        open_treatment: run.open_treatment,
    }
}

fn history_line(lang: Language, event: &PageEvent) -> HistoryLine {
    let say = |key: &str, args: &[(&str, &str)]| i18n::text(lang, key, args);
    let at = i18n::date_time(lang, event.at);
    match (&event.assessment, &event.treatment) {
        (Some(a), _) => {
            let mut what = say("file-assessed", &[("grade", &say(&format!("grade-{}", a.grade), &[]))]);
            if a.withdrawn_at.is_some() {
                what.push_str(&format!(" ({})", say("file-withdrawn", &[])));
            } else if a.superseded_by.is_some() {
                what.push_str(&format!(" ({})", say("file-superseded", &[])));
            }
            let counts = a.withdrawn_at.is_none() && a.superseded_by.is_none();
            HistoryLine { withdrawable: counts.then_some(a.id), at, what, pages: a.pages.to_string() }
        }
        (None, Some(t)) => {
            let status = say(&format!("treatment-{}", t.status), &[]);
            let what = format!("{} · {status}", t.treatment_type);
            HistoryLine { withdrawable: None, at, what, pages: t.pages.to_string() }
        }
        (None, None) => HistoryLine { withdrawable: None, at, what: String::new(), pages: String::new() },
    }
}

/// Files a search shows.
const FOUND: i64 = 20;

/// The file a form is about (id, `SNV 1/37 · title`, leaves), or, until one is chosen, the
/// files the words find to choose from (id, `1/37 · title`).
#[derive(Default)]
pub struct Picked {
    pub file: Option<(i64, String, i32)>,
    pub found: Vec<(i64, String)>,
}

/// The file `file_id`, or the files of a box whose barcode is `words`, else the files the words
/// find; none for no words.
pub fn picked(conn: &mut PgConnection, file_id: Option<i64>, words: &str) -> crate::error::Result<Picked> {
    if let Some(id) = file_id {
        let detail = files::detail(conn, id)?;
        let f = detail.file;
        let name = format!("{} {}/{} · {}", detail.fonds_code, f.inventory_no, f.file_no, f.title);
        return Ok(Picked { file: Some((f.id, name, f.page_count)), found: Vec::new() });
    }
    if words.is_empty() {
        return Ok(Picked::default());
    }
    let in_box = boxes::by_barcodes(conn, &[words.to_string()])?.first().map(|b| b.id);
    let filter = match in_box {
        Some(box_id) => FileFilter { box_id: Some(box_id), ..FileFilter::default() },
        None => FileFilter { q: Some(words.to_string()), ..FileFilter::default() },
    };
    let found = files::list(conn, &filter, None, FOUND)?.into_iter().take(FOUND as usize);
    Ok(Picked {
        file: None,
        found: found.map(|(_, f)| (f.id, format!("{}/{} · {}", f.inventory_no, f.file_no, f.title))).collect(),
    })
}

/// Pages chosen on the page map (`from`, `to`) as a form's pages field: `12-40`, `12`, or empty.
pub fn typed_range(from: Option<String>, to: Option<String>) -> String {
    match (from.unwrap_or_default().trim(), to.unwrap_or_default().trim()) {
        ("", "") => String::new(),
        (one, "") | ("", one) => one.to_string(),
        (from, to) if from == to => from.to_string(),
        (from, to) => format!("{from}-{to}"),
    }
}
