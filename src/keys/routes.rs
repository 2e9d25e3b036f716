//! Admin management of API keys.

use actix_web::http::StatusCode;
use actix_web::web;

use super::model::{ApiKey, CreatedApiKey, NewApiKey, Secret};
use super::repo;
use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, NoFilter, Page, PageParams};
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_create_key, create_key);
    router.add(__path_list_keys, list_keys);
    router.add(__path_get_key, get_key);
    router.add(__path_revoke_key, revoke_key);
}

/// Creates an API key. The secret is in this response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api keys", request_body = NewApiKey,
    responses((status = 201, description = "The key, with its secret shown once", body = CreatedApiKey)))]
async fn create_key(caller: Caller, body: Json<NewApiKey>) -> Result<Answer, ApiError> {
    let NewApiKey { name, role } = body.0;
    caller
        .run(move |conn, actor| {
            let secret = Secret::generate();
            let api_key = repo::create(conn, &name, role, &secret, Some(actor.key_id))?;
            let location = format!("/api/v1/api-keys/{}", api_key.id);
            Ok(Answer::created(&CreatedApiKey { api_key, key: secret.reveal() }, location))
        })
        .await
}

/// Lists API keys, revoked ones included, oldest first. Secrets are never listed.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api keys", params(PageParams),
    responses((status = 200, description = "A page of keys", body = Page<ApiKey>)))]
async fn list_keys(caller: Caller, query: ListQuery<NoFilter>) -> Result<web::Json<Page<ApiKey>>, ApiError> {
    let page = query.page;
    let after = page.after::<i64>()?;
    let limit = page.limit();
    let rows = caller.read(move |conn| repo::list(conn, after, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |key| key.id)))
}

/// One API key.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api keys",
    params(("id" = i64, Path, description = "Key id")),
    responses((status = 200, description = "The key", body = ApiKey)))]
async fn get_key(caller: Caller, id: web::Path<i64>) -> Result<web::Json<ApiKey>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Revokes an API key: requests with it are refused from now on. The key stays listed, with
/// who revoked it and when. Revoking twice is harmless.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/revoke", tag = "api keys",
    params(("id" = i64, Path, description = "Key id")),
    responses((status = 200, description = "The key, revoked", body = ApiKey),
              (status = 409, description = "It is the key making the request, or the last active admin key", body = Problem, content_type = "application/problem+json")))]
async fn revoke_key(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    caller
        .run(move |conn, actor| {
            repo::revoke(conn, id, actor)?;
            Ok(Answer::json(StatusCode::OK, &repo::get(conn, id)?))
        })
        .await
}
