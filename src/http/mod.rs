//! The HTTP side: the App every deployment and every test runs, and the pieces each endpoint
//! shares (errors, auth, bodies, queries, ETags, routing that is also the contract).

pub mod answer;
pub mod auth;
pub mod body;
mod contract;
pub mod etag;
pub mod idempotency;
mod meta;
pub mod problem;
pub mod query;
pub(crate) mod rate_limit;
pub mod router;

use actix_web::HttpRequest;
use utoipa::openapi::OpenApi;

use crate::db::Pool;
use problem::ApiError;
use router::Router;

/// What every request handler can reach.
pub struct AppState {
    pub pool: Pool,
    /// One permit per pooled connection, handed out first come, first served: requests queue
    /// here (cheaply, in order) rather than as blocked threads fighting over the pool.
    pub connections: tokio::sync::Semaphore,
    /// Reads also take one of these, for half the pool: a read keeps its connection busy on the
    /// CPU, where more at once than the cores allow only lengthens each, while a write spends
    /// part of its time waiting for its commit to reach the disk, which writes committing
    /// together share.
    pub readers: tokio::sync::Semaphore,
    /// How long a request may wait for a connection before it is answered 503.
    pub connection_wait: std::time::Duration,
    /// The OpenAPI document, rendered once.
    pub openapi_yaml: String,
    /// Largest import upload, in bytes.
    pub max_import_bytes: usize,
}

/// Every operation of the service. The OpenAPI document is generated from this list.
pub(crate) fn operations(router: &mut Router) {
    meta::register(router);
    crate::keys::routes::register(router);
    crate::people::routes::register(router);
    crate::storage::routes::register(router);
    crate::holdings::routes::register(router);
    crate::conservation::routes::register(router);
    crate::reading::routes::register(router);
    crate::events::routes::register(router);
    crate::reports::routes::register(router);
    crate::imports::routes::register(router);
    crate::webhooks::routes::register(router);
    crate::trail::routes::register(router);
}

/// The OpenAPI document of the running service (what `GET /openapi.yaml` serves).
pub fn openapi() -> OpenApi {
    let mut router = Router::default();
    operations(&mut router);
    let (paths, schemas) = router.into_contract();
    contract::document(paths, schemas)
}

/// A path parameter that does not parse: problem+json naming the parameters.
pub(crate) fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let names: Vec<&str> = req.match_info().iter().map(|(name, _)| name).collect();
    let reason = err.to_string();
    let reason = reason.strip_prefix("Path deserialize error: ").unwrap_or(&reason);
    ApiError::malformed(&names.join(", "), reason).into()
}
