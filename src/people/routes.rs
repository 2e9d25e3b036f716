//! Staff accounts, read by admins over the API (they are made and changed in the app, or with
//! `paperkeep users create`): what the audit trail's `person.*` events are about.

use actix_web::web;

use super::model::Person;
use super::repo;
use crate::http::auth::Caller;
use crate::http::problem::ApiError;
use crate::http::query::{ListQuery, NoFilter, Page, PageParams};
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_list_people, list_people);
    router.add(__path_get_person, get_person);
}

/// Lists staff accounts, disabled ones included, by username.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(PageParams),
    responses((status = 200, description = "A page of accounts", body = Page<Person>)))]
async fn list_people(caller: Caller, query: ListQuery<NoFilter>) -> Result<web::Json<Page<Person>>, ApiError> {
    let page = query.page;
    let after = page.after::<String>()?;
    let limit = page.limit();
    let rows = caller.read(move |conn| repo::list(conn, after.as_deref(), limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |person| person.username.clone())))
}

/// One staff account.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, description = "The account", body = Person)))]
async fn get_person(caller: Caller, id: web::Path<i64>) -> Result<web::Json<Person>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(caller.read(move |conn| repo::get(conn, id)).await?))
}
