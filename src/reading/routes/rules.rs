use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::etag::IfMatch;
use crate::http::problem::ApiError;
use crate::http::router::Router;
use crate::reading::model::{ReadingRules, RulesPatch};
use crate::reading::repo::rules as repo;

pub fn register(router: &mut Router) {
    router.add(__path_get_rules, get_rules);
    router.add(__path_update_rules, update_rules);
}

/// The reading room's rules: files a reader has at once, days they keep them, whether pages of
/// grade 3 are served, when readers are anonymised, the price list of copies.
#[utoipa::path(get, path = "/api/v1/reading-rules", tag = "reading room",
    responses((status = 200, description = "The rules", body = ReadingRules, headers(("ETag" = String)))))]
async fn get_rules(caller: Caller) -> Result<Answer, ApiError> {
    Ok(Answer::tagged(&caller.read(repo::get).await?))
}

/// Changes the reading room's rules (admin); each field left out stays. Requests decided
/// before keep their lines as decided.
#[utoipa::path(patch, path = "/api/v1/reading-rules", tag = "reading room", request_body = RulesPatch,
    responses((status = 200, description = "Changed", body = ReadingRules, headers(("ETag" = String)))))]
async fn update_rules(caller: Caller, if_match: IfMatch, body: Json<RulesPatch>) -> Result<Answer, ApiError> {
    let (patch, expected) = (body.0, if_match.required()?);
    caller.run(move |conn, actor| Ok(Answer::tagged(&repo::update(conn, &patch, expected, actor)?))).await
}
