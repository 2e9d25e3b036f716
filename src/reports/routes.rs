use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;

use super::model::{ActivityQuery, ActivityReport, PageUnits};
use super::repo;
use crate::http::auth::Caller;
use crate::http::problem::ApiError;
use crate::http::query::Query;
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_activity_report, activity_report);
}

/// The period figures: pages treated by type, files touched and hours spent, materials used by
/// material and unit, pages assessed by grade,
/// files with active mould or insects, laminated pages found, boxes moved by reason, audits
/// and their discrepancies; and as at `to`: boxes out, extent held, shelving occupied and
/// free. JSON, or CSV (`section,item,measure,value`) with `Accept: text/csv`.
#[utoipa::path(get, path = "/api/v1/reports/activity", tag = "reports", params(ActivityQuery),
    responses((status = 200, description = "The figures", content(
        (ActivityReport = "application/json"),
        (String = "text/csv", example = "section,item,measure,value\ntreatments,backing,leaves,3950\n")))))]
async fn activity_report(
    caller: Caller,
    req: HttpRequest,
    query: Query<ActivityQuery>,
) -> Result<HttpResponse, ApiError> {
    let period = query.0.period(Utc::now().date_naive());
    let report = caller.read(move |conn| repo::activity(conn, period)).await?;
    let wants_csv = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    Ok(if wants_csv {
        HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(csv(&report))
    } else {
        HttpResponse::Ok().json(report)
    })
}

/// The report as rows a person can paste into the review document.
fn csv(report: &ActivityReport) -> String {
    let mut rows: Vec<(String, String, &str, String)> = Vec::new();
    let mut units = |section: &str, item: String, u: &PageUnits, files: Option<i64>| {
        let measures = [("pages", Some(u.pages)), ("leaves", Some(u.leaves)), ("files", files)];
        for (measure, value) in measures.into_iter().filter_map(|(m, v)| Some((m, v?))) {
            rows.push((section.into(), item.clone(), measure, value.to_string()));
        }
    };
    let treated = &report.treatments;
    for t in &treated.by_type {
        units("treatments", t.treatment_type.clone(), &t.units.units, Some(t.units.files));
    }
    units("treatments", "total".into(), &treated.total.units, Some(treated.total.files));
    for a in &report.assessments.by_grade {
        units("assessments", format!("grade {}", a.grade), &a.units, None);
    }
    units("assessments", "total".into(), &report.assessments.total, None);
    units("assessments", "laminated".into(), &report.assessments.laminated, None);
    for (item, hours) in treated.by_type.iter().map(|t| (t.treatment_type.as_str(), t.units.hours)) {
        rows.push(("treatments".into(), item.into(), "hours", hours.to_string()));
    }
    rows.push(("treatments".into(), "total".into(), "hours", treated.total.hours.to_string()));
    for used in &treated.materials {
        rows.push(("materials".into(), used.code.clone(), &used.unit, used.quantity.to_string()));
        rows.push(("materials".into(), used.code.clone(), "treatments", used.treatments.to_string()));
    }
    let a = &report.assessments;
    rows.push(("assessments".into(), "active mould or insects".into(), "files", a.files_with_active_pests.to_string()));
    for m in &report.movements.by_reason {
        rows.push(("movements".into(), m.reason.clone().unwrap_or_default(), "moves", m.moves.to_string()));
        rows.push(("movements".into(), m.reason.clone().unwrap_or_default(), "boxes", m.boxes.to_string()));
    }
    rows.push(("movements".into(), "total".into(), "moves", report.movements.total_moves.to_string()));
    rows.push(("movements".into(), "total".into(), "boxes", report.movements.boxes_moved.to_string()));
    let audits = &report.audits;
    for (measure, value) in [
        ("audits", audits.audits),
        ("reconciled", audits.reconciled),
        ("locations audited", audits.locations_audited),
        ("missing", audits.missing),
        ("unexpected", audits.unexpected),
        ("unknown", audits.unknown),
        ("discrepancies", audits.discrepancies),
    ] {
        rows.push(("audits".into(), "total".into(), measure, value.to_string()));
    }
    let stock = &report.stock;
    for out in &stock.boxes_out {
        rows.push(("stock".into(), format!("out: {}", out.purpose), "boxes", out.boxes.to_string()));
    }
    rows.push(("stock".into(), "out: total".into(), "boxes", stock.boxes_out_total.to_string()));
    rows.push(("stock".into(), "held".into(), "boxes", stock.extent.boxes_held.to_string()));
    for (item, value) in [
        ("held", stock.extent.held_m),
        ("occupied", stock.extent.occupied_m),
        ("capacity", stock.extent.capacity_m),
        ("free", stock.free_m),
    ] {
        rows.push(("stock".into(), item.into(), "linear metres", format!("{value:.3}")));
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["section", "item", "measure", "value"]).expect("writing to memory");
    for (section, item, measure, value) in rows {
        writer.write_record([section.as_str(), item.as_str(), measure, value.as_str()]).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 text")
}
