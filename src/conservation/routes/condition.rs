use actix_web::web;

use crate::conservation::model::{PageHistory, QueueEntry, QueueFilter};
use crate::conservation::repo::condition as repo;
use crate::http::auth::Caller;
use crate::http::problem::ApiError;
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_page_history, page_history);
    router.add(__path_conservation_queue, conservation_queue);
}

/// Everything that happened to one page: every assessment and treatment covering it, oldest
/// first, and its current grade.
#[utoipa::path(get, path = "/api/v1/files/{id}/pages/{page}", tag = "conservation",
    params(("id" = i64, Path, description = "File id"), ("page" = i32, Path, description = "Page (or leaf) number")),
    responses((status = 200, description = "The page's history", body = PageHistory)))]
async fn page_history(caller: Caller, path: web::Path<(i64, i32)>) -> Result<web::Json<PageHistory>, ApiError> {
    let (id, page) = path.into_inner();
    Ok(web::Json(caller.read_pipelined(|conn| async move { repo::page_history(&conn, id, page).await }).await?))
}

/// What waits for treatment, most urgent first (the priority of its open treatments, then
/// grade, active damage, pages waiting): files with pages whose current grade is 3 or 4, or with
/// a recommended treatment, and no completed treatment of that type since, each with the
/// waiting pages, its open treatments, and its box and where that stands now. `stage=approved`
/// or `in_progress`: the files with treatments approved and not started, or started, and their
/// pages.
#[utoipa::path(get, path = "/api/v1/conservation/queue", tag = "conservation", params(QueueFilter, PageParams),
    responses((status = 200, description = "A page of the queue", body = Page<QueueEntry>)))]
async fn conservation_queue(
    caller: Caller,
    query: ListQuery<QueueFilter>,
) -> Result<web::Json<Page<QueueEntry>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (skip, limit) = (page.after::<usize>()?.unwrap_or(0), page.limit());
    // The queue is ranked as a whole; its cursor is a position in it.
    let rows = caller.read(move |conn| repo::queue(conn, &filter, skip, limit as usize + 1)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |_| skip + limit as usize)))
}
