//! A rate limit per API key: `per_second` requests a second, in bursts of up to twice that;
//! beyond it, 429 with `Retry-After`. Checked before anything else, in memory (GCRA, no lock),
//! so a runaway client costs neither a database connection nor another client's turn.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::auth::bearer_key;
use super::problem::ApiError;
use crate::keys::model::hash;

/// Keys not seen for a while are forgotten every this many requests.
const FORGET_EVERY: u64 = 10_000;

pub struct RateLimit {
    /// None: no limit.
    limiter: Option<DefaultKeyedRateLimiter<Vec<u8>>>,
    /// Made once: making one calibrates it (quanta reads the CPU's timer), which cost a refused
    /// request ten times what serving one does.
    clock: DefaultClock,
    requests: AtomicU64,
}

impl RateLimit {
    /// `per_second` 0 means no limit.
    pub fn new(per_second: u32) -> RateLimit {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::new(2).expect("2 is not zero"));
            DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        RateLimit { limiter, clock: DefaultClock::default(), requests: AtomicU64::new(0) }
    }

    /// `Err(seconds to wait)` when the key is over its rate.
    fn check(&self, key: &str) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        if self.requests.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(&hash(key)).map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs() + 1)
    }
}

/// Middleware: refuses a request whose bearer key is over its rate.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    if let Some(limits) = req.app_data::<web::Data<RateLimit>>()
        && let Some(Err(seconds)) = bearer_key(req.headers()).map(|key| limits.check(key))
    {
        return Err(ApiError::TooManyRequests(seconds).into());
    }
    next.call(req).await
}
