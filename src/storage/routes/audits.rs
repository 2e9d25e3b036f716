use actix_web::web;

use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;
use crate::storage::model::{Audit, AuditFilter, AuditSummary, NewAudit};
use crate::storage::repo::audits as repo;

pub fn register(router: &mut Router) {
    router.add(__path_create_audit, create_audit);
    router.add(__path_list_audits, list_audits);
    router.add(__path_get_audit, get_audit);
    router.add(__path_reconcile_audit, reconcile_audit);
}

/// Checks a shelf (or workspace) against the records: the scanned barcodes are compared with
/// the boxes recorded there, and the result is kept.
#[utoipa::path(post, path = "/api/v1/audits", tag = "audits", request_body = NewAudit,
    responses((status = 201, description = "The audit", body = Audit, headers(("Location" = String)))))]
async fn create_audit(caller: Caller, body: Json<NewAudit>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let audit = repo::create(conn, &new, actor)?;
            Ok(Answer::created(&audit, format!("/api/v1/audits/{}", audit.summary.id)))
        })
        .await
}

/// Audits, newest first, with their counts.
#[utoipa::path(get, path = "/api/v1/audits", tag = "audits", params(AuditFilter, PageParams),
    responses((status = 200, description = "A page of audits", body = Page<AuditSummary>)))]
async fn list_audits(caller: Caller, query: ListQuery<AuditFilter>) -> Result<web::Json<Page<AuditSummary>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (before, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, before, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |a| a.id)))
}

/// One audit: expected, found, missing, unexpected (with where they were recorded), unknown.
#[utoipa::path(get, path = "/api/v1/audits/{id}", tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    responses((status = 200, description = "The audit", body = Audit)))]
async fn get_audit(caller: Caller, id: web::Path<i64>) -> Result<web::Json<Audit>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Corrects the records to the audit in one transaction: unexpected boxes move here (reason
/// `audit_correction`), missing ones are marked missing. Reconciling twice changes nothing more.
#[utoipa::path(post, path = "/api/v1/audits/{id}/reconcile", tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    responses(
        (status = 200, description = "The reconciled audit", body = Audit),
        (status = 409, description = "The boxes found do not fit the shelf's recorded capacity", body = Problem, content_type = "application/problem+json")))]
async fn reconcile_audit(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    caller.run(move |conn, actor| Ok(Answer::ok(&repo::reconcile(conn, id, actor)?))).await
}
