//! When a follow-up falls due: the presets an agent picks from ("in 5 minutes", "in 1 hour",
//! "tomorrow morning", a date) turned into a UTC time, in the agent's time zone.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use super::Invalid;

/// "Morning" is 09:00 in the agent's time zone.
pub const MORNING: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => panic!("09:00 is a time"),
};

/// Before this hour, "tomorrow morning" still means the coming morning: an agent working past
/// midnight has not slept yet.
pub const NIGHT_ENDS_HOUR: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuePreset {
    InMinutes(i64),
    InHours(i64),
    TomorrowMorning,
    /// A date and time the agent typed (see [`parse_due`]).
    At,
}

impl DuePreset {
    /// The presets in the order the follow-up form cycles through them.
    pub const ALL: [DuePreset; 4] =
        [DuePreset::InMinutes(5), DuePreset::InHours(1), DuePreset::TomorrowMorning, DuePreset::At];

    pub fn label(self) -> String {
        match self {
            DuePreset::InMinutes(1) => "in 1 minute".into(),
            DuePreset::InMinutes(m) => format!("in {m} minutes"),
            DuePreset::InHours(1) => "in 1 hour".into(),
            DuePreset::InHours(h) => format!("in {h} hours"),
            DuePreset::TomorrowMorning => "tomorrow morning (09:00)".into(),
            DuePreset::At => "on a date…".into(),
        }
    }

    /// The due time of this preset at `now` in `tz`; `typed` is what the agent typed for
    /// [`DuePreset::At`].
    pub fn due_at(self, now: DateTime<Utc>, tz: FixedOffset, typed: &str) -> Result<DateTime<Utc>, Invalid> {
        match self {
            DuePreset::InMinutes(m) => Ok(now + Duration::minutes(m)),
            DuePreset::InHours(h) => Ok(now + Duration::hours(h)),
            DuePreset::TomorrowMorning => Ok(tomorrow_morning(now, tz)),
            DuePreset::At => parse_due(typed, now, tz),
        }
    }
}

/// The coming morning at 09:00 local: the next calendar day's, or today's when it is still
/// night (before 05:00).
pub fn tomorrow_morning(now: DateTime<Utc>, tz: FixedOffset) -> DateTime<Utc> {
    let local = now.with_timezone(&tz);
    let today = local.date_naive();
    let day = if local.time() < NaiveTime::from_hms_opt(NIGHT_ENDS_HOUR, 0, 0).unwrap_or(MORNING) {
        today
    } else {
        today.succ_opt().unwrap_or(today)
    };
    at_local(day.and_time(MORNING), tz)
}

fn at_local(t: NaiveDateTime, tz: FixedOffset) -> DateTime<Utc> {
    // A fixed offset maps every local time to exactly one instant.
    tz.from_local_datetime(&t).single().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| t.and_utc())
}

/// Reads a due time typed by the agent, in their time zone: `2026-11-24 14:30`,
/// `2026-11-24` (09:00 that day), `14:30` (today, or tomorrow when that time has passed), or
/// `+2h` / `+30m` / `+3d`. A time in the past is refused.
pub fn parse_due(text: &str, now: DateTime<Utc>, tz: FixedOffset) -> Result<DateTime<Utc>, Invalid> {
    let t = text.trim();
    let wrong = || {
        Invalid::field(
            "due_at",
            format!("“{t}” is not a time: write 2026-11-24 14:30, 2026-11-24, 14:30, or +2h / +30m / +3d"),
        )
    };
    if t.is_empty() {
        return Err(Invalid::field("due_at", "type when it is due: 2026-11-24 14:30, 14:30, or +2h"));
    }
    let due = if let Some(rel) = t.strip_prefix('+') {
        let (n, unit) = rel.split_at(rel.find(|c: char| !c.is_ascii_digit()).unwrap_or(rel.len()));
        let n: i64 = n.parse().map_err(|_| wrong())?;
        match unit.trim() {
            "m" | "min" => now + Duration::minutes(n),
            "h" => now + Duration::hours(n),
            "d" => now + Duration::days(n),
            _ => return Err(wrong()),
        }
    } else if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M") {
        at_local(dt, tz)
    } else if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        at_local(d.and_time(MORNING), tz)
    } else if let Ok(time) = NaiveTime::parse_from_str(t, "%H:%M") {
        let local = now.with_timezone(&tz);
        let today = at_local(local.date_naive().and_time(time), tz);
        if today > now {
            today
        } else {
            at_local(local.date_naive().succ_opt().unwrap_or(local.date_naive()).and_time(time), tz)
        }
    } else {
        return Err(wrong());
    };
    if due <= now {
        let shown = due.with_timezone(&tz).format("%a %-d %b %Y %H:%M");
        return Err(Invalid::field("due_at", format!("{shown} is in the past: pick a time to come")));
    }
    Ok(due)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(hours: i32) -> FixedOffset {
        FixedOffset::east_opt(hours * 3600).unwrap()
    }
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn presets_give_times_to_come() {
        let now = utc("2026-11-23T10:00:00Z");
        assert_eq!(DuePreset::InMinutes(5).due_at(now, tz(0), "").unwrap(), utc("2026-11-23T10:05:00Z"));
        assert_eq!(DuePreset::InHours(1).due_at(now, tz(0), "").unwrap(), utc("2026-11-23T11:00:00Z"));
        assert_eq!(DuePreset::TomorrowMorning.due_at(now, tz(1), "").unwrap(), utc("2026-11-24T08:00:00Z"));
    }

    #[test]
    fn tomorrow_morning_across_midnight_and_time_zones() {
        // 23:30 in Rome (UTC+1) is 22:30 UTC: tomorrow is the 24th, 09:00 Rome = 08:00 UTC.
        assert_eq!(tomorrow_morning(utc("2026-11-23T22:30:00Z"), tz(1)), utc("2026-11-24T08:00:00Z"));
        // 00:30 in Rome on the 24th (23:30 UTC on the 23rd): still night, so the coming
        // morning is the same calendar day in Rome.
        assert_eq!(tomorrow_morning(utc("2026-11-23T23:30:00Z"), tz(1)), utc("2026-11-24T08:00:00Z"));
        // 06:00 in Rome: tomorrow is the next day.
        assert_eq!(tomorrow_morning(utc("2026-11-24T05:00:00Z"), tz(1)), utc("2026-11-25T08:00:00Z"));
        // In New York (UTC−5) at 22:30 UTC it is 17:30 on the 23rd: 09:00 on the 24th = 14:00 UTC.
        assert_eq!(tomorrow_morning(utc("2026-11-23T22:30:00Z"), tz(-5)), utc("2026-11-24T14:00:00Z"));
        // Tokyo (UTC+9): 22:30 UTC on the 23rd is 07:30 on the 24th, so the 25th.
        assert_eq!(tomorrow_morning(utc("2026-11-23T22:30:00Z"), tz(9)), utc("2026-11-25T00:00:00Z"));
    }

    #[test]
    fn typed_times_in_the_agents_zone() {
        let now = utc("2026-11-23T22:30:00Z"); // 23:30 in Rome
        assert_eq!(parse_due("2026-11-24 14:30", now, tz(1)).unwrap(), utc("2026-11-24T13:30:00Z"));
        assert_eq!(parse_due("2026-11-25", now, tz(1)).unwrap(), utc("2026-11-25T08:00:00Z"));
        // 23:45 is still today; 08:00 has passed today, so it means tomorrow (across midnight).
        assert_eq!(parse_due("23:45", now, tz(1)).unwrap(), utc("2026-11-23T22:45:00Z"));
        assert_eq!(parse_due("08:00", now, tz(1)).unwrap(), utc("2026-11-24T07:00:00Z"));
        assert_eq!(parse_due("+30m", now, tz(1)).unwrap(), utc("2026-11-23T23:00:00Z"));
        assert_eq!(parse_due(" +2h ", now, tz(1)).unwrap(), utc("2026-11-24T00:30:00Z"));
        assert_eq!(parse_due("+3d", now, tz(1)).unwrap(), utc("2026-11-26T22:30:00Z"));
    }

    #[test]
    fn past_and_unreadable_times_say_what_to_write() {
        let now = utc("2026-11-23T10:00:00Z");
        let e = parse_due("2026-11-23 09:00", now, tz(0)).unwrap_err();
        assert_eq!(e.field, Some("due_at"));
        assert!(e.message.contains("in the past"), "{e}");
        let e = parse_due("next tuesday", now, tz(0)).unwrap_err();
        assert!(e.message.contains("2026-11-24 14:30"), "{e}");
        assert!(parse_due("", now, tz(0)).is_err());
        assert!(parse_due("+5y", now, tz(0)).is_err());
        assert!(DuePreset::At.due_at(now, tz(0), "2020-01-01").is_err());
    }
}
