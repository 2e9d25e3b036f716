//! Authentication and the one path every API request takes to the database: check the key,
//! check the role, then run the handler's work in one transaction on one pooled connection.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};
use diesel::{Connection, PgConnection};

use super::AppState;
use super::answer::Answer;
use super::idempotency::Claim;
use super::problem::ApiError;
use super::router::RouteAccess;
use crate::db::idempotency::{self, Prior};
use crate::error::Error;
use crate::keys::access::Access;
use crate::keys::model::{Actor, Permission, hash};
use crate::keys::repo;

/// Longest bearer token looked at; real keys are 67 characters.
const MAX_KEY_LEN: usize = 512;

/// A request that presented a bearer key. The key is checked against the database together
/// with the request's own work, so each request takes one connection and one round of locking.
#[derive(Clone)]
pub struct Caller {
    key_hash: Vec<u8>,
    /// What the route needs, from the access table.
    permission: Permission,
    state: web::Data<AppState>,
    /// A POST's `Idempotency-Key`, if it sent one.
    claim: Option<Claim>,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned().expect("AppState is registered");
        let key = bearer_key(req.headers());
        let Some(Access::Key(permission)) = RouteAccess::of(req) else {
            unreachable!("a Caller is asked for only on routes that need a key (see keys::access)")
        };
        ready(match key {
            Some(key) => Claim::of(req).map(|claim| Caller { key_hash: hash(key), permission, state, claim }),
            None => Err(ApiError::Unauthorized("send an API key as `Authorization: Bearer <key>`")),
        })
    }
}

/// The key of `Authorization: Bearer <key>`, if one of a sensible length was sent.
pub fn bearer_key(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|key| !key.is_empty() && key.len() <= MAX_KEY_LEN)
}

impl Caller {
    /// Runs `work` in one transaction if the key is active and its role has the permission the
    /// route needs: all of it happens, or none of it. With an `Idempotency-Key`, a repeated
    /// request is answered from the first one's stored answer instead of running again.
    pub async fn run<F>(mut self, work: F) -> Result<Answer, ApiError>
    where
        F: FnOnce(&mut PgConnection, &Actor) -> Result<Answer, Error> + Send + 'static,
    {
        match self.claim.take() {
            None => self.authorized(|conn, actor| conn.transaction(|conn| Ok(work(conn, actor)?))).await,
            Some(claim) => self.run_idempotent(claim, work).await,
        }
    }

    /// `run` with an `Idempotency-Key`: the key is checked and claimed with the API key in the
    /// transaction's first statement, and the answer is stored before it commits.
    async fn run_idempotent<F>(self, claim: Claim, work: F) -> Result<Answer, ApiError>
    where
        F: FnOnce(&mut PgConnection, &Actor) -> Result<Answer, Error> + Send + 'static,
    {
        let fingerprint = claim.fingerprint();
        let key = claim.key;
        let (key_hash, permission) = (self.key_hash, self.permission);
        self.state
            .with_connection(move |conn| {
                conn.transaction(|conn| {
                    let found = idempotency::authenticate_and_claim(conn, &key_hash, &key, &fingerprint)?;
                    let (actor, prior) = found.unzip();
                    let actor = admit(actor, permission)?;
                    match prior {
                        Some(Prior::Nothing) | None => {}
                        Some(Prior::Running) => return Err(ApiError::IdempotencyRunning),
                        Some(Prior::OtherRequest) => return Err(ApiError::IdempotencyMismatch),
                        Some(Prior::Answered(answer)) => return Ok(answer.replayed()),
                    }
                    let answer = work(conn, &actor)?;
                    if !idempotency::record(conn, actor.key_id, &key, &fingerprint, &answer)? {
                        // A request with this key committed since ours looked: ours is undone.
                        return Err(ApiError::IdempotencyRunning);
                    }
                    Ok(answer)
                })
            })
            .await
    }

    /// Runs read-only `work`. No explicit transaction: under READ COMMITTED each statement sees
    /// its own snapshot anyway, so one would only add round trips.
    pub async fn read<R, F>(self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        self.authorized(|conn, _| Ok(work(conn)?)).await
    }

    /// Checks the key and the role on a pooled connection, then runs `work` on it.
    async fn authorized<R, F>(self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection, &Actor) -> Result<R, ApiError> + Send + 'static,
        R: Send + 'static,
    {
        let (key_hash, permission) = (self.key_hash, self.permission);
        self.state
            .with_connection(move |conn| {
                let writes = !matches!(permission, Permission::Read);
                let actor = admit(repo::authenticate(conn, &key_hash, writes)?, permission)?;
                work(conn, &actor)
            })
            .await
    }
}

/// The key's actor, if the key is active and its role has `permission`.
fn admit(actor: Option<Actor>, permission: Permission) -> Result<Actor, ApiError> {
    let actor = actor.ok_or(ApiError::Unauthorized("this API key is unknown or revoked"))?;
    if !actor.role.may(permission) {
        return Err(ApiError::Forbidden(format!("the {} role may not do this", actor.role)));
    }
    Ok(actor)
}

impl AppState {
    /// Runs `work` on a pooled connection on the blocking thread pool. Requests queue for a
    /// connection in order, and get 503 when none frees up in time.
    pub async fn with_connection<R, F>(&self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, ApiError> + Send + 'static,
        R: Send + 'static,
    {
        let unavailable =
            || ApiError::from(Error::Unavailable("all database connections are busy; retry shortly".into()));
        let permit = tokio::time::timeout(self.connection_wait, self.connections.acquire())
            .await
            .map_err(|_| unavailable())?
            .map_err(|_| unavailable())?;
        let pool = self.pool.clone();
        let outcome = web::block(move || {
            let mut conn = pool.get().map_err(Error::from)?;
            let outcome = work(&mut conn);
            if let Err(ApiError::Domain(Error::Unavailable(_))) = &outcome {
                // The connection may be dead (the server restarted): never reuse it.
                conn.mark_lost();
            }
            outcome
        })
        .await?;
        drop(permit);
        outcome
    }
}
