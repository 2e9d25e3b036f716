//! Webhook, for admins: the services told of every change, a new subscription (its signing
//! secret shown once, on the answer to the form), stopping one, and each one's delivery log —
//! every attempt, what the receiver answered, and whether it was given up.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::{FieldProblems, Frame, Submitted, Visitor, failed_read, i18n, render, see_other, unavailable};
use crate::events::model::EVENT_TYPES;
use crate::http::body::Rules;
use crate::webhooks::delivery::new_secret;
use crate::webhooks::model::{NewWebhook, Webhook};
use crate::webhooks::repo as webhooks;

/// The most subscriptions listed, and deliveries a log shows.
const LISTED: i64 = 500;
const DELIVERIES: i64 = 200;

pub struct HookLine {
    id: i64,
    url: String,
    types: String,
    description: String,
    active: bool,
    state: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct HooksPage {
    frame: Frame,
    hooks: Vec<HookLine>,
    /// The resources whose events a subscription may choose.
    resources: Vec<&'static str>,
    typed: Typed,
    problems: FieldProblems,
    /// A subscription just made: its URL and signing secret, shown this once.
    created: Option<(String, String)>,
    done: Option<String>,
}

impl HooksPage {
    fn chose(&self, resource: &str) -> bool {
        self.typed.types.iter().any(|t| t == resource)
    }
}

/// The new subscription as typed.
#[derive(Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    url: String,
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
pub struct Done {
    stopped: Option<i64>,
}

pub async fn list(visitor: Visitor, done: web::Query<Done>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let done = done.stopped.map(|id| i18n::text(frame.lang, "hooks-stopped", &[("id", &id.to_string())]));
    show(&visitor, frame, Typed::default(), FieldProblems::default(), None, done, StatusCode::OK).await
}

/// The resources the feed shows, in the order of their events.
fn resources() -> Vec<&'static str> {
    let mut resources: Vec<&'static str> = EVENT_TYPES
        .iter()
        .filter(|(_, only_trail)| !only_trail)
        .filter_map(|(name, _)| name.split('.').next())
        .collect();
    resources.dedup();
    resources
}

async fn show(
    visitor: &Visitor,
    frame: Frame,
    typed: Typed,
    problems: FieldProblems,
    created: Option<(String, String)>,
    done: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let Ok(found) = visitor.state.with_read_connection(|conn| Ok(webhooks::list(conn, None, LISTED)?)).await else {
        return unavailable(frame);
    };
    let lang = frame.lang;
    let line = |hook: Webhook| HookLine {
        id: hook.id,
        types: match hook.types.iter().flatten().cloned().collect::<Vec<_>>() {
            types if types.is_empty() => i18n::text(lang, "hooks-every-event", &[]),
            types => types.join(", "),
        },
        description: hook.description.unwrap_or_default(),
        state: match (hook.active, hook.failing_since) {
            (false, _) => i18n::text(lang, "hooks-stopped-state", &[]),
            (true, Some(since)) => i18n::text(
                lang,
                "hooks-failing",
                &[("since", &i18n::date_time(lang, since)), ("attempts", &hook.attempts.to_string())],
            ),
            (true, None) => i18n::text(lang, "hooks-healthy", &[]),
        },
        active: hook.active,
        url: hook.url,
    };
    let hooks = found.into_iter().take(LISTED as usize).map(line).collect();
    render(status, &HooksPage { frame, hooks, resources: resources(), typed, problems, created, done })
}

/// Subscribes a URL, and shows the secret its deliveries are signed with, this once.
pub async fn create(Submitted { visitor, form }: Submitted<Typed>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let new = NewWebhook {
        url: form.url.trim().to_string(),
        types: form.types.iter().filter(|t| resources().contains(&t.as_str())).cloned().collect(),
        description: Some(crate::text::normalize(form.description.trim())).filter(|d| !d.is_empty()),
    };
    let mut problems = FieldProblems::default();
    if let Err(errors) = new.validate() {
        if errors.field_errors().contains_key("url") {
            problems.add("url", frame.t("hooks-invalid-url"));
        }
        if errors.field_errors().contains_key("description") {
            problems.add("description", frame.t("hooks-invalid-description"));
        }
    }
    if !new.broken_rules().is_empty() || new.types.len() != form.types.len() {
        problems.add("types", frame.t("hooks-invalid-types"));
    }
    if !problems.is_empty() {
        return show(&visitor, frame, form, problems, None, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let url = new.url.clone();
    let made = visitor
        .write(move |conn, actor| {
            let secret = new_secret();
            webhooks::create(conn, &new, &secret, actor)?;
            Ok(secret)
        })
        .await;
    match made {
        Ok(secret) => {
            let created = Some((url, secret));
            show(&visitor, frame, Typed::default(), FieldProblems::default(), created, None, StatusCode::CREATED).await
        }
        Err(_) => unavailable(frame),
    }
}

/// Stops deliveries to a subscription; it and its log stay.
pub async fn deactivate(
    Submitted { visitor, .. }: Submitted<serde::de::IgnoredAny>,
    id: web::Path<i64>,
) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let id = id.into_inner();
    match visitor.write(move |conn, _| webhooks::deactivate(conn, id)).await {
        Ok(_) => see_other(&format!("/admin/webhooks?stopped={id}")),
        Err(crate::error::Error::NotFound(_)) => super::not_found_page(frame),
        Err(_) => unavailable(frame),
    }
}

pub struct DeliveryLine {
    at: String,
    event: String,
    attempt: i32,
    answer: String,
    outcome: String,
    outcome_code: String,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct DeliveriesPage {
    frame: Frame,
    url: String,
    state: String,
    deliveries: Vec<DeliveryLine>,
}

/// A subscription's delivery log, newest first.
pub async fn deliveries(visitor: Visitor, id: web::Path<i64>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let id = id.into_inner();
    let read = visitor
        .state
        .with_read_connection(move |conn| {
            Ok((webhooks::get(conn, id)?, webhooks::deliveries(conn, id, None, DELIVERIES)?))
        })
        .await;
    let (hook, found) = match read {
        Ok(read) => read,
        Err(err) => return failed_read(frame, err),
    };
    let lang = frame.lang;
    let deliveries = found
        .into_iter()
        .take(DELIVERIES as usize)
        .map(|d| DeliveryLine {
            at: i18n::date_time(lang, d.at),
            event: format!("{} · {}", d.event_type, d.event_id),
            attempt: d.attempt,
            answer: match (d.status, d.error) {
                (Some(status), _) => format!("HTTP {status}"),
                (None, Some(error)) => error,
                (None, None) => "—".into(),
            },
            outcome: i18n::text(lang, &format!("hooks-outcome-{}", d.outcome), &[]),
            outcome_code: d.outcome,
        })
        .collect();
    let state = frame.t(if hook.active { "hooks-healthy" } else { "hooks-stopped-state" });
    render(StatusCode::OK, &DeliveriesPage { frame, url: hook.url, state, deliveries })
}
