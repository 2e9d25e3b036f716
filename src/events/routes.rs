use std::time::{Duration, Instant};

use actix_web::web;

use super::model::{Feed, FeedPosition, FeedQuery};
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
    let start: FeedPosition = match &query.after {
        Some(cursor) => decode_cursor("after", cursor)?,
        None => (0, 0),
    };
    let (types, limit) = (query.types(), query.limit());
    let deadline = Instant::now() + Duration::from_secs(query.wait.unwrap_or(0).into());
    loop {
        let types = types.clone();
        let items = caller.clone().read(move |conn| repo::after(conn, start, &types, limit)).await?;
        if !items.is_empty() || Instant::now() >= deadline {
            let last = items.last().map_or(start, |event| (event.tx, event.position));
            return Ok(web::Json(Feed { items, next_cursor: encode_cursor(&last) }));
        }
        actix_web::rt::time::sleep(POLL_INTERVAL).await;
    }
}
