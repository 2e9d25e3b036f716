use actix_web::web;

use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, NoFilter, Page, PageParams};
use crate::http::router::Router;
use crate::reading::model::{
    Cancellation, CopyStep, Decision, NewRequest, PullList, ReadingRequest, RequestFilter, Servability,
    ServabilityCheck, Take,
};
use crate::reading::repo::{flow, requests as repo};

pub fn register(router: &mut Router) {
    router.add(__path_create_request, create_request);
    router.add(__path_check_files, check_files);
    router.add(__path_list_requests, list_requests);
    router.add(__path_get_request, get_request);
    router.add(__path_decide_request, decide_request);
    router.add(__path_cancel_request, cancel_request);
    router.add(__path_copy_step, copy_step);
    router.add(__path_pull_list, pull_list);
    router.add(__path_take_pulls, take_pulls);
}

/// Records a reader's request (phiếu yêu cầu) of 1 to 10 files and decides each line: servable
/// as the original, or not, with the reasons in Vietnamese and English (the file closed to
/// readers; its pages unusable or with live mould or insects; an open treatment; its box
/// missing, out elsewhere or none; another reader having it; the reader's ten files). A line
/// of conditional access awaits approval. Due in working days: 1 to read, 2 for copies, 7 for
/// conditional access. A suspended reader, or one whose card has expired, is refused (409).
#[utoipa::path(post, path = "/api/v1/reading-requests", tag = "reading room", request_body = NewRequest,
    responses(
        (status = 201, description = "Recorded, each line decided", body = ReadingRequest, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "The reader is suspended, or their card has expired", body = Problem, content_type = "application/problem+json")))]
async fn create_request(caller: Caller, body: Json<NewRequest>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let created = repo::create(conn, &new, actor)?;
            Ok(Answer::tagged_created(&created, format!("/api/v1/reading-requests/{}", created.id)))
        })
        .await
}

/// How each file would be served if a request asked for it now — as the original, or not, with
/// the reasons a request's line would give — recording nothing: for staff finding files for a
/// reader (`GET /files?q=…`) before asking. With `reader_id`, the reader's state and limit of
/// files count as well.
#[utoipa::path(post, path = "/api/v1/reading-requests/check", tag = "reading room", request_body = ServabilityCheck,
    responses(
        (status = 200, description = "Each file decided", body = Servability),
        (status = 409, description = "The reader is suspended, or their card has expired", body = Problem, content_type = "application/problem+json")))]
async fn check_files(caller: Caller, body: Json<ServabilityCheck>) -> Result<web::Json<Servability>, ApiError> {
    let check = body.0;
    Ok(web::Json(caller.read(move |conn| repo::check(conn, &check)).await?))
}

/// Requests newest first.
#[utoipa::path(get, path = "/api/v1/reading-requests", tag = "reading room", params(RequestFilter, PageParams),
    responses((status = 200, description = "A page of requests", body = Page<ReadingRequest>)))]
async fn list_requests(
    caller: Caller,
    query: ListQuery<RequestFilter>,
) -> Result<web::Json<Page<ReadingRequest>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (before, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, before, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |r: &ReadingRequest| r.id)))
}

#[utoipa::path(get, path = "/api/v1/reading-requests/{id}", tag = "reading room",
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, description = "The request and its lines", body = ReadingRequest, headers(("ETag" = String)))))]
async fn get_request(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    Ok(Answer::tagged(&caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Approves or refuses a request's lines of conditional access (admin), once, with why (required
/// to refuse). Deciding a request that awaits no approval — one decided already — is 409.
#[utoipa::path(post, path = "/api/v1/reading-requests/{id}/decision", tag = "reading room", request_body = Decision,
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "Decided", body = ReadingRequest, headers(("ETag" = String))),
        (status = 409, description = "Nothing awaits approval", body = Problem, content_type = "application/problem+json")))]
async fn decide_request(caller: Caller, id: web::Path<i64>, body: Json<Decision>) -> Result<Answer, ApiError> {
    let (id, decision) = (id.into_inner(), body.0);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::decide(conn, id, &decision, actor)?))).await
}

/// Cancels a request that is not over, with why: its lines not yet returned are cancelled too.
/// One the reader has in hand, or one over already, is 409.
#[utoipa::path(post, path = "/api/v1/reading-requests/{id}/cancel", tag = "reading room", request_body = Cancellation,
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "Cancelled", body = ReadingRequest, headers(("ETag" = String))),
        (status = 409, description = "In hand, or over already", body = Problem, content_type = "application/problem+json")))]
async fn cancel_request(caller: Caller, id: web::Path<i64>, body: Json<Cancellation>) -> Result<Answer, ApiError> {
    let (id, why) = (id.into_inner(), body.0);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::cancel(conn, id, &why, actor)?))).await
}

/// Takes a copy order one step: `approved` (the reader accepts the fee), `produced` (the
/// originals in the reading room are done with), `delivered`; or `cancelled` before the copies
/// are made. A request to read, or a step out of order, is 409.
#[utoipa::path(post, path = "/api/v1/reading-requests/{id}/copy-transitions", tag = "reading room", request_body = CopyStep,
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "Stepped", body = ReadingRequest, headers(("ETag" = String))),
        (status = 409, description = "Not a copy order, or not this step now", body = Problem, content_type = "application/problem+json")))]
async fn copy_step(caller: Caller, id: web::Path<i64>, body: Json<CopyStep>) -> Result<Answer, ApiError> {
    let (id, step) = (id.into_inner(), body.0);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::copy_step(conn, id, &step, actor)?))).await
}

/// The boxes to fetch for every servable line still to be fetched: one a box however many of
/// its files are asked for, in shelf order (building, room, unit, bay, shelf, position), so
/// that one walk fetches them all.
#[utoipa::path(get, path = "/api/v1/pull-list", tag = "reading room",
    responses((status = 200, description = "The boxes to fetch", body = PullList)))]
async fn pull_list(caller: Caller, _query: ListQuery<NoFilter>) -> Result<web::Json<PullList>, ApiError> {
    Ok(web::Json(caller.read(repo::pull_list).await?))
}

/// Takes boxes of the pull list to fetch (the whole list when none are named): their lines are
/// in retrieval from now. Delivering a box is moving it to the reading room (reason
/// `reading_room`): its lines are then ready. A box with nothing to fetch is 422.
#[utoipa::path(post, path = "/api/v1/pull-list/take", tag = "reading room", request_body = Take,
    responses((status = 200, description = "The boxes taken, in walking order", body = PullList)))]
async fn take_pulls(caller: Caller, body: Json<Take>) -> Result<Answer, ApiError> {
    let take = body.0;
    caller.run(move |conn, actor| Ok(Answer::ok(&flow::take(conn, &take.box_ids, actor)?))).await
}
