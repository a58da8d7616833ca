//! Business hours: when a team works — an IANA time zone, weekly intervals (split shifts: a
//! day may have several), holidays — and the arithmetic SLA clocks need on it: how much
//! business time lies between two instants, and when a span of business time starting at an
//! instant runs out. Exact across daylight-saving changes: an interval is the set of instants
//! whose local time falls in it, so an hour that does not exist is not worked and an hour that
//! happens twice is worked twice. Plain functions, tested against a minute-by-minute reference.
//!
//! A schedule file (TOML):
//!
//! ```toml
//! name = "eu-office"
//! timezone = "Europe/Rome"
//! holidays = ["2026-12-25", "2026-12-26"]
//! [week]
//! mon = ["09:00-12:30", "13:30-18:00"]
//! tue = ["09:00-18:00"]
//! sat = []            # a day left out or empty is not worked
//! ```

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::event::is_valid_name;
use super::Invalid;

/// How far ahead a due time is looked for: a schedule that is open less than this in a span
/// this long has no due time (a week with no hours, say).
pub const HORIZON_DAYS: i64 = 3 * 366;

/// One stretch of working time in a day, local: `start` to `end` (`end` may be 24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayInterval {
    pub start: NaiveTime,
    /// `None`: the end of the day (24:00).
    pub end: Option<NaiveTime>,
}

/// A schedule as kept and sent: the file's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// Lower-case letters, digits, `_`, `-`, `.`.
    #[schema(pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    pub name: String,
    /// An IANA time zone: `Europe/Rome`, `America/New_York`, `UTC`.
    pub timezone: String,
    /// Days not worked (local dates, `YYYY-MM-DD`).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Each day's working intervals, `HH:MM-HH:MM` (split shifts: several).
    #[serde(default)]
    pub week: WeekSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekSpec {
    #[serde(default)]
    pub mon: Vec<String>,
    #[serde(default)]
    pub tue: Vec<String>,
    #[serde(default)]
    pub wed: Vec<String>,
    #[serde(default)]
    pub thu: Vec<String>,
    #[serde(default)]
    pub fri: Vec<String>,
    #[serde(default)]
    pub sat: Vec<String>,
    #[serde(default)]
    pub sun: Vec<String>,
}

/// A schedule ready for arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub tz: Tz,
    /// Monday first; each day's intervals sorted, not overlapping.
    pub week: [Vec<DayInterval>; 7],
    /// Sorted.
    pub holidays: Vec<NaiveDate>,
}

fn parse_time(field: &'static str, s: &str) -> Result<Option<NaiveTime>, Invalid> {
    if s == "24:00" {
        return Ok(None);
    }
    NaiveTime::parse_from_str(s, "%H:%M").map(Some).map_err(|_| {
        Invalid::field(field, format!("`{}` is not a time of day: HH:MM, 00:00 to 24:00", s.escape_debug()))
    })
}

/// `"09:00-12:30"` as an interval.
pub fn parse_interval(field: &'static str, s: &str) -> Result<DayInterval, Invalid> {
    let Some((a, b)) = s.trim().split_once('-') else {
        return Err(Invalid::field(field, format!("`{}` is not an interval: HH:MM-HH:MM", s.escape_debug())));
    };
    let start = parse_time(field, a.trim())?
        .ok_or_else(|| Invalid::field(field, format!("`{}`: a day's work cannot start at 24:00", s.escape_debug())))?;
    let end = parse_time(field, b.trim())?;
    if end.is_some_and(|e| e <= start) {
        return Err(Invalid::field(
            field,
            format!(
                "`{}` ends before it starts: a night shift is two intervals, to 24:00 and from 00:00",
                s.escape_debug()
            ),
        ));
    }
    Ok(DayInterval { start, end })
}

impl ScheduleSpec {
    /// Checks the spec and makes the schedule; the error says what to fix.
    pub fn schedule(&self) -> Result<Schedule, Invalid> {
        if !is_valid_name(&self.name) {
            return Err(Invalid::field(
                "name",
                "a schedule's name: lower-case letters, digits, `_`, `-`, `.`, up to 64",
            ));
        }
        let tz: Tz = self.timezone.trim().parse().map_err(|_| {
            Invalid::field(
                "timezone",
                format!(
                    "`{}` is not an IANA time zone such as Europe/Rome or America/New_York",
                    self.timezone.escape_debug()
                ),
            )
        })?;
        let w = &self.week;
        let days: [(&'static str, &Vec<String>); 7] = [
            ("week.mon", &w.mon),
            ("week.tue", &w.tue),
            ("week.wed", &w.wed),
            ("week.thu", &w.thu),
            ("week.fri", &w.fri),
            ("week.sat", &w.sat),
            ("week.sun", &w.sun),
        ];
        let mut week: [Vec<DayInterval>; 7] = Default::default();
        for (i, (field, raw)) in days.iter().enumerate() {
            let mut day: Vec<DayInterval> = raw.iter().map(|s| parse_interval(field, s)).collect::<Result<_, _>>()?;
            day.sort_by_key(|d| d.start);
            for pair in day.windows(2) {
                if pair[0].end.is_none_or(|e| e > pair[1].start) {
                    return Err(Invalid::field(field, "two intervals of the day overlap: make them one"));
                }
            }
            week[i] = day;
        }
        let mut holidays = self.holidays.clone();
        holidays.sort();
        holidays.dedup();
        Ok(Schedule { name: self.name.clone(), tz, week, holidays })
    }
}

/// Reads a schedule file (see the module's notes).
pub fn parse_file(text: &str) -> Result<Schedule, Invalid> {
    let spec: ScheduleSpec =
        toml::from_str(text).map_err(|e| Invalid::general(format!("the schedule does not read: {}", e.message())))?;
    spec.schedule()
}

/// An instant's offset from UTC in `tz`, in seconds.
fn offset_secs(tz: Tz, at: DateTime<Utc>) -> i64 {
    i64::from(tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc())
}

impl Schedule {
    /// Every hour of every day: a schedule for a team that never stops.
    pub fn always(name: &str) -> Schedule {
        let all = vec![DayInterval { start: NaiveTime::MIN, end: None }];
        Schedule { name: name.to_string(), tz: Tz::UTC, week: std::array::from_fn(|_| all.clone()), holidays: vec![] }
    }

    fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.binary_search(&d).is_ok()
    }

    /// The stretches of UTC time around local date `d` (from well before its first instant to
    /// well after its last) with the offset in effect in each: where the offset changes, found
    /// to the second. Offset changes are months apart, so sampling every three hours finds each.
    fn offset_segments(&self, d: NaiveDate) -> Vec<(i64, i64, i64)> {
        let start = d.and_time(NaiveTime::MIN).and_utc().timestamp() - 15 * 3600;
        let end = start + 54 * 3600;
        let offset_at = |s: i64| offset_secs(self.tz, DateTime::from_timestamp(s, 0).unwrap_or_default());
        let mut segments = Vec::new();
        let (mut seg_start, mut seg_off) = (start, offset_at(start));
        let mut t = start;
        while t < end {
            let next = (t + 3 * 3600).min(end);
            if offset_at(next) != seg_off {
                let (mut lo, mut hi) = (t, next);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if offset_at(mid) == seg_off {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                segments.push((seg_start, hi, seg_off));
                (seg_start, seg_off) = (hi, offset_at(hi));
            }
            t = next;
        }
        segments.push((seg_start, end, seg_off));
        segments
    }

    /// The working instants of local date `d`, in UTC, in order: for each interval, the
    /// instants whose local time falls in it — under the offset in effect at each instant, so
    /// an hour skipped is not worked and an hour repeated is worked twice.
    fn day_pieces(&self, d: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let intervals = &self.week[d.weekday().num_days_from_monday() as usize];
        if intervals.is_empty() || self.is_holiday(d) {
            return vec![];
        }
        let segments = self.offset_segments(d);
        let day = d.and_time(NaiveTime::MIN).and_utc().timestamp();
        let mut out = Vec::new();
        for iv in intervals {
            let ls = day + i64::from(iv.start.num_seconds_from_midnight());
            let le = iv.end.map(|e| day + i64::from(e.num_seconds_from_midnight())).unwrap_or(day + 86_400);
            for &(seg_start, seg_end, off) in &segments {
                let (a, b) = ((ls - off).max(seg_start), (le - off).min(seg_end));
                if a < b {
                    let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or_default();
                    out.push((at(a), at(b)));
                }
            }
        }
        out.sort();
        out
    }

    /// The local date of an instant.
    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// The working stretches that overlap `[from, to)`, cut to it, in order.
    pub fn open_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if to <= from {
            return vec![];
        }
        let mut out = Vec::new();
        let mut d = self.local_date(from) - Duration::days(1);
        let last = self.local_date(to) + Duration::days(1);
        while d <= last {
            for (a, b) in self.day_pieces(d) {
                let (a, b) = (a.max(from), b.min(to));
                if a < b {
                    out.push((a, b));
                }
            }
            d += Duration::days(1);
        }
        // Days' pieces may interleave where an offset change at midnight repeats an hour.
        out.sort();
        out
    }

    /// Whether every instant is working time (the calendar): the arithmetic is plain then.
    fn is_always(&self) -> bool {
        self.holidays.is_empty()
            && self.week.iter().all(|d| d.len() == 1 && d[0].start == NaiveTime::MIN && d[0].end.is_none())
    }

    /// The business time in `[from, to)` (zero when `to` is not after `from`).
    pub fn business_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if self.is_always() {
            return (to - from).max(Duration::zero());
        }
        self.open_between(from, to).into_iter().fold(Duration::zero(), |sum, (a, b)| sum + (b - a))
    }

    /// The instant at which `span` of business time counted from `from` is used up; `from`
    /// itself for no span. `None` when the schedule is not open that long within
    /// [`HORIZON_DAYS`].
    pub fn add_business(&self, from: DateTime<Utc>, span: Duration) -> Option<DateTime<Utc>> {
        if span <= Duration::zero() {
            return Some(from);
        }
        if self.is_always() {
            return Some(from + span);
        }
        let mut left = span;
        let mut window_start = from;
        let horizon = from + Duration::days(HORIZON_DAYS);
        while window_start < horizon {
            let window_end = window_start + Duration::days(28);
            for (a, b) in self.open_between(window_start, window_end) {
                if b - a >= left {
                    return Some(a + left);
                }
                left -= b - a;
            }
            window_start = window_end;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rome() -> Schedule {
        parse_file(
            r#"
            name = "eu-office"
            timezone = "Europe/Rome"
            holidays = ["2026-12-25", "2026-12-08"]
            [week]
            mon = ["09:00-12:30", "13:30-18:00"]
            tue = ["09:00-12:30", "13:30-18:00"]
            wed = ["09:00-12:30", "13:30-18:00"]
            thu = ["09:00-12:30", "13:30-18:00"]
            fri = ["09:00-12:30", "13:30-18:00"]
            "#,
        )
        .unwrap()
    }

    /// Whether the instant falls in working time: the reference the arithmetic is tested
    /// against, minute by minute.
    fn is_open(s: &Schedule, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&s.tz).naive_local();
        let d = local.date();
        if s.is_holiday(d) {
            return false;
        }
        let t = local.time();
        s.week[d.weekday().num_days_from_monday() as usize]
            .iter()
            .any(|iv| t >= iv.start && iv.end.is_none_or(|e| t < e))
    }

    /// Minute by minute: the reference.
    fn reference(s: &Schedule, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let mut n = 0;
        let mut t = from;
        while t < to {
            if is_open(s, t) {
                n += 1;
            }
            t += Duration::minutes(1);
        }
        Duration::minutes(n)
    }

    #[test]
    fn hand_worked_nights_weekends_and_a_holiday() {
        let s = rome();
        // Friday 4 Dec 2026 17:00 Rome (16:00 UTC), 2 business hours: 1 h on Friday, then
        // Monday 7 Dec from 09:00: due 10:00 Rome (09:00 UTC). Tuesday 8 Dec is a holiday.
        assert_eq!(s.add_business(at("2026-12-04T16:00:00Z"), Duration::hours(2)), Some(at("2026-12-07T09:00:00Z")));
        // Monday 17:00 Rome + 4 h: 1 h Monday, Tuesday off (holiday), Wednesday 09:00–12:00.
        assert_eq!(s.add_business(at("2026-12-07T16:00:00Z"), Duration::hours(4)), Some(at("2026-12-09T11:00:00Z")));
        // The lunch break does not count: Wednesday 12:00 Rome + 1 h = 14:00 Rome.
        assert_eq!(s.add_business(at("2026-12-09T11:00:00Z"), Duration::hours(1)), Some(at("2026-12-09T13:00:00Z")));
        // Between Friday 17:00 and Monday 10:00 Rome: 2 h.
        assert_eq!(s.business_between(at("2026-12-04T16:00:00Z"), at("2026-12-07T09:00:00Z")), Duration::hours(2));
        // Opened on a Saturday: the clock starts on Monday at 09:00.
        assert_eq!(s.add_business(at("2026-12-05T10:00:00Z"), Duration::minutes(30)), Some(at("2026-12-07T08:30:00Z")));
    }

    #[test]
    fn daylight_saving_changes_count_the_hours_that_happen() {
        // A shift across the night of the changes, in Rome: 00:00–06:00 every day.
        let night = parse_file(
            r#"
            name = "night"
            timezone = "Europe/Rome"
            [week]
            sun = ["00:00-06:00"]
            "#,
        )
        .unwrap();
        // 29 Mar 2026: 02:00 → 03:00, the shift is 5 hours long.
        let spring = night.business_between(at("2026-03-28T12:00:00Z"), at("2026-03-29T12:00:00Z"));
        assert_eq!(spring, Duration::hours(5));
        // 25 Oct 2026: 03:00 → 02:00, the shift is 7 hours long.
        let autumn = night.business_between(at("2026-10-24T12:00:00Z"), at("2026-10-25T12:00:00Z"));
        assert_eq!(autumn, Duration::hours(7));
        // Starting at 01:00 local (00:00 UTC) on the spring night, 2 hours run out at 04:00 local
        // (02:00 UTC): 01:00–02:00, then 03:00–04:00.
        assert_eq!(
            night.add_business(at("2026-03-29T00:00:00Z"), Duration::hours(2)),
            Some(at("2026-03-29T02:00:00Z"))
        );
        // New York's office hours across its own change (8 Mar 2026): Friday's 17:00 local is
        // 22:00 UTC (EST); Monday's 09:00 is 13:00 UTC (EDT), so an hour runs out at 14:00 UTC.
        let ny = parse_file(
            "name = \"ny\"\ntimezone = \"America/New_York\"\n[week]\nfri = [\"09:00-17:00\"]\nmon = [\"09:00-17:00\"]\n",
        )
        .unwrap();
        assert_eq!(ny.add_business(at("2026-03-06T22:00:00Z"), Duration::hours(1)), Some(at("2026-03-09T14:00:00Z")));
        assert_eq!(ny.add_business(at("2026-03-06T21:00:00Z"), Duration::hours(1)), Some(at("2026-03-06T22:00:00Z")));
    }

    #[test]
    fn bad_schedules_say_what_to_fix() {
        let e = |t: &str| parse_file(t).unwrap_err().message;
        assert!(e("name = \"x\"\ntimezone = \"Mars/Olympus\"\n").contains("IANA time zone"));
        assert!(e("name = \"x\"\ntimezone = \"UTC\"\n[week]\nmon = [\"18:00-09:00\"]\n").contains("night shift"));
        assert!(e("name = \"x\"\ntimezone = \"UTC\"\n[week]\nmon = [\"9-5\"]\n").contains("time of day"));
        assert!(e("name = \"x\"\ntimezone = \"UTC\"\n[week]\nmon = [\"09:00-12:00\", \"11:00-13:00\"]\n")
            .contains("overlap"));
        assert!(e("name = \"X Y\"\ntimezone = \"UTC\"\n").contains("name"));
        // A schedule never open has no due time.
        let closed = parse_file("name = \"closed\"\ntimezone = \"UTC\"\n").unwrap();
        assert_eq!(closed.add_business(at("2026-01-01T00:00:00Z"), Duration::minutes(1)), None);
        assert_eq!(
            Schedule::always("x").add_business(at("2026-01-01T00:00:00Z"), Duration::hours(30)),
            Some(at("2026-01-02T06:00:00Z"))
        );
    }

    fn arb_schedule() -> impl Strategy<Value = Schedule> {
        let zones = prop::sample::select(vec![
            "Europe/Rome",
            "America/New_York",
            "Australia/Lord_Howe",
            "UTC",
            "Asia/Kolkata",
            "America/Havana",
            "America/Santiago",
        ]);
        // Per day: up to two intervals on the quarter hour (split shifts), some days off.
        let day = prop::collection::vec((0u32..96, 1u32..40), 0..3);
        (zones, prop::collection::vec(day, 7), prop::collection::vec(0i64..60, 0..4)).prop_map(|(tz, days, hol)| {
            let week: Vec<Vec<String>> = days
                .into_iter()
                .map(|d| {
                    let mut out: Vec<(u32, u32)> = Vec::new();
                    for (start, len) in d {
                        let end = (start + len).min(96);
                        if out.last().is_none_or(|l| start >= l.1) && end > start {
                            out.push((start, end));
                        }
                    }
                    let hm =
                        |q: u32| if q == 96 { "24:00".to_string() } else { format!("{:02}:{:02}", q / 4, q % 4 * 15) };
                    out.into_iter().map(|(a, b)| format!("{}-{}", hm(a), hm(b))).collect()
                })
                .collect();
            let holidays =
                hol.into_iter().map(|n| NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + Duration::days(n)).collect();
            ScheduleSpec {
                name: "p".into(),
                timezone: tz.into(),
                holidays,
                week: WeekSpec {
                    mon: week[0].clone(),
                    tue: week[1].clone(),
                    wed: week[2].clone(),
                    thu: week[3].clone(),
                    fri: week[4].clone(),
                    sat: week[5].clone(),
                    sun: week[6].clone(),
                },
            }
            .schedule()
            .unwrap()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// Against the minute-by-minute reference, over spans that cross March's and April's
        /// daylight-saving changes (Europe, America, Lord Howe's half hour).
        #[test]
        fn business_time_matches_counting_minutes(s in arb_schedule(), start in 0i64..(50 * 24 * 60), len in 0i64..(4 * 24 * 60)) {
            let from = at("2026-03-01T00:00:00Z") + Duration::minutes(start);
            let to = from + Duration::minutes(len);
            let exact = s.business_between(from, to);
            prop_assert_eq!(exact, reference(&s, from, to));
            // Adding what lies between lands where the last working minute ends.
            if exact > Duration::zero() {
                let due = s.add_business(from, exact).unwrap();
                prop_assert!(due <= to);
                prop_assert_eq!(s.business_between(from, due), exact);
            }
        }
    }
}
