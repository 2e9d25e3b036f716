use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::model::{Delivery, NewWebhook, Webhook};
use crate::error::{Error, Result};
use crate::events::model::{Change, Event, FeedPosition};
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::schema::{webhook_deliveries, webhooks};

/// Subscribes `new`, starting from now: events already committed are not sent.
pub fn create(conn: &mut PgConnection, new: &NewWebhook, secret: &str, actor: &Actor) -> Result<Webhook> {
    let created = diesel::sql_query(
        "INSERT INTO webhooks (url, types, description, secret, cursor_tx, cursor_position, created_by)
         VALUES ($1, $2, $3, $4, pk_feed_horizon() - 1, 9223372036854775807, $5)
         RETURNING id",
    )
    .bind::<Text, _>(&new.url)
    .bind::<diesel::sql_types::Array<Text>, _>(&new.types)
    .bind::<diesel::sql_types::Nullable<Text>, _>(&new.description)
    .bind::<Text, _>(secret)
    .bind::<BigInt, _>(actor.key_id)
    .get_result::<Id>(conn)
    .map(|row| row.id)
    .and_then(|id| webhooks::table.find(id).select(Webhook::as_select()).first(conn))?;
    events::record(conn, &[Change::created(&created)])?;
    Ok(created)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<Webhook> {
    webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no webhook has id {id}")))
}

pub fn list(conn: &mut PgConnection, after: Option<i64>, limit: i64) -> Result<Vec<Webhook>> {
    Ok(webhooks::table
        .filter(webhooks::id.gt(after.unwrap_or(0)))
        .order(webhooks::id)
        .limit(limit + 1)
        .select(Webhook::as_select())
        .load(conn)?)
}

/// Stops deliveries; the subscription and its log stay.
pub fn deactivate(conn: &mut PgConnection, id: i64) -> Result<Webhook> {
    let before = get(conn, id)?;
    if !before.active {
        return Ok(before);
    }
    let after = diesel::update(webhooks::table.find(id))
        .set(webhooks::active.eq(false))
        .returning(Webhook::as_returning())
        .get_result(conn)?;
    events::record(conn, &[Change::new("deactivated", &after, Some(&before))])?;
    Ok(after)
}

/// The delivery log of a webhook, newest first.
pub fn deliveries(conn: &mut PgConnection, id: i64, before: Option<i64>, limit: i64) -> Result<Vec<Delivery>> {
    get(conn, id)?;
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(id))
        .filter(webhook_deliveries::id.lt(before.unwrap_or(i64::MAX)))
        .order(webhook_deliveries::id.desc())
        .limit(limit + 1)
        .select(Delivery::as_select())
        .load(conn)?)
}

/// Active webhooks with something to do now: not waiting for a retry, not being sent to.
pub fn due(conn: &mut PgConnection) -> Result<Vec<i64>> {
    Ok(webhooks::table
        .filter(webhooks::active)
        .filter(webhooks::retry_at.is_null().or(webhooks::retry_at.le(diesel::dsl::now)))
        .filter(webhooks::leased_until.is_null().or(webhooks::leased_until.lt(diesel::dsl::now)))
        .order(webhooks::id)
        .select(webhooks::id)
        .load(conn)?)
}

/// A webhook leased for delivery, with the next event it has to send.
pub struct Next {
    pub url: String,
    pub secret: String,
    pub attempts: i32,
    pub failing_for: Option<chrono::Duration>,
    pub event: Event,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    secret: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    failing_seconds: Option<f64>,
    #[diesel(sql_type = BigInt)]
    cursor_tx: i64,
    #[diesel(sql_type = BigInt)]
    cursor_position: i64,
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    types: Vec<String>,
}

/// How long an instance may take to send one event before another may take it over.
const LEASE_SECONDS: i32 = 30;

/// Leases webhook `id` for sending its next event, unless another instance holds it: the
/// lease, not a lock, keeps instances apart, so no connection is held while the receiver
/// answers. `None`: nothing to send now.
pub fn lease(conn: &mut PgConnection, id: i64) -> Result<Option<Next>> {
    conn.transaction(|conn| {
        let locked: Option<Locked> = diesel::sql_query(
            "SELECT url, secret, attempts, extract(epoch FROM now() - failing_since)::float8 AS failing_seconds,
                    cursor_tx, cursor_position, types
             FROM webhooks
             WHERE id = $1 AND active AND (leased_until IS NULL OR leased_until < now())
             FOR UPDATE SKIP LOCKED",
        )
        .bind::<BigInt, _>(id)
        .get_result(conn)
        .optional()?;
        let Some(locked) = locked else { return Ok(None) };
        let cursor = (locked.cursor_tx, locked.cursor_position);
        let page = crate::events::repo::after(conn, cursor, &locked.types, 1)?;
        let Some(event) = page.events.into_iter().next() else {
            // Nothing for this webhook so far: what it skipped is not read again.
            if page.next != cursor {
                move_cursor(conn, id, page.next)?;
            }
            return Ok(None);
        };
        diesel::sql_query("UPDATE webhooks SET leased_until = now() + make_interval(secs => $2) WHERE id = $1")
            .bind::<BigInt, _>(id)
            .bind::<diesel::sql_types::Integer, _>(LEASE_SECONDS)
            .execute(conn)?;
        Ok(Some(Next {
            url: locked.url,
            secret: locked.secret,
            attempts: locked.attempts,
            failing_for: locked.failing_seconds.map(|s| chrono::Duration::milliseconds((s * 1000.0) as i64)),
            event,
        }))
    })
}

/// What became of one attempt.
pub struct Attempt<'a> {
    pub event: &'a Event,
    pub attempt: i32,
    pub status: Option<i16>,
    pub error: Option<String>,
    /// When to try again; `None` when the event is done with (delivered or given up).
    pub retry_in: Option<chrono::Duration>,
    pub delivered: bool,
}

/// Logs an attempt, moves the webhook on (past the event, or to its next try) and ends the
/// lease, in one transaction.
pub fn record(conn: &mut PgConnection, id: i64, attempt: &Attempt) -> Result<()> {
    conn.transaction(|conn| record_attempt(conn, id, attempt))
}

fn record_attempt(conn: &mut PgConnection, id: i64, attempt: &Attempt) -> Result<()> {
    let outcome = match (attempt.delivered, attempt.retry_in) {
        (true, _) => "delivered",
        (false, Some(_)) => "retrying",
        (false, None) => "given_up",
    };
    let event_id: uuid::Uuid =
        attempt.event.id.parse().map_err(|_| Error::Conflict("an event id is not a uuid".into()))?;
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::webhook_id.eq(id),
            webhook_deliveries::event_id.eq(event_id),
            webhook_deliveries::event_type.eq(&attempt.event.event_type),
            webhook_deliveries::attempt.eq(attempt.attempt),
            webhook_deliveries::status.eq(attempt.status),
            webhook_deliveries::error.eq(&attempt.error),
            webhook_deliveries::outcome.eq(outcome),
        ))
        .execute(conn)?;
    match attempt.retry_in {
        Some(wait) => diesel::sql_query(
            "UPDATE webhooks SET attempts = $2, failing_since = coalesce(failing_since, now()),
                    retry_at = now() + make_interval(secs => $3::float8), leased_until = NULL WHERE id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<diesel::sql_types::Integer, _>(attempt.attempt)
        .bind::<diesel::sql_types::Double, _>(wait.num_milliseconds() as f64 / 1000.0)
        .execute(conn)?,
        None => move_cursor(conn, id, (attempt.event.tx, attempt.event.position))?,
    };
    Ok(())
}

/// Moves the webhook on past `position`, ready for its next event.
fn move_cursor(conn: &mut PgConnection, id: i64, position: FeedPosition) -> Result<usize> {
    Ok(diesel::sql_query(
        "UPDATE webhooks SET attempts = 0, failing_since = NULL, retry_at = NULL, leased_until = NULL,
                cursor_tx = $2, cursor_position = $3
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(position.0)
    .bind::<BigInt, _>(position.1)
    .execute(conn)?)
}
