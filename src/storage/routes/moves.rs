use actix_web::http::StatusCode;
use actix_web::web;

use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::etag::IfMatch;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, NoFilter, Page, PageParams};
use crate::http::router::Router;
use crate::storage::model::{
    BulkMoveRequest, BulkMoved, FoundBox, LostBox, MoveFilter, MoveReason, MoveRequest, Movement,
};
use crate::storage::repo::moves::{self as repo, MoveContext, MoveOrder};

pub fn register(router: &mut Router) {
    router.add(__path_move_box, move_box);
    router.add(__path_found_box, found_box);
    router.add(__path_lost_box, lost_box);
    router.add(__path_list_moves, list_moves);
    router.add(__path_move_boxes, move_boxes);
    router.add(__path_list_movements, list_movements);
    router.add(__path_get_move, get_move);
}

/// Moves a box to a shelf or a workspace; `return` without a destination sends it home. The
/// movement is kept forever. `If-Match` (optional) guards against moving a box that changed.
#[utoipa::path(post, path = "/api/v1/boxes/{id}/moves", tag = "moves", request_body = MoveRequest,
    params(("id" = i64, Path, description = "Box id"),
           ("If-Match" = Option<String>, Header, nullable = false, example = "\"3\"",
            description = "The box's ETag, to move it only if unchanged")),
    responses(
        (status = 201, description = "Moved", body = Movement),
        (status = 409, description = "Already there, or the shelf is full", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The box changed since the ETag was read", body = Problem, content_type = "application/problem+json")))]
async fn move_box(
    caller: Caller,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<MoveRequest>,
) -> Result<Answer, ApiError> {
    let (box_id, request, expected) = (id.into_inner(), body.0, if_match.optional());
    caller
        .run(move |conn, actor| {
            let order =
                MoveOrder { box_id, to: request.to_location_id, position: request.position, ..MoveOrder::default() };
            let context = MoveContext { reason: request.reason, note: request.note.as_deref(), audit_id: None };
            Ok(Answer::json(StatusCode::CREATED, &repo::move_one(conn, order, &context, expected, actor)?))
        })
        .await
}

/// A missing (or lost) box turned up where it is recorded: it is no longer missing, and a
/// movement `found` from that place to itself says when and by whom. A lost box takes its
/// space again. Found anywhere else, it is moved there instead (any move finds it).
#[utoipa::path(post, path = "/api/v1/boxes/{id}/found", tag = "moves", request_body = FoundBox,
    params(("id" = i64, Path, description = "Box id"),
           ("If-Match" = Option<String>, Header, nullable = false, example = "\"3\"",
            description = "The box's ETag, to act only if unchanged")),
    responses(
        (status = 201, description = "Found", body = Movement),
        (status = 409, description = "Not missing, or lost and its shelf has no room now", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The box changed since the ETag was read", body = Problem, content_type = "application/problem+json")))]
async fn found_box(
    caller: Caller,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<FoundBox>,
) -> Result<Answer, ApiError> {
    settle(caller, id.into_inner(), if_match.optional(), MoveReason::Found, body.0.note).await
}

/// Writes off a missing box: its status becomes `lost` and its space is given up, with a
/// movement `lost` saying why. Finding it (here, or by moving it) reverses this.
#[utoipa::path(post, path = "/api/v1/boxes/{id}/lost", tag = "moves", request_body = LostBox,
    params(("id" = i64, Path, description = "Box id"),
           ("If-Match" = Option<String>, Header, nullable = false, example = "\"3\"",
            description = "The box's ETag, to act only if unchanged")),
    responses(
        (status = 201, description = "Written off", body = Movement),
        (status = 409, description = "Not missing, or written off already", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The box changed since the ETag was read", body = Problem, content_type = "application/problem+json")))]
async fn lost_box(
    caller: Caller,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<LostBox>,
) -> Result<Answer, ApiError> {
    settle(caller, id.into_inner(), if_match.optional(), MoveReason::Lost, Some(body.0.note)).await
}

/// Found or lost: a movement of a missing box where it is recorded.
async fn settle(
    caller: Caller,
    box_id: i64,
    expected: Option<i32>,
    reason: MoveReason,
    note: Option<String>,
) -> Result<Answer, ApiError> {
    caller
        .run(move |conn, actor| {
            let context = MoveContext { reason, note: note.as_deref(), audit_id: None };
            Ok(Answer::json(StatusCode::CREATED, &repo::settle(conn, box_id, &context, expected, actor)?))
        })
        .await
}

/// A box's movements, newest first.
#[utoipa::path(get, path = "/api/v1/boxes/{id}/moves", tag = "moves",
    params(("id" = i64, Path, description = "Box id"), PageParams),
    responses((status = 200, description = "A page of movements", body = Page<Movement>)))]
async fn list_moves(
    caller: Caller,
    id: web::Path<i64>,
    query: ListQuery<NoFilter>,
) -> Result<web::Json<Page<Movement>>, ApiError> {
    let (box_id, page) = (id.into_inner(), query.page);
    let (before, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller
        .read(move |conn| {
            crate::storage::repo::boxes::get(conn, box_id)?;
            repo::history(conn, box_id, before, limit)
        })
        .await?;
    Ok(web::Json(Page::from_rows(rows, &page, |m| m.id)))
}

/// Moves up to 1,000 boxes (by barcode or id) for one reason, all or nothing: when any item
/// cannot move, nothing moves and every such item is named.
#[utoipa::path(post, path = "/api/v1/moves", tag = "moves", request_body = BulkMoveRequest,
    responses(
        (status = 201, description = "All moved", body = BulkMoved),
        (status = 409, description = "Some items conflict (full shelf, already there); each is named", body = Problem, content_type = "application/problem+json")))]
async fn move_boxes(caller: Caller, body: Json<BulkMoveRequest>) -> Result<Answer, ApiError> {
    let request = body.0;
    caller
        .run(move |conn, actor| {
            let movements = repo::move_many(conn, &request, actor)?;
            Ok(Answer::json(StatusCode::CREATED, &BulkMoved { moved: movements.len(), movements }))
        })
        .await
}

/// Movements across boxes, newest first: the day's moves, what went to the lab, what a person
/// moved.
#[utoipa::path(get, path = "/api/v1/moves", tag = "moves", params(MoveFilter, PageParams),
    responses((status = 200, description = "A page of movements", body = Page<Movement>)))]
async fn list_movements(caller: Caller, query: ListQuery<MoveFilter>) -> Result<web::Json<Page<Movement>>, ApiError> {
    let (filter, page) = (query.filter, query.page);
    let (before, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, before, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |m| m.id)))
}

/// One movement, as kept forever (what its `box.moved` event carries).
#[utoipa::path(get, path = "/api/v1/moves/{id}", tag = "moves",
    params(("id" = i64, Path, description = "Movement id")),
    responses((status = 200, description = "The movement", body = Movement)))]
async fn get_move(caller: Caller, id: web::Path<i64>) -> Result<web::Json<Movement>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(caller.read(move |conn| repo::get(conn, id)).await?))
}
