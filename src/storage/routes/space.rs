use actix_web::web;

use crate::http::auth::Caller;
use crate::http::problem::ApiError;
use crate::http::query::Query;
use crate::http::router::Router;
use crate::storage::model::{SpaceFound, SpaceQuery};
use crate::storage::repo::space as repo;

pub fn register(router: &mut Router) {
    router.add(__path_find_space, find_space);
}

/// Where can N boxes go? Shelves within a location with room for boxes of the given width, in
/// path order, until all are placed; and whether they all fit.
#[utoipa::path(get, path = "/api/v1/space", tag = "locations", params(SpaceQuery),
    responses((status = 200, description = "Shelves with room", body = SpaceFound)))]
async fn find_space(caller: Caller, query: Query<SpaceQuery>) -> Result<web::Json<SpaceFound>, ApiError> {
    let query = query.0;
    Ok(web::Json(caller.read(move |conn| repo::find(conn, &query)).await?))
}
