//! Timestamps: UTC everywhere, stored as microseconds since the Unix epoch (an `i64` column on
//! every database), shown as RFC 3339.

use chrono::{DateTime, TimeZone, Utc};

pub type Timestamp = DateTime<Utc>;

pub fn to_micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> Timestamp {
    Utc.timestamp_micros(us).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Now, truncated to whole microseconds so that a value survives a round trip through storage.
pub fn now() -> Timestamp {
    from_micros(to_micros(Utc::now()))
}

/// Parses an RFC 3339 time (as CloudEvents `time` and the API use), converting to UTC.
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| from_micros(t.with_timezone(&Utc).timestamp_micros()))
}

/// Reads a span of time as rules and commands take it: a whole number and a unit, `90s`,
/// `30m`, `1h`, `7d`, `2w`.
pub fn parse_span(text: &str) -> Result<chrono::Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let wrong = || format!("`{t}` is not a span of time: write a number and a unit, such as 90s, 30m, 1h, 7d or 2w");
    let n: i64 = n.parse().map_err(|_| wrong())?;
    let secs = match unit.trim() {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(wrong()),
    };
    // Ten years is more than any window or delay means.
    if n <= 0 || n.saturating_mul(secs) > 10 * 366 * 86_400 {
        return Err(format!("`{t}` is out of range: a span is more than nothing and at most ten years"));
    }
    Ok(chrono::Duration::seconds(n * secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        assert_eq!(parse_span("7d").unwrap(), chrono::Duration::days(7));
        assert_eq!(parse_span(" 90m ").unwrap(), chrono::Duration::minutes(90));
        assert_eq!(parse_span("2w").unwrap(), chrono::Duration::weeks(2));
        for bad in ["", "d", "7", "7y", "-1d", "0h", "99999999999d"] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trip_and_parse() {
        let t = now();
        assert_eq!(from_micros(to_micros(t)), t);
        let p = parse_rfc3339("2024-03-01T10:00:00.123456789+02:00").unwrap();
        assert_eq!(p.to_rfc3339(), "2024-03-01T08:00:00.123456+00:00");
        assert!(parse_rfc3339("yesterday").is_none());
    }
}
