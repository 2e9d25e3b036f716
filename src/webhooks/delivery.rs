//! The delivery worker: a thread per service instance (see `upkeep`) that follows each active
//! webhook's cursor through the change feed and POSTs each event, in order. One event at a time,
//! under a lease on the webhook (so that instances never send the same one together); a failure
//! keeps the event at the head and retries it after 1, 2, 4 … seconds (at most an hour apart) until
//! a day has passed, then logs it as given up and goes on.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::repo::{self, Attempt, Next};
use crate::db::Pool;
use crate::error::Error;
use crate::upkeep::{Periodic, every};

/// How often the worker looks for work.
const POLL: Duration = Duration::from_millis(250);
/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Events sent to one webhook before the worker turns to the next one.
const BATCH: usize = 100;
/// Longest wait between two attempts.
const MAX_BACKOFF_SECONDS: i64 = 3_600;

/// Starts delivering from `pool`'s database.
pub fn start(pool: Pool) -> Periodic {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(TIMEOUT)).http_status_as_error(false).build().into();
    every("webhooks", POLL, move || {
        if let Err(err) = round(&pool, &agent) {
            log::warn!("webhook deliveries paused: {err}");
        }
    })
}

/// Sends what is due. A connection is taken for each short step and given back before the
/// receiver is called, so a slow receiver never keeps one from the requests.
fn round(pool: &Pool, agent: &ureq::Agent) -> Result<(), Error> {
    let due = repo::due(&mut *pool.get()?)?;
    for id in due {
        for _ in 0..BATCH {
            let Some(next) = repo::lease(&mut *pool.get()?, id)? else { break };
            let attempt = send(agent, &next);
            repo::record(&mut *pool.get()?, id, &attempt)?;
            if !attempt.delivered {
                break;
            }
        }
    }
    Ok(())
}

/// POSTs the event, signed, and says what came of it.
fn send<'a>(agent: &ureq::Agent, next: &'a Next) -> Attempt<'a> {
    let body = serde_json::to_vec(&next.event).expect("an event serialises");
    let timestamp = chrono::Utc::now().timestamp();
    let answer = agent
        .post(&next.url)
        .header("content-type", "application/json")
        .header("webhook-id", &next.event.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature(&next.secret, &next.event.id, timestamp, &body))
        .send(&body[..]);
    let (status, error) = match answer {
        Ok(answer) => {
            let status = answer.status().as_u16();
            (Some(status as i16), (!(200..300).contains(&status)).then(|| format!("the receiver answered {status}")))
        }
        Err(err) => (None, Some(err.to_string())),
    };
    let attempt = next.attempts + 1;
    let delivered = error.is_none();
    let given_up = next.failing_for.is_some_and(|failing| failing >= chrono::Duration::hours(24));
    let retry_in = (!delivered && !given_up)
        .then(|| chrono::Duration::seconds((1_i64 << (attempt - 1).min(20)).min(MAX_BACKOFF_SECONDS)));
    Attempt { event: &next.event, attempt, status, error, retry_in, delivered }
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the key inside the `whsec_` secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// A new `whsec_` secret: 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the system has randomness");
    format!("whsec_{}", STANDARD.encode(key))
}
