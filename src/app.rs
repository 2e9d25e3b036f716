//! Both doors, assembled: the JSON API (`http`) and the staff app (`ui`), over the same domains,
//! in one actix App that every deployment and every test runs.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{App, HttpServer, web};
use actix_web_prom::PrometheusMetricsBuilder;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::config::HttpConfig;
use crate::db::Pool;
use crate::db::pipelined::PipelinedConnections;
use crate::http::body::BodyLimit;
use crate::http::problem::problem_middleware;
use crate::http::rate_limit::{self, RateLimit};
use crate::http::router::Router;
use crate::http::{AppState, openapi, operations, path_error};

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
    let sign_in_limits = web::Data::new(crate::ui::SignInLimits::default());
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
            .app_data(sign_in_limits.clone())
            .app_data(registry.clone())
            .app_data(BodyLimit(limit))
            .app_data(web::PayloadConfig::new(limit))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .wrap(actix_web::middleware::from_fn(rate_limit::limit))
            .wrap(problem_middleware())
            .wrap(metrics.clone())
            .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
            .configure(|config| router.mount(config))
            .configure(crate::ui::routes)
            .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.yaml"])))
            .default_service(web::to(crate::ui::no_route))
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
