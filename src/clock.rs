//! What the service takes for now: its records tell of work done and documents made, never of
//! what is to come, so no write takes a time or date in the future.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// What a refused time or date is told.
pub const FUTURE: &str = "is in the future";

/// How far ahead of ours a client's clock may run.
const CLOCK_SLACK: Duration = Duration::minutes(5);

/// Ahead of the service's clock (and a client's running a little fast).
pub fn is_future(at: DateTime<Utc>) -> bool {
    at > Utc::now() + CLOCK_SLACK
}

/// After today anywhere on Earth (the furthest time zone is 14 hours ahead of UTC).
pub fn is_future_date(date: NaiveDate) -> bool {
    date > furthest_today().date_naive()
}

/// Before today everywhere on Earth (the last time zone is 12 hours behind UTC).
pub fn is_past_date(date: NaiveDate) -> bool {
    date < (Utc::now() - Duration::hours(12)).date_naive()
}

/// After this year anywhere on Earth.
pub fn is_future_year(year: i32) -> bool {
    year > furthest_today().year()
}

fn furthest_today() -> DateTime<Utc> {
    Utc::now() + Duration::hours(14)
}
