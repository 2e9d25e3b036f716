use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

use super::model::{Change, Event, FeedCursor, FeedPosition};
use crate::db::Kept;
use crate::error::Result;

/// Events per INSERT: an import writes 100,000 at once.
const EVENTS_PER_INSERT: usize = 5_000;

/// Before every event, even those a restore put before the restoring transaction's own.
pub const START: FeedPosition = (i64::MIN, 0);

/// Records `changes` as events of the calling transaction, in their order: they commit with
/// the change or not at all, and carry who made it (`paperkeep.actor`) and when.
pub fn record(conn: &mut PgConnection, changes: &[Change]) -> Result<()> {
    for chunk in changes.chunks(EVENTS_PER_INSERT) {
        let column = |field: fn(&Change) -> &str| chunk.iter().map(field).collect::<Vec<_>>();
        Kept(
            diesel::sql_query(
                "INSERT INTO events (type, subject, data, before, internal) \
                 SELECT type, subject, data::jsonb, before::jsonb, internal \
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[]) \
                      AS c(type, subject, data, before, internal)",
            )
            .bind::<Array<Text>, _>(column(|c| &c.event_type))
            .bind::<Array<Text>, _>(column(|c| &c.subject))
            .bind::<Array<Text>, _>(column(|c| &c.data))
            .bind::<Array<Nullable<Text>>, _>(chunk.iter().map(|c| c.before.as_deref()).collect::<Vec<_>>())
            .bind::<Array<Bool>, _>(chunk.iter().map(|c| c.internal).collect::<Vec<_>>()),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// The feed's horizon: every event of a transaction older than it is there for good, or never
/// will be (`pk_feed_horizon`: the oldest transaction of this database still running). Events
/// are read below a horizon fixed first, so that the statements of one read agree on them.
fn horizon(conn: &mut PgConnection) -> Result<i64> {
    Ok(diesel::select(diesel::dsl::sql::<BigInt>("pk_feed_horizon()")).get_result(conn)?)
}

/// A page of the feed, and where the next one starts.
pub struct FeedPage {
    pub events: Vec<Event>,
    /// The last event read past: the last of `events` when the page is full, else the last
    /// event so far, shown or not (of another type, or only in the trail), so that a reader
    /// never reads again what it skipped.
    pub next: FeedPosition,
    /// The id of that event (none at the start).
    pub next_id: Option<uuid::Uuid>,
}

/// The events after `after`, in feed order, of transactions that can no longer commit anything
/// new (below the horizon): a writer that stays open holds the feed back (up to the statement
/// and transaction timeouts) rather than being overtaken.
pub fn after(conn: &mut PgConnection, after: FeedPosition, types: &[String], limit: i64) -> Result<FeedPage> {
    let horizon = horizon(conn)?;
    let events: Vec<Event> = diesel::sql_query(
        "SELECT id::text AS id, type AS event_type, subject, occurred_at, actor, data, data_schema, tx, position
         FROM events
         WHERE (tx, position) > ($1, $2) AND tx < $3
           AND NOT internal
           AND (cardinality($4::text[]) = 0 OR type = ANY($4) OR split_part(type, '.', 1) = ANY($4))
         ORDER BY tx, position
         LIMIT $5",
    )
    .bind::<BigInt, _>(after.0)
    .bind::<BigInt, _>(after.1)
    .bind::<BigInt, _>(horizon)
    .bind::<Array<Text>, _>(types)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    if let Some(last) = events.last().filter(|_| events.len() as i64 == limit) {
        let (next, next_id) = ((last.tx, last.position), last.id.parse().ok());
        return Ok(FeedPage { events, next, next_id });
    }
    #[derive(QueryableByName)]
    struct Head {
        #[diesel(sql_type = BigInt)]
        tx: i64,
        #[diesel(sql_type = BigInt)]
        position: i64,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let head: Option<Head> = diesel::sql_query(
        "SELECT tx, position, id FROM events WHERE (tx, position) > ($1, $2) AND tx < $3
         ORDER BY tx DESC, position DESC LIMIT 1",
    )
    .bind::<BigInt, _>(after.0)
    .bind::<BigInt, _>(after.1)
    .bind::<BigInt, _>(horizon)
    .get_result(conn)
    .optional()?;
    Ok(match head {
        Some(head) => FeedPage { events, next: (head.tx, head.position), next_id: Some(head.id) },
        None => FeedPage { events, next: after, next_id: None },
    })
}

/// The identity of this database's feed, which its cursors carry.
pub fn feed_id(conn: &mut PgConnection) -> Result<uuid::Uuid> {
    Ok(diesel::select(diesel::dsl::sql::<diesel::sql_types::Uuid>("(SELECT id FROM feed)")).get_result(conn)?)
}

/// Where the feed `feed_id` stands at `cursor`: the start, or just after the event it names. A
/// cursor of another database's feed, or naming an event this one does not have (it came from
/// a database that went on after the export this one was restored from), or not yet behind the
/// horizon (it was not given out), is refused with the reason (the inner error).
pub fn resolve(
    conn: &mut PgConnection,
    feed_id: uuid::Uuid,
    cursor: FeedCursor,
) -> Result<Result<FeedPosition, &'static str>> {
    let FeedCursor(feed, named) = cursor;
    if feed != feed_id {
        return Ok(Err("is a cursor of another database's feed; read this one from the start"));
    }
    let Some((position, id)) = named else { return Ok(Ok(START)) };
    #[derive(QueryableByName)]
    struct Named {
        #[diesel(sql_type = BigInt)]
        tx: i64,
        #[diesel(sql_type = Bool)]
        settled: bool,
    }
    let named: Option<Named> =
        diesel::sql_query("SELECT tx, tx < pk_feed_horizon() AS settled FROM events WHERE position = $1 AND id = $2")
            .bind::<BigInt, _>(position)
            .bind::<diesel::sql_types::Uuid, _>(id)
            .get_result(conn)
            .optional()?;
    Ok(match named {
        Some(Named { tx, settled: true }) => Ok((tx, position)),
        Some(_) => Err("is not a cursor this feed gave out"),
        None => Err("names an event this database does not have: it was given out by a database that went on \
                     after the export this one was restored from; read from the start (events keep their ids)"),
    })
}
