use actix_web::web;

use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams, Query};
use crate::http::router::Router;
use crate::reading::model::{Closure, ClosureFilter, Due, DueQuery, NewClosure};
use crate::reading::repo::calendar as repo;

pub fn register(router: &mut Router) {
    router.add(__path_create_closure, create_closure);
    router.add(__path_list_closures, list_closures);
    router.add(__path_get_closure, get_closure);
    router.add(__path_delete_closure, delete_closure);
    router.add(__path_due, due);
}

/// Closes some days beyond weekends (a holiday), or a morning or an afternoon of one day:
/// working-day deadlines skip them. Ranges never overlap.
#[utoipa::path(post, path = "/api/v1/closures", tag = "reading room", request_body = NewClosure,
    responses(
        (status = 201, description = "Closed", body = Closure, headers(("Location" = String))),
        (status = 409, description = "The days overlap another closure", body = Problem, content_type = "application/problem+json")))]
async fn create_closure(caller: Caller, body: Json<NewClosure>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let created = repo::create(conn, &new, actor)?;
            Ok(Answer::created(&created, format!("/api/v1/closures/{}", created.id)))
        })
        .await
}

/// Closures in date order.
#[utoipa::path(get, path = "/api/v1/closures", tag = "reading room", params(ClosureFilter, PageParams),
    responses((status = 200, description = "A page of closures", body = Page<Closure>)))]
async fn list_closures(caller: Caller, query: ListQuery<ClosureFilter>) -> Result<web::Json<Page<Closure>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (after, limit) = (page.after::<chrono::NaiveDate>()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, after, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |c: &Closure| c.first_day)))
}

#[utoipa::path(get, path = "/api/v1/closures/{id}", tag = "reading room",
    params(("id" = i64, Path, description = "Closure id")),
    responses((status = 200, description = "The closure", body = Closure)))]
async fn get_closure(caller: Caller, id: web::Path<i64>) -> Result<web::Json<Closure>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Opens the days again.
#[utoipa::path(delete, path = "/api/v1/closures/{id}", tag = "reading room",
    params(("id" = i64, Path, description = "Closure id")),
    responses((status = 204, description = "Opened again")))]
async fn delete_closure(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    caller
        .run(move |conn, _| {
            repo::delete(conn, id)?;
            Ok(Answer::no_content())
        })
        .await
}

/// When a number of working days from a moment runs out: weekdays 07:30–11:30 and
/// 13:30–17:00 in Việt Nam's time, less the closures. A reading request is due in 1 working
/// day, copies in 2, documents of conditional access in 7.
#[utoipa::path(get, path = "/api/v1/calendar/due", tag = "reading room", params(DueQuery),
    responses((status = 200, description = "The deadline", body = Due)))]
async fn due(caller: Caller, query: Query<DueQuery>) -> Result<web::Json<Due>, ApiError> {
    let DueQuery { from, working_days } = query.0;
    let calendar = caller.read(repo::calendar).await?;
    Ok(web::Json(Due { from, working_days, due_at: calendar.due(from, working_days) }))
}
