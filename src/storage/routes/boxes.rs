use actix_web::web;

use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::etag::IfMatch;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, NoFilter, Page, PageParams};
use crate::http::router::Router;
use crate::storage::model::{ArchiveBox, BoxFilter, BoxPatch, ListedBox, NewBox, ShelvedBox};
use crate::storage::repo::boxes as repo;

pub fn register(router: &mut Router) {
    router.add(__path_create_box, create_box);
    router.add(__path_list_boxes, list_boxes);
    // Before /boxes/{id}/…, so that no barcode is mistaken for an id.
    router.add(__path_box_by_barcode, box_by_barcode);
    router.add(__path_get_box, get_box);
    router.add(__path_update_box, update_box);
    router.add(__path_location_boxes, location_boxes);
}

/// Registers a box on its home shelf (its first movement).
#[utoipa::path(post, path = "/api/v1/boxes", tag = "boxes", request_body = NewBox,
    responses(
        (status = 201, description = "Registered", body = ArchiveBox, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "The barcode exists already, or the shelf is full", body = Problem, content_type = "application/problem+json")))]
async fn create_box(caller: Caller, body: Json<NewBox>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let created = repo::create(conn, &new, actor)?;
            Ok(Answer::tagged_created(&created, format!("/api/v1/boxes/{}", created.id)))
        })
        .await
}

/// Finds boxes: by barcode, fonds, location (and everything below it), status, or words. A box
/// that is out says since when, why, by whom, and for how long (`status=out`: what is out).
#[utoipa::path(get, path = "/api/v1/boxes", tag = "boxes", params(BoxFilter, PageParams),
    responses((status = 200, description = "A page of boxes", body = Page<ListedBox>)))]
async fn list_boxes(caller: Caller, query: ListQuery<BoxFilter>) -> Result<web::Json<Page<ListedBox>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (after, limit) = (page.after()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, after, limit)).await?;
    Ok(web::Json(Page::from_ranked(rows, &page, |b| b.r#box.id)))
}

/// Where is it? A box by barcode (ignoring case), with its current and home locations and
/// their full paths. The look-up behind every reader's request.
#[utoipa::path(get, path = "/api/v1/boxes/by-barcode/{barcode}", tag = "boxes",
    params(("barcode" = String, Path, description = "The barcode, URL-encoded")),
    responses((status = 200, description = "The box", body = ArchiveBox, headers(("ETag" = String)))))]
async fn box_by_barcode(caller: Caller, barcode: web::Path<String>) -> Result<Answer, ApiError> {
    let barcode = crate::text::normalize(&barcode.into_inner());
    let found = caller.read_pipelined(|conn| async move { repo::get_by_barcode(&conn, &barcode).await });
    Ok(Answer::tagged(&found.await?))
}

/// One box, with where it is.
#[utoipa::path(get, path = "/api/v1/boxes/{id}", tag = "boxes",
    params(("id" = i64, Path, description = "Box id")),
    responses((status = 200, description = "The box", body = ArchiveBox, headers(("ETag" = String)))))]
async fn get_box(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    Ok(Answer::tagged(&caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Changes a box's label, fonds, container type, width, home shelf or notes. Where it is
/// changes only by moving it.
#[utoipa::path(patch, path = "/api/v1/boxes/{id}", tag = "boxes", request_body = BoxPatch,
    params(("id" = i64, Path, description = "Box id")),
    responses(
        (status = 200, description = "Changed", body = ArchiveBox, headers(("ETag" = String))),
        (status = 409, description = "The shelf has no room for the new width or home", body = Problem, content_type = "application/problem+json")))]
async fn update_box(
    caller: Caller,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<BoxPatch>,
) -> Result<Answer, ApiError> {
    let (id, patch, expected) = (id.into_inner(), body.0, if_match.required()?);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::update(conn, id, &patch, expected, actor)?))).await
}

/// What stands here, and the boxes out of here that keep a place on its shelves (status `out`,
/// with where they are): on a shelf, its boxes by position (a free position is a gap in the
/// numbers); higher up, every box below, shelf by shelf.
#[utoipa::path(get, path = "/api/v1/locations/{id}/boxes", tag = "locations",
    params(("id" = i64, Path, description = "Location id"), PageParams),
    responses((status = 200, description = "A page of boxes", body = Page<ShelvedBox>)))]
async fn location_boxes(
    caller: Caller,
    id: web::Path<i64>,
    query: ListQuery<NoFilter>,
) -> Result<web::Json<Page<ShelvedBox>>, ApiError> {
    let (id, page) = (id.into_inner(), query.page);
    let (after, limit) = (page.after::<(String, i32, i64)>()?, page.limit());
    let rows = caller.read(move |conn| repo::contents(conn, id, after, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, repo::contents_key)))
}
