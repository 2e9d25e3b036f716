//! Treatments: proposing or logging them (one, or a batch of up to 10,000), their workflow,
//! and reading them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::{AssumeNotNull, IntoBoxed, Select, now};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::assessments::{self, CONDITION_VOCABULARIES, CheckedCondition, check_condition};
use super::vocabularies::Terms;
use crate::conservation::model::{
    Assessment, DEFAULT_PRIORITY, Method, NewTreatment, Transition, TransitionRequest, Treatment, TreatmentDetail,
    TreatmentFilter, TreatmentStatus, Vocabulary, total_hours,
};
use crate::error::{Error, FieldError, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::holdings::model::PageSet;
use crate::http::body::Rules;
use crate::keys::model::{Actor, Permission};
use crate::schema::{assessments as assessments_table, files, treatment_transitions, treatments};

/// Rows per INSERT: well under PostgreSQL's 65,535 bind parameters.
const ROWS_PER_INSERT: usize = 1_000;

/// A treatment entry checked and ready to store.
struct Planned {
    file_id: i64,
    pages: PageSet,
    treatment_type: String,
    method: Method,
    materials: serde_json::Value,
    conservators: Vec<Option<String>>,
    reversible: Option<bool>,
    before_assessment_id: Option<i64>,
    notes: Option<String>,
    status: TreatmentStatus,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    after: Option<CheckedCondition>,
    priority: i16,
    due_date: Option<NaiveDate>,
    hours: Option<f64>,
    conservator_hours: serde_json::Value,
}

/// Why an entry cannot be stored: invalid fields, or pages already in an open treatment.
enum Refusal {
    Invalid(Vec<FieldError>),
    Overlap(String),
}

/// Proposes (or logs as completed) one treatment.
pub fn create(conn: &mut PgConnection, new: &NewTreatment, actor: &Actor) -> Result<TreatmentDetail> {
    match plan(conn, std::slice::from_ref(new))?.pop().expect("one entry, one plan") {
        Ok(planned) => Ok(insert(conn, vec![planned], actor)?.remove(0)),
        Err(Refusal::Invalid(errors)) => Err(Error::Invalid(errors)),
        Err(Refusal::Overlap(message)) => Err(Error::Conflict(message)),
    }
}

/// Logs every entry, or none: each refused entry is named (`entries[12].pages`).
pub fn create_batch(conn: &mut PgConnection, entries: &[NewTreatment], actor: &Actor) -> Result<Vec<i64>> {
    let mut planned = Vec::with_capacity(entries.len());
    let (mut invalid, mut overlaps) = (Vec::new(), Vec::new());
    for (index, outcome) in plan(conn, entries)?.into_iter().enumerate() {
        match outcome {
            Ok(entry) => planned.push(entry),
            Err(Refusal::Invalid(errors)) => invalid.extend(
                errors.into_iter().map(|e| FieldError::new(format!("entries[{index}].{}", e.field), e.message)),
            ),
            Err(Refusal::Overlap(message)) => {
                overlaps.push(FieldError::new(format!("entries[{index}].pages"), message))
            }
        }
    }
    match (invalid.is_empty(), overlaps.is_empty()) {
        (true, true) => Ok(insert(conn, planned, actor)?.iter().map(|created| created.treatment.id).collect()),
        (true, false) => Err(Error::Conflicts(overlaps)),
        (false, _) => {
            invalid.extend(overlaps);
            Err(Error::Invalid(invalid))
        }
    }
}

/// Checks entries against their files, the vocabularies, the assessments they name and the
/// open treatments (stored, and earlier in the same batch), with one query of each kind.
fn plan(conn: &mut PgConnection, entries: &[NewTreatment]) -> Result<Vec<std::result::Result<Planned, Refusal>>> {
    let file_ids: Vec<i64> = entries.iter().map(|e| e.file_id).collect();
    // Treatments of one file are planned one transaction at a time (the files locked in id
    // order): two overlapping inserts checking the exclusion constraint together would wait on
    // each other and end in a deadlock, where the later one should simply see the earlier.
    let page_counts: HashMap<i64, i32> = files::table
        .filter(files::id.eq_any(&file_ids))
        .order(files::id)
        .select((files::id, files::page_count))
        .for_no_key_update()
        .load::<(i64, i32)>(conn)?
        .into_iter()
        .collect();
    let before_ids: Vec<i64> = entries.iter().filter_map(|e| e.before_assessment_id).collect();
    let before_files: HashMap<i64, i64> = assessments_table::table
        .filter(assessments_table::id.eq_any(&before_ids))
        .select((assessments_table::id, assessments_table::file_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let mut open: Vec<(i64, String, PageSet)> = treatments::table
        .filter(treatments::file_id.eq_any(&file_ids))
        .filter(treatments::status.eq_any(TreatmentStatus::OPEN))
        .select((treatments::file_id, treatments::type_, treatments::pages))
        .load(conn)?;
    let mut vocabularies = CONDITION_VOCABULARIES.to_vec();
    vocabularies.extend([Vocabulary::TreatmentType, Vocabulary::Material]);
    let terms = Terms::load(conn, &vocabularies)?;

    let mut planned = Vec::with_capacity(entries.len());
    for entry in entries {
        let outcome = plan_one(entry, &page_counts, &before_files, &open, &terms);
        if let Ok(p) = &outcome
            && p.status.is_open()
        {
            open.push((p.file_id, p.treatment_type.clone(), p.pages.clone()));
        }
        planned.push(outcome);
    }
    Ok(planned)
}

fn plan_one(
    entry: &NewTreatment,
    page_counts: &HashMap<i64, i32>,
    before_files: &HashMap<i64, i64>,
    open: &[(i64, String, PageSet)],
    terms: &Terms,
) -> std::result::Result<Planned, Refusal> {
    // The body's own rules are checked here, with the rest, so that a batch names every bad
    // entry in one answer (see `TreatmentBatch`).
    let mut errors = entry.broken_rules();
    for (field, at) in [("started_at", entry.started_at), ("completed_at", entry.completed_at)] {
        if at.is_some_and(crate::clock::is_future) {
            errors.push(FieldError::new(field, crate::clock::FUTURE));
        }
    }
    let Some(&page_count) = page_counts.get(&entry.file_id) else {
        errors.push(FieldError::new("file_id", format!("no file has id {}", entry.file_id)));
        return Err(Refusal::Invalid(errors));
    };
    let pages = match &entry.pages {
        None => PageSet::whole(page_count),
        Some(input) => PageSet::parse(input, page_count).unwrap_or_else(|message| {
            errors.push(FieldError::new("pages", message));
            PageSet::default()
        }),
    };
    terms.check(Vocabulary::TreatmentType, &entry.treatment_type, "type".into(), &mut errors);
    for (index, material) in entry.materials.iter().enumerate() {
        terms.check(Vocabulary::Material, &material.code, format!("materials[{index}].code"), &mut errors);
    }
    if let Some(before) = entry.before_assessment_id {
        match before_files.get(&before) {
            None => errors.push(FieldError::new("before_assessment_id", format!("no assessment has id {before}"))),
            Some(file) if *file != entry.file_id => {
                errors.push(FieldError::new("before_assessment_id", format!("assessment {before} is of another file")))
            }
            Some(_) => {}
        }
    }
    let status = entry.status.unwrap_or(TreatmentStatus::Proposed);
    let after =
        entry.after.as_ref().map(|after| check_condition(after, &pages, page_count, terms, "after.", &mut errors));
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }
    if status.is_open() {
        let taken = open
            .iter()
            .filter(|(file, kind, _)| *file == entry.file_id && *kind == entry.treatment_type)
            .fold(PageSet::default(), |taken, (_, _, set)| taken.union(set));
        let overlap = pages.intersection(&taken);
        if !overlap.is_empty() {
            return Err(Refusal::Overlap(format!(
                "pages {overlap} are already in an open {} treatment of this file",
                entry.treatment_type
            )));
        }
    }
    let completed_at = (status == TreatmentStatus::Completed).then(|| entry.completed_at.unwrap_or_else(Utc::now));
    Ok(Planned {
        file_id: entry.file_id,
        pages,
        treatment_type: entry.treatment_type.clone(),
        method: entry.method.unwrap_or(Method::Manual),
        materials: serde_json::to_value(&entry.materials).expect("materials serialise"),
        conservators: entry.conservators.iter().cloned().map(Some).collect(),
        reversible: entry.reversible,
        before_assessment_id: entry.before_assessment_id,
        notes: entry.notes.clone(),
        status,
        started_at: entry.started_at,
        completed_at,
        after,
        priority: entry.priority.unwrap_or(DEFAULT_PRIORITY),
        due_date: entry.due_date,
        hours: total_hours(entry.hours, &entry.conservator_hours),
        conservator_hours: serde_json::to_value(&entry.conservator_hours).expect("hours serialise"),
    })
}

/// Stores planned treatments (and, for completed ones, their condition after and first
/// transition) in chunked multi-row inserts; returns them in order.
fn insert(conn: &mut PgConnection, planned: Vec<Planned>, actor: &Actor) -> Result<Vec<TreatmentDetail>> {
    let mut created = Vec::with_capacity(planned.len());
    for chunk in planned.chunks(ROWS_PER_INSERT) {
        let mut after_ids = Vec::with_capacity(chunk.len());
        for entry in chunk {
            after_ids.push(match &entry.after {
                Some(after) => Some(assessments::insert(
                    conn,
                    entry.file_id,
                    &entry.pages,
                    after,
                    entry.completed_at,
                    None,
                    actor,
                )?),
                None => None,
            });
        }
        let rows: Vec<_> = chunk
            .iter()
            .zip(&after_ids)
            .map(|(entry, after_id)| {
                (
                    treatments::file_id.eq(entry.file_id),
                    treatments::pages.eq(&entry.pages),
                    treatments::page_count.eq(entry.pages.count() as i32),
                    treatments::type_.eq(&entry.treatment_type),
                    treatments::method.eq(entry.method),
                    treatments::materials.eq(&entry.materials),
                    treatments::conservators.eq(&entry.conservators),
                    treatments::reversible.eq(entry.reversible),
                    treatments::before_assessment_id.eq(entry.before_assessment_id),
                    treatments::after_assessment_id.eq(after_id),
                    treatments::notes.eq(&entry.notes),
                    treatments::status.eq(entry.status),
                    treatments::started_at.eq(entry.started_at),
                    treatments::completed_at.eq(entry.completed_at),
                    treatments::priority.eq(entry.priority),
                    treatments::due_date.eq(entry.due_date),
                    treatments::hours.eq(entry.hours),
                    treatments::conservator_hours.eq(&entry.conservator_hours),
                    treatments::created_by.eq(actor.key_id),
                    treatments::updated_by.eq(actor.key_id),
                )
            })
            .collect();
        let chunk_ids: Vec<i64> = diesel::insert_into(treatments::table)
            .values(rows)
            .returning(treatments::id)
            .get_results(conn)
            .map_err(overlap_meanwhile)?;
        let transitions: Vec<_> = chunk_ids
            .iter()
            .zip(chunk)
            .map(|(id, entry)| {
                (
                    treatment_transitions::treatment_id.eq(*id),
                    treatment_transitions::to_status.eq(entry.status.as_str()),
                    treatment_transitions::by.eq(actor.key_id),
                )
            })
            .collect();
        diesel::insert_into(treatment_transitions::table).values(transitions).execute(conn)?;
        created.extend(record_created(conn, &after_ids.into_iter().flatten().collect::<Vec<_>>(), &chunk_ids)?);
    }
    Ok(created)
}

/// The events of new treatments, each after that of the condition it was completed with;
/// returns the treatments.
fn record_created(
    conn: &mut PgConnection,
    assessment_ids: &[i64],
    treatment_ids: &[i64],
) -> Result<Vec<TreatmentDetail>> {
    let conditions: HashMap<i64, Assessment> =
        assessments::get_many(conn, assessment_ids)?.into_iter().map(|a| (a.id, a)).collect();
    let treatments = get_many(conn, treatment_ids)?;
    let mut changes = Vec::with_capacity(assessment_ids.len() + treatment_ids.len());
    for treatment in &treatments {
        if let Some(condition) = treatment.treatment.after_assessment_id.and_then(|id| conditions.get(&id)) {
            changes.push(Change::created(condition));
        }
        changes.push(Change::created(treatment));
    }
    events::record(conn, &changes)?;
    Ok(treatments)
}

/// A concurrent request put the same pages in an open treatment between our check and insert.
fn overlap_meanwhile(err: DieselError) -> Error {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::ExclusionViolation, _) => {
            Error::Conflict("some pages were just put in an open treatment of the same type; check and retry".into())
        }
        other => other.into(),
    }
}

/// Moves a treatment along its workflow. Approving needs the head conservator (or admin);
/// completing records the condition after as an assessment of the same pages.
pub fn transition(
    conn: &mut PgConnection,
    id: i64,
    request: &TransitionRequest,
    actor: &Actor,
) -> Result<TreatmentDetail> {
    let current: Treatment = treatments::table
        .find(id)
        .select(Treatment::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no treatment has id {id}")))?;
    let before = get(conn, id)?;
    if !current.status.may_become(request.to) {
        return Err(Error::Conflict(format!("a {} treatment cannot become {}", current.status, request.to)));
    }
    if request.to == TreatmentStatus::Approved && !actor.role.may(Permission::ApproveTreatments) {
        return Err(Error::Forbidden(format!("the {} role may not approve treatments", actor.role)));
    }
    let conservators: Vec<&str> = current.conservators.iter().flatten().map(String::as_str).collect();
    let mut errors = request.hours_errors(&conservators);
    // One moment for the step, and for the condition after when it completes.
    let at = Utc::now();
    let mut after_id = None;
    if let (TreatmentStatus::Completed, Some(after)) = (request.to, &request.after) {
        let page_count = files::table.find(current.file_id).select(files::page_count).first(conn)?;
        let mut vocabularies = CONDITION_VOCABULARIES.to_vec();
        vocabularies.push(Vocabulary::Material);
        let terms = Terms::load(conn, &vocabularies)?;
        for (index, material) in request.materials.iter().flatten().enumerate() {
            terms.check(Vocabulary::Material, &material.code, format!("materials[{index}].code"), &mut errors);
        }
        let checked = check_condition(after, &current.pages, page_count, &terms, "after.", &mut errors);
        if errors.is_empty() {
            after_id =
                Some(assessments::insert(conn, current.file_id, &current.pages, &checked, Some(at), None, actor)?);
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let materials = match &request.materials {
        Some(used) => serde_json::to_value(used).expect("materials serialise"),
        None => serde_json::to_value(&current.materials.0).expect("materials serialise"),
    };
    let hours = total_hours(request.hours, &request.conservator_hours).or(current.hours);
    let conservator_hours = match request.conservator_hours.is_empty() {
        true => serde_json::to_value(&current.conservator_hours.0),
        false => serde_json::to_value(&request.conservator_hours),
    }
    .expect("hours serialise");
    let stamp = |status: TreatmentStatus| (request.to == status).then_some(at);
    diesel::update(treatments::table.find(id))
        .set((
            treatments::status.eq(request.to),
            treatments::approved_at.eq(stamp(TreatmentStatus::Approved).or(current.approved_at)),
            treatments::approved_by.eq(stamp(TreatmentStatus::Approved).map(|_| actor.key_id).or(current.approved_by)),
            treatments::started_at.eq(stamp(TreatmentStatus::InProgress).or(current.started_at)),
            treatments::completed_at.eq(stamp(TreatmentStatus::Completed)),
            treatments::after_assessment_id.eq(after_id),
            treatments::cancelled_at.eq(stamp(TreatmentStatus::Cancelled)),
            treatments::priority.eq(request.priority.unwrap_or(current.priority)),
            treatments::due_date.eq(request.due_date.or(current.due_date)),
            treatments::materials.eq(materials),
            treatments::hours.eq(hours),
            treatments::conservator_hours.eq(conservator_hours),
            treatments::version.eq(treatments::version + 1),
            treatments::updated_at.eq(now),
            treatments::updated_by.eq(actor.key_id),
        ))
        .execute(conn)?;
    diesel::insert_into(treatment_transitions::table)
        .values((
            treatment_transitions::treatment_id.eq(id),
            treatment_transitions::from_status.eq(current.status.as_str()),
            treatment_transitions::to_status.eq(request.to.as_str()),
            treatment_transitions::note.eq(&request.note),
            treatment_transitions::by.eq(actor.key_id),
        ))
        .execute(conn)?;
    let after = get(conn, id)?;
    let mut changes: Vec<Change> =
        assessments::get_many(conn, &after_id.into_iter().collect::<Vec<_>>())?.iter().map(Change::created).collect();
    changes.push(Change::new("transitioned", &after, Some(&before)));
    events::record(conn, &changes)?;
    Ok(after)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<TreatmentDetail> {
    get_many(conn, &[id])?.pop().ok_or_else(|| Error::NotFound(format!("no treatment has id {id}")))
}

/// The treatments with these ids, each with its workflow, in id order.
fn get_many(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<TreatmentDetail>> {
    let found: Vec<Treatment> = treatments::table
        .filter(treatments::id.eq_any(ids))
        .order(treatments::id)
        .select(Treatment::as_select())
        .load(conn)?;
    let mut steps: HashMap<i64, Vec<Transition>> = HashMap::new();
    let rows: Vec<(i64, Transition)> = treatment_transitions::table
        .filter(treatment_transitions::treatment_id.eq_any(ids))
        .order(treatment_transitions::id)
        .select((treatment_transitions::treatment_id, Transition::as_select()))
        .load(conn)?;
    for (treatment_id, step) in rows {
        steps.entry(treatment_id).or_default().push(step);
    }
    Ok(found
        .into_iter()
        .map(|treatment| {
            let transitions = steps.remove(&treatment.id).unwrap_or_default();
            TreatmentDetail { treatment, transitions }
        })
        .collect())
}

/// Treatments newest first, before the treatment `before`; `limit + 1` at most.
pub fn list(
    conn: &mut PgConnection,
    filter: &TreatmentFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Treatment>> {
    let mut query = treatments::table.select(Treatment::as_select()).into_boxed();
    if let Some(file_id) = filter.file_id {
        query = query.filter(treatments::file_id.eq(file_id));
    }
    if let Some(fonds_id) = filter.fonds_id {
        query = query
            .filter(treatments::file_id.eq_any(files::table.filter(files::fonds_id.eq(fonds_id)).select(files::id)));
    }
    if let Some(kind) = &filter.treatment_type {
        query = query.filter(treatments::type_.eq(kind.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(treatments::status.eq(status));
    }
    let when =
        diesel::dsl::sql::<diesel::sql_types::Timestamptz>("coalesce(treatments.completed_at, treatments.created_at)");
    if let Some(from) = filter.from {
        query = query.filter(when.clone().ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(when.lt(to));
    }
    Ok(query
        .filter(treatments::id.lt(before.unwrap_or(i64::MAX)))
        .order(treatments::id.desc())
        .limit(limit + 1)
        .load(conn)?)
}

/// A completed treatment, as the current condition is weighed against it.
#[derive(Debug, Clone, Queryable)]
pub struct Done {
    pub file_id: i64,
    pub treatment_type: String,
    pub pages: PageSet,
    pub completed_at: DateTime<Utc>,
}

/// The statement reading the completed treatments (`Done`) of these files, to run on a
/// connection of either kind.
pub type CompletedOf = IntoBoxed<
    'static,
    Select<
        treatments::table,
        (treatments::file_id, treatments::type_, treatments::pages, AssumeNotNull<treatments::completed_at>),
    >,
    Pg,
>;

pub fn completed_of(file_ids: Vec<i64>) -> CompletedOf {
    treatments::table
        .select((treatments::file_id, treatments::type_, treatments::pages, treatments::completed_at.assume_not_null()))
        .into_boxed()
        .filter(treatments::file_id.eq_any(file_ids))
        .filter(treatments::status.eq(TreatmentStatus::Completed))
}
