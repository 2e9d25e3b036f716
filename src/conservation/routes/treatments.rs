use actix_web::http::StatusCode;
use actix_web::web;

use crate::conservation::model::{
    BatchLogged, NewTreatment, TransitionRequest, Treatment, TreatmentBatch, TreatmentDetail, TreatmentFilter,
};
use crate::conservation::repo::treatments as repo;
use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_create_treatment, create_treatment);
    router.add(__path_list_treatments, list_treatments);
    // Before /treatments/{id}, which would otherwise take `batch` for an id.
    router.add(__path_log_batch, log_batch);
    router.add(__path_get_treatment, get_treatment);
    router.add(__path_transition_treatment, transition_treatment);
}

/// Proposes a treatment of some pages (the whole file when `pages` is left out), or logs one
/// already done (`status: completed`, with `completed_at` and the condition `after`).
#[utoipa::path(post, path = "/api/v1/treatments", tag = "conservation", request_body = NewTreatment,
    responses(
        (status = 201, description = "Recorded", body = TreatmentDetail, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "Some pages are already in an open treatment of this type; the detail lists them", body = Problem, content_type = "application/problem+json")))]
async fn create_treatment(caller: Caller, body: Json<NewTreatment>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let created = repo::create(conn, &new, actor)?;
            Ok(Answer::tagged_created(&created, format!("/api/v1/treatments/{}", created.treatment.id)))
        })
        .await
}

/// Treatments, newest first.
#[utoipa::path(get, path = "/api/v1/treatments", tag = "conservation", params(TreatmentFilter, PageParams),
    responses((status = 200, description = "A page of treatments", body = Page<Treatment>)))]
async fn list_treatments(
    caller: Caller,
    query: ListQuery<TreatmentFilter>,
) -> Result<web::Json<Page<Treatment>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (before, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, before, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |t| t.id)))
}

/// Logs up to 10,000 treatments (a month's backing log) in one transaction: all of them, or
/// none with every refused entry named.
#[utoipa::path(post, path = "/api/v1/treatments/batch", tag = "conservation", request_body = TreatmentBatch,
    responses(
        (status = 201, description = "All logged", body = BatchLogged),
        (status = 409, description = "Some entries overlap open treatments; each is named", body = Problem, content_type = "application/problem+json")))]
async fn log_batch(caller: Caller, body: Json<TreatmentBatch>) -> Result<Answer, ApiError> {
    let batch = body.0;
    caller
        .run(move |conn, actor| {
            let ids = repo::create_batch(conn, &batch.entries, actor)?;
            Ok(Answer::json(StatusCode::CREATED, &BatchLogged { logged: ids.len(), ids }))
        })
        .await
}

/// A treatment with every step of its workflow.
#[utoipa::path(get, path = "/api/v1/treatments/{id}", tag = "conservation",
    params(("id" = i64, Path, description = "Treatment id")),
    responses((status = 200, description = "The treatment", body = TreatmentDetail, headers(("ETag" = String)))))]
async fn get_treatment(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    Ok(Answer::tagged(&caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Moves a treatment along: proposed → approved (head conservator or admin) → in_progress →
/// completed (with the condition `after`, recorded as an assessment of the same pages); or
/// cancelled from any open state. Anything else is 409.
#[utoipa::path(post, path = "/api/v1/treatments/{id}/transitions", tag = "conservation", request_body = TransitionRequest,
    params(("id" = i64, Path, description = "Treatment id")),
    responses(
        (status = 200, description = "The treatment after the step", body = TreatmentDetail, headers(("ETag" = String))),
        (status = 409, description = "The workflow does not allow this step", body = Problem, content_type = "application/problem+json")))]
async fn transition_treatment(
    caller: Caller,
    id: web::Path<i64>,
    body: Json<TransitionRequest>,
) -> Result<Answer, ApiError> {
    let (id, request) = (id.into_inner(), body.0);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::transition(conn, id, &request, actor)?))).await
}
