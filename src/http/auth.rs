//! Authentication and the one path every API request takes to the database: check the key and
//! the role on a pipelined connection of the request's worker (`db::pipelined`), then run the
//! handler's work on one pooled connection, a write's in one transaction. The look-up by barcode
//! runs on the pipelined connection whole.

use std::future::{Future, Ready, ready};
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};
use diesel::PgConnection;
use diesel_async::AsyncPgConnection;

use super::AppState;
use super::answer::Answer;
use super::idempotency::Claim;
use super::problem::ApiError;
use super::router::RouteAccess;
use crate::db::pipelined::PipelinedConnections;
use crate::db::{
    self,
    idempotency::{self, Prior},
};
use crate::error::Error;
use crate::keys::access::Access;
use crate::keys::model::{Actor, Permission, hash};
use crate::keys::repo;

/// Longest bearer token looked at; real keys are 67 characters.
const MAX_KEY_LEN: usize = 512;

/// A request that presented a bearer key, checked on a pipelined connection: before the request
/// takes a pooled one, or (the look-up) together with its work.
#[derive(Clone)]
pub struct Caller {
    key_hash: Vec<u8>,
    /// What the route needs, from the access table.
    permission: Permission,
    state: web::Data<AppState>,
    /// This worker's pipelined connections.
    pipelined: web::Data<PipelinedConnections>,
    /// A POST's `Idempotency-Key`, if it sent one.
    claim: Option<Claim>,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned().expect("AppState is registered");
        let pipelined = req.app_data::<web::Data<PipelinedConnections>>().cloned().expect("registered per worker");
        let key = bearer_key(req.headers());
        let Some(Access::Key(permission)) = RouteAccess::of(req) else {
            unreachable!("a Caller is asked for only on routes that need a key (see keys::access)")
        };
        ready(match key {
            Some(key) => {
                Claim::of(req, key).map(|claim| Caller { key_hash: hash(key), permission, state, pipelined, claim })
            }
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
            None => {
                let actor = self.check_pipelined().await?;
                let by = actor.key_id;
                self.state
                    .with_connection(move |conn| Ok(db::transaction_by(conn, by, |conn| work(conn, &actor))?))
                    .await
            }
            Some(claim) => self.run_idempotent(claim, work).await,
        }
    }

    /// The key's actor, checked on a pipelined connection, if its role may do what the route
    /// does: a refused key never takes a pooled connection.
    pub async fn check_pipelined(&self) -> Result<Actor, ApiError> {
        Ok(self.pipelined_with(|_| async { Ok(()) }).await?.0)
    }

    /// `run` with an `Idempotency-Key`: the key is claimed as the transaction begins and
    /// recorded with the answer as it commits (`db::idempotency`), in the messages those send
    /// anyway. Only when the transaction fails is an earlier record looked for: a retry runs,
    /// is undone, and gets the first answer.
    async fn run_idempotent<F>(self, claim: Claim, work: F) -> Result<Answer, ApiError>
    where
        F: FnOnce(&mut PgConnection, &Actor) -> Result<Answer, Error> + Send + 'static,
    {
        let fingerprint = claim.fingerprint();
        let (key, sealing) = (claim.key, claim.sealing);
        let actor = self.check_pipelined().await?;
        let begin = format!("{}; {}", db::begin_by(actor.key_id), idempotency::claim(actor.key_id, &key));
        self.state
            .with_connection(move |conn| {
                let failed = match db::transaction_in(conn, &begin, |conn| {
                    let answer = work(conn, &actor)?;
                    let record = idempotency::record(actor.key_id, &key, &fingerprint, &answer, &sealing);
                    Ok((answer, record))
                }) {
                    Ok(answer) => return Ok(answer),
                    // The connection may be gone: nothing more to ask it.
                    Err(err @ Error::Unavailable(_)) => return Err(err.into()),
                    Err(err) => err,
                };
                match idempotency::prior(conn, actor.key_id, &key, &fingerprint, &sealing)? {
                    Some(Prior::Answered(answer)) => Ok(answer.replayed()),
                    Some(Prior::OtherRequest) => Err(ApiError::IdempotencyMismatch),
                    None if idempotency::taken(&failed) => Err(ApiError::IdempotencyRunning),
                    None => Err(failed.into()),
                }
            })
            .await
    }

    /// Runs read-only `work`, once the key is checked (on a pipelined connection, like a
    /// write's). No explicit transaction: under READ COMMITTED each statement sees its own
    /// snapshot anyway, so one would only add round trips.
    pub async fn read<R, F>(self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        self.check_pipelined().await?;
        self.state.with_read_connection(move |conn| Ok(work(conn)?)).await
    }

    /// `read`, for work whose answer depends on who asks (what their role may see).
    pub async fn read_as<R, F>(self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection, &Actor) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        let actor = self.check_pipelined().await?;
        self.state.with_read_connection(move |conn| Ok(work(conn, &actor)?)).await
    }

    /// Runs read-only `work` on one of this worker's pipelined connections (`db::pipelined`),
    /// sent together with the key check: one round trip for both. The work's answer is thrown
    /// away unless the key may read.
    pub async fn read_pipelined<R, F, Fut>(self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(Rc<AsyncPgConnection>) -> Fut,
        Fut: Future<Output = Result<R, Error>>,
    {
        Ok(self.pipelined_with(work).await?.1)
    }

    /// The key's actor and `work`'s answer, both sent on one pipelined connection.
    async fn pipelined_with<R, F, Fut>(&self, work: F) -> Result<(Actor, R), ApiError>
    where
        F: FnOnce(Rc<AsyncPgConnection>) -> Fut,
        Fut: Future<Output = Result<R, Error>>,
    {
        let connections = &self.pipelined;
        let used = connections.get().await?;
        let checked = repo::authenticate(&used.conn, &self.key_hash);
        let (actor, outcome) = futures_util::future::join(checked, work(used.conn.clone())).await;
        let actor = connections.forget_if_lost(&used, actor)?;
        let outcome = connections.forget_if_lost(&used, outcome);
        Ok((admit(actor, self.permission)?, outcome?))
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
    /// `with_connection` for reads, which take at most half the pool at once (`readers`).
    pub async fn with_read_connection<R, F>(&self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, ApiError> + Send + 'static,
        R: Send + 'static,
    {
        let deadline = tokio::time::Instant::now() + self.connection_wait;
        let _reading = permit(&self.readers, deadline).await?;
        self.connection_until(deadline, work).await
    }

    /// Runs `work` on a pooled connection on the blocking thread pool. Requests queue for a
    /// connection in order, and get 503 when none frees up in time.
    pub async fn with_connection<R, F>(&self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, ApiError> + Send + 'static,
        R: Send + 'static,
    {
        self.connection_until(tokio::time::Instant::now() + self.connection_wait, work).await
    }

    async fn connection_until<R, F>(&self, deadline: tokio::time::Instant, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, ApiError> + Send + 'static,
        R: Send + 'static,
    {
        let permit = permit(&self.connections, deadline).await?;
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

/// A permit of `semaphore`, or 503 if none frees up by `deadline`.
async fn permit(
    semaphore: &tokio::sync::Semaphore,
    deadline: tokio::time::Instant,
) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
    let unavailable = || ApiError::from(Error::Unavailable("all database connections are busy; retry shortly".into()));
    tokio::time::timeout_at(deadline, semaphore.acquire()).await.map_err(|_| unavailable())?.map_err(|_| unavailable())
}
