//! Shelf audits: a scan compared with the records, stored, and reconciled on request.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::dsl::now;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::boxes as box_repo;
use super::moves::{self, MoveContext, MoveOrder, Refusal};
use super::space::LockedShelves;
use crate::db::lower;
use crate::error::{Error, FieldError, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::schema::{audit_findings, audits, boxes, locations};
use crate::storage::model::{
    Audit, AuditCounts, AuditFilter, AuditOutcome, AuditSummary, AuditedBox, LocationKind, MoveReason, NewAudit,
    UnexpectedBox,
};

/// Rows per INSERT, well under PostgreSQL's 65,535 bind parameters (5 per finding).
const FINDINGS_PER_INSERT: usize = 5_000;

/// Compares a scan with what is recorded at the location and stores the result.
pub fn create(conn: &mut PgConnection, new: &NewAudit, actor: &Actor) -> Result<Audit> {
    let kind: Option<LocationKind> =
        locations::table.find(new.location_id).select(locations::kind).first(conn).optional()?;
    match kind {
        None => return Err(Error::invalid("location_id", format!("no location has id {}", new.location_id))),
        Some(LocationKind::Shelf | LocationKind::Workspace) => {}
        Some(other) => {
            return Err(Error::invalid("location_id", format!("audits are of a shelf or a workspace, not a {other}")));
        }
    }
    // Each barcode counts once, whatever its case; one scanned more than once is one duplicate,
    // listed as first scanned.
    let mut scanned: BTreeMap<String, String> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for barcode in &new.scanned {
        match scanned.entry(barcode.to_lowercase()) {
            Entry::Vacant(entry) => {
                entry.insert(barcode.clone());
            }
            Entry::Occupied(first) if !duplicates.contains(first.get()) => duplicates.push(first.get().clone()),
            Entry::Occupied(_) => {}
        }
    }
    let expected: Vec<(i64, String)> = boxes::table
        .filter(boxes::current_location_id.eq(new.location_id))
        .select((boxes::id, boxes::barcode))
        .load(conn)?;
    let keys: Vec<&String> = scanned.keys().collect();
    let known: HashMap<String, (i64, String, i64)> = boxes::table
        .filter(lower(boxes::barcode).eq_any(keys))
        .select((lower(boxes::barcode), (boxes::id, boxes::barcode, boxes::current_location_id)))
        .load::<(String, (i64, String, i64))>(conn)?
        .into_iter()
        .collect();

    let audit_id: i64 = diesel::insert_into(audits::table)
        .values((
            audits::location_id.eq(new.location_id),
            audits::duplicates.eq(duplicates.into_iter().map(Some).collect::<Vec<_>>()),
            audits::created_by.eq(actor.key_id),
        ))
        .returning(audits::id)
        .get_result(conn)?;
    let expected_ids: HashSet<i64> = expected.iter().map(|(id, _)| *id).collect();
    let mut findings = Vec::new();
    for (id, barcode) in &expected {
        let outcome =
            if scanned.contains_key(&barcode.to_lowercase()) { AuditOutcome::Found } else { AuditOutcome::Missing };
        findings.push((barcode.clone(), outcome, Some(*id), None));
    }
    for (key, barcode) in &scanned {
        match known.get(key) {
            Some((id, _, _)) if expected_ids.contains(id) => {}
            Some((id, stored, recorded)) => {
                findings.push((stored.clone(), AuditOutcome::Unexpected, Some(*id), Some(*recorded)))
            }
            None => findings.push((barcode.clone(), AuditOutcome::Unknown, None, None)),
        }
    }
    for chunk in findings.chunks(FINDINGS_PER_INSERT) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(barcode, outcome, box_id, recorded)| {
                (
                    audit_findings::audit_id.eq(audit_id),
                    audit_findings::barcode.eq(barcode),
                    audit_findings::outcome.eq(outcome),
                    audit_findings::box_id.eq(box_id),
                    audit_findings::recorded_location_id.eq(recorded),
                )
            })
            .collect();
        diesel::insert_into(audit_findings::table).values(rows).execute(conn)?;
    }
    let audit = get(conn, audit_id)?;
    events::record(conn, &[Change::created(&audit)])?;
    Ok(audit)
}

#[derive(QueryableByName)]
struct Finding {
    #[diesel(sql_type = Text)]
    barcode: String,
    #[diesel(sql_type = Text)]
    outcome: AuditOutcome,
    #[diesel(sql_type = Nullable<BigInt>)]
    box_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    recorded_location_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    recorded_path_code: Option<String>,
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Audit> {
    let summary = summaries(conn, Some(id), None, None, 1)?
        .pop()
        .ok_or_else(|| Error::NotFound(format!("no audit has id {id}")))?;
    let findings: Vec<Finding> = diesel::sql_query(
        "SELECT f.barcode, f.outcome, f.box_id, f.recorded_location_id, l.path_code AS recorded_path_code \
         FROM audit_findings f LEFT JOIN locations l ON l.id = f.recorded_location_id \
         WHERE f.audit_id = $1 ORDER BY f.barcode",
    )
    .bind::<BigInt, _>(id)
    .load(conn)?;
    let duplicates: Vec<String> = audits::table
        .find(id)
        .select(audits::duplicates)
        .first::<Vec<Option<String>>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    let mut audit = Audit {
        summary,
        expected: Vec::new(),
        found: Vec::new(),
        missing: Vec::new(),
        unexpected: Vec::new(),
        unknown: Vec::new(),
        duplicates,
    };
    for finding in findings {
        let named = |f: &Finding| AuditedBox { box_id: f.box_id.unwrap_or_default(), barcode: f.barcode.clone() };
        match finding.outcome {
            AuditOutcome::Found => {
                audit.expected.push(named(&finding));
                audit.found.push(named(&finding));
            }
            AuditOutcome::Missing => {
                audit.expected.push(named(&finding));
                audit.missing.push(named(&finding));
            }
            AuditOutcome::Unexpected => audit.unexpected.push(UnexpectedBox {
                box_id: finding.box_id.unwrap_or_default(),
                barcode: finding.barcode,
                recorded_location_id: finding.recorded_location_id.unwrap_or_default(),
                recorded_path_code: finding.recorded_path_code.unwrap_or_default(),
            }),
            AuditOutcome::Unknown => audit.unknown.push(finding.barcode),
        }
    }
    Ok(audit)
}

/// Audits newest first (one audit, or those of a location), before the audit `before`.
pub fn list(
    conn: &mut PgConnection,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditSummary>> {
    summaries(conn, None, filter.location_id, before, limit + 1)
}

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    location_id: i64,
    #[diesel(sql_type = Text)]
    location_path_code: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    created_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = BigInt)]
    created_by: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    reconciled_at: Option<chrono::DateTime<chrono::Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    reconciled_by: Option<i64>,
    #[diesel(sql_type = BigInt)]
    found: i64,
    #[diesel(sql_type = BigInt)]
    missing: i64,
    #[diesel(sql_type = BigInt)]
    unexpected: i64,
    #[diesel(sql_type = BigInt)]
    unknown: i64,
    #[diesel(sql_type = BigInt)]
    duplicates: i64,
}

fn summaries(
    conn: &mut PgConnection,
    id: Option<i64>,
    location_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditSummary>> {
    let rows: Vec<SummaryRow> = diesel::sql_query(
        "SELECT a.id, a.location_id, l.path_code AS location_path_code, a.created_at, a.created_by, \
                a.reconciled_at, a.reconciled_by, \
                count(*) FILTER (WHERE f.outcome = 'found') AS found, \
                count(*) FILTER (WHERE f.outcome = 'missing') AS missing, \
                count(*) FILTER (WHERE f.outcome = 'unexpected') AS unexpected, \
                count(*) FILTER (WHERE f.outcome = 'unknown') AS unknown, \
                cardinality(a.duplicates)::int8 AS duplicates \
         FROM audits a JOIN locations l ON l.id = a.location_id \
         LEFT JOIN audit_findings f ON f.audit_id = a.id \
         WHERE ($1::int8 IS NULL OR a.id = $1) AND ($2::int8 IS NULL OR a.location_id = $2) AND a.id < $3 \
         GROUP BY a.id, l.path_code ORDER BY a.id DESC LIMIT $4",
    )
    .bind::<Nullable<BigInt>, _>(id)
    .bind::<Nullable<BigInt>, _>(location_id)
    .bind::<BigInt, _>(before.unwrap_or(i64::MAX))
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| AuditSummary {
            id: r.id,
            location_id: r.location_id,
            location_path_code: r.location_path_code,
            created_at: r.created_at,
            created_by: r.created_by,
            reconciled_at: r.reconciled_at,
            reconciled_by: r.reconciled_by,
            counts: AuditCounts {
                expected: r.found + r.missing,
                scanned: r.found + r.unexpected + r.unknown,
                found: r.found,
                missing: r.missing,
                unexpected: r.unexpected,
                unknown: r.unknown,
                duplicates: r.duplicates,
            },
        })
        .collect())
}

/// Corrects the records to the audit, once: boxes still recorded here but not scanned are
/// marked missing, unexpected boxes move here (audit_correction), and missing boxes scanned
/// here are found (a `found` movement). When the shelf's space is held by boxes it does not
/// hold, the boxes found standing on it take it: its missing boxes give their space up. A
/// second reconciliation changes nothing.
pub fn reconcile(conn: &mut PgConnection, id: i64, actor: &Actor) -> Result<Audit> {
    let (location_id, reconciled_at) = audits::table
        .find(id)
        .select((audits::location_id, audits::reconciled_at))
        .for_no_key_update()
        .first::<(i64, Option<chrono::DateTime<chrono::Utc>>)>(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no audit has id {id}")))?;
    let before = get(conn, id)?;
    if reconciled_at.is_some() {
        return Ok(before);
    }
    let findings: Vec<(AuditOutcome, Option<i64>)> = audit_findings::table
        .filter(audit_findings::audit_id.eq(id))
        .select((audit_findings::outcome, audit_findings::box_id))
        .load(conn)?;
    let boxes_with = |outcome: AuditOutcome| -> Vec<i64> {
        findings.iter().filter(|(o, _)| *o == outcome).filter_map(|(_, id)| *id).collect()
    };
    // Only boxes still recorded here can be missing from here.
    let newly_missing: Vec<i64> = boxes::table
        .filter(boxes::id.eq_any(boxes_with(AuditOutcome::Missing)))
        .filter(boxes::current_location_id.eq(location_id))
        .filter(boxes::missing.eq(false))
        .select(boxes::id)
        .load(conn)?;
    update_boxes(conn, &newly_missing, |conn| {
        diesel::update(boxes::table.filter(boxes::id.eq_any(&newly_missing)))
            .set((boxes::missing.eq(true), changed_by(actor)))
            .execute(conn)
    })?;

    // Boxes that reached this place since the audit need no correction.
    let unexpected: Vec<i64> = boxes::table
        .filter(boxes::id.eq_any(boxes_with(AuditOutcome::Unexpected)))
        .filter(boxes::current_location_id.ne(location_id))
        .select(boxes::id)
        .load(conn)?;
    let orders: Vec<MoveOrder> =
        unexpected.iter().map(|&box_id| MoveOrder { box_id, to: Some(location_id), ..MoveOrder::default() }).collect();
    let correction = MoveContext { reason: MoveReason::AuditCorrection, note: None, audit_id: Some(id) };
    let mut outcome = moves::move_boxes(conn, &orders, &correction, actor)?;
    if outcome.is_err() && give_up_space(conn, location_id, actor)? {
        outcome = moves::move_boxes(conn, &orders, &correction, actor)?;
    }
    if let Err(refusals) = outcome {
        let errors = refusals
            .into_iter()
            .map(|(index, refusal)| match refusal {
                Refusal::Invalid(_, message) | Refusal::Conflict(message) | Refusal::Forbidden(message) => {
                    FieldError::new(format!("unexpected[{index}]"), message)
                }
            })
            .collect();
        return Err(Error::Conflicts(errors));
    }

    let found_again: Vec<i64> = boxes::table
        .filter(boxes::id.eq_any(boxes_with(AuditOutcome::Found)))
        .filter(boxes::missing)
        .order(boxes::id)
        .select(boxes::id)
        .load(conn)?;
    let found = MoveContext { reason: MoveReason::Found, note: None, audit_id: Some(id) };
    for box_id in found_again {
        moves::settle(conn, box_id, &found, None, actor)?;
    }
    diesel::update(audits::table.find(id))
        .set((audits::reconciled_at.eq(now), audits::reconciled_by.eq(actor.key_id)))
        .execute(conn)?;
    let after = get(conn, id)?;
    events::record(conn, &[Change::new("reconciled", &after, Some(&before))])?;
    Ok(after)
}

/// The missing boxes recorded on this shelf give up the space they hold on it; false if none
/// held any (or the place is no shelf).
fn give_up_space(conn: &mut PgConnection, shelf: i64, actor: &Actor) -> Result<bool> {
    let mut shelves = LockedShelves::lock(conn, [shelf])?;
    if !shelves.has(shelf) {
        // A workspace: its boxes hold space on their home shelves.
        return Ok(false);
    }
    let holding: Vec<(i64, i32)> = boxes::table
        .filter(boxes::current_location_id.eq(shelf))
        .filter(boxes::missing.and(boxes::holds_space))
        .select((boxes::id, boxes::width_mm))
        .load(conn)?;
    if holding.is_empty() {
        return Ok(false);
    }
    for (_, width_mm) in &holding {
        shelves.release(shelf, *width_mm);
    }
    shelves.save(conn)?;
    let ids: Vec<i64> = holding.iter().map(|(id, _)| *id).collect();
    update_boxes(conn, &ids, |conn| {
        diesel::update(boxes::table.filter(boxes::id.eq_any(&ids)))
            .set((boxes::holds_space.eq(false), changed_by(actor)))
            .execute(conn)
    })?;
    Ok(true)
}

/// The columns that make a new version of a box.
type NewVersion = (
    diesel::dsl::Eq<boxes::version, diesel::dsl::Add<boxes::version, i32>>,
    diesel::dsl::Eq<boxes::updated_at, now>,
    diesel::dsl::Eq<boxes::updated_by, i64>,
);

/// A new version of a box, changed now by `actor`.
fn changed_by(actor: &Actor) -> NewVersion {
    (boxes::version.eq(boxes::version + 1), boxes::updated_at.eq(now), boxes::updated_by.eq(actor.key_id))
}

/// Runs `update` on the boxes with these ids and records each one's change in the feed.
fn update_boxes(
    conn: &mut PgConnection,
    ids: &[i64],
    update: impl FnOnce(&mut PgConnection) -> QueryResult<usize>,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let before = box_repo::get_many(conn, ids)?;
    update(conn)?;
    let after = box_repo::get_many(conn, ids)?;
    events::record(conn, &before.iter().zip(&after).map(|(b, a)| Change::updated(b, a)).collect::<Vec<_>>())
}
