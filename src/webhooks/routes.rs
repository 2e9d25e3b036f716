use actix_web::http::StatusCode;
use actix_web::web;

use super::delivery::new_secret;
use super::model::{CreatedWebhook, Delivery, NewWebhook, Webhook};
use super::repo;
use crate::http::answer::Answer;
use crate::http::auth::Caller;
use crate::http::body::Json;
use crate::http::problem::ApiError;
use crate::http::query::{ListQuery, NoFilter, Page, PageParams};
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_create_webhook, create_webhook);
    router.add(__path_list_webhooks, list_webhooks);
    router.add(__path_get_webhook, get_webhook);
    router.add(__path_deactivate_webhook, deactivate_webhook);
    router.add(__path_webhook_deliveries, webhook_deliveries);
}

/// Subscribes a URL to the change feed from now on. Each event is POSTed as JSON with the
/// Standard Webhooks headers `webhook-id` (the event id), `webhook-timestamp` and
/// `webhook-signature`; the secret to check them is in this answer only. Admin only.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, description = "Subscribed", body = CreatedWebhook, headers(("Location" = String)))))]
async fn create_webhook(caller: Caller, body: Json<NewWebhook>) -> Result<Answer, ApiError> {
    let new = body.0;
    caller
        .run(move |conn, actor| {
            let secret = new_secret();
            let webhook = repo::create(conn, &new, &secret, actor)?;
            let location = format!("/api/v1/webhooks/{}", webhook.id);
            Ok(Answer::created(&CreatedWebhook { webhook, secret }, location))
        })
        .await
}

/// The subscriptions, oldest first (never their secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(PageParams),
    responses((status = 200, description = "A page of webhooks", body = Page<Webhook>)))]
async fn list_webhooks(caller: Caller, query: ListQuery<NoFilter>) -> Result<web::Json<Page<Webhook>>, ApiError> {
    let page = query.page;
    let (after, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller.read(move |conn| repo::list(conn, after, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |w| w.id)))
}

/// One subscription, with how its deliveries stand.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, description = "The webhook", body = Webhook)))]
async fn get_webhook(caller: Caller, id: web::Path<i64>) -> Result<web::Json<Webhook>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(caller.read(move |conn| repo::get(conn, id)).await?))
}

/// Stops sending to this webhook; it stays listed with its log. Deactivating twice is harmless.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deactivate", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, description = "The webhook, inactive", body = Webhook)))]
async fn deactivate_webhook(caller: Caller, id: web::Path<i64>) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    caller.run(move |conn, _| Ok(Answer::json(StatusCode::OK, &repo::deactivate(conn, id)?))).await
}

/// Every delivery attempt to this webhook, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), PageParams),
    responses((status = 200, description = "A page of attempts", body = Page<Delivery>)))]
async fn webhook_deliveries(
    caller: Caller,
    id: web::Path<i64>,
    query: ListQuery<NoFilter>,
) -> Result<web::Json<Page<Delivery>>, ApiError> {
    let (id, page) = (id.into_inner(), query.page);
    let (before, limit) = (page.after::<i64>()?, page.limit());
    let rows = caller.read(move |conn| repo::deliveries(conn, id, before, limit)).await?;
    Ok(web::Json(Page::from_rows(rows, &page, |d| d.id)))
}
