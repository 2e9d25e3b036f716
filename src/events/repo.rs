use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::model::{Event, FeedPosition};
use crate::error::Result;

/// The events after `after`, in feed order, of transactions that can no longer commit anything
/// new: those older than the feed's horizon (`pk_feed_horizon`, the oldest transaction of this
/// database still running). A writer that stays open holds the feed back (up to the statement
/// and transaction timeouts) rather than being overtaken.
pub fn after(conn: &mut PgConnection, after: FeedPosition, types: &[String], limit: i64) -> Result<Vec<Event>> {
    Ok(diesel::sql_query(
        "SELECT id::text AS id, type AS event_type, subject, occurred_at, actor, data, tx, position
         FROM events
         WHERE (tx, position) > ($1, $2)
           AND tx < (SELECT pk_feed_horizon())
           AND NOT internal
           AND (cardinality($3::text[]) = 0 OR type = ANY($3) OR split_part(type, '.', 1) = ANY($3))
         ORDER BY tx, position
         LIMIT $4",
    )
    .bind::<BigInt, _>(after.0)
    .bind::<BigInt, _>(after.1)
    .bind::<Array<Text>, _>(types)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}
