use actix_web::web;

use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::etag::IfMatch;
use crate::http::problem::{ApiError, Problem};
use crate::http::query::{ListQuery, Page, PageParams};
use crate::http::router::Router;
use crate::keys::model::{Actor, Permission};
use crate::reading::model::{Anonymisation, Anonymised, NewReader, Reader, ReaderFilter, ReaderPatch};
use crate::reading::repo::readers as repo;

pub fn register(router: &mut Router) {
    router.add(__path_register_reader, register_reader);
    router.add(__path_list_readers, list_readers);
    // Before /readers/{id}, which would otherwise take `by-number` and `anonymise` for an id.
    router.add(__path_reader_by_number, reader_by_number);
    router.add(__path_anonymise_readers, anonymise_readers);
    router.add(__path_get_reader, get_reader);
    router.add(__path_update_reader, update_reader);
}

/// Whether the caller sees identity documents whole.
fn whole(actor: &Actor) -> bool {
    actor.role.may(Permission::ServeReaders)
}

/// Registers a reader (phiếu đăng ký) and gives them the next reader number. The identity
/// number is kept without spaces, dots or dashes, upper-cased; one that does not fit its type
/// is refused.
#[utoipa::path(post, path = "/api/v1/readers", tag = "reading room", request_body = NewReader,
    responses(
        (status = 201, description = "Registered", body = Reader, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "The identity document is registered already", body = Problem, content_type = "application/problem+json")))]
async fn register_reader(caller: Caller, body: Json<NewReader>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let created = repo::create(conn, &new, actor)?;
            Ok(Answer::tagged_created(&created, format!("/api/v1/readers/{}", created.id)))
        })
        .await
}

/// Readers in registration order; `q` finds a reader number or words of the name. Identity
/// numbers show whole to the roles that serve readers only.
#[utoipa::path(get, path = "/api/v1/readers", tag = "reading room", params(ReaderFilter, PageParams),
    responses((status = 200, description = "A page of readers", body = Page<Reader>)))]
async fn list_readers(caller: Caller, query: ListQuery<ReaderFilter>) -> Result<web::Json<Page<Reader>>, ApiError> {
    let ListQuery { filter, page } = query;
    let (after, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller
        .read_as(move |conn, actor| {
            let whole = whole(actor);
            Ok(repo::list(conn, &filter, after, limit)?.into_iter().map(|r| r.shown(whole)).collect())
        })
        .await?;
    Ok(web::Json(Page::from_rows(rows, &page, |r: &Reader| r.id)))
}

/// The reader whose card is scanned.
#[utoipa::path(get, path = "/api/v1/readers/by-number/{reader_no}", tag = "reading room",
    params(("reader_no" = String, Path, description = "Reader number, e.g. DG-000123")),
    responses((status = 200, description = "The reader", body = Reader, headers(("ETag" = String)))))]
async fn reader_by_number(caller: Caller, reader_no: web::Path<String>) -> Result<Answer, ApiError> {
    let reader_no = reader_no.into_inner();
    let reader = caller.read_as(move |conn, actor| Ok(repo::by_number(conn, &reader_no)?.shown(whole(actor)))).await?;
    Ok(Answer::tagged(&reader))
}

#[utoipa::path(get, path = "/api/v1/readers/{id}", tag = "reading room",
    params(("id" = i64, Path, description = "Reader id")),
    responses((status = 200, description = "The reader", body = Reader, headers(("ETag" = String)))))]
async fn get_reader(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    let reader = caller.read_as(move |conn, actor| Ok(repo::get(conn, id)?.shown(whole(actor)))).await?;
    Ok(Answer::tagged(&reader))
}

/// Changes a registration: details, the reader card's last day, or suspending the reader (with
/// why) and lifting it.
#[utoipa::path(patch, path = "/api/v1/readers/{id}", tag = "reading room", request_body = ReaderPatch,
    params(("id" = i64, Path, description = "Reader id")),
    responses((status = 200, description = "Changed", body = Reader, headers(("ETag" = String)))))]
async fn update_reader(
    caller: Caller,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<ReaderPatch>,
) -> Result<Answer, ApiError> {
    let (id, patch, expected) = (id.into_inner(), body.0, if_match.required()?);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::update(conn, id, &patch, expected, actor)?))).await
}

/// Anonymises readers (admin): the one named now, or every reader not seen for the rules'
/// `anonymise_after_days`. Their name, identity document, organisation, referral, topic and
/// card are removed, here and in their earlier events; their number and their counts stay.
/// One being served (in the reading room, a request under way, a file in hand) is 409.
#[utoipa::path(post, path = "/api/v1/readers/anonymise", tag = "reading room", request_body = Anonymisation,
    responses(
        (status = 200, description = "The readers anonymised", body = Anonymised),
        (status = 409, description = "The reader named is being served, or anonymised already", body = Problem, content_type = "application/problem+json")))]
async fn anonymise_readers(caller: Caller, body: Json<Anonymisation>) -> Result<Answer, ApiError> {
    let which = body.0;
    caller.run(move |conn, actor| Ok(Answer::ok(&repo::anonymise(conn, &which, actor)?))).await
}
