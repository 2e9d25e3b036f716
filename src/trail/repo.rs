use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};

use super::model::{TrailEntry, TrailFilter};
use crate::error::Result;
use crate::events::model::FeedPosition;

/// The trail newest first, from before `before` (a cursor), up to `limit + 1` entries.
pub fn list(
    conn: &mut PgConnection,
    filter: &TrailFilter,
    before: Option<FeedPosition>,
    limit: i64,
) -> Result<Vec<TrailEntry>> {
    let before = before.unwrap_or((i64::MAX, i64::MAX));
    Ok(diesel::sql_query(
        "SELECT id::text AS id, type AS event_type, subject, occurred_at, actor, data, data_schema, tx, position, before,
                internal
         FROM events
         WHERE (tx, position) < ($1, $2)
           AND (cardinality($3::text[]) = 0 OR type = ANY($3) OR split_part(type, '.', 1) = ANY($3))
           AND ($4::text IS NULL OR subject = $4)
           AND ($5::bigint IS NULL OR actor = $5)
           AND ($6::timestamptz IS NULL OR occurred_at >= $6)
           AND ($7::timestamptz IS NULL OR occurred_at < $7)
         ORDER BY tx DESC, position DESC
         LIMIT $8",
    )
    .bind::<BigInt, _>(before.0)
    .bind::<BigInt, _>(before.1)
    .bind::<Array<Text>, _>(filter.types())
    .bind::<Nullable<Text>, _>(filter.subject.as_deref())
    .bind::<Nullable<BigInt>, _>(filter.actor)
    .bind::<Nullable<Timestamptz>, _>(filter.from)
    .bind::<Nullable<Timestamptz>, _>(filter.to)
    .bind::<BigInt, _>(limit + 1)
    .load(conn)?)
}

/// Where a page of the trail ended.
pub fn position(entry: &TrailEntry) -> FeedPosition {
    (entry.event.tx, entry.event.position)
}
