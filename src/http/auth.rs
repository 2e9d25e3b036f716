//! Authentication and the one path every API request takes to the database: check the key,
//! check the role, then run the handler's work in one transaction on one pooled connection.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::{Connection, PgConnection};

use super::AppState;
use super::problem::ApiError;
use crate::error::Error;
use crate::keys::model::{Actor, Permission, hash};
use crate::keys::repo;

/// Longest bearer token looked at; real keys are 67 characters.
const MAX_KEY_LEN: usize = 512;

/// A request that presented a bearer key. The key is checked against the database together
/// with the request's own work, so each request takes one connection and one round of locking.
pub struct Caller {
    key_hash: Vec<u8>,
    state: web::Data<AppState>,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned().expect("AppState is registered");
        let key = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|key| !key.is_empty() && key.len() <= MAX_KEY_LEN);
        ready(match key {
            Some(key) => Ok(Caller { key_hash: hash(key), state }),
            None => Err(ApiError::Unauthorized("send an API key as `Authorization: Bearer <key>`")),
        })
    }
}

impl Caller {
    /// Runs `work` in one transaction if the key is active and its role has `permission`:
    /// all of it happens, or none of it.
    pub async fn run<R, F>(self, permission: Permission, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection, &Actor) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        self.authorized(permission, |conn, actor| conn.transaction(|conn| work(conn, actor))).await
    }

    /// Runs read-only `work`; every active key may read. No explicit transaction: under READ
    /// COMMITTED each statement sees its own snapshot anyway, so one would only add round trips.
    pub async fn read<R, F>(self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        self.authorized(Permission::Read, |conn, _| work(conn)).await
    }

    /// Checks the key and the role on a pooled connection, then runs `work` on it.
    async fn authorized<R, F>(self, permission: Permission, work: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut PgConnection, &Actor) -> Result<R, Error> + Send + 'static,
        R: Send + 'static,
    {
        let Caller { key_hash, state } = self;
        let unavailable =
            || ApiError::from(Error::Unavailable("all database connections are busy; retry shortly".into()));
        let permit = tokio::time::timeout(state.connection_wait, state.connections.acquire())
            .await
            .map_err(|_| unavailable())?
            .map_err(|_| unavailable())?;
        let state = state.clone();
        let outcome = web::block(move || {
            let mut conn = state.pool.get().map_err(Error::from)?;
            let actor = repo::authenticate(&mut conn, &key_hash)?
                .ok_or(ApiError::Unauthorized("this API key is unknown or revoked"))?;
            if !actor.role.may(permission) {
                return Err(ApiError::Forbidden(format!("the {} role may not do this", actor.role)));
            }
            let outcome = work(&mut conn, &actor);
            if let Err(Error::Unavailable(_)) = &outcome {
                // The connection may be dead (the server restarted): never reuse it.
                conn.mark_lost();
            }
            outcome.map_err(ApiError::from)
        })
        .await?;
        drop(permit);
        outcome
    }
}
