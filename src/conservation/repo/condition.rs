//! A file's current condition, page by page, and what follows: its summary, a page's history,
//! the treatment queue. Computed from the records (nothing derived is stored): the latest
//! assessment covering a page, corrections applied, gives its condition; completed treatments
//! since then say whether it still waits.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel_async::AsyncPgConnection;

use super::assessments::{Survey, surveys_of};
use super::treatments::{Done, completed_of};
use crate::conservation::model::{
    Assessment, ConditionSummary, DEFAULT_PRIORITY, PageEvent, PageHistory, PageRun, QueueEntry, QueueFilter,
    QueueStage, QueuedTreatment, Treatment, TreatmentStatus, assessment_records,
};
use crate::error::{Error, Result};
use crate::holdings::model::{File, PageSet};
use crate::schema::{assessments, boxes, files, locations, treatments};
use crate::storage::model::Purpose;

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
        let surveys = surveys_of(file_ids.to_vec()).load(conn)?;
        Ok(Records::from(surveys, completed_of(file_ids.to_vec()).load(conn)?))
    }

    fn from(surveys: Vec<Survey>, completed: Vec<Done>) -> Self {
        let mut records = Records { surveys: HashMap::new(), completed: HashMap::new() };
        for survey in surveys {
            records.surveys.entry(survey.file_id).or_default().push(survey);
        }
        for done in completed {
            records.completed.entry(done.file_id).or_default().push(done);
        }
        records
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
    Ok(summaries_from(files, &records))
}

/// The conservation state of each of `files` from their surveys and completed treatments, as
/// `surveys_of` and `completed_of` read them.
pub fn summaries_of(files: &[File], surveys: Vec<Survey>, completed: Vec<Done>) -> Vec<ConditionSummary> {
    summaries_from(files, &Records::from(surveys, completed))
}

fn summaries_from(files: &[File], records: &Records) -> Vec<ConditionSummary> {
    files
        .iter()
        .map(|file| {
            let (surveys, completed) = records.of_file(file.id);
            summarize(file, &surveys, &completed)
        })
        .collect()
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

/// A file's pages as its page map shows them: runs of pages alike — the same current grade (none:
/// never assessed), live damage or not, an open treatment or not — in page order.
pub fn page_runs(conn: &mut PgConnection, file: &File) -> Result<Vec<PageRun>> {
    Ok(page_runs_of(conn, &[file])?.remove(&file.id).unwrap_or_default())
}

/// `page_runs` of each of `files`, by file id, read in three statements whatever their number.
pub fn page_runs_of(conn: &mut PgConnection, files: &[&File]) -> Result<HashMap<i64, Vec<PageRun>>> {
    let ids: Vec<i64> = files.iter().map(|file| file.id).collect();
    let records = Records::of(conn, &ids)?;
    let mut open: HashMap<i64, Vec<PageSet>> = HashMap::new();
    let treated: Vec<(i64, PageSet)> = treatments::table
        .filter(treatments::file_id.eq_any(&ids))
        .filter(treatments::status.eq_any(TreatmentStatus::OPEN))
        .select((treatments::file_id, treatments::pages))
        .load(conn)?;
    for (file_id, pages) in treated {
        open.entry(file_id).or_default().push(pages);
    }
    Ok(files
        .iter()
        .map(|file| {
            let (surveys, _) = records.of_file(file.id);
            (file.id, runs_of(file, &surveys, open.get(&file.id).map_or(&[][..], Vec::as_slice)))
        })
        .collect())
}

/// A file's runs of pages alike, from its surveys and its open treatments' pages.
fn runs_of(file: &File, surveys: &[&Survey], open: &[PageSet]) -> Vec<PageRun> {
    let (segments, _) = current(surveys, file.page_count);
    // Each page's look (grade, live damage, open treatment), then runs of pages that look alike.
    type Look = (Option<i16>, bool, bool);
    let mut pages: Vec<Look> = vec![(None, false, false); file.page_count.max(0) as usize + 1];
    let mut mark = |set: &PageSet, change: &dyn Fn(&mut Look)| {
        for &(from, to) in set.runs() {
            for page in from.max(1)..=to.min(file.page_count) {
                change(&mut pages[page as usize]);
            }
        }
    };
    for segment in &segments {
        mark(&segment.pages, &|look| look.0 = Some(segment.survey.grade));
        let live = segment.survey.damages.0.iter().filter(|damage| damage.active);
        let damaged = live.fold(PageSet::default(), |all, damage| all.union(&damage.pages()));
        mark(&damaged.intersection(&segment.pages), &|look| look.1 = true);
    }
    for treated in open {
        mark(treated, &|look| look.2 = true);
    }
    let mut runs: Vec<PageRun> = Vec::new();
    for (page, &(grade, live_damage, open_treatment)) in pages.iter().enumerate().skip(1) {
        let page = page as i32;
        match runs.last_mut() {
            Some(run) if (run.grade, run.live_damage, run.open_treatment) == (grade, live_damage, open_treatment) => {
                run.last = page
            }
            _ => runs.push(PageRun { first: page, last: page, grade, live_damage, open_treatment }),
        }
    }
    runs
}

/// Every assessment and treatment covering page `page` of `file`, oldest first. Its two
/// statements are sent together on a pipelined connection: one round trip.
pub async fn page_history(conn: &AsyncPgConnection, file_id: i64, page: i32) -> Result<PageHistory> {
    // `CAST($n AS int4)` keeps the statement unambiguous when the page is written into it as a
    // literal (as the benchmark's pgbench replay does); a typed expression keeps it prepared.
    let page_number = || i64::from(page).into_sql::<BigInt>().fallible_cast::<Integer>();
    // The file's page count and the assessments covering the page, in one statement.
    let covering = files::table
        .left_join(
            assessment_records::table
                .on(assessment_records::file_id.eq(files::id).and(assessment_records::pages.contains(page_number()))),
        )
        .filter(files::id.eq(file_id))
        .select((files::page_count, assessment_records::all_columns.nullable()));
    let treated = treatments::table
        .filter(treatments::file_id.eq(file_id))
        .filter(treatments::pages.contains(page_number()))
        .select(Treatment::as_select());
    let (rows, treatments): (Vec<(i32, Option<Assessment>)>, Vec<Treatment>) = futures_util::future::try_join(
        diesel_async::RunQueryDsl::load(covering, &mut &*conn),
        diesel_async::RunQueryDsl::load(treated, &mut &*conn),
    )
    .await?;
    let page_count =
        rows.first().map(|(count, _)| *count).ok_or_else(|| Error::NotFound(format!("no file has id {file_id}")))?;
    if !(1..=page_count).contains(&page) {
        return Err(Error::NotFound(format!("file {file_id} has pages 1 to {page_count}")));
    }
    let assessments: Vec<Assessment> = rows.into_iter().filter_map(|(_, assessment)| assessment).collect();
    let counting = assessments.iter().filter(|a| a.superseded_by.is_none() && a.withdrawn_at.is_none());
    let current = counting.max_by_key(|a| (a.assessed_at, a.id));
    let events = events_of(&assessments, treatments);
    Ok(PageHistory {
        file_id,
        page,
        current_grade: current.map(|a| a.grade),
        current_assessment_id: current.map(|a| a.id),
        events,
    })
}

/// The assessments and treatments, as events, oldest first.
fn events_of(assessments: &[Assessment], treatments: Vec<Treatment>) -> Vec<PageEvent> {
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
    events
}

/// Every assessment and treatment of file `file_id` touching any of `pages`, oldest first.
pub fn pages_history(conn: &mut PgConnection, file_id: i64, pages: &PageSet) -> Result<Vec<PageEvent>> {
    let assessments: Vec<Assessment> = assessment_records::table
        .filter(assessment_records::file_id.eq(file_id))
        .filter(assessment_records::pages.overlaps_with(pages.clone()))
        .select(Assessment::as_select())
        .load(conn)?;
    let treatments: Vec<Treatment> = treatments::table
        .filter(treatments::file_id.eq(file_id))
        .filter(treatments::pages.overlaps_with(pages.clone()))
        .select(Treatment::as_select())
        .load(conn)?;
    Ok(events_of(&assessments, treatments))
}

/// The queue's entries `skip..skip + take`: files with work at the filter's stage, most urgent
/// first — by priority (the most urgent of their open treatments; normal without one), then
/// worst grade, active damage, most pages — each with its box and where that stands now.
pub fn queue(conn: &mut PgConnection, filter: &QueueFilter, skip: usize, take: usize) -> Result<Vec<QueueEntry>> {
    let stage = filter.stage.unwrap_or(QueueStage::Waiting);
    let statuses = match stage {
        QueueStage::Waiting => TreatmentStatus::OPEN.to_vec(),
        QueueStage::Proposed => vec![TreatmentStatus::Proposed],
        QueueStage::Approved => vec![TreatmentStatus::Approved],
        QueueStage::InProgress => vec![TreatmentStatus::InProgress],
    };
    let at_stage = || {
        let mut query = treatments::table.filter(treatments::status.eq_any(statuses.clone())).into_boxed();
        if let Some(kind) = &filter.treatment_type {
            query = query.filter(treatments::type_.eq(kind.clone()));
        }
        query
    };
    // Candidates: files with an assessment that could put pages in the queue, or with
    // treatments at the later stage asked for.
    let mut candidates = files::table.select(File::as_select()).into_boxed();
    candidates = match stage {
        QueueStage::Waiting => candidates.filter(diesel::dsl::exists(
            assessments::table.filter(assessments::file_id.eq(files::id)).filter(
                assessments::grade.ge(3).or(assessments::recommended_treatments.ne(Vec::<Option<String>>::new())),
            ),
        )),
        _ => candidates.filter(files::id.eq_any(at_stage().select(treatments::file_id))),
    };
    if let Some(fonds_id) = filter.fonds_id {
        candidates = candidates.filter(files::fonds_id.eq(fonds_id));
    }
    let candidates: Vec<File> = candidates.load(conn)?;
    let ids: Vec<i64> = candidates.iter().map(|f| f.id).collect();
    let records = Records::of(conn, &ids)?;
    let mut open: HashMap<i64, Vec<QueuedTreatment>> = HashMap::new();
    let loaded: Vec<QueuedTreatment> = at_stage()
        .filter(treatments::file_id.eq_any(&ids))
        .order((treatments::priority, treatments::due_date.asc().nulls_last(), treatments::id))
        .select((
            treatments::id,
            treatments::file_id,
            treatments::type_,
            treatments::status,
            treatments::pages,
            treatments::priority,
            treatments::due_date,
        ))
        .load(conn)?;
    for treatment in loaded {
        open.entry(treatment.file_id).or_default().push(treatment);
    }
    let mut entries: Vec<QueueEntry> = candidates
        .into_iter()
        .filter_map(|file| {
            let (surveys, done) = records.of_file(file.id);
            let (segments, _) = current(&surveys, file.page_count);
            let treatments = open.remove(&file.id).unwrap_or_default();
            let work = match stage {
                QueueStage::Waiting => waiting(&segments, &done, filter.treatment_type.as_deref())?,
                _ => in_treatment(&segments, &treatments),
            };
            Some(QueueEntry {
                file_id: file.id,
                fonds_id: file.fonds_id,
                inventory_no: file.inventory_no,
                file_no: file.file_no,
                title: file.title,
                box_id: file.box_id,
                box_barcode: None,
                box_path_code: None,
                in_lab: false,
                priority: treatments.iter().map(|t| t.priority).min().unwrap_or(DEFAULT_PRIORITY),
                due_date: treatments.iter().filter_map(|t| t.due_date).min(),
                treatments,
                worst_grade: (work.worst_grade > 0).then_some(work.worst_grade),
                active_damage: work.active_damage,
                pages_waiting_count: work.pages.count(),
                pages_waiting: work.pages,
                treatment_types: work.types,
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        (a.priority, b.worst_grade, b.active_damage, b.pages_waiting_count, a.file_id).cmp(&(
            b.priority,
            a.worst_grade,
            a.active_damage,
            a.pages_waiting_count,
            b.file_id,
        ))
    });
    let mut page: Vec<QueueEntry> = entries.into_iter().skip(skip).take(take).collect();
    let box_ids: Vec<i64> = page.iter().filter_map(|entry| entry.box_id).collect();
    let places: HashMap<i64, (String, String, Option<Purpose>)> = boxes::table
        .inner_join(locations::table.on(locations::id.eq(boxes::current_location_id)))
        .filter(boxes::id.eq_any(&box_ids))
        .select((boxes::id, (boxes::barcode, locations::path_code, locations::purpose)))
        .load::<(i64, (String, String, Option<Purpose>))>(conn)?
        .into_iter()
        .collect();
    for entry in &mut page {
        if let Some((barcode, path_code, purpose)) = entry.box_id.and_then(|id| places.get(&id)) {
            entry.box_barcode = Some(barcode.clone());
            entry.box_path_code = Some(path_code.clone());
            entry.in_lab = *purpose == Some(Purpose::ConservationLab);
        }
    }
    Ok(page)
}

/// The pages in these treatments, with the worst current grade (0: never assessed) and any
/// live damage on them.
fn in_treatment(segments: &[Segment], treatments: &[QueuedTreatment]) -> Waiting {
    let pages = treatments.iter().fold(PageSet::default(), |pages, t| pages.union(&t.pages));
    let mut found = Waiting { pages, worst_grade: 0, active_damage: false, types: Vec::new() };
    for segment in segments {
        let touched = segment.pages.intersection(&found.pages);
        if touched.is_empty() {
            continue;
        }
        found.worst_grade = found.worst_grade.max(segment.survey.grade);
        found.active_damage |= segment
            .survey
            .damages
            .0
            .iter()
            .any(|damage| damage.active && !damage.pages().intersection(&touched).is_empty());
    }
    for treatment in treatments {
        if !found.types.contains(&treatment.treatment_type) {
            found.types.push(treatment.treatment_type.clone());
        }
    }
    found
}
