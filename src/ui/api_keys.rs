//! Khoá API / API keys, for admins: the keys other services and scripts use, a new one (its
//! secret shown once, on the answer to the form, never in a URL), and revoking one at once.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::{FieldProblems, Frame, Submitted, Visitor, i18n, render, see_other, unavailable};
use crate::error::Error;
use crate::keys::model::{ApiKey, NewApiKey, Role, Secret};
use crate::keys::repo as keys;

/// The most keys listed.
const LISTED: i64 = 1000;

pub struct KeyLine {
    id: i64,
    name: String,
    role: String,
    prefix: String,
    created: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct KeysPage {
    frame: Frame,
    keys: Vec<KeyLine>,
    roles: Vec<(Role, String)>,
    typed: Typed,
    problems: FieldProblems,
    /// A key just made: its name and its secret, shown this once.
    created: Option<(String, String)>,
    done: Option<String>,
    problem: Option<String>,
}

/// The new key as typed.
#[derive(Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// What the page says besides the keys.
#[derive(Default)]
struct Said {
    created: Option<(String, String)>,
    done: Option<String>,
    problem: Option<String>,
    problems: FieldProblems,
}

#[derive(Deserialize)]
pub struct Done {
    revoked: Option<i64>,
}

pub async fn list(visitor: Visitor, done: web::Query<Done>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let done = done.revoked.map(|id| i18n::text(frame.lang, "keys-revoked", &[("id", &id.to_string())]));
    let typed = Typed { role: Role::Integration.to_string(), ..Typed::default() };
    show(&visitor, frame, typed, Said { done, ..Said::default() }, StatusCode::OK).await
}

async fn show(visitor: &Visitor, frame: Frame, typed: Typed, said: Said, status: StatusCode) -> HttpResponse {
    let Ok(found) = visitor.state.with_read_connection(|conn| Ok(keys::list(conn, None, LISTED)?)).await else {
        return unavailable(frame);
    };
    let line = |key: ApiKey| KeyLine {
        id: key.id,
        name: key.name,
        role: frame.t(&format!("role-{}", key.role)),
        prefix: key.prefix,
        created: i18n::date_time(frame.lang, key.created_at),
        revoked: key.revoked_at.map(|at| i18n::date_time(frame.lang, at)),
    };
    let keys = found.into_iter().take(LISTED as usize).map(line).collect();
    let roles = Role::ALL.iter().map(|role| (*role, frame.t(&format!("role-{role}")))).collect();
    let Said { created, done, problem, problems } = said;
    render(status, &KeysPage { frame, keys, roles, typed, problems, created, done, problem })
}

/// Makes a key and shows its secret on this answer, the only time it is shown.
pub async fn create(Submitted { visitor, form }: Submitted<Typed>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let name = crate::text::normalize(form.name.trim());
    let mut problems = FieldProblems::default();
    let role = form.role.parse::<Role>();
    let new = NewApiKey { name: name.clone(), role: *role.as_ref().unwrap_or(&Role::Viewer) };
    if new.validate().is_err() || crate::text::single_line(&name).is_err() {
        problems.add("name", frame.t("keys-invalid-name"));
    }
    if role.is_err() {
        problems.add("role", frame.t("people-invalid-role"));
    }
    if !problems.is_empty() {
        let said = Said { problems, ..Said::default() };
        return show(&visitor, frame, form, said, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let made = visitor
        .write(move |conn, actor| {
            let secret = Secret::generate();
            keys::create(conn, &new.name, new.role, &secret, Some(actor.key_id))?;
            Ok(secret.reveal())
        })
        .await;
    match made {
        Ok(secret) => {
            let said = Said { created: Some((name, secret)), ..Said::default() };
            let typed = Typed { role: Role::Integration.to_string(), ..Typed::default() };
            show(&visitor, frame, typed, said, StatusCode::CREATED).await
        }
        Err(_) => unavailable(frame),
    }
}

/// Revokes a key at once; the last admin key is kept.
pub async fn revoke(Submitted { visitor, .. }: Submitted<serde::de::IgnoredAny>, id: web::Path<i64>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let id = id.into_inner();
    let problem = match visitor.write(move |conn, actor| keys::revoke(conn, id, actor)).await {
        Ok(()) => return see_other(&format!("/admin/keys?revoked={id}")),
        Err(Error::NotFound(_)) => return super::not_found_page(frame),
        Err(Error::Conflict(_)) => frame.t("keys-keep-an-admin"),
        Err(_) => return unavailable(frame),
    };
    let said = Said { problem: Some(problem), ..Said::default() };
    let typed = Typed { role: Role::Integration.to_string(), ..Typed::default() };
    show(&visitor, frame, typed, said, StatusCode::CONFLICT).await
}
