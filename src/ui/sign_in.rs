//! Signing in and out, the front door, and the language switch.

use std::num::NonZeroU32;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::Deserialize;

use super::visitor::LANGUAGE_COOKIE;
use super::{Frame, Problem, Submitted, Visitor, forged, render, see_other, unavailable};
use crate::people::model::Language;
use crate::people::repo as people;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    frame: Frame,
    message: Option<String>,
    username: String,
    next: String,
}

/// `/`: the locate screen for someone signed in, else signing in.
pub async fn home(visitor: Visitor) -> HttpResponse {
    see_other(if visitor.signed_in.is_some() { "/locate" } else { "/sign-in" })
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
    ended: Option<String>,
}

pub async fn form(visitor: Visitor, query: web::Query<Next>) -> HttpResponse {
    if visitor.signed_in.is_some() {
        return see_other(&safe_next(query.next.as_deref()));
    }
    let frame = Frame::of(&visitor, "sign-in");
    let message = query.ended.is_some().then(|| frame.t("session-ended"));
    let page = SignInPage { frame, message, username: String::new(), next: safe_next(query.next.as_deref()) };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
    next: Option<String>,
}

/// Sign-in attempts allowed per account and per address: a few mistyped passwords pass,
/// guessing does not. Kept in memory by each instance of the service.
pub struct SignInLimits {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<String>,
}

impl Default for SignInLimits {
    fn default() -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).expect("not zero"));
        SignInLimits {
            per_account: DefaultKeyedRateLimiter::keyed(per_minute(10)),
            per_address: DefaultKeyedRateLimiter::keyed(per_minute(30)),
        }
    }
}

pub async fn submit(
    visitor: Visitor,
    req: HttpRequest,
    limits: web::Data<SignInLimits>,
    form: web::Form<Credentials>,
) -> HttpResponse {
    let Credentials { username, password, next } = form.into_inner();
    let username = crate::text::normalize(username.trim());
    let address = req.connection_info().realip_remote_addr().unwrap_or_default().to_string();
    let frame = Frame::of(&visitor, "sign-in");
    let next = safe_next(next.as_deref());
    let refuse = |frame: Frame, key: &str, status| {
        let message = Some(frame.t(key));
        render(status, &SignInPage { frame, message, username: username.clone(), next: next.clone() })
    };
    if limits.per_account.check_key(&username.to_lowercase()).is_err()
        || limits.per_address.check_key(&address).is_err()
    {
        return refuse(frame, "sign-in-too-many", StatusCode::TOO_MANY_REQUESTS);
    }
    let checked = username.clone();
    let signed_in = visitor
        .state
        .with_connection(move |conn| {
            let Some(person) = people::verify(conn, &checked, &password)? else { return Ok(None) };
            Ok(Some(people::start_session(conn, &person)?))
        })
        .await;
    match signed_in {
        Ok(Some(token)) => {
            let mut response = see_other(&next);
            response.add_cookie(&visitor.session_cookie(Some(&token))).expect("a valid cookie");
            response
        }
        Ok(None) => refuse(frame, "sign-in-failed", StatusCode::UNPROCESSABLE_ENTITY),
        Err(_) => refuse(frame, "unavailable", StatusCode::SERVICE_UNAVAILABLE),
    }
}

/// Ends the session (its token must come back with the form).
pub async fn sign_out(Submitted { visitor, .. }: Submitted<serde::de::IgnoredAny>) -> HttpResponse {
    if let Some(token) = visitor.token.clone() {
        let _ = visitor.state.with_connection(move |conn| Ok(people::end_session(conn, &token)?)).await;
    }
    let mut response = see_other("/sign-in");
    response.add_cookie(&visitor.session_cookie(None)).expect("a valid cookie");
    response
}

#[derive(Deserialize)]
pub struct Switch {
    lang: String,
    csrf: Option<String>,
}

/// Switches the language: kept with the person, or in a cookie before signing in; back to the
/// page the switch was pressed on.
pub async fn language(visitor: Visitor, req: HttpRequest, form: web::Form<Switch>) -> HttpResponse {
    let Ok(language) = form.lang.parse::<Language>() else {
        let frame = Frame::of(&visitor, "");
        let message = frame.t("unknown-language");
        return render(StatusCode::UNPROCESSABLE_ENTITY, &Problem { frame, message });
    };
    if let Some(signed_in) = &visitor.signed_in {
        if !visitor.sent_own_token(form.csrf.as_deref().unwrap_or_default()) {
            return forged(&visitor);
        }
        let id = signed_in.person.id;
        if visitor.state.with_connection(move |conn| Ok(people::set_language(conn, id, language)?)).await.is_err() {
            let frame = Frame::of(&visitor, "");
            return unavailable(frame);
        }
    }
    let back = req
        .headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| url_path(r, &req))
        .unwrap_or_else(|| "/".to_string());
    let mut response = see_other(&back);
    let cookie = Cookie::build(LANGUAGE_COOKIE, language.as_str())
        .path("/")
        .same_site(actix_web::cookie::SameSite::Lax)
        .finish();
    response.add_cookie(&cookie).expect("a valid cookie");
    response
}

/// The path of `referer` if it is a page of this site.
fn url_path(referer: &str, req: &HttpRequest) -> Option<String> {
    let info = req.connection_info();
    let origin = format!("{}://{}", info.scheme(), info.host());
    referer.strip_prefix(&origin).filter(|path| path.starts_with('/')).map(str::to_string)
}

/// Where to go after signing in: a path of this site, never another site (`//evil`).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") => path.to_string(),
        _ => "/locate".to_string(),
    }
}
