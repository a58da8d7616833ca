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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_parse() {
        let t = now();
        assert_eq!(from_micros(to_micros(t)), t);
        let p = parse_rfc3339("2024-03-01T10:00:00.123456789+02:00").unwrap();
        assert_eq!(p.to_rfc3339(), "2024-03-01T08:00:00.123456+00:00");
        assert!(parse_rfc3339("yesterday").is_none());
    }
}
