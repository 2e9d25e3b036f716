use actix_web::web;

use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;
use crate::reading::model::{CheckOut, NewVisit, Visit, VisitFilter};
use crate::reading::repo::visits as repo;

pub fn register(router: &mut Router) {
    router.add(__path_check_in, check_in);
    router.add(__path_list_visits, list_visits);
    router.add(__path_get_visit, get_visit);
    router.add(__path_check_out, check_out);
}

/// Checks a reader in at the reading room's desk. A reader suspended, whose card has expired,
/// or who is in already, is refused (409).
#[utoipa::path(post, path = "/api/v1/visits", tag = "reading room", request_body = NewVisit,
    responses(
        (status = 201, description = "Checked in", body = Visit, headers(("Location" = String))),
        (status = 409, description = "The reader may not come in, or is in already", body = Problem, content_type = "application/problem+json")))]
async fn check_in(caller: Caller, body: Json<NewVisit>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let created = repo::create(conn, &new, actor)?;
            Ok(Answer::created(&created, format!("/api/v1/visits/{}", created.id)))
        })
        .await
}

/// Visits newest first; `open=true`: who is in the reading room now.
#[utoipa::path(get, path = "/api/v1/visits", tag = "reading room", params(VisitFilter, PageParams),
    responses((status = 200, description = "A page of visits", body = Page<Visit>)))]
async fn list_visits(caller: Caller, query: ListQuery<VisitFilter>) -> Result<web::Json<Page<Visit>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (before, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, before, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |v: &Visit| v.id)))
}

#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "reading room",
    params(("id" = i64, Path, description = "Visit id")),
    responses((status = 200, description = "The visit", body = Visit)))]
async fn get_visit(caller: Caller, id: web::Path<i64>) -> Result<web::Json<Visit>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Checks the reader out, once; the time given comes after the check-in (422 otherwise).
#[utoipa::path(post, path = "/api/v1/visits/{id}/check-out", tag = "reading room", request_body = CheckOut,
    params(("id" = i64, Path, description = "Visit id")),
    responses(
        (status = 200, description = "Checked out", body = Visit),
        (status = 409, description = "Checked out already", body = Problem, content_type = "application/problem+json")))]
async fn check_out(caller: Caller, id: web::Path<i64>, body: Json<CheckOut>) -> Result<Answer, ApiError> {
    let (id, out) = (id.into_inner(), body.0);
    caller
        .run(move |conn, actor| {
            let visit = repo::check_out(conn, id, &out, actor)?;
            Ok(Answer::ok(&visit))
        })
        .await
}
