//! Condition assessments: append-only; a correction supersedes what it corrects.

use chrono::{DateTime, Utc};
use diesel::dsl::{IntoBoxed, Select};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::vocabularies::Terms;
use crate::conservation::model::{
    Assessment, AssessmentFilter, ConditionInput, Damage, NewAssessment, Vocabulary, assessment_records,
};
use crate::db::{Json, Kept};
use crate::error::{Error, FieldError, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::holdings::model::PageSet;
use crate::holdings::repo::files;
use crate::keys::model::Actor;
use crate::schema::{assessment_withdrawals, assessments, files as files_table};

/// A condition checked against its file and the vocabularies, ready to store.
#[derive(Debug, Clone)]
pub struct CheckedCondition {
    pub grade: i16,
    pub damages: Vec<Damage>,
    pub ph: Option<f64>,
    pub extent_pct: Option<f64>,
    pub recommended_treatments: Vec<String>,
    pub notes: Option<String>,
}

/// Checks a condition of `pages` of a file of `page_count` pages: damage types and recommended
/// treatments must be terms in use, damage pages within `pages`. Errors are named under `prefix`.
pub fn check_condition(
    condition: &ConditionInput,
    pages: &PageSet,
    page_count: i32,
    terms: &Terms,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> CheckedCondition {
    let mut damages = Vec::new();
    for (index, damage) in condition.damages.iter().enumerate() {
        let field = |name: &str| format!("{prefix}damages[{index}].{name}");
        terms.check(Vocabulary::DamageType, &damage.damage_type, field("type"), errors);
        let damage_pages = match &damage.pages {
            None => pages.clone(),
            Some(input) => match PageSet::parse(input, page_count) {
                Ok(set) if set.is_subset_of(pages) => set,
                Ok(set) => {
                    let outside = set.difference(pages);
                    errors.push(FieldError::new(
                        field("pages"),
                        format!("pages {outside} are not among the assessed pages"),
                    ));
                    set
                }
                Err(message) => {
                    errors.push(FieldError::new(field("pages"), message));
                    PageSet::default()
                }
            },
        };
        damages.push(Damage {
            damage_type: damage.damage_type.clone(),
            severity: damage.severity,
            pages: damage_pages.to_string(),
            active: damage.active,
        });
    }
    for (index, code) in condition.recommended_treatments.iter().enumerate() {
        terms.check(Vocabulary::TreatmentType, code, format!("{prefix}recommended_treatments[{index}]"), errors);
    }
    CheckedCondition {
        grade: condition.grade,
        damages,
        ph: condition.ph,
        extent_pct: condition.extent_pct,
        recommended_treatments: condition.recommended_treatments.clone(),
        notes: condition.notes.clone(),
    }
}

/// The vocabularies a condition uses.
pub const CONDITION_VOCABULARIES: [Vocabulary; 2] = [Vocabulary::DamageType, Vocabulary::TreatmentType];

/// Stores a checked condition of `pages` as an assessment; returns its id.
pub fn insert(
    conn: &mut PgConnection,
    file_id: i64,
    pages: &PageSet,
    condition: &CheckedCondition,
    assessed_at: Option<DateTime<Utc>>,
    supersedes_id: Option<i64>,
    actor: &Actor,
) -> Result<i64> {
    diesel::insert_into(assessments::table)
        .values((
            assessments::file_id.eq(file_id),
            assessments::pages.eq(pages),
            assessments::page_count.eq(pages.count() as i32),
            assessments::grade.eq(condition.grade),
            assessments::damages.eq(serde_json::to_value(&condition.damages).expect("damages serialise")),
            assessments::ph.eq(condition.ph),
            assessments::extent_pct.eq(condition.extent_pct),
            assessments::recommended_treatments.eq(condition
                .recommended_treatments
                .iter()
                .cloned()
                .map(Some)
                .collect::<Vec<_>>()),
            assessments::notes.eq(&condition.notes),
            assessments::assessed_at.eq(assessed_at.unwrap_or_else(Utc::now)),
            assessments::supersedes_id.eq(supersedes_id),
            assessments::created_by.eq(actor.key_id),
        ))
        .returning(assessments::id)
        .get_result(conn)
        .map_err(|err| match err {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(format!("assessment {} is already superseded", supersedes_id.unwrap_or_default()))
            }
            other => other.into(),
        })
}

/// Records a condition survey.
pub fn create(conn: &mut PgConnection, new: &NewAssessment, actor: &Actor) -> Result<Assessment> {
    let page_count = files::page_count(conn, new.file_id)?
        .ok_or_else(|| Error::invalid("file_id", format!("no file has id {}", new.file_id)))?;
    let mut errors = Vec::new();
    let pages = match &new.pages {
        None => PageSet::whole(page_count),
        Some(input) => PageSet::parse(input, page_count).unwrap_or_else(|message| {
            errors.push(FieldError::new("pages", message));
            PageSet::whole(page_count)
        }),
    };
    let terms = Terms::load(conn, &CONDITION_VOCABULARIES)?;
    let condition = check_condition(&new.condition(), &pages, page_count, &terms, "", &mut errors);
    if new.assessed_at.is_some_and(crate::clock::is_future) {
        errors.push(FieldError::new("assessed_at", crate::clock::FUTURE));
    }
    if let Some(supersedes) = new.supersedes_id {
        let corrected: Option<(i64, Option<i64>, bool)> = assessment_records::table
            .find(supersedes)
            .select((
                assessment_records::file_id,
                assessment_records::superseded_by,
                assessment_records::withdrawn_at.is_not_null(),
            ))
            .first(conn)
            .optional()?;
        match corrected {
            None => errors.push(FieldError::new("supersedes_id", format!("no assessment has id {supersedes}"))),
            Some((file_id, ..)) if file_id != new.file_id => {
                errors.push(FieldError::new("supersedes_id", format!("assessment {supersedes} is of another file")))
            }
            Some((_, Some(by), _)) if errors.is_empty() => {
                return Err(Error::Conflict(format!(
                    "assessment {supersedes} is already superseded by assessment {by}"
                )));
            }
            Some((.., true)) if errors.is_empty() => {
                return Err(Error::Conflict(format!(
                    "assessment {supersedes} is withdrawn: record a new survey instead of a correction"
                )));
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let id = insert(conn, new.file_id, &pages, &condition, new.assessed_at, new.supersedes_id, actor)?;
    let created = get(conn, id)?;
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Assessment> {
    get_many(conn, &[id])?.pop().ok_or_else(|| Error::NotFound(format!("no assessment has id {id}")))
}

/// The assessments with these ids, in id order.
pub fn get_many(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<Assessment>> {
    Ok(assessment_records::table
        .filter(assessment_records::id.eq_any(ids))
        .order(assessment_records::id)
        .select(Assessment::as_select())
        .load(conn)?)
}

/// Assessments newest first (by when they were made), after the keyset `after`.
pub fn list(
    conn: &mut PgConnection,
    filter: &AssessmentFilter,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Vec<Assessment>> {
    let mut query = assessment_records::table.select(Assessment::as_select()).into_boxed();
    if let Some(file_id) = filter.file_id {
        query = query.filter(assessment_records::file_id.eq(file_id));
    }
    if let Some(fonds_id) = filter.fonds_id {
        let of_fonds = files_table::table.filter(files_table::fonds_id.eq(fonds_id)).select(files_table::id);
        query = query.filter(assessment_records::file_id.eq_any(of_fonds));
    }
    if let Some(grade) = filter.grade {
        query = query.filter(assessment_records::grade.eq(grade));
    }
    if let Some(from) = filter.from {
        query = query.filter(assessment_records::assessed_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(assessment_records::assessed_at.lt(to));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            assessment_records::assessed_at
                .lt(at)
                .or(assessment_records::assessed_at.eq(at).and(assessment_records::id.lt(id))),
        );
    }
    Ok(query
        .order((assessment_records::assessed_at.desc(), assessment_records::id.desc()))
        .limit(limit + 1)
        .load(conn)?)
}

/// Whether the assessment in `assessments` counts, as `pk_assessment_counts` says: not
/// withdrawn, and not superseded by a correction that is not withdrawn. Written out so that the
/// planner sees the anti-joins.
const COUNTS: &str = "NOT EXISTS (SELECT 1 FROM assessment_withdrawals w WHERE w.assessment_id = assessments.id) \
    AND NOT EXISTS (SELECT 1 FROM assessments c WHERE c.supersedes_id = assessments.id \
                    AND NOT EXISTS (SELECT 1 FROM assessment_withdrawals w WHERE w.assessment_id = c.id))";

/// Withdraws an assessment recorded in error: it stops counting and stays, marked, in the page
/// history. Once.
pub fn withdraw(conn: &mut PgConnection, id: i64, reason: &str, actor: &Actor) -> Result<Assessment> {
    let found: Option<i64> = assessments::table.find(id).select(assessments::id).first(conn).optional()?;
    found.ok_or_else(|| Error::NotFound(format!("no assessment has id {id}")))?;
    let before = get(conn, id)?;
    let inserted = diesel::insert_into(assessment_withdrawals::table)
        .values((
            assessment_withdrawals::assessment_id.eq(id),
            assessment_withdrawals::reason.eq(reason),
            assessment_withdrawals::withdrawn_by.eq(actor.key_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if inserted == 0 {
        return Err(Error::Conflict(format!("assessment {id} is withdrawn already")));
    }
    let after = get(conn, id)?;
    events::record(conn, &[Change::new("withdrawn", &after, Some(&before))])?;
    Ok(after)
}

/// What the current condition is computed from: a file's assessments that no correction
/// supersedes, newest first.
#[derive(Debug, Clone, Queryable)]
pub struct Survey {
    pub file_id: i64,
    pub id: i64,
    pub pages: PageSet,
    pub grade: i16,
    pub assessed_at: DateTime<Utc>,
    pub recommended: Vec<Option<String>>,
    pub damages: Json<Vec<Damage>>,
}

/// The statement reading what these files' current condition is computed from (`Survey`s), to
/// run on a connection of either kind.
pub type SurveysOf = Kept<
    IntoBoxed<
        'static,
        Select<
            assessments::table,
            (
                assessments::file_id,
                assessments::id,
                assessments::pages,
                assessments::grade,
                assessments::assessed_at,
                assessments::recommended_treatments,
                assessments::damages,
            ),
        >,
        Pg,
    >,
>;

/// Kept: its text never changes, though it holds SQL written out (`COUNTS`), which Diesel would
/// otherwise prepare again for every request.
pub fn surveys_of(file_ids: Vec<i64>) -> SurveysOf {
    // The base table, not assessment_records: the view's treatment join is not needed here and
    // the planner only drops it after the supersedes join, which costs the queue half its time.
    Kept(
        assessments::table
            .select((
                assessments::file_id,
                assessments::id,
                assessments::pages,
                assessments::grade,
                assessments::assessed_at,
                assessments::recommended_treatments,
                assessments::damages,
            ))
            .into_boxed()
            .filter(assessments::file_id.eq_any(file_ids))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(COUNTS))
            .order((assessments::file_id, assessments::assessed_at.desc(), assessments::id.desc())),
    )
}
