use actix_web::web;

use crate::conservation::model::{NewTerm, Term, TermPatch, Vocabulary, VocabularyTerms};
use crate::conservation::repo::vocabularies as repo;
use crate::error::Error;
use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::etag::IfMatch;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::Page;
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_list_vocabularies, list_vocabularies);
    router.add(__path_get_vocabulary, get_vocabulary);
    router.add(__path_add_term, add_term);
    router.add(__path_get_term, get_term);
    router.add(__path_update_term, update_term);
}

fn vocabulary(name: &str) -> Result<Vocabulary, ApiError> {
    name.parse().map_err(|_| Error::NotFound(format!("no vocabulary is named `{name}`")).into())
}

/// Every vocabulary with its terms (retired ones included, with `retired_at`).
#[utoipa::path(get, path = "/api/v1/vocabularies", tag = "vocabularies",
    responses((status = 200, description = "The vocabularies", body = Page<VocabularyTerms>)))]
async fn list_vocabularies(caller: Caller) -> Result<web::Json<Page<VocabularyTerms>>, ApiError> {
    let items = caller.read(repo::all).await?;
    Ok(web::Json(Page { items, next_cursor: None }))
}

/// One vocabulary: condition_grade, damage_type, treatment_type, material or movement_reason.
#[utoipa::path(get, path = "/api/v1/vocabularies/{name}", tag = "vocabularies",
    params(("name" = String, Path, description = "Vocabulary name")),
    responses((status = 200, description = "The vocabulary", body = VocabularyTerms)))]
async fn get_vocabulary(caller: Caller, name: web::Path<String>) -> Result<web::Json<VocabularyTerms>, ApiError> {
    let name = vocabulary(&name)?;
    Ok(web::Json(caller.read(move |conn| repo::one(conn, name)).await?))
}

/// Adds a term to an extensible vocabulary (damage types, treatment types, materials).
#[utoipa::path(post, path = "/api/v1/vocabularies/{name}/terms", tag = "vocabularies", request_body = NewTerm,
    params(("name" = String, Path, description = "Vocabulary name")),
    responses(
        (status = 201, description = "Added", body = Term, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "The code exists, or the vocabulary is fixed", body = Problem, content_type = "application/problem+json")))]
async fn add_term(caller: Caller, name: web::Path<String>, body: Json<NewTerm>) -> Result<Answer, ApiError> {
    let (name, new) = (vocabulary(&name)?, body.0);
    caller
        .run(move |conn, actor| {
            let term = repo::add(conn, name, &new, actor)?;
            Ok(Answer::tagged_created(&term, format!("/api/v1/vocabularies/{name}/terms/{}", term.code)))
        })
        .await
}

/// One term of a vocabulary.
#[utoipa::path(get, path = "/api/v1/vocabularies/{name}/terms/{code}", tag = "vocabularies",
    params(("name" = String, Path, description = "Vocabulary name"), ("code" = String, Path, description = "Term code")),
    responses((status = 200, description = "The term", body = Term, headers(("ETag" = String)))))]
async fn get_term(caller: Caller, path: web::Path<(String, String)>) -> Result<Answer, ApiError> {
    let (name, code) = path.into_inner();
    let name = vocabulary(&name)?;
    Ok(Answer::tagged(&caller.read(move |conn| repo::term(conn, name, &code)).await?))
}

/// Changes a term's labels or category, or retires it: a retired term stays in the records that
/// use it and is refused in new ones. Terms are never deleted.
#[utoipa::path(patch, path = "/api/v1/vocabularies/{name}/terms/{code}", tag = "vocabularies", request_body = TermPatch,
    params(("name" = String, Path, description = "Vocabulary name"), ("code" = String, Path, description = "Term code")),
    responses(
        (status = 200, description = "Changed", body = Term, headers(("ETag" = String))),
        (status = 409, description = "The vocabulary is fixed", body = Problem, content_type = "application/problem+json")))]
async fn update_term(
    caller: Caller,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: Json<TermPatch>,
) -> Result<Answer, ApiError> {
    let (name, code) = path.into_inner();
    let (name, patch, expected) = (vocabulary(&name)?, body.0, if_match.required()?);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::update(conn, name, &code, &patch, expected, actor)?))).await
}
