//! Quản trị / Staff accounts, for admins: everyone who signs in, a new account, and one
//! account's name and role, password, and whether it may sign in. Every change is the admin's,
//! recorded in the trail as `person.created` / `person.updated`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::{FieldProblems, Frame, Submitted, Visitor, i18n, render, see_other, unavailable};
use crate::error::Error;
use crate::keys::model::Role;
use crate::people::model::{NewPerson, Person, PersonChanges, password};
use crate::people::repo as people;

/// One account as the screens show it.
pub struct Account {
    id: i64,
    version: i32,
    username: String,
    display_name: String,
    role: Role,
    role_name: String,
    enabled: bool,
    status: String,
    password_changed: String,
}

impl Account {
    fn of(person: Person, frame: &Frame) -> Account {
        let enabled = person.disabled_at.is_none();
        Account {
            id: person.id,
            version: person.version,
            username: person.username,
            display_name: person.display_name,
            role: person.role,
            role_name: frame.t(&format!("role-{}", person.role)),
            enabled,
            status: frame.t(if enabled { "people-enabled" } else { "people-disabled" }),
            password_changed: i18n::date_time(frame.lang, person.password_changed_at),
        }
    }
}

/// Notes that `field` is wrong, with its message from the catalogue.
fn wrong(problems: &mut FieldProblems, frame: &Frame, field: &'static str) {
    problems.add(field, frame.t(&format!("people-invalid-{field}")));
}

/// The roles a form offers, each with its name in the page's language.
fn roles(frame: &Frame) -> Vec<(Role, String)> {
    Role::ALL.iter().map(|role| (*role, frame.t(&format!("role-{role}")))).collect()
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    frame: Frame,
    accounts: Vec<Account>,
}

pub async fn list(visitor: Visitor) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    match visitor.state.with_read_connection(|conn| Ok(people::list(conn, None, 10_000)?)).await {
        Ok(found) => {
            let accounts = found.into_iter().map(|person| Account::of(person, &frame)).collect();
            render(StatusCode::OK, &PeoplePage { frame, accounts })
        }
        Err(_) => unavailable(frame),
    }
}

/// The new-account form, as typed (never the password).
#[derive(Default)]
pub struct Typed {
    username: String,
    display_name: String,
    role: String,
}

#[derive(Template)]
#[template(path = "person_new.html")]
struct NewAccountPage {
    frame: Frame,
    typed: Typed,
    roles: Vec<(Role, String)>,
    problems: FieldProblems,
}

pub async fn new(visitor: Visitor) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let roles = roles(&frame);
    let typed = Typed { role: Role::Viewer.to_string(), ..Typed::default() };
    render(StatusCode::OK, &NewAccountPage { frame, typed, roles, problems: FieldProblems::default() })
}

#[derive(Deserialize)]
pub struct NewAccount {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

pub async fn create(Submitted { visitor, form }: Submitted<NewAccount>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let new = NewPerson {
        username: crate::text::normalize(form.username.trim()).to_lowercase(),
        display_name: crate::text::normalize(form.display_name.trim()),
        role: form.role.parse().unwrap_or(Role::Viewer),
        password: form.password,
        language: None,
    };
    let mut problems = FieldProblems::default();
    if let Err(errors) = new.validate() {
        for field in ["username", "display_name", "password"] {
            if errors.field_errors().contains_key(field) {
                wrong(&mut problems, &frame, field);
            }
        }
    }
    if form.role.parse::<Role>().is_err() {
        wrong(&mut problems, &frame, "role");
    }
    let typed = Typed { username: new.username.clone(), display_name: new.display_name.clone(), role: form.role };
    let again = |frame: Frame, problems, status| {
        let roles = roles(&frame);
        render(status, &NewAccountPage { frame, typed, roles, problems })
    };
    if !problems.is_empty() {
        return again(frame, problems, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match visitor.write(move |conn, actor| people::create(conn, &new, Some(actor.key_id))).await {
        Ok(person) => see_other(&format!("/people/{}?done=created", person.id)),
        Err(Error::Conflict(_)) => {
            problems.add("username", frame.t("people-invalid-username-taken"));
            again(frame, problems, StatusCode::CONFLICT)
        }
        Err(_) => unavailable(frame),
    }
}

#[derive(Template)]
#[template(path = "person.html")]
struct AccountPage {
    frame: Frame,
    account: Account,
    roles: Vec<(Role, String)>,
    /// What the last change did, or why it was refused.
    done: Option<String>,
    refused: Option<String>,
    problems: FieldProblems,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show(visitor: Visitor, id: web::Path<i64>, query: web::Query<Done>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let done = match query.into_inner().done.as_deref() {
        Some(what @ ("created" | "updated" | "password" | "disabled" | "enabled")) => {
            Some(frame.t(&format!("people-done-{what}")))
        }
        _ => None,
    };
    account_page(&visitor, frame, *id, done, None, FieldProblems::default(), StatusCode::OK).await
}

/// The account page, read afresh, with what to say above it.
async fn account_page(
    visitor: &Visitor,
    frame: Frame,
    id: i64,
    done: Option<String>,
    refused: Option<String>,
    problems: FieldProblems,
    status: StatusCode,
) -> HttpResponse {
    match visitor.state.with_read_connection(move |conn| Ok(people::get(conn, id)?)).await {
        Ok(person) => {
            let account = Account::of(person, &frame);
            let roles = roles(&frame);
            render(status, &AccountPage { frame, account, roles, done, refused, problems })
        }
        Err(crate::http::problem::ApiError::Domain(Error::NotFound(_))) => super::not_found_page(frame),
        Err(_) => unavailable(frame),
    }
}

#[derive(Deserialize)]
pub struct Details {
    version: i32,
    display_name: String,
    role: String,
}

pub async fn update(id: web::Path<i64>, Submitted { visitor, form }: Submitted<Details>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let changes = PersonChanges {
        display_name: crate::text::normalize(form.display_name.trim()),
        role: form.role.parse().unwrap_or(Role::Viewer),
    };
    let mut problems = FieldProblems::default();
    if changes.validate().is_err() {
        wrong(&mut problems, &frame, "display_name");
    }
    if form.role.parse::<Role>().is_err() {
        wrong(&mut problems, &frame, "role");
    }
    let id = *id;
    let version = form.version;
    changed(visitor, frame, id, problems, "updated", move |conn, actor| {
        people::update(conn, id, version, &changes, actor)
    })
    .await
}

#[derive(Deserialize)]
pub struct NewPassword {
    version: i32,
    password: String,
}

pub async fn reset_password(id: web::Path<i64>, Submitted { visitor, form }: Submitted<NewPassword>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let mut problems = FieldProblems::default();
    if password(&form.password).is_err() {
        wrong(&mut problems, &frame, "password");
    }
    let (id, version) = (*id, form.version);
    changed(visitor, frame, id, problems, "password", move |conn, actor| {
        people::reset_password(conn, id, version, &form.password, actor)
    })
    .await
}

#[derive(Deserialize)]
pub struct Enabled {
    version: i32,
    enabled: bool,
}

pub async fn set_enabled(id: web::Path<i64>, Submitted { visitor, form }: Submitted<Enabled>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let (id, version, enabled) = (*id, form.version, form.enabled);
    let done = if enabled { "enabled" } else { "disabled" };
    changed(visitor, frame, id, FieldProblems::default(), done, move |conn, actor| {
        people::set_enabled(conn, id, version, enabled, actor)
    })
    .await
}

/// Makes a change to the account `id` unless the form had problems; then back to the account
/// (303, saying what was `done`), or the account page again saying why not.
async fn changed<F>(
    visitor: Visitor,
    frame: Frame,
    id: i64,
    problems: FieldProblems,
    done: &str,
    change: F,
) -> HttpResponse
where
    F: FnOnce(&mut diesel::PgConnection, &crate::keys::model::Actor) -> crate::error::Result<Person> + Send + 'static,
{
    if !problems.is_empty() {
        return account_page(&visitor, frame, id, None, None, problems, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let refused = match visitor.write(change).await {
        Ok(_) => return see_other(&format!("/people/{id}?done={done}")),
        Err(Error::NotFound(_)) => return super::not_found_page(frame),
        Err(Error::Stale { .. }) => "people-stale",
        Err(Error::Conflict(_)) => "people-keep-an-admin",
        Err(_) => return unavailable(frame),
    };
    let refused = Some(frame.t(refused));
    account_page(&visitor, frame, id, None, refused, FieldProblems::default(), StatusCode::CONFLICT).await
}
