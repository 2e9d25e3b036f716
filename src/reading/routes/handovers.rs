use actix_web::web;

use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;
use crate::reading::model::{Handover, HandoverFilter, HandoverReturn, NewHandover};
use crate::reading::repo::handovers as repo;

pub fn register(router: &mut Router) {
    router.add(__path_issue, issue);
    router.add(__path_list_handovers, list_handovers);
    router.add(__path_get_handover, get_handover);
    router.add(__path_give_back, give_back);
}

/// Issues the file of a request's line to its reader, in the hand-over book: the box delivered
/// to the reading room (the line ready) or the file kept for them, the reader checked in. A
/// file in another reader's hands, or kept for one, is 409: one reader at a time.
#[utoipa::path(post, path = "/api/v1/handovers", tag = "reading room", request_body = NewHandover,
    responses(
        (status = 201, description = "Issued", body = Handover, headers(("Location" = String))),
        (status = 409, description = "Not in the reading room, in someone's hands, or the reader not in", body = Problem, content_type = "application/problem+json")))]
async fn issue(caller: Caller, body: Json<NewHandover>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let issued = repo::issue(conn, &new, actor)?;
            Ok(Answer::created(&issued, format!("/api/v1/handovers/{}", issued.entry.id)))
        })
        .await
}

/// The hand-over book, newest first; `open=true` what readers have now, `overdue=true` what
/// they have kept past the days the rules allow.
#[utoipa::path(get, path = "/api/v1/handovers", tag = "reading room", params(HandoverFilter, PageParams),
    responses((status = 200, description = "A page of the book", body = Page<Handover>)))]
async fn list_handovers(
    caller: Caller,
    query: ListQuery<HandoverFilter>,
) -> Result<web::Json<Page<Handover>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (before, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, before, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |h: &Handover| h.entry.id)))
}

#[utoipa::path(get, path = "/api/v1/handovers/{id}", tag = "reading room",
    params(("id" = i64, Path, description = "Hand-over id")),
    responses((status = 200, description = "The entry", body = Handover)))]
async fn get_handover(caller: Caller, id: web::Path<i64>) -> Result<web::Json<Handover>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Takes a file back, once, with the leaves counted (remarks required when they differ from
/// those issued): kept for the reader's next day (`keep`), or given back for good. Given back
/// twice is 409.
#[utoipa::path(post, path = "/api/v1/handovers/{id}/return", tag = "reading room", request_body = HandoverReturn,
    params(("id" = i64, Path, description = "Hand-over id")),
    responses(
        (status = 200, description = "Given back", body = Handover),
        (status = 409, description = "Given back already", body = Problem, content_type = "application/problem+json")))]
async fn give_back(caller: Caller, id: web::Path<i64>, body: Json<HandoverReturn>) -> Result<Answer, ApiError> {
    let (id, back) = (id.into_inner(), body.0);
    caller.run(move |conn, actor| Ok(Answer::ok(&repo::give_back(conn, id, &back, actor)?))).await
}
