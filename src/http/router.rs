//! Route registration that is also the API contract: each handler is registered from its
//! `#[utoipa::path]` description (method and path come from there), so a route cannot exist
//! without being in the OpenAPI document, nor the reverse.

use std::collections::BTreeMap;

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, Route, web};
use utoipa::__dev::{SchemaReferences, Tags};
use utoipa::openapi::path::{HttpMethod, Operation, ParameterBuilder, ParameterIn, Paths};
use utoipa::openapi::{RefOr, Required, Schema};

use super::problem::ApiError;
use crate::keys::access::{self, Access};
use crate::keys::model::Role;

/// Operations collected by [`Router::add`], by path.
#[derive(Default)]
pub struct Router {
    resources: BTreeMap<String, Vec<(Method, Route, Access)>>,
    order: Vec<String>,
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl Router {
    /// Registers `handler` at the method and path its OpenAPI description `_doc` states.
    pub fn add<Doc, F, Args>(&mut self, _doc: Doc, handler: F)
    where
        Doc: utoipa::Path + SchemaReferences + for<'t> Tags<'t>,
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let path = Doc::path();
        for method in Doc::methods() {
            let actix_method = to_actix(&method);
            let access = access::required(actix_method.as_str(), &path)
                .unwrap_or_else(|| panic!("{actix_method} {path} has no entry in keys::access::ROUTES"));
            let mut operation = with_who_may_call(Doc::operation(), access);
            operation.tags.get_or_insert_with(Vec::new).extend(Doc::tags().into_iter().map(String::from));
            let operation = with_standard_answers(operation, &path, &actix_method);
            self.paths.add_path_operation(&path, vec![method], operation);
            if !self.resources.contains_key(&path) {
                self.order.push(path.clone());
            }
            self.resources.entry(path.clone()).or_default().push((
                actix_method.clone(),
                web::method(actix_method).to(handler.clone()),
                access,
            ));
        }
        Doc::schemas(&mut self.schemas);
    }

    /// Mounts every operation, each path with what its methods need of the caller
    /// ([`RouteAccess`]); a known path with an unregistered method answers 405.
    pub fn mount(mut self, config: &mut web::ServiceConfig) {
        for path in self.order {
            let routes = self.resources.remove(&path).unwrap_or_default();
            let allowed: Vec<Method> = routes.iter().map(|(method, _, _)| method.clone()).collect();
            let access = RouteAccess(routes.iter().map(|(method, _, access)| (method.clone(), *access)).collect());
            let mut resource = web::resource(path.as_str()).app_data(access);
            for (_, route, _) in routes {
                resource = resource.route(route);
            }
            resource = resource.default_service(web::to(move || {
                let allowed = allowed.clone();
                async move { Err::<&str, _>(ApiError::MethodNotAllowed(allowed)) }
            }));
            config.service(resource);
        }
    }

    /// The paths and schemas collected, for the OpenAPI document.
    pub fn into_contract(self) -> (Paths, Vec<(String, RefOr<Schema>)>) {
        (self.paths, self.schemas)
    }
}

/// What each method of a path needs of the caller, from the access table, attached to the path
/// when it is mounted so that a request finds it without looking the table up again.
pub struct RouteAccess(Vec<(Method, Access)>);

impl RouteAccess {
    /// What the request's route needs; `None` outside the routes of [`Router`].
    pub fn of(req: &actix_web::HttpRequest) -> Option<Access> {
        let RouteAccess(methods) = req.app_data::<RouteAccess>()?;
        methods.iter().find(|(method, _)| method == req.method()).map(|(_, access)| *access)
    }
}

fn to_actix(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// Adds the answers every operation of its kind can give, so that each handler documents only
/// what is its own: 401/403/503 behind authentication, 400 for bad path segments, 400/413/415/422
/// for bodies, 404 for addressed resources, 428/412 and the `If-Match` header for PATCH.
fn with_standard_answers(mut operation: Operation, path: &str, method: &Method) -> Operation {
    let mut answers = vec![("500", "Internal")];
    if path.starts_with("/api/") {
        answers.extend([
            ("401", "Unauthorized"),
            ("403", "Forbidden"),
            ("429", "TooManyRequests"),
            ("503", "Unavailable"),
        ]);
    }
    if path.contains('{') {
        answers.extend([("400", "Malformed"), ("404", "NotFound")]);
    }
    if operation.parameters.iter().flatten().any(is_query_parameter) {
        // 400 for a cursor this list did not give out.
        answers.extend([("400", "Malformed"), ("422", "Invalid")]);
    }
    if operation.request_body.is_some() {
        answers.extend([
            ("400", "Malformed"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
            ("422", "Invalid"),
        ]);
    }
    if method == Method::POST && path.starts_with("/api/") {
        answers.extend([("400", "Malformed"), ("409", "Conflict"), ("422", "Invalid")]);
        let key = header_parameter(
            "Idempotency-Key",
            Required::False,
            (Some(r"^[\x21-\x7E]{1,255}$"), "9b2f6c1e-3d5a-4f0e-8a7b-2c4d6e8f0a1b"),
            "Makes a retry safe: the same key with the same request within 24 hours gets the first \
             answer again (with `Idempotent-Replayed: true`) instead of a second write. 1 to 255 \
             characters; 409 while the first request runs, 422 when reused for a different request.",
        );
        operation.parameters.get_or_insert_with(Vec::new).push(RefOr::T(key));
    }
    if method == Method::PATCH {
        answers.extend([("400", "Malformed"), ("412", "PreconditionFailed"), ("428", "PreconditionRequired")]);
        let if_match = header_parameter(
            "If-Match",
            Required::True,
            (None, "\"3\""),
            "The ETag of the version being changed, e.g. \"3\", or `*` for any version. A tag that \
             is not the current version (or not one this service gives out) is answered 412.",
        );
        operation.parameters.get_or_insert_with(Vec::new).push(RefOr::T(if_match));
    }
    for (status, name) in answers {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::Ref(utoipa::openapi::Ref::from_response_name(name)));
    }
    operation
}

/// States in the operation's description which roles may call it, from the access table.
fn with_who_may_call(mut operation: Operation, access: Access) -> Operation {
    let who = match access {
        Access::Public => "anyone, without a key".to_string(),
        Access::Key(permission) => {
            let roles: Vec<&str> =
                Role::ALL.iter().filter(|role| role.may(permission)).map(|role| role.as_str()).collect();
            if roles.len() == Role::ALL.len() { "every role".to_string() } else { roles.join(", ") }
        }
        Access::Page | Access::Person(_) => unreachable!("the staff app's routes are registered by ui::routes"),
    };
    let description = operation.description.take().unwrap_or_default();
    operation.description = Some(format!("{description}\n\n**Who may call**: {who}.").trim_start().to_string());
    operation
}

fn header_parameter(
    name: &str,
    required: Required,
    (pattern, example): (Option<&str>, &str),
    description: &str,
) -> utoipa::openapi::path::Parameter {
    let schema = utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(pattern)
        .examples([example]);
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(required)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn is_query_parameter(parameter: &RefOr<utoipa::openapi::path::Parameter>) -> bool {
    matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Query)
}
