use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;

use super::model::{ActivityQuery, ActivityReport};
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
        HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(report.csv())
    } else {
        HttpResponse::Ok().json(report)
    })
}
