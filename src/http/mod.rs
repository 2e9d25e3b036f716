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
mod rate_limit;
pub mod router;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{App, HttpRequest, HttpServer, web};
use actix_web_prom::PrometheusMetricsBuilder;
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::config::HttpConfig;
use crate::db::Pool;
use crate::db::pipelined::PipelinedConnections;
use body::BodyLimit;
use problem::{ApiError, problem_middleware};
use rate_limit::RateLimit;
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
fn operations(router: &mut Router) {
    meta::register(router);
    crate::keys::routes::register(router);
    crate::storage::routes::register(router);
    crate::holdings::routes::register(router);
    crate::conservation::routes::register(router);
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

/// Starts serving on `listener`. The returned server runs until stopped or signalled
/// (SIGINT/SIGTERM finish the requests in flight, then stop).
pub fn serve(listener: TcpListener, pool: Pool, config: &HttpConfig) -> std::io::Result<Server> {
    let openapi_yaml = openapi().to_yaml().map_err(std::io::Error::other)?;
    let connections = tokio::sync::Semaphore::new(pool.max_size() as usize);
    let readers = tokio::sync::Semaphore::new(pool.max_size().div_ceil(2) as usize);
    let connection_wait = pool.connection_timeout();
    let max_import_bytes = config.max_import_bytes;
    let state =
        web::Data::new(AppState { pool, connections, readers, connection_wait, openapi_yaml, max_import_bytes });
    let metrics = PrometheusMetricsBuilder::new("paperkeep")
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(std::io::Error::other)?;
    let registry = web::Data::new(metrics.registry.clone());
    let rate_limit = web::Data::new(RateLimit::new(config.rate_limit));
    let limit = config.max_body_bytes;
    let workers = config.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let server = HttpServer::new(move || {
        let mut router = Router::default();
        operations(&mut router);
        App::new()
            .app_data(state.clone())
            // Built once per worker: its pipelined connections are its own.
            .app_data(web::Data::new(PipelinedConnections::like(&state.pool)))
            .app_data(rate_limit.clone())
            .app_data(registry.clone())
            .app_data(BodyLimit(limit))
            .app_data(web::PayloadConfig::new(limit))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .wrap(actix_web::middleware::from_fn(rate_limit::limit))
            .wrap(problem_middleware())
            .wrap(metrics.clone())
            .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
            .configure(|config| router.mount(config))
            .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.yaml"])))
            .default_service(web::to(|| async { Err::<&str, _>(ApiError::NoRoute) }))
    })
    .workers(workers)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

/// The service running on a thread of its own, for tests and benchmarks, with its upkeep.
pub struct Running {
    pub handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    upkeep: Option<crate::upkeep::Upkeep>,
}

/// Starts serving on a thread of its own; [`Running::stop`] (or dropping it) stops it.
pub fn spawn(listener: TcpListener, pool: Pool, config: HttpConfig) -> Running {
    let upkeep = Some(crate::upkeep::start(&pool));
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = serve(listener, pool, &config).expect("the server starts");
            handle_tx.send(server.handle()).expect("the spawner waits for the handle");
            let _ = server.await;
        })
    });
    let handle = handle_rx.recv().expect("the server thread sends its handle");
    Running { handle, thread: Some(thread), upkeep }
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits for the thread.
    pub fn stop(&mut self) {
        drop(self.upkeep.take());
        actix_web::rt::System::new().block_on(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let names: Vec<&str> = req.match_info().iter().map(|(name, _)| name).collect();
    let reason = err.to_string();
    let reason = reason.strip_prefix("Path deserialize error: ").unwrap_or(&reason);
    ApiError::malformed(&names.join(", "), reason).into()
}
