use actix_web::web;

use super::model::{TrailEntry, TrailFilter};
use super::repo;
use crate::http::auth::Caller;
use crate::http::problem::ApiError;
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_audit_trail, audit_trail);
}

/// The audit trail, newest first: every write, through the API or the command line, with who
/// made it (`actor`), when, the row after (`data`) and before (`before`). Besides the feed's
/// events it holds the creation and revocation of keys and webhook subscriptions. Read-only:
/// no request changes it.
#[utoipa::path(get, path = "/api/v1/audit-trail", tag = "api keys", params(TrailFilter, PageParams),
    responses((status = 200, description = "A page of the trail", body = Page<TrailEntry>)))]
async fn audit_trail(caller: Caller, query: ListQuery<TrailFilter>) -> Result<web::Json<Page<TrailEntry>>, ApiError> {
    let (filter, page) = (query.filter, query.page);
    let (before, limit) = (page.after()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, before, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, repo::position)))
}
