use actix_web::http::StatusCode;
use actix_web::web;

use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::etag::IfMatch;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;
use crate::storage::model::{
    Location, LocationDetail, LocationFilter, LocationPatch, NewLocation, Shelving, ShelvingRequest,
};
use crate::storage::repo::locations as repo;

pub fn register(router: &mut Router) {
    router.add(__path_create_location, create_location);
    router.add(__path_list_locations, list_locations);
    // Before /locations/{id}/…, so that no barcode is mistaken for an id.
    router.add(__path_location_by_barcode, location_by_barcode);
    router.add(__path_get_location, get_location);
    router.add(__path_update_location, update_location);
    router.add(__path_delete_location, delete_location);
    router.add(__path_add_shelving, add_shelving);
}

/// Adds a building, stack room, shelving unit, bay, shelf or workspace.
#[utoipa::path(post, path = "/api/v1/locations", tag = "locations", request_body = NewLocation,
    responses(
        (status = 201, description = "Created", body = LocationDetail, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "A sibling already has this code", body = Problem, content_type = "application/problem+json")))]
async fn create_location(caller: Caller, body: Json<NewLocation>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let detail = repo::create(conn, &new, actor)?;
            Ok(Answer::tagged_created(&detail, format!("/api/v1/locations/{}", detail.location.id)))
        })
        .await
}

/// Lists locations in path order; `q` searches codes, path codes and names ignoring case and accents.
#[utoipa::path(get, path = "/api/v1/locations", tag = "locations", params(LocationFilter, PageParams),
    responses((status = 200, description = "A page of locations", body = Page<Location>)))]
async fn list_locations(
    caller: Caller,
    query: ListQuery<LocationFilter>,
) -> Result<web::Json<Page<Location>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (after, limit) = (page.after()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, after, limit)).await?;
    Ok(web::Json(Page::from_ranked(rows, &page, |l| (l.path_code.clone(), l.id))))
}

/// What stands here? A location by the barcode on its label (ignoring case), with the chain of
/// places above it and its space: what a scanned shelf label is looked up by.
#[utoipa::path(get, path = "/api/v1/locations/by-barcode/{barcode}", tag = "locations",
    params(("barcode" = String, Path, description = "The barcode, URL-encoded")),
    responses((status = 200, description = "The location", body = LocationDetail, headers(("ETag" = String)))))]
async fn location_by_barcode(caller: Caller, barcode: web::Path<String>) -> Result<Answer, ApiError> {
    let barcode = crate::text::normalize(&barcode.into_inner());
    let found = caller.read_pipelined(|conn| async move { repo::get_by_barcode(&conn, &barcode).await });
    Ok(Answer::tagged(&found.await?))
}

/// One location with the chain of places above it.
#[utoipa::path(get, path = "/api/v1/locations/{id}", tag = "locations",
    params(("id" = i64, Path, description = "Location id")),
    responses((status = 200, description = "The location", body = LocationDetail, headers(("ETag" = String)))))]
async fn get_location(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    Ok(Answer::tagged(&caller.read(move |conn| repo::get_detail(conn, id)).await?))
}

/// Changes a location's code, name, capacity, purpose or notes. Renaming a code renames the
/// path codes below it.
#[utoipa::path(patch, path = "/api/v1/locations/{id}", tag = "locations", request_body = LocationPatch,
    params(("id" = i64, Path, description = "Location id")),
    responses(
        (status = 200, description = "Changed", body = LocationDetail, headers(("ETag" = String))),
        (status = 409, description = "A sibling already has this code", body = Problem, content_type = "application/problem+json")))]
async fn update_location(
    caller: Caller,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<LocationPatch>,
) -> Result<Answer, ApiError> {
    let (id, patch, expected) = (id.into_inner(), body.0, if_match.required()?);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::update(conn, id, &patch, expected, actor)?))).await
}

/// Deletes a location that has no children and has never held anything.
#[utoipa::path(delete, path = "/api/v1/locations/{id}", tag = "locations",
    params(("id" = i64, Path, description = "Location id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "It has children or a history", body = Problem, content_type = "application/problem+json")))]
async fn delete_location(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    caller
        .run(move |conn, _| {
            repo::delete(conn, id)?;
            Ok(Answer::no_content())
        })
        .await
}

/// Creates a unit's bays and shelves in one go, with numbered codes (bays `1`, `2`…, shelves
/// `1`…`n` in each), all or nothing.
#[utoipa::path(post, path = "/api/v1/locations/{id}/shelving", tag = "locations", request_body = ShelvingRequest,
    params(("id" = i64, Path, description = "Id of the shelving unit")),
    responses(
        (status = 201, description = "The bays and shelves created", body = Shelving),
        (status = 409, description = "A generated code already exists in the unit", body = Problem, content_type = "application/problem+json")))]
async fn add_shelving(caller: Caller, id: web::Path<i64>, body: Json<ShelvingRequest>) -> Result<Answer, ApiError> {
    let (id, request) = (id.into_inner(), body.0);
    caller
        .run(move |conn, actor| Ok(Answer::json(StatusCode::CREATED, &repo::add_shelving(conn, id, &request, actor)?)))
        .await
}
