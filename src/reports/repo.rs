//! Each figure is one set-based query; the period is `[from, to + 1 day)` in UTC. Page units come
//! from `activity_days`, which triggers keep per UTC day; distinct files and boxes are counted
//! from the records, through indexes that hold what the counts need.

use chrono::{DateTime, Days, NaiveTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Bool, Date, Double, Nullable, Text, Timestamptz};

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
    let days = DayUnits::of(conn, period)?;
    Ok(ActivityReport {
        period,
        treatments: treatments(conn, start, end, period.fonds_id, &days)?,
        assessments: assessments(conn, start, end, period.fonds_id, &days)?,
        movements: movements(conn, start, end, period.fonds_id)?,
        audits: audits(conn, start, end)?,
        stock: stock(conn, end, period.fonds_id)?,
        reading_room: reading_room(conn, start, end)?,
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

/// A GROUPING SETS figure's grouped rows, and its total row (the one `is_total`).
fn grouped<T: QueryableByName<Pg> + 'static>(
    conn: &mut PgConnection,
    sql: &str,
    (start, end, fonds): (DateTime<Utc>, DateTime<Utc>, Option<i64>),
    is_total: impl Fn(&T) -> bool,
) -> Result<(Vec<T>, Option<T>)> {
    let mut rows: Vec<T> = figure(sql, start, end, fonds).load(conn)?;
    let total = rows.iter().position(&is_total).map(|at| rows.remove(at));
    Ok((rows, total))
}

/// The period's page units per figure (`assessed`, `laminated`, `treated`) and item (grade,
/// treatment type; none for the figure's total), summed from the days the triggers keep.
#[derive(QueryableByName)]
struct DayUnits {
    #[diesel(sql_type = Text)]
    figure: String,
    #[diesel(sql_type = Nullable<Text>)]
    item: Option<String>,
    #[diesel(embed)]
    units: PageUnits,
}

impl DayUnits {
    fn of(conn: &mut PgConnection, period: Period) -> Result<Vec<DayUnits>> {
        Ok(diesel::sql_query(
            "SELECT figure, item, coalesce(sum(units) FILTER (WHERE numbering = 'page'), 0)::bigint AS pages,
                    coalesce(sum(units) FILTER (WHERE numbering = 'leaf'), 0)::bigint AS leaves
             FROM activity_days
             WHERE day BETWEEN $1 AND $2 AND ($3::bigint IS NULL OR fonds_id = $3)
             GROUP BY GROUPING SETS ((figure, item), (figure)) HAVING sum(units) <> 0
             ORDER BY figure, item",
        )
        .bind::<Date, _>(period.from)
        .bind::<Date, _>(period.to)
        .bind::<Nullable<BigInt>, _>(period.fonds_id)
        .load(conn)?)
    }

    /// The units of `figure`'s `item`, or of its total when `item` is `None`.
    fn find(days: &[DayUnits], figure: &str, item: Option<&str>) -> PageUnits {
        days.iter()
            .find(|d| d.figure == figure && d.item.as_deref() == item)
            .map(|d| d.units.clone())
            .unwrap_or_default()
    }
}

/// Files treated per type (and in all), read in order from `treatments_completed_by_type`.
#[derive(QueryableByName)]
struct FilesByType {
    #[diesel(sql_type = Nullable<Text>)]
    treatment_type: Option<String>,
    #[diesel(sql_type = BigInt)]
    files: i64,
    #[diesel(sql_type = Double)]
    hours: f64,
}

fn treatments(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    fonds: Option<i64>,
    days: &[DayUnits],
) -> Result<TreatmentFigures> {
    let (by_type, total) = grouped(
        conn,
        "SELECT x.type AS treatment_type, count(DISTINCT x.file_id) AS files, coalesce(sum(x.hours), 0) AS hours
         FROM treatments x
         WHERE x.status = 'completed' AND x.completed_at >= $1 AND x.completed_at < $2
           AND ($3::bigint IS NULL OR x.file_id IN (SELECT id FROM files WHERE fonds_id = $3))
         GROUP BY GROUPING SETS ((x.type), ()) ORDER BY x.type NULLS LAST",
        (start, end, fonds),
        |row: &FilesByType| row.treatment_type.is_none(),
    )?;
    let units = |row: &FilesByType| Units {
        units: DayUnits::find(days, "treated", row.treatment_type.as_deref()),
        files: row.files,
        hours: row.hours,
    };
    let materials = figure(
        "SELECT m ->> 'code' AS code, m ->> 'unit' AS unit, sum((m ->> 'quantity')::float8) AS quantity,
                count(DISTINCT x.id) AS treatments
         FROM treatments x CROSS JOIN LATERAL jsonb_array_elements(x.materials) m
         WHERE x.status = 'completed' AND x.completed_at >= $1 AND x.completed_at < $2
           AND ($3::bigint IS NULL OR x.file_id IN (SELECT id FROM files WHERE fonds_id = $3))
           AND m ->> 'quantity' IS NOT NULL
         GROUP BY 1, 2 ORDER BY 1, 2",
        start,
        end,
        fonds,
    )
    .load(conn)?;
    Ok(TreatmentFigures {
        by_type: by_type
            .iter()
            .filter_map(|row| Some(TreatedByType { treatment_type: row.treatment_type.clone()?, units: units(row) }))
            .collect(),
        total: total.as_ref().map(units).unwrap_or_default(),
        materials,
    })
}

fn assessments(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    fonds: Option<i64>,
    days: &[DayUnits],
) -> Result<AssessmentFigures> {
    let by_grade = days
        .iter()
        .filter(|d| d.figure == "assessed")
        .filter_map(|d| Some(AssessedByGrade { grade: d.item.as_deref()?.parse().ok()?, units: d.units.clone() }))
        .collect();
    // Only the few surveys finding active mould or insects are read (`assessments_active_pests`).
    let pests: Count = figure(
        "SELECT count(DISTINCT x.file_id) AS count FROM assessments x
         WHERE x.assessed_at >= $1 AND x.assessed_at < $2
           AND ($3::bigint IS NULL OR x.file_id IN (SELECT id FROM files WHERE fonds_id = $3))
           AND (x.damages @> '[{\"type\": \"mould\", \"active\": true}]'
                OR x.damages @> '[{\"type\": \"insects\", \"active\": true}]'
                OR x.damages @> '[{\"type\": \"termites\", \"active\": true}]')
           AND pk_assessment_counts(x.id)",
        start,
        end,
        fonds,
    )
    .get_result(conn)?;
    Ok(AssessmentFigures {
        by_grade,
        total: DayUnits::find(days, "assessed", None),
        files_with_active_pests: pests.count,
        laminated: DayUnits::find(days, "laminated", None),
    })
}

fn movements(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    fonds: Option<i64>,
) -> Result<MovementFigures> {
    let (by_reason, total) = grouped(
        conn,
        "SELECT m.reason, count(*) AS moves, count(DISTINCT m.box_id) AS boxes
         FROM movements m
         WHERE m.from_location_id IS NOT NULL AND m.moved_at >= $1 AND m.moved_at < $2
           AND ($3::bigint IS NULL OR m.box_id IN (SELECT id FROM boxes WHERE fonds_id = $3))
         GROUP BY GROUPING SETS ((m.reason), ()) ORDER BY m.reason NULLS LAST",
        (start, end, fonds),
        |row: &MovedByReason| row.reason.is_none(),
    )?;
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

/// A moment's day in Việt Nam's time, in SQL.
macro_rules! local_day {
    ($column:literal) => {
        concat!("((", $column, " + interval '7 hours') AT TIME ZONE 'UTC')::date")
    };
}

fn reading_room(conn: &mut PgConnection, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<ReadingRoomFigures> {
    let service: ServiceCounts = figure(
        concat!(
            "SELECT v.user_days, v.user_hours, v.readers, r.new_readers, h.files_served, h.checkouts, m.boxes_pulled
             FROM (SELECT count(DISTINCT (reader_id, ",
            local_day!("checked_in_at"),
            ")) AS user_days,
                          coalesce(extract(epoch FROM sum(checked_out_at - checked_in_at)) / 3600, 0)::float8 AS user_hours,
                          count(DISTINCT reader_id) AS readers
                   FROM visits WHERE checked_in_at >= $1 AND checked_in_at < $2) v,
                  (SELECT count(*) AS new_readers FROM readers WHERE created_at >= $1 AND created_at < $2) r,
                  (SELECT count(DISTINCT file_id) AS files_served,
                          count(DISTINCT (reader_id, file_id, ",
            local_day!("issued_at"),
            ")) AS checkouts
                   FROM handovers WHERE issued_at >= $1 AND issued_at < $2) h,
                  (SELECT count(*) AS boxes_pulled FROM movements
                   WHERE reason = 'reading_room' AND moved_at >= $1 AND moved_at < $2 AND $3::bigint IS NULL) m"
        ),
        start,
        end,
        None,
    )
    .get_result(conn)?;
    let requests = figure(
        "SELECT count(*) AS received,
                count(*) FILTER (WHERE delivered_at IS NOT NULL OR copy_status IN ('produced', 'delivered')) AS filled,
                count(*) FILTER (WHERE status IN ('refused', 'not_servable')) AS refused,
                count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                count(*) FILTER (WHERE kind = 'copy' AND copy_status IN ('produced', 'delivered')) AS copies,
                count(*) FILTER (WHERE kind = 'copy_certified' AND copy_status IN ('produced', 'delivered'))
                    AS certified_copies,
                coalesce(sum(copy_pages) FILTER (WHERE copy_status IN ('produced', 'delivered')), 0)::bigint
                    AS pages_copied,
                coalesce(sum(fee) FILTER (WHERE copy_status IN ('produced', 'delivered')), 0)::bigint AS fees
         FROM reading_requests WHERE received_at >= $1 AND received_at < $2 AND $3::bigint IS NULL",
        start,
        end,
        None,
    )
    .get_result(conn)?;
    let refused_lines = figure(
        "SELECT reason, count(*) AS lines FROM (
             SELECT unnest(l.reasons) AS reason FROM request_lines l JOIN reading_requests q ON q.id = l.request_id
             WHERE l.servable = 'not_servable' AND q.received_at >= $1 AND q.received_at < $2
             UNION ALL
             SELECT 'not_approved' FROM request_lines l JOIN reading_requests q ON q.id = l.request_id
             WHERE l.status = 'refused' AND q.received_at >= $1 AND q.received_at < $2 AND $3::bigint IS NULL) r
         WHERE reason <> 'digital_copy' -- what the line was served as, had it been served
         GROUP BY reason ORDER BY reason",
        start,
        end,
        None,
    )
    .load(conn)?;
    let time_to_deliver = delivery_times(conn, start, end)?;
    Ok(ReadingRoomFigures { service, requests, refused_lines, time_to_deliver })
}

/// Received → first delivered in working hours, by kind: median and 90th percentile (nearest
/// rank), and how many were delivered by their deadline.
fn delivery_times(conn: &mut PgConnection, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Vec<DeliveryTimes>> {
    use crate::schema::reading_requests as r;
    type Delivered = (String, DateTime<Utc>, Option<DateTime<Utc>>, DateTime<Utc>);
    let delivered: Vec<Delivered> = r::table
        .filter(r::received_at.ge(start).and(r::received_at.lt(end)))
        .filter(r::delivered_at.is_not_null())
        .order((r::kind, r::id))
        .select((r::kind, r::received_at, r::delivered_at, r::due_at))
        .load(conn)?;
    let calendar = crate::reading::repo::calendar::calendar(conn)?;
    let mut by_kind: Vec<(String, Vec<f64>, i64)> = Vec::new();
    for (kind, received, delivered_at, due) in delivered {
        let Some(delivered_at) = delivered_at else { continue };
        if by_kind.last().is_none_or(|(k, _, _)| *k != kind) {
            by_kind.push((kind, Vec::new(), 0));
        }
        let entry = by_kind.last_mut().expect("pushed");
        entry.1.push(calendar.working_time(received, delivered_at).num_seconds() as f64 / 3600.0);
        entry.2 += i64::from(delivered_at <= due);
    }
    Ok(by_kind
        .into_iter()
        .map(|(kind, mut hours, within)| {
            hours.sort_by(f64::total_cmp);
            let rank = |share: f64| hours[((share * hours.len() as f64).ceil() as usize).clamp(1, hours.len()) - 1];
            let round = |h: f64| (h * 100.0).round() / 100.0;
            DeliveryTimes {
                kind,
                delivered: hours.len() as i64,
                median_hours: round(rank(0.5)),
                p90_hours: round(rank(0.9)),
                within_deadline: within,
                share_within_deadline: round(within as f64 / hours.len() as f64),
            }
        })
        .collect())
}
