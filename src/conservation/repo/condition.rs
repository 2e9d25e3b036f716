//! A file's current condition, page by page, and what follows: its summary, a page's history,
//! the treatment queue. Computed from the records (nothing derived is stored): the latest
//! assessment covering a page, corrections applied, gives its condition; completed treatments
//! since then say whether it still waits.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use super::assessments::{Survey, surveys_of};
use super::treatments::{Done, completed_of};
use crate::conservation::model::{
    Assessment, ConditionSummary, PageEvent, PageHistory, QueueEntry, QueueFilter, Treatment, assessment_records,
};
use crate::error::{Error, Result};
use crate::holdings::model::{File, PageSet};
use crate::schema::{assessments, files, treatments};

/// Pages whose current condition comes from one assessment.
struct Segment<'a> {
    pages: PageSet,
    survey: &'a Survey,
}

/// Splits a file's pages by the assessment that describes each now; returns the segments and
/// the pages never assessed. `surveys` are the file's, newest first.
fn current<'a>(surveys: &[&'a Survey], page_count: i32) -> (Vec<Segment<'a>>, PageSet) {
    let mut remaining = PageSet::whole(page_count);
    let mut segments = Vec::new();
    for survey in surveys {
        let pages = survey.pages.intersection(&remaining);
        if !pages.is_empty() {
            remaining = remaining.difference(&pages);
            segments.push(Segment { pages, survey });
        }
    }
    (segments, remaining)
}

/// Pages waiting for treatment: those whose current condition calls for a treatment — the
/// treatments it recommends, or, when it recommends none, any treatment if the grade is 3–4 —
/// that no completed treatment of that type has covered since the assessment. With `only`,
/// pages waiting for that type of treatment.
struct Waiting {
    pages: PageSet,
    worst_grade: i16,
    active_damage: bool,
    types: Vec<String>,
}

fn waiting(segments: &[Segment], completed: &[&Done], only: Option<&str>) -> Option<Waiting> {
    let mut found = Waiting { pages: PageSet::default(), worst_grade: 0, active_damage: false, types: Vec::new() };
    for segment in segments {
        let survey = segment.survey;
        let recommended: Vec<&str> = survey.recommended.iter().flatten().map(String::as_str).collect();
        // The treatment types the segment calls for; None stands for "some treatment".
        let needs: Vec<Option<&str>> = match only {
            Some(kind) if recommended.contains(&kind) || (recommended.is_empty() && survey.grade >= 3) => {
                vec![Some(kind)]
            }
            Some(_) => continue,
            None if !recommended.is_empty() => recommended.iter().map(|kind| Some(*kind)).collect(),
            None if survey.grade >= 3 => vec![None],
            None => continue,
        };
        for need in needs {
            let done = completed
                .iter()
                .filter(|done| {
                    done.completed_at > survey.assessed_at && need.is_none_or(|need| done.treatment_type == need)
                })
                .fold(PageSet::default(), |covered, done| covered.union(&done.pages));
            let left = segment.pages.difference(&done);
            if left.is_empty() {
                continue;
            }
            found.worst_grade = found.worst_grade.max(survey.grade);
            // Live damage counts where pages wait, not on pages treated or surveyed again since.
            found.active_damage |=
                survey.damages.0.iter().any(|damage| damage.active && !damage.pages().intersection(&left).is_empty());
            if let Some(kind) = need
                && !found.types.iter().any(|t| t == kind)
            {
                found.types.push(kind.to_string());
            }
            found.pages = found.pages.union(&left);
        }
    }
    (!found.pages.is_empty()).then_some(found)
}

/// What the condition of some files follows from, by file: their surveys that count (each
/// file's newest first) and their completed treatments.
struct Records {
    surveys: HashMap<i64, Vec<Survey>>,
    completed: HashMap<i64, Vec<Done>>,
}

impl Records {
    fn of(conn: &mut PgConnection, file_ids: &[i64]) -> Result<Self> {
        let mut records = Records { surveys: HashMap::new(), completed: HashMap::new() };
        for survey in surveys_of(conn, file_ids)? {
            records.surveys.entry(survey.file_id).or_default().push(survey);
        }
        for done in completed_of(conn, file_ids)? {
            records.completed.entry(done.file_id).or_default().push(done);
        }
        Ok(records)
    }

    /// The surveys and completed treatments of one file.
    fn of_file(&self, file_id: i64) -> (Vec<&Survey>, Vec<&Done>) {
        let surveys = self.surveys.get(&file_id).into_iter().flatten().collect();
        (surveys, self.completed.get(&file_id).into_iter().flatten().collect())
    }
}

/// The conservation state of each of `files`, in their order.
pub fn summaries(conn: &mut PgConnection, files: &[File]) -> Result<Vec<ConditionSummary>> {
    let records = Records::of(conn, &files.iter().map(|file| file.id).collect::<Vec<_>>())?;
    Ok(files
        .iter()
        .map(|file| {
            let (surveys, completed) = records.of_file(file.id);
            summarize(file, &surveys, &completed)
        })
        .collect())
}

/// A file's conservation state from its surveys (newest first) and completed treatments.
fn summarize(file: &File, surveys: &[&Survey], completed: &[&Done]) -> ConditionSummary {
    let (segments, never) = current(surveys, file.page_count);
    let mut summary = ConditionSummary { pages_never_assessed: never.count(), ..ConditionSummary::default() };
    for grade in 1..=4 {
        summary.pages_by_grade.insert(grade, 0);
    }
    for segment in &segments {
        *summary.pages_by_grade.entry(segment.survey.grade).or_default() += segment.pages.count();
    }
    let mut treated: BTreeMap<String, PageSet> = BTreeMap::new();
    for done in completed {
        let entry = treated.entry(done.treatment_type.clone()).or_default();
        *entry = entry.union(&done.pages);
    }
    summary.pages_treated_by_type = treated.into_iter().map(|(kind, pages)| (kind, pages.count())).collect();
    if let Some(waiting) = waiting(&segments, completed, None) {
        summary.pages_waiting_count = waiting.pages.count();
        summary.pages_waiting = waiting.pages;
    }
    summary
}

/// Every assessment and treatment covering page `page` of `file`, oldest first.
pub fn page_history(conn: &mut PgConnection, file_id: i64, page: i32) -> Result<PageHistory> {
    // `CAST($n AS int4)` keeps the statement unambiguous when the page is written into it as a
    // literal (as the benchmark's pgbench replay does); a typed expression keeps it prepared.
    let page_number = || i64::from(page).into_sql::<BigInt>().fallible_cast::<Integer>();
    // The file's page count and the assessments covering the page, in one statement.
    let rows: Vec<(i32, Option<Assessment>)> = files::table
        .left_join(
            assessment_records::table
                .on(assessment_records::file_id.eq(files::id).and(assessment_records::pages.contains(page_number()))),
        )
        .filter(files::id.eq(file_id))
        .select((files::page_count, assessment_records::all_columns.nullable()))
        .load(conn)?;
    let page_count =
        rows.first().map(|(count, _)| *count).ok_or_else(|| Error::NotFound(format!("no file has id {file_id}")))?;
    if !(1..=page_count).contains(&page) {
        return Err(Error::NotFound(format!("file {file_id} has pages 1 to {page_count}")));
    }
    let assessments: Vec<Assessment> = rows.into_iter().filter_map(|(_, assessment)| assessment).collect();
    let treatments: Vec<Treatment> = treatments::table
        .filter(treatments::file_id.eq(file_id))
        .filter(treatments::pages.contains(page_number()))
        .select(Treatment::as_select())
        .load(conn)?;
    let current = assessments.iter().filter(|a| a.superseded_by.is_none()).max_by_key(|a| (a.assessed_at, a.id));
    let mut events: Vec<PageEvent> = assessments
        .iter()
        .map(|a| PageEvent {
            kind: "assessment".into(),
            at: a.assessed_at,
            assessment: Some(a.clone()),
            treatment: None,
        })
        .chain(treatments.into_iter().map(|t| PageEvent {
            kind: "treatment".into(),
            at: t.completed_at.or(t.started_at).unwrap_or(t.created_at),
            assessment: None,
            treatment: Some(t),
        }))
        .collect();
    // At the same moment, a treatment comes before the assessment recording its result.
    let rank = |event: &PageEvent| match &event.assessment {
        Some(assessment) if assessment.treatment_id.is_some() => 2,
        Some(_) => 0,
        None => 1,
    };
    events.sort_by_key(|event| (event.at, rank(event)));
    Ok(PageHistory {
        file_id,
        page,
        current_grade: current.map(|a| a.grade),
        current_assessment_id: current.map(|a| a.id),
        events,
    })
}

/// Files with pages waiting for treatment, worst first: by worst grade, then active damage,
/// then most pages waiting.
pub fn queue(conn: &mut PgConnection, filter: &QueueFilter) -> Result<Vec<QueueEntry>> {
    // Candidates: files with any assessment that could put pages in the queue.
    let mut candidates =
        files::table
            .filter(diesel::dsl::exists(assessments::table.filter(assessments::file_id.eq(files::id)).filter(
                assessments::grade.ge(3).or(assessments::recommended_treatments.ne(Vec::<Option<String>>::new())),
            )))
            .select(File::as_select())
            .into_boxed();
    if let Some(fonds_id) = filter.fonds_id {
        candidates = candidates.filter(files::fonds_id.eq(fonds_id));
    }
    let candidates: Vec<File> = candidates.load(conn)?;
    let records = Records::of(conn, &candidates.iter().map(|f| f.id).collect::<Vec<_>>())?;
    let mut entries: Vec<QueueEntry> = candidates
        .into_iter()
        .filter_map(|file| {
            let (surveys, done) = records.of_file(file.id);
            let (segments, _) = current(&surveys, file.page_count);
            let waiting = waiting(&segments, &done, filter.treatment_type.as_deref())?;
            Some(QueueEntry {
                file_id: file.id,
                fonds_id: file.fonds_id,
                inventory_no: file.inventory_no,
                file_no: file.file_no,
                title: file.title,
                box_id: file.box_id,
                worst_grade: waiting.worst_grade,
                active_damage: waiting.active_damage,
                pages_waiting_count: waiting.pages.count(),
                pages_waiting: waiting.pages,
                treatment_types: waiting.types,
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        (b.worst_grade, b.active_damage, b.pages_waiting_count, a.file_id).cmp(&(
            a.worst_grade,
            a.active_damage,
            a.pages_waiting_count,
            b.file_id,
        ))
    });
    Ok(entries)
}
