//! Nhật ký thay đổi / Audit trail, for admins: every write, newest first — what, to which
//! record, by whom, when, and the record as it became (and was) — narrowed by kind, person or
//! key, and days.

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::{FieldProblems, Frame, Visitor, i18n, render, unavailable};
use crate::events::model::EVENT_TYPES;
use crate::keys::repo as keys;
use crate::people::repo as people;
use crate::trail::model::{TrailEntry, TrailFilter};
use crate::trail::repo as trail;

/// Entries a page shows.
const SHOWN: i64 = 100;

pub struct TrailLine {
    at: String,
    what: String,
    subject: String,
    by: String,
    data: String,
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "trail.html")]
struct TrailPage {
    frame: Frame,
    lines: Vec<TrailLine>,
    kinds: Vec<&'static str>,
    /// Who may have written: actor id and name, people first.
    actors: Vec<(i64, String)>,
    asked: Asked,
    problems: FieldProblems,
    /// The next, older page.
    older: Option<String>,
}

impl TrailPage {
    fn chose_actor(&self, id: &i64) -> bool {
        self.asked.actor.as_deref() == Some(id.to_string().as_str())
    }
}

/// The filters as asked, kept for the form and the next page's link.
#[derive(Default, Deserialize)]
pub struct Asked {
    #[serde(default)]
    kind: String,
    actor: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Where the previous page ended: `tx.position`.
    before: Option<String>,
}

pub async fn page(visitor: Visitor, asked: web::Query<Asked>) -> HttpResponse {
    let frame = Frame::of(&visitor, "admin");
    let asked = asked.into_inner();
    let mut problems = FieldProblems::default();
    let day = |typed: &str, field: &'static str, problems: &mut FieldProblems| match typed.trim() {
        "" => None,
        typed => match NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
            Ok(day) => Some(Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))),
            Err(_) => {
                problems.add(field, frame.t("treat-due-unreadable"));
                None
            }
        },
    };
    let from = day(&asked.from, "from", &mut problems);
    // Up to the end of the day asked.
    let to = day(&asked.to, "to", &mut problems).map(|to| to + chrono::Duration::days(1));
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        problems.add("to", frame.t("trail-to-before-from"));
    }
    let filter = TrailFilter {
        types: Some(asked.kind.clone()).filter(|k| kinds().contains(&k.as_str())),
        subject: None,
        actor: asked.actor.as_deref().and_then(|a| a.parse().ok()),
        from,
        to,
    };
    let before = asked.before.as_deref().and_then(|b| {
        let (tx, position) = b.split_once('.')?;
        Some((tx.parse().ok()?, position.parse().ok()?))
    });
    let read = visitor
        .state
        .with_read_connection(move |conn| {
            let entries = trail::list(conn, &filter, before, SHOWN)?;
            let mut actors: Vec<(i64, String)> =
                people::list(conn, None, 1000)?.into_iter().map(|p| (p.actor_id, p.display_name)).collect();
            actors.extend(keys::list(conn, None, 1000)?.into_iter().map(|k| (k.id, k.name)));
            Ok((entries, actors))
        })
        .await;
    let Ok((mut entries, actors)) = read else {
        return unavailable(frame);
    };
    let older = (entries.len() as i64 > SHOWN).then(|| {
        entries.truncate(SHOWN as usize);
        let (tx, position) = trail::position(entries.last().expect("more than none"));
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("kind", &asked.kind)
            .append_pair("actor", asked.actor.as_deref().unwrap_or_default())
            .append_pair("from", &asked.from)
            .append_pair("to", &asked.to)
            .append_pair("before", &format!("{tx}.{position}"))
            .finish();
        format!("/admin/trail?{query}")
    });
    let names: HashMap<i64, String> = actors.iter().cloned().collect();
    let lang = frame.lang;
    let lines = entries.into_iter().map(|entry| line(lang, entry, &names)).collect();
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &TrailPage { frame, lines, kinds: kinds(), actors, asked, problems, older })
}

/// Every kind of record the trail tells of.
fn kinds() -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = EVENT_TYPES.iter().filter_map(|(name, _)| name.split('.').next()).collect();
    kinds.dedup();
    kinds
}

fn line(lang: crate::people::model::Language, entry: TrailEntry, names: &HashMap<i64, String>) -> TrailLine {
    let pretty = |value: &serde_json::Value| serde_json::to_string_pretty(value).unwrap_or_default();
    let event = entry.event;
    TrailLine {
        at: i18n::date_time(lang, event.occurred_at),
        what: event.event_type,
        subject: event.subject,
        by: event.actor.map_or_else(|| "—".into(), |a| names.get(&a).cloned().unwrap_or_else(|| format!("#{a}"))),
        data: pretty(&event.data),
        before: entry.before.as_ref().map(pretty),
    }
}
