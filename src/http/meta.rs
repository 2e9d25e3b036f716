//! Operational endpoints: liveness, readiness, the contract, the docs page and metrics.
//! None needs an API key.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;
use prometheus::{Encoder, TextEncoder};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::problem::{ApiError, Problem};
use super::router::Router;
use crate::error::Error;

pub fn register(router: &mut Router) {
    router.add(__path_healthz, healthz);
    router.add(__path_readyz, readyz);
    router.add(__path_openapi_yaml, openapi_yaml);
    router.add(__path_docs, docs);
    router.add(__path_metrics, metrics);
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
    /// Why the private PostgreSQL's backups are failing, while they are (the service serves
    /// regardless).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "the backup directory /mnt/backups does not exist")]
    backups_failing: Option<String>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "The process is up", body = Health)))]
async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok", backups_failing: None })
}

/// Readiness: the database answers too. While the service's own PostgreSQL is being started again
/// after it died, 503 saying so. Backups failing are said, but the service is ready.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, description = "Ready to serve", body = Health),
              (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json")))]
async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    if let Some(why) = crate::db::local::trouble() {
        return Err(Error::Unavailable(why).into());
    }
    web::block(move || -> Result<(), Error> {
        let mut pooled = state.pool.get()?;
        let conn: &mut diesel::PgConnection = &mut pooled;
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await??;
    let backups_failing = crate::db::backup::health().and_then(|health| health.failing);
    Ok(web::Json(Health { status: "ready", backups_failing }))
}

/// This document.
#[utoipa::path(get, path = "/openapi.yaml", tag = "operations", security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/yaml", body = Object)))]
async fn openapi_yaml(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/yaml").body(state.openapi_yaml.clone())
}

/// The interactive API documentation (Swagger UI, served from the binary: works offline).
#[utoipa::path(get, path = "/docs", tag = "operations", security(()),
    responses((status = 308, description = "Redirects to the documentation page at /docs/")))]
async fn docs() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
}

/// Request counts and durations per route, and the private PostgreSQL's backups (age of the
/// newest base backup, WAL archived until, failing), in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus metrics", content_type = "text/plain", body = String)))]
async fn metrics(registry: web::Data<prometheus::Registry>) -> HttpResponse {
    let mut text = Vec::new();
    match TextEncoder::new().encode(&registry.gather(), &mut text) {
        Ok(()) => {
            if let Some(health) = crate::db::backup::health() {
                text.extend(crate::db::backup::metrics(&health).into_bytes());
            }
            HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text)
        }
        Err(err) => HttpResponse::InternalServerError().body(err.to_string()),
    }
}
