//! The OpenAPI document: the operations the router collected plus what they share (the
//! problem answers, the bearer scheme, the API's description).

use utoipa::openapi::path::Paths;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::problem::{PROBLEM_JSON, Problem};
use crate::conservation::model::QueueStage;
use crate::error::FieldError;

const DESCRIPTION: &str = "\
Conservation and shelf inventory for archives: page condition, conservation treatments and \
storage locations.

* **Authentication**: `Authorization: Bearer <API key>`. Keys have a role; every role reads.
* **Errors** are `application/problem+json` (RFC 9457); invalid input lists every bad field in \
`errors: [{field, message}]`.
* **Versions**: mutable resources carry `version`; GET answers with its `ETag`; PATCH requires \
`If-Match` (428 without it, 412 when the version is no longer current).
* **Lists** take `limit` (1–500, default 50) and `cursor` (the previous page's `next_cursor`).
* **Text** is stored in Unicode NFC without surrounding whitespace; searches ignore case and \
Vietnamese accents (`phong kho` finds `Phòng kho`).";

/// The shared problem answers, referenced by name from every operation.
const PROBLEM_ANSWERS: [(&str, &str); 13] = [
    ("Malformed", "The request cannot be read: bad JSON, a bad path segment, header or cursor."),
    ("Unauthorized", "No API key, or an unknown or revoked one."),
    ("Forbidden", "The key's role may not do this."),
    ("NotFound", "No such resource."),
    ("Conflict", "The request contradicts the stored data."),
    ("PayloadTooLarge", "The body is over the size limit."),
    ("UnsupportedMediaType", "The body is not JSON."),
    ("Invalid", "Some inputs are invalid; `errors` lists each."),
    ("PreconditionFailed", "`If-Match` names a version that is no longer current."),
    ("PreconditionRequired", "This change needs an `If-Match` header."),
    ("TooManyRequests", "This API key is over its rate limit; retry after `Retry-After` seconds."),
    ("Unavailable", "The database is unavailable; retry after `Retry-After` seconds."),
    ("Internal", "An unexpected error; it has been logged."),
];

pub fn document(paths: Paths, schemas: Vec<(String, RefOr<Schema>)>) -> OpenApi {
    let mut components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .schema(Problem::name(), Problem::schema())
        .schema(FieldError::name(), FieldError::schema())
        // Named by a query parameter only, which utoipa does not collect.
        .schema(QueueStage::name(), QueueStage::schema())
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API key")).build(),
            ),
        );
    for (name, description) in PROBLEM_ANSWERS {
        let content =
            ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name(Problem::name()))).build();
        components = components
            .response(name, ResponseBuilder::new().description(description).content(PROBLEM_JSON, content).build());
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("paperkeep")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(DESCRIPTION))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .security(Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]))
        .build()
}
