use actix_web::web;

use crate::holdings::model::{Fonds, FondsFilter, FondsPatch, NewFonds};
use crate::holdings::repo::fonds as repo;
use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::etag::IfMatch;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_create_fonds, create_fonds);
    router.add(__path_list_fonds, list_fonds);
    router.add(__path_get_fonds, get_fonds);
    router.add(__path_update_fonds, update_fonds);
}

/// Adds a fonds.
#[utoipa::path(post, path = "/api/v1/fonds", tag = "holdings", request_body = NewFonds,
    responses(
        (status = 201, description = "Created", body = Fonds, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json")))]
async fn create_fonds(caller: Caller, body: Json<NewFonds>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let created = repo::create(conn, &new, actor)?;
            Ok(Answer::tagged_created(&created, format!("/api/v1/fonds/{}", created.id)))
        })
        .await
}

/// Fonds in code order; `q` searches code, name and creator ignoring case and accents.
#[utoipa::path(get, path = "/api/v1/fonds", tag = "holdings", params(FondsFilter, PageParams),
    responses((status = 200, description = "A page of fonds", body = Page<Fonds>)))]
async fn list_fonds(caller: Caller, query: ListQuery<FondsFilter>) -> Result<web::Json<Page<Fonds>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (after, limit) = (page.after()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, &filter, after, limit)).await?;
    Ok(web::Json(Page::from_ranked(rows, &page, |f| f.code.clone())))
}

#[utoipa::path(get, path = "/api/v1/fonds/{id}", tag = "holdings",
    params(("id" = i64, Path, description = "Fonds id")),
    responses((status = 200, description = "The fonds", body = Fonds, headers(("ETag" = String)))))]
async fn get_fonds(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    Ok(Answer::tagged(&caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Changes a fonds.
#[utoipa::path(patch, path = "/api/v1/fonds/{id}", tag = "holdings", request_body = FondsPatch,
    params(("id" = i64, Path, description = "Fonds id")),
    responses(
        (status = 200, description = "Changed", body = Fonds, headers(("ETag" = String))),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json")))]
async fn update_fonds(
    caller: Caller,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<FondsPatch>,
) -> Result<Answer, ApiError> {
    let (id, patch, expected) = (id.into_inner(), body.0, if_match.required()?);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::update(conn, id, &patch, expected, actor)?))).await
}
