use std::time::{Duration, Instant};

use actix_web::web;

use super::model::{Feed, FeedCursor, FeedQuery};
use super::repo;
use crate::http::auth::Caller;
use crate::http::problem::ApiError;
use crate::http::query::{Query, decode_cursor, encode_cursor};
use crate::http::router::Router;

/// How often a long poll looks for new events.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

pub fn register(router: &mut Router) {
    router.add(__path_feed, feed);
}

/// The change feed. Page with `after` = the previous `next_cursor`: every committed change is
/// seen exactly once, in commit-safe order, and never one that was rolled back. With `wait`,
/// an answer that would be empty waits for the next event instead.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(FeedQuery),
    responses((status = 200, description = "The events after the cursor", body = Feed)))]
async fn feed(caller: Caller, query: Query<FeedQuery>) -> Result<web::Json<Feed>, ApiError> {
    let query = query.0;
    let cursor: Option<FeedCursor> = query.after.as_deref().map(|c| decode_cursor("after", c)).transpose()?;
    let (feed_id, at) = caller
        .clone()
        .read(move |conn| {
            let feed_id = repo::feed_id(conn)?;
            let at = match cursor {
                Some(cursor) => repo::resolve(conn, feed_id, cursor)?,
                None => Ok(repo::START),
            };
            Ok((feed_id, at))
        })
        .await?;
    let mut start = at.map_err(|reason| ApiError::malformed("after", reason))?;
    // The event the next cursor names: the one this one names until something is read past.
    let mut last = cursor.and_then(|cursor| cursor.1);
    let (types, limit) = (query.types(), query.limit());
    let deadline = Instant::now() + Duration::from_secs(query.wait.unwrap_or(0).into());
    loop {
        let types = types.clone();
        let page = caller.clone().read(move |conn| repo::after(conn, start, &types, limit)).await?;
        if let Some(id) = page.next_id.filter(|_| page.next != start) {
            (start, last) = (page.next, Some((page.next.1, id)));
        }
        if !page.events.is_empty() || Instant::now() >= deadline {
            let next_cursor = encode_cursor(&FeedCursor(feed_id, last));
            return Ok(web::Json(Feed { items: page.events, next_cursor }));
        }
        actix_web::rt::time::sleep(POLL_INTERVAL).await;
    }
}
