//! The staff app: pages rendered on the server (askama templates in `templates/`), a little
//! script (`assets/`), at `/`. A second door to the same domains as the JSON API: its handlers
//! call the domains' repos, never the API, and its routes are in the same access table
//! (`keys::access`). Assembled beside the API in `app`.

mod api_keys;
pub mod assets;
mod audit;
mod day_log;
mod desk;
mod file;
mod frame;
pub mod i18n;
mod labels;
mod locate;
mod move_boxes;
mod out;
mod people;
mod propose;
mod pull_list;
mod reader;
mod readers;
mod report;
mod scans;
mod sign_in;
mod space;
mod survey;
mod terms;
mod trail;
mod treatments;
mod visitor;
mod vocabularies;
mod webhooks;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, Route, web};
use askama::Template;

pub use frame::{Frame, Tab};
pub use sign_in::SignInLimits;
pub use visitor::{ScreenAccess, Submitted, Unchecked, Visitor};

use crate::keys::access;

/// The app's routes, each with what the access table says it needs.
pub fn routes(config: &mut web::ServiceConfig) {
    resource(config, "/", vec![(Method::GET, web::get().to(sign_in::home))]);
    resource(config, "/assets/{path:.*}", vec![(Method::GET, web::get().to(assets::serve))]);
    resource(
        config,
        "/sign-in",
        vec![(Method::GET, web::get().to(sign_in::form)), (Method::POST, web::post().to(sign_in::submit))],
    );
    resource(config, "/sign-out", vec![(Method::POST, web::post().to(sign_in::sign_out))]);
    resource(config, "/language", vec![(Method::POST, web::post().to(sign_in::language))]);
    resource(config, "/locate", vec![(Method::GET, web::get().to(locate::page))]);
    resource(
        config,
        "/move",
        vec![(Method::GET, web::get().to(move_boxes::page)), (Method::POST, web::post().to(move_boxes::confirm))],
    );
    resource(
        config,
        "/audit",
        vec![(Method::GET, web::get().to(audit::page)), (Method::POST, web::post().to(audit::finish))],
    );
    resource(config, "/audit/{id}", vec![(Method::GET, web::get().to(audit::result))]);
    resource(config, "/audit/{id}/reconcile", vec![(Method::POST, web::post().to(audit::reconcile))]);
    resource(config, "/audit/{id}/found", vec![(Method::POST, web::post().to(audit::mark_found))]);
    resource(config, "/files/{id}", vec![(Method::GET, web::get().to(file::page))]);
    resource(config, "/assessments/{id}/withdraw", vec![(Method::POST, web::post().to(file::withdraw))]);
    resource(
        config,
        "/survey",
        vec![(Method::GET, web::get().to(survey::page)), (Method::POST, web::post().to(survey::submit))],
    );
    resource(
        config,
        "/treatments",
        vec![(Method::GET, web::get().to(treatments::board)), (Method::POST, web::post().to(propose::submit))],
    );
    // Before /treatments/{id}, which would take `new` and `day` for ids.
    resource(config, "/treatments/new", vec![(Method::GET, web::get().to(propose::form))]);
    resource(
        config,
        "/treatments/day",
        vec![(Method::GET, web::get().to(day_log::form)), (Method::POST, web::post().to(day_log::submit))],
    );
    resource(config, "/treatments/{id}", vec![(Method::GET, web::get().to(treatments::page))]);
    resource(config, "/treatments/{id}/step", vec![(Method::POST, web::post().to(treatments::step))]);
    resource(config, "/reading", vec![(Method::GET, web::get().to(desk::page))]);
    resource(
        config,
        "/readers",
        vec![(Method::GET, web::get().to(readers::list)), (Method::POST, web::post().to(readers::create))],
    );
    // Before /readers/{id}, which would take `new` for an id.
    resource(config, "/readers/new", vec![(Method::GET, web::get().to(readers::new))]);
    resource(config, "/readers/{id}", vec![(Method::GET, web::get().to(reader::page))]);
    resource(config, "/readers/{id}/requests", vec![(Method::POST, web::post().to(reader::ask))]);
    resource(config, "/readers/{id}/issue", vec![(Method::POST, web::post().to(reader::issue))]);
    resource(config, "/readers/{id}/visit", vec![(Method::POST, web::post().to(reader::visit))]);
    resource(config, "/handovers/{id}/return", vec![(Method::POST, web::post().to(reader::give_back))]);
    resource(config, "/pull-list", vec![(Method::GET, web::get().to(pull_list::page))]);
    resource(config, "/pull-list/take", vec![(Method::POST, web::post().to(pull_list::take))]);
    resource(config, "/pull-list/deliver", vec![(Method::POST, web::post().to(pull_list::deliver))]);
    resource(config, "/report", vec![(Method::GET, web::get().to(report::page))]);
    resource(config, "/report.csv", vec![(Method::GET, web::get().to(report::page))]);
    resource(config, "/labels", vec![(Method::GET, web::get().to(labels::page))]);
    resource(config, "/out", vec![(Method::GET, web::get().to(out::list))]);
    resource(config, "/space", vec![(Method::GET, web::get().to(space::page))]);
    resource(config, "/out/return", vec![(Method::POST, web::post().to(out::return_home))]);
    resource(
        config,
        "/people",
        vec![(Method::GET, web::get().to(people::list)), (Method::POST, web::post().to(people::create))],
    );
    resource(config, "/people/new", vec![(Method::GET, web::get().to(people::new))]);
    resource(
        config,
        "/people/{id}",
        vec![(Method::GET, web::get().to(people::show)), (Method::POST, web::post().to(people::update))],
    );
    resource(config, "/people/{id}/password", vec![(Method::POST, web::post().to(people::reset_password))]);
    resource(config, "/people/{id}/enabled", vec![(Method::POST, web::post().to(people::set_enabled))]);
    resource(
        config,
        "/admin/keys",
        vec![(Method::GET, web::get().to(api_keys::list)), (Method::POST, web::post().to(api_keys::create))],
    );
    resource(config, "/admin/keys/{id}/revoke", vec![(Method::POST, web::post().to(api_keys::revoke))]);
    resource(
        config,
        "/admin/webhooks",
        vec![(Method::GET, web::get().to(webhooks::list)), (Method::POST, web::post().to(webhooks::create))],
    );
    resource(config, "/admin/webhooks/{id}", vec![(Method::GET, web::get().to(webhooks::deliveries))]);
    resource(config, "/admin/webhooks/{id}/deactivate", vec![(Method::POST, web::post().to(webhooks::deactivate))]);
    resource(config, "/admin/vocabularies", vec![(Method::GET, web::get().to(vocabularies::page))]);
    resource(config, "/admin/vocabularies/{name}", vec![(Method::POST, web::post().to(vocabularies::add))]);
    resource(config, "/admin/vocabularies/{name}/{code}", vec![(Method::POST, web::post().to(vocabularies::change))]);
    resource(config, "/admin/trail", vec![(Method::GET, web::get().to(trail::page))]);
}

/// One path's routes. Each method's route knows what it needs; a method the path does not
/// serve is 405.
fn resource(config: &mut web::ServiceConfig, path: &str, routes: Vec<(Method, Route)>) {
    let needs = routes
        .iter()
        .map(|(method, _)| {
            let access = access::required(method.as_str(), path)
                .unwrap_or_else(|| panic!("{method} {path} has no entry in keys::access::ROUTES"));
            (method.clone(), access)
        })
        .collect();
    let mut resource = web::resource(path).app_data(ScreenAccess(needs));
    for (_, route) in routes {
        resource = resource.route(route);
    }
    config.service(resource);
}

/// What every page of the app is sent with: no script or style but the app's own files, no
/// framing, no guessing of types, the referrer kept to this site.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// An HTML answer with the app's security headers; `Vary: HX-Request`, since a page and its
/// fragment share a URL.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    let mut response = HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body);
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
        (header::VARY, "HX-Request, Cookie"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A page that only says what went wrong.
#[derive(Template)]
#[template(path = "problem.html")]
pub struct Problem {
    pub frame: Frame,
    pub message: String,
}

/// `page` rendered, with the app's headers.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => html(status, body),
        Err(err) => {
            log::error!("a page did not render: {err}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Each field's problem, in the page's language, shown on the field.
#[derive(Default)]
pub struct FieldProblems(Vec<(&'static str, String)>);

impl FieldProblems {
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, message)| message.as_str())
    }

    pub fn add(&mut self, field: &'static str, message: String) {
        self.0.push((field, message));
    }

    /// Whether `field` takes the focus when the page opens: the first with a problem, else
    /// `first` (the form's first field).
    pub fn focus(&self, field: &str, first: &str) -> bool {
        self.0.first().map_or(first, |(f, _)| f) == field
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a bulk move (`storage::repo::moves::move_many`) moved nothing: by row (its request's
/// `moves[i]`), and what concerns no row.
pub struct Refused {
    pub by_row: std::collections::HashMap<usize, String>,
    pub general: Vec<String>,
}

impl Refused {
    /// The refusal in `err`; none when the database could not be asked.
    pub fn of(err: crate::error::Error) -> Option<Refused> {
        use crate::error::Error;
        let errors = match err {
            Error::Conflicts(errors) | Error::Invalid(errors) => errors,
            Error::Forbidden(why) | Error::Conflict(why) | Error::NotFound(why) => {
                vec![crate::error::FieldError::new("moves", why)]
            }
            _ => return None,
        };
        let row = |field: &str| field.strip_prefix("moves[")?.split(']').next()?.parse::<usize>().ok();
        let mut refused = Refused { by_row: Default::default(), general: Vec::new() };
        for error in errors {
            match row(&error.field) {
                Some(index) => {
                    refused.by_row.insert(index, error.message);
                }
                None => refused.general.push(error.message),
            }
        }
        Some(refused)
    }
}

/// What a refused write says on the page, with its status; none when the database could not be
/// asked (the page is then 503).
pub fn refusal(err: crate::error::Error) -> Option<(StatusCode, String)> {
    use crate::error::Error;
    Some(match err {
        Error::Unavailable(_) | Error::Database(_) => return None,
        Error::Invalid(errors) | Error::Conflicts(errors) => {
            (StatusCode::UNPROCESSABLE_ENTITY, errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" "))
        }
        Error::NotFound(why) => (StatusCode::NOT_FOUND, why),
        Error::Conflict(why) | Error::Forbidden(why) => (StatusCode::CONFLICT, why),
        stale @ Error::Stale { .. } => (StatusCode::CONFLICT, stale.to_string()),
    })
}

/// A form without the session's token: refused.
pub fn forged(visitor: &Visitor) -> HttpResponse {
    let frame = Frame::of(visitor, "");
    let message = frame.t("refused-cross-site");
    render(StatusCode::FORBIDDEN, &Problem { frame, message })
}

/// 503 in the page's language: the database could not be asked.
pub fn unavailable(frame: Frame) -> HttpResponse {
    let message = frame.t("unavailable");
    render(StatusCode::SERVICE_UNAVAILABLE, &Problem { frame, message })
}

/// The page for a read that failed: 404 for what does not exist, else 503.
pub fn failed_read(frame: Frame, err: crate::http::problem::ApiError) -> HttpResponse {
    match err {
        crate::http::problem::ApiError::Domain(crate::error::Error::NotFound(_)) => not_found_page(frame),
        _ => unavailable(frame),
    }
}

/// 404 in the page's language.
pub fn not_found_page(frame: Frame) -> HttpResponse {
    let message = frame.t("not-found");
    render(StatusCode::NOT_FOUND, &Problem { frame, message })
}

/// What answers a path nothing serves: a page for a browser, problem+json for the API and
/// for any client that does not ask for HTML.
pub async fn no_route(req: actix_web::HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    let wants_page = !req.path().starts_with("/api/")
        && req.headers().get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if !wants_page {
        return Err(crate::http::problem::ApiError::NoRoute.into());
    }
    let visitor = <Visitor as actix_web::FromRequest>::extract(&req).await?;
    let frame = Frame::of(&visitor, "");
    Ok(not_found_page(frame))
}

/// A redirect after a form (post/redirect/get).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// A number typed (`6,5` or `6.5`) from 0 to `most`; none when nothing was typed.
fn typed_number(typed: &str, most: f64) -> std::result::Result<Option<f64>, ()> {
    match typed.trim().replace(',', ".") {
        empty if empty.is_empty() => Ok(None),
        typed => typed.parse::<f64>().ok().filter(|v| (0.0..=most).contains(v)).map(Some).ok_or(()),
    }
}

/// The fields of a form's numbered rows (`r3.pages` is row 3's `pages`), each with its row,
/// for rows below `most`: row, field, value.
fn row_fields(form: &[(String, String)], most: usize) -> impl Iterator<Item = (usize, &str, String)> {
    form.iter().filter_map(move |(name, value)| {
        let (row, field) = name.strip_prefix('r')?.split_once('.')?;
        let row = row.parse::<usize>().ok().filter(|&r| r < most)?;
        Some((row, field, crate::text::normalize(value)))
    })
}
