use actix_web::web;

use crate::holdings::model::{File, FileDetail, FileFilter, FilePatch, NewFile};
use crate::holdings::repo::files as repo;
use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::etag::IfMatch;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_create_file, create_file);
    router.add(__path_list_files, list_files);
    router.add(__path_get_file, get_file);
    router.add(__path_update_file, update_file);
}

/// Adds a file (hồ sơ) to a fonds.
#[utoipa::path(post, path = "/api/v1/files", tag = "holdings", request_body = NewFile,
    responses(
        (status = 201, description = "Created", body = FileDetail, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "The number or archive code is taken", body = Problem, content_type = "application/problem+json")))]
async fn create_file(caller: Caller, body: Json<NewFile>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let created = repo::create(conn, &new, actor)?;
            Ok(Answer::tagged_created(&created, format!("/api/v1/files/{}", created.file.id)))
        })
        .await
}

/// Files by fonds, inventory and number; `q` searches titles and codes ignoring case and accents.
#[utoipa::path(get, path = "/api/v1/files", tag = "holdings", params(FileFilter, PageParams),
    responses((status = 200, description = "A page of files", body = Page<File>)))]
async fn list_files(caller: Caller, query: ListQuery<FileFilter>) -> Result<web::Json<Page<File>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (after, limit) = (page.after()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, after, limit)).await?;
    Ok(web::Json(Page::from_ranked(rows, &page, |f| (f.fonds_id, f.inventory_no, f.file_no))))
}

/// A file, where it is (its box and the box's places), and the state of its conservation:
/// pages by current grade, never assessed, treated by type, waiting.
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "holdings",
    params(("id" = i64, Path, description = "File id")),
    responses((status = 200, description = "The file", body = FileDetail, headers(("ETag" = String)))))]
async fn get_file(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    Ok(Answer::tagged(&caller.read_pipelined(|conn| async move { repo::detail_pipelined(&conn, id).await }).await?))
}

/// Changes a file's codes, title, dates, page count, numbering, box, access or notes.
#[utoipa::path(patch, path = "/api/v1/files/{id}", tag = "holdings", request_body = FilePatch,
    params(("id" = i64, Path, description = "File id")),
    responses(
        (status = 200, description = "Changed", body = FileDetail, headers(("ETag" = String))),
        (status = 409, description = "The archive code is taken, or the page count is below recorded pages", body = Problem, content_type = "application/problem+json")))]
async fn update_file(
    caller: Caller,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<FilePatch>,
) -> Result<Answer, ApiError> {
    let (id, patch, expected) = (id.into_inner(), body.0, if_match.required()?);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::update(conn, id, &patch, expected, actor)?))).await
}
