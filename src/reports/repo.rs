//! Each figure is one set-based query over the records; the period is `[from, to + 1 day)` in UTC.

use chrono::{DateTime, Days, NaiveTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz};

use super::model::*;
use crate::error::{Error, Result};
use crate::schema::fonds;

/// The figures of `period`, all read from one snapshot so that they agree with each other.
pub fn activity(conn: &mut PgConnection, period: Period) -> Result<ActivityReport> {
    conn.build_transaction().read_only().repeatable_read().run(|conn| {
        // A year of records is aggregated in memory rather than sorted on disk.
        diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(conn)?;
        if let Some(id) = period.fonds_id {
            fonds::table
                .find(id)
                .select(fonds::id)
                .first::<i64>(conn)
                .optional()?
                .ok_or_else(|| Error::invalid("fonds_id", format!("no fonds has id {id}")))?;
        }
        figures(conn, period)
    })
}

fn figures(conn: &mut PgConnection, period: Period) -> Result<ActivityReport> {
    let start = period.from.and_time(NaiveTime::MIN).and_utc();
    let end = (period.to + Days::new(1)).and_time(NaiveTime::MIN).and_utc();
    Ok(ActivityReport {
        period,
        treatments: treatments(conn, start, end, period.fonds_id)?,
        assessments: assessments(conn, start, end, period.fonds_id)?,
        movements: movements(conn, start, end, period.fonds_id)?,
        audits: audits(conn, start, end)?,
        stock: stock(conn, end, period.fonds_id)?,
    })
}

/// A figure's query with the period and fonds bound as $1, $2 and $3.
fn figure(
    sql: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    fonds_id: Option<i64>,
) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
    diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .bind::<Nullable<BigInt>, _>(fonds_id)
}

/// Splits a GROUPING SETS answer into its grouped rows and the total row (`is_total`).
fn split_total<T>(mut rows: Vec<T>, is_total: impl Fn(&T) -> bool) -> (Vec<T>, Option<T>) {
    let total = rows.iter().position(&is_total).map(|at| rows.remove(at));
    (rows, total)
}

const UNITS: &str = "coalesce(sum(x.page_count) FILTER (WHERE f.numbering = 'page'), 0)::bigint AS pages,
    coalesce(sum(x.page_count) FILTER (WHERE f.numbering = 'leaf'), 0)::bigint AS leaves,
    count(DISTINCT x.file_id) AS files";

fn treatments(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    fonds: Option<i64>,
) -> Result<TreatmentFigures> {
    let sql = format!(
        "SELECT x.type AS treatment_type, {UNITS}
         FROM treatments x JOIN files f ON f.id = x.file_id
         WHERE x.status = 'completed' AND x.completed_at >= $1 AND x.completed_at < $2
           AND ($3::bigint IS NULL OR f.fonds_id = $3)
         GROUP BY GROUPING SETS ((x.type), ()) ORDER BY x.type NULLS LAST"
    );
    let rows: Vec<TreatedByType> = figure(&sql, start, end, fonds).load(conn)?;
    let (by_type, total) = split_total(rows, |row| row.treatment_type.is_none());
    Ok(TreatmentFigures { by_type, total: total.map(|t| t.units).unwrap_or_default() })
}

/// Assessments that count: made in the period, not superseded by a correction.
const COUNTED_ASSESSMENTS: &str = "FROM assessments x JOIN files f ON f.id = x.file_id
    WHERE x.assessed_at >= $1 AND x.assessed_at < $2 AND ($3::bigint IS NULL OR f.fonds_id = $3)
      AND NOT EXISTS (SELECT 1 FROM assessments c WHERE c.supersedes_id = x.id)";

fn assessments(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    fonds: Option<i64>,
) -> Result<AssessmentFigures> {
    let sql = format!(
        "SELECT x.grade, coalesce(sum(x.page_count) FILTER (WHERE f.numbering = 'page'), 0)::bigint AS pages,
                coalesce(sum(x.page_count) FILTER (WHERE f.numbering = 'leaf'), 0)::bigint AS leaves
         {COUNTED_ASSESSMENTS}
         GROUP BY GROUPING SETS ((x.grade), ()) ORDER BY x.grade NULLS LAST"
    );
    let rows: Vec<AssessedByGrade> = figure(&sql, start, end, fonds).load(conn)?;
    let (by_grade, total) = split_total(rows, |row| row.grade.is_none());
    // Damages are looked for with jsonb containment: cheap on the many surveys without them.
    let pests = format!(
        "SELECT count(DISTINCT x.file_id) AS count {COUNTED_ASSESSMENTS}
           AND (x.damages @> '[{{\"type\": \"mould\", \"active\": true}}]'
                OR x.damages @> '[{{\"type\": \"insects\", \"active\": true}}]'
                OR x.damages @> '[{{\"type\": \"termites\", \"active\": true}}]')"
    );
    let pests: Count = figure(&pests, start, end, fonds).get_result(conn)?;
    let laminated_units = "(SELECT sum(pk_pages_count(d ->> 'pages')) FROM jsonb_array_elements(x.damages) d
                            WHERE d ->> 'type' = 'laminated')";
    let laminated = format!(
        "SELECT coalesce(sum({laminated_units}) FILTER (WHERE f.numbering = 'page'), 0)::bigint AS pages,
                coalesce(sum({laminated_units}) FILTER (WHERE f.numbering = 'leaf'), 0)::bigint AS leaves
         {COUNTED_ASSESSMENTS} AND x.damages @> '[{{\"type\": \"laminated\"}}]'"
    );
    let laminated: PageUnits = figure(&laminated, start, end, fonds).get_result(conn)?;
    Ok(AssessmentFigures {
        by_grade,
        total: total.map(|t| t.units).unwrap_or_default(),
        files_with_active_pests: pests.count,
        laminated,
    })
}

fn movements(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    fonds: Option<i64>,
) -> Result<MovementFigures> {
    let rows: Vec<MovedByReason> = figure(
        "SELECT m.reason, count(*) AS moves, count(DISTINCT m.box_id) AS boxes
         FROM movements m JOIN boxes b ON b.id = m.box_id
         WHERE m.from_location_id IS NOT NULL AND m.moved_at >= $1 AND m.moved_at < $2
           AND ($3::bigint IS NULL OR b.fonds_id = $3)
         GROUP BY GROUPING SETS ((m.reason), ()) ORDER BY m.reason NULLS LAST",
        start,
        end,
        fonds,
    )
    .load(conn)?;
    let (by_reason, total) = split_total(rows, |row| row.reason.is_none());
    let (total_moves, boxes_moved) = total.map_or((0, 0), |t| (t.moves, t.boxes));
    Ok(MovementFigures { by_reason, total_moves, boxes_moved })
}

fn audits(conn: &mut PgConnection, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<AuditFigures> {
    Ok(figure(
        "SELECT count(*) AS audits, count(a.reconciled_at) AS reconciled,
                count(DISTINCT a.location_id) AS locations_audited,
                coalesce(sum(c.missing), 0)::bigint AS missing, coalesce(sum(c.unexpected), 0)::bigint AS unexpected,
                coalesce(sum(c.unknown), 0)::bigint AS unknown,
                coalesce(sum(c.missing + c.unexpected + c.unknown), 0)::bigint AS discrepancies
         FROM audits a
         CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE outcome = 'missing') AS missing,
                                    count(*) FILTER (WHERE outcome = 'unexpected') AS unexpected,
                                    count(*) FILTER (WHERE outcome = 'unknown') AS unknown
                             FROM audit_findings WHERE audit_id = a.id) c
         WHERE a.created_at >= $1 AND a.created_at < $2",
        start,
        end,
        None,
    )
    .get_result(conn)?)
}

/// Where each box stood at `end`: where its first later movement took it from, or where it is
/// now if it has not moved since. Boxes registered later are left out.
const PLACED_AT_END: &str = "WITH later AS (
        SELECT DISTINCT ON (box_id) box_id, from_location_id FROM movements
        WHERE moved_at >= $2 ORDER BY box_id, moved_at, id),
    placed AS (
        SELECT b.width_mm, b.fonds_id, l.kind, l.purpose
        FROM boxes b LEFT JOIN later ON later.box_id = b.id
        JOIN locations l ON l.id = CASE WHEN later.box_id IS NULL THEN b.current_location_id ELSE later.from_location_id END)";

/// One pass over where the boxes stood: by kind of place, workspace purpose and whether the box
/// is counted (of the fonds asked for); with the shelving's capacity.
#[derive(QueryableByName)]
struct Placed {
    #[diesel(sql_type = BigInt)]
    capacity_mm: i64,
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    purpose: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    counted: Option<bool>,
    #[diesel(sql_type = Nullable<BigInt>)]
    boxes: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    width_mm: Option<i64>,
}

fn stock(conn: &mut PgConnection, end: DateTime<Utc>, fonds: Option<i64>) -> Result<StockFigures> {
    let groups: Vec<Placed> = figure(
        &format!(
            "{PLACED_AT_END}
             SELECT s.capacity_mm, g.kind, g.purpose, g.counted, g.boxes, g.width_mm
             FROM (SELECT coalesce(sum(capacity_mm), 0)::bigint AS capacity_mm FROM locations WHERE kind = 'shelf') s
             LEFT JOIN (SELECT kind, purpose, ($3::bigint IS NULL OR fonds_id = $3) AS counted, count(*) AS boxes,
                               sum(width_mm)::bigint AS width_mm
                        FROM placed GROUP BY 1, 2, 3) g ON true
             ORDER BY g.purpose"
        ),
        end,
        end,
        fonds,
    )
    .load(conn)?;
    let metres = |mm: i64| mm as f64 / 1000.0;
    let capacity_mm = groups.first().map_or(0, |g| g.capacity_mm);
    let (mut held, mut held_mm, mut occupied_mm) = (0, 0, 0);
    let mut boxes_out = Vec::new();
    for g in groups.iter().filter(|g| g.kind.is_some()) {
        let (boxes, width_mm) = (g.boxes.unwrap_or(0), g.width_mm.unwrap_or(0));
        let counted = g.counted == Some(true);
        if g.kind.as_deref() == Some("shelf") {
            occupied_mm += width_mm;
        }
        if counted {
            (held, held_mm) = (held + boxes, held_mm + width_mm);
            if let (Some("workspace"), Some(purpose)) = (g.kind.as_deref(), &g.purpose) {
                boxes_out.push(OutByPurpose { purpose: purpose.clone(), boxes });
            }
        }
    }
    let extent = Extent {
        boxes_held: held,
        held_m: metres(held_mm),
        occupied_m: metres(occupied_mm),
        capacity_m: metres(capacity_mm),
    };
    let boxes_out_total = boxes_out.iter().map(|o| o.boxes).sum();
    let free_m = metres(capacity_mm - occupied_mm);
    Ok(StockFigures { boxes_out, boxes_out_total, extent, free_m })
}
