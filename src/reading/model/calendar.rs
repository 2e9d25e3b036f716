use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::text_enum;
use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::Rules;
use crate::schema::closures;

/// Việt Nam's time, which the archive's days and hours are in (no daylight saving).
pub fn local_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is an offset")
}

/// The opening hours of a working day (Monday to Friday): the morning and the afternoon.
pub const OPEN: [(NaiveTime, NaiveTime); 2] = [
    (NaiveTime::from_hms_opt(7, 30, 0).unwrap(), NaiveTime::from_hms_opt(11, 30, 0).unwrap()),
    (NaiveTime::from_hms_opt(13, 30, 0).unwrap(), NaiveTime::from_hms_opt(17, 0, 0).unwrap()),
];

/// How many days a closure may span.
pub const LONGEST_CLOSURE: i64 = 366;

/// How far ahead a deadline is looked for before the calendar is taken to be closed for good.
const HORIZON_DAYS: i64 = 5 * 366;

text_enum! {
    /// What of a day a closure takes.
    pub enum ClosedPart {
        Day = "day",
        Morning = "morning",
        Afternoon = "afternoon",
    }
}

/// Days the archive is closed beyond weekends: a holiday, or a closed half-day.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = closures, check_for_backend(diesel::pg::Pg))]
pub struct Closure {
    pub id: i64,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub part: ClosedPart,
    #[schema(example = "Tết Nguyên đán")]
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
}

impl Resource for Closure {
    const KIND: &'static str = "closure";

    fn subject(&self) -> String {
        format!("/api/v1/closures/{}", self.id)
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClosure {
    pub first_day: NaiveDate,
    /// The last day closed; `first_day` when left out.
    pub last_day: Option<NaiveDate>,
    /// `day` (default), or `morning` or `afternoon` of a single day.
    pub part: Option<ClosedPart>,
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 200, example = "Tết Nguyên đán")]
    pub name: String,
}

impl NewClosure {
    pub fn last(&self) -> NaiveDate {
        self.last_day.unwrap_or(self.first_day)
    }
}

impl Rules for NewClosure {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let last = self.last();
        if last < self.first_day {
            errors.push(FieldError::new("last_day", "must not come before first_day"));
        } else if (last - self.first_day).num_days() >= LONGEST_CLOSURE {
            errors.push(FieldError::new("last_day", "a closure spans at most 366 days"));
        }
        if self.part.is_some_and(|p| p != ClosedPart::Day) && last != self.first_day {
            errors.push(FieldError::new("part", "a half-day closure is of one day"));
        }
        errors
    }
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClosureFilter {
    /// Only closures touching this year.
    #[validate(range(min = 1900, max = 2200, message = "must be a year between 1900 and 2200"))]
    #[param(minimum = 1900, maximum = 2200)]
    pub year: Option<i32>,
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// When the clock starts, e.g. when a request was received.
    pub from: DateTime<Utc>,
    /// Working days allowed: 1 for reading, 2 for copies, 7 for conditional access.
    #[validate(range(min = 1, max = 60, message = "must be between 1 and 60"))]
    #[param(minimum = 1, maximum = 60)]
    pub working_days: u32,
}

/// A deadline in working days.
#[derive(Debug, Serialize, ToSchema)]
pub struct Due {
    pub from: DateTime<Utc>,
    pub working_days: u32,
    /// When that much of the archive's working time has passed since `from`.
    pub due_at: DateTime<Utc>,
}

/// The archive's working time: weekdays' opening hours, less its closures. Deadlines in
/// working days are counted in it, in memory.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    closures: Vec<(NaiveDate, NaiveDate, ClosedPart)>,
}

impl Calendar {
    pub fn new(closures: &[Closure]) -> Calendar {
        let mut closures: Vec<_> = closures.iter().map(|c| (c.first_day, c.last_day, c.part)).collect();
        closures.sort_by_key(|(first, _, _)| *first);
        Calendar { closures }
    }

    /// The hours `day` is open, in Việt Nam's time.
    fn open_on(&self, day: NaiveDate) -> Vec<(NaiveTime, NaiveTime)> {
        if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            return Vec::new();
        }
        let closed = self.closures.iter().find(|(first, last, _)| (*first..=*last).contains(&day)).map(|c| c.2);
        match closed {
            None => OPEN.to_vec(),
            Some(ClosedPart::Day) => Vec::new(),
            Some(ClosedPart::Morning) => OPEN[1..].to_vec(),
            Some(ClosedPart::Afternoon) => OPEN[..1].to_vec(),
        }
    }

    /// A full working day's open time.
    fn working_day() -> Duration {
        OPEN.iter().map(|(open, close)| *close - *open).sum()
    }

    /// When `working_days` of open time have passed since `from`: received on Monday at
    /// 10:00, one working day is due on Tuesday at 10:00; on Friday at 16:00, on Monday at
    /// 16:00; out of hours, the clock starts when the archive next opens.
    pub fn due(&self, from: DateTime<Utc>, working_days: u32) -> DateTime<Utc> {
        let zone = local_offset();
        let start = from.with_timezone(&zone);
        let mut left = Self::working_day() * working_days as i32;
        let mut day = start.date_naive();
        for _ in 0..HORIZON_DAYS {
            for (open, close) in self.open_on(day) {
                let opens = zone.from_local_datetime(&day.and_time(open)).single().expect("a fixed offset");
                let closes = zone.from_local_datetime(&day.and_time(close)).single().expect("a fixed offset");
                let counted_from = opens.max(start);
                if counted_from >= closes {
                    continue;
                }
                let here = closes - counted_from;
                if here >= left {
                    return (counted_from + left).with_timezone(&Utc);
                }
                left -= here;
            }
            day = day.succ_opt().expect("days go on");
        }
        (start + Duration::days(HORIZON_DAYS)).with_timezone(&Utc)
    }

    /// The archive's working time between two moments (none when `to` is not after `from`).
    pub fn working_time(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let zone = local_offset();
        let (from, to) = (from.with_timezone(&zone), to.with_timezone(&zone));
        let mut total = Duration::zero();
        let mut day = from.date_naive();
        while day <= to.date_naive() {
            for (open, close) in self.open_on(day) {
                let opens = zone.from_local_datetime(&day.and_time(open)).single().expect("a fixed offset");
                let closes = zone.from_local_datetime(&day.and_time(close)).single().expect("a fixed offset");
                let (a, b) = (opens.max(from), closes.min(to));
                if b > a {
                    total += b - a;
                }
            }
            day = day.succ_opt().expect("days go on");
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A moment in Việt Nam's time.
    fn at(day: &str, time: &str) -> DateTime<Utc> {
        let local = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap().and_time(time.parse().unwrap());
        local_offset().from_local_datetime(&local).single().unwrap().with_timezone(&Utc)
    }

    fn closure(first: &str, last: &str, part: ClosedPart) -> Closure {
        Closure {
            id: 1,
            first_day: first.parse().unwrap(),
            last_day: last.parse().unwrap(),
            part,
            name: "nghỉ".into(),
            created_at: Utc::now(),
            created_by: 1,
        }
    }

    #[test]
    fn a_working_day_runs_from_the_same_hour_on_the_next_open_day() {
        let open = Calendar::default();
        // 2026-12-07 is a Monday.
        assert_eq!(open.due(at("2026-12-07", "10:00"), 1), at("2026-12-08", "10:00"));
        assert_eq!(open.due(at("2026-12-11", "16:00"), 1), at("2026-12-14", "16:00"), "Friday to Monday");
        assert_eq!(open.due(at("2026-12-07", "10:00"), 7), at("2026-12-16", "10:00"), "seven working days");
        // Out of hours: the clock starts when the archive opens.
        assert_eq!(open.due(at("2026-12-07", "20:00"), 1), at("2026-12-08", "17:00"));
        assert_eq!(open.due(at("2026-12-12", "09:00"), 1), at("2026-12-14", "17:00"), "a Saturday");
        assert_eq!(open.due(at("2026-12-07", "12:00"), 1), at("2026-12-08", "11:30"), "at lunch");
    }

    #[test]
    fn closures_and_half_days_are_skipped() {
        let calendar = Calendar::new(&[
            closure("2026-12-08", "2026-12-09", ClosedPart::Day),
            closure("2026-12-10", "2026-12-10", ClosedPart::Morning),
        ]);
        // Monday 10:00: five hours that day; Tuesday and Wednesday closed, Thursday's morning
        // too; the other two and a half hours on Thursday afternoon.
        assert_eq!(calendar.due(at("2026-12-07", "10:00"), 1), at("2026-12-10", "16:00"));
        assert_eq!(calendar.working_time(at("2026-12-07", "10:00"), at("2026-12-10", "16:00")), Duration::minutes(450));
        assert_eq!(calendar.working_time(at("2026-12-10", "16:00"), at("2026-12-07", "10:00")), Duration::zero());
    }

    #[test]
    fn a_calendar_closed_for_good_gives_a_deadline_all_the_same() {
        let closed = Calendar::new(&[closure("2026-01-01", "2099-12-31", ClosedPart::Day)]);
        assert!(closed.due(at("2026-12-07", "10:00"), 1) > at("2031-01-01", "00:00"));
    }
}
