//! Who is asking, for the app: the person of the session cookie, and the language. Before any
//! handler runs, it refuses an unsafe request from another site, sends someone not signed in
//! to sign in, and answers 403 to a role the screen is not for (`keys::access`).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;

use super::Frame;
use crate::db::pipelined::PipelinedConnections;
use crate::http::AppState;
use crate::keys::access::Access;
use crate::keys::model::Actor;
use crate::people::model::{Language, SignedIn};
use crate::people::repo as people;

pub const SESSION_COOKIE: &str = "pk_session";
/// The language of someone not signed in (a signed-in person's is kept with them).
pub const LANGUAGE_COOKIE: &str = "pk_lang";

/// What each method of a path needs, from the access table, kept with the path (`ui::routes`).
#[derive(Debug, Clone)]
pub struct ScreenAccess(pub Vec<(Method, Access)>);

pub struct Visitor {
    pub signed_in: Option<SignedIn>,
    pub language: Language,
    /// The session cookie's token, if one came.
    pub token: Option<String>,
    /// Whether the request came over HTTPS (directly or through a proxy that says so): the
    /// session cookie is then `Secure`.
    pub secure: bool,
    pub state: web::Data<AppState>,
}

impl Visitor {
    /// Whether the signed-in person's role has `permission`.
    pub fn may(&self, permission: crate::keys::model::Permission) -> bool {
        self.signed_in.as_ref().is_some_and(|signed_in| signed_in.person.role.may(permission))
    }

    /// Whether `sent` is this session's token against cross-site requests.
    pub fn sent_own_token(&self, sent: &str) -> bool {
        self.signed_in.as_ref().is_some_and(|s| constant_time_eq(s.csrf_token.as_bytes(), sent.as_bytes()))
    }

    /// The session cookie carrying `token` (an empty one that expires now, to sign out).
    pub fn session_cookie(&self, token: Option<&str>) -> Cookie<'static> {
        let mut cookie = Cookie::build(SESSION_COOKIE, token.unwrap_or_default().to_string())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure)
            .finish();
        if token.is_none() {
            cookie.make_removal();
        }
        cookie
    }
}

impl Visitor {
    /// Runs `work` in one transaction as the signed-in person: their actor is recorded in
    /// `created_by`, the feed and the trail, exactly as a key's is.
    pub async fn write<R, F>(&self, work: F) -> Result<R, crate::error::Error>
    where
        F: FnOnce(&mut diesel::PgConnection, &Actor) -> Result<R, crate::error::Error> + Send + 'static,
        R: Send + 'static,
    {
        let person = &self.signed_in.as_ref().expect("writes are on screens for signed-in people").person;
        let actor = Actor { key_id: person.actor_id, role: person.role };
        let outcome = self
            .state
            .with_connection(move |conn| Ok(crate::db::transaction_by(conn, actor.key_id, |conn| work(conn, &actor))?))
            .await;
        outcome.map_err(|err| match err {
            crate::http::problem::ApiError::Domain(err) => err,
            other => crate::error::Error::Unavailable(other.to_string()),
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned().expect("AppState is registered");
        let pipelined = req.app_data::<web::Data<PipelinedConnections>>().cloned().expect("registered per worker");
        let access = req
            .app_data::<ScreenAccess>()
            .and_then(|ScreenAccess(methods)| methods.iter().find(|(m, _)| m == req.method()))
            .map_or(Access::Page, |(_, access)| *access);
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()).filter(|t| !t.is_empty());
        let cross_site = !matches!(*req.method(), Method::GET | Method::HEAD) && !same_origin(req);
        let preferred = preferred_language(req);
        let secure = req.connection_info().scheme() == "https";
        let asked_for = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
        Box::pin(async move {
            if cross_site {
                return Err(Refusal::CrossSite(preferred).into());
            }
            let signed_in = match &token {
                Some(token) => {
                    let unavailable = |_| Refusal::Unavailable(preferred);
                    let used = pipelined.get().await.map_err(unavailable)?;
                    let found = people::session(&used.conn, token).await;
                    pipelined.forget_if_lost(&used, found).map_err(unavailable)?
                }
                None => None,
            };
            let language = signed_in.as_ref().map_or(preferred, |s| s.person.language);
            if let Access::Person(permission) = access {
                match &signed_in {
                    None => return Err(Refusal::SignIn { next: asked_for, ended: token.is_some() }.into()),
                    Some(s) if !s.person.role.may(permission) => return Err(Refusal::NotForRole(language).into()),
                    Some(_) => {}
                }
            }
            Ok(Visitor { signed_in, language, token, secure, state })
        })
    }
}

/// The visitor, not yet checked: a screen that asks the database anyway sends its statements
/// beside the session's (the JSON API's look-up does the same with its key), then answers as
/// the check says. Nothing it read is shown unless the check passes.
pub struct Unchecked(pub LocalBoxFuture<'static, Result<Visitor, actix_web::Error>>);

impl FromRequest for Unchecked {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Unchecked(Visitor::from_request(req, payload))))
    }
}

/// A form posted from one of this site's pages by a signed-in person: the visitor, checked
/// first as for any screen (signed in, the role allowed), then the form, which must carry the
/// session's token (`csrf`) and be whole.
pub struct Submitted<T> {
    pub visitor: Visitor,
    pub form: T,
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Submitted<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let visitor = Visitor::from_request(req, payload);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let visitor = visitor.await?;
            let body = body.await?;
            #[derive(serde::Deserialize)]
            struct Token {
                csrf: String,
            }
            let token = serde_html_form::from_bytes::<Token>(&body).ok();
            if !token.is_some_and(|token| visitor.sent_own_token(&token.csrf)) {
                return Err(Refusal::Forged(visitor.language).into());
            }
            let form = serde_html_form::from_bytes(&body).map_err(|_| Refusal::Incomplete(visitor.language))?;
            Ok(Submitted { visitor, form })
        })
    }
}

/// Whether an unsafe request comes from a page of this site: the browser says so
/// (`Sec-Fetch-Site`), or its `Origin` is this host. A client that sends neither is no browser
/// another site could drive.
fn same_origin(req: &HttpRequest) -> bool {
    if let Some(site) = req.headers().get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    match req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) => {
            let info = req.connection_info();
            origin == format!("{}://{}", info.scheme(), info.host())
        }
        None => true,
    }
}

/// The language cookie, else the browser's first preference between Vietnamese and English,
/// else Vietnamese.
fn preferred_language(req: &HttpRequest) -> Language {
    if let Some(chosen) = req.cookie(LANGUAGE_COOKIE).and_then(|c| c.value().parse().ok()) {
        return chosen;
    }
    let accepted = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let first = accepted
        .split(',')
        .map(|tag| tag.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .find(|tag| tag.starts_with("vi") || tag.starts_with("en"));
    match first {
        Some(tag) if tag.starts_with("en") => Language::En,
        _ => Language::Vi,
    }
}

/// Why a request did not reach its screen.
#[derive(Debug)]
pub enum Refusal {
    /// Not signed in (or the session ended): to the sign-in page, then back.
    SignIn {
        next: String,
        ended: bool,
    },
    NotForRole(Language),
    CrossSite(Language),
    /// A form without the session's token.
    Forged(Language),
    /// A form without a field its screen needs, or with one that does not parse.
    Incomplete(Language),
    Unavailable(Language),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Refusal::SignIn { .. } => StatusCode::SEE_OTHER,
            Refusal::NotForRole(_) | Refusal::CrossSite(_) | Refusal::Forged(_) => StatusCode::FORBIDDEN,
            Refusal::Incomplete(_) => StatusCode::BAD_REQUEST,
            Refusal::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (language, key) = match self {
            Refusal::SignIn { next, ended } => {
                let mut to =
                    format!("/sign-in?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
                if *ended {
                    to.push_str("&ended=1");
                }
                return super::see_other(&to);
            }
            Refusal::NotForRole(language) => (*language, "refused-role"),
            Refusal::CrossSite(language) | Refusal::Forged(language) => (*language, "refused-cross-site"),
            Refusal::Incomplete(language) => (*language, "form-incomplete"),
            Refusal::Unavailable(language) => (*language, "unavailable"),
        };
        let frame = Frame::anonymous(language);
        super::render(self.status_code(), &super::Problem { message: frame.t(key), frame })
    }
}
