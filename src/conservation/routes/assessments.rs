use actix_web::http::StatusCode;
use actix_web::web;
use chrono::{DateTime, Utc};

use crate::conservation::model::{Assessment, AssessmentFilter, NewAssessment, Withdrawal};
use crate::conservation::repo::assessments as repo;
use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_create_assessment, create_assessment);
    router.add(__path_list_assessments, list_assessments);
    router.add(__path_get_assessment, get_assessment);
    router.add(__path_withdraw_assessment, withdraw_assessment);
}

/// Records a condition survey of some pages of a file (the whole file when `pages` is left
/// out). Assessments are never changed: to correct one, record a new one with `supersedes_id`.
#[utoipa::path(post, path = "/api/v1/assessments", tag = "conservation", request_body = NewAssessment,
    responses(
        (status = 201, description = "Recorded", body = Assessment, headers(("Location" = String))),
        (status = 409, description = "The assessment to supersede is already superseded", body = Problem, content_type = "application/problem+json")))]
async fn create_assessment(caller: Caller, body: Json<NewAssessment>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let assessment = repo::create(conn, &new, actor)?;
            Ok(Answer::created(&assessment, format!("/api/v1/assessments/{}", assessment.id)))
        })
        .await
}

/// Assessments, latest survey first.
#[utoipa::path(get, path = "/api/v1/assessments", tag = "conservation", params(AssessmentFilter, PageParams),
    responses((status = 200, description = "A page of assessments", body = Page<Assessment>)))]
async fn list_assessments(
    caller: Caller,
    query: ListQuery<AssessmentFilter>,
) -> Result<web::Json<Page<Assessment>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (after, limit) = (page.after::<(DateTime<Utc>, i64)>()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, after, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |a| (a.assessed_at, a.id))))
}

#[utoipa::path(get, path = "/api/v1/assessments/{id}", tag = "conservation",
    params(("id" = i64, Path, description = "Assessment id")),
    responses((status = 200, description = "The assessment", body = Assessment)))]
async fn get_assessment(caller: Caller, id: web::Path<i64>) -> Result<web::Json<Assessment>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Withdraws an assessment recorded in error: it stops counting (a file's condition, the queue,
/// the report) and stays in the page history, marked withdrawn with why. Withdrawing a
/// correction makes the assessment it corrected count again. For the head conservator and
/// admins; once.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/withdrawal", tag = "conservation", request_body = Withdrawal,
    params(("id" = i64, Path, description = "Assessment id")),
    responses(
        (status = 200, description = "Withdrawn", body = Assessment),
        (status = 409, description = "Withdrawn already", body = Problem, content_type = "application/problem+json")))]
async fn withdraw_assessment(caller: Caller, id: web::Path<i64>, body: Json<Withdrawal>) -> Result<Answer, ApiError> {
    let (id, reason) = (id.into_inner(), body.0.reason);
    caller.run(move |conn, actor| Ok(Answer::json(StatusCode::OK, &repo::withdraw(conn, id, &reason, actor)?))).await
}
