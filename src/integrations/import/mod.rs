//! History from other systems, as `casebook import` reads it: rows of a CSV file through a
//! column mapping ([`csv`]) and tickets of a Zendesk-style export ([`zendesk`]), each turned
//! into CloudEvents (JSON format) that go through the same checks as the API's. Pure: reading
//! the files and storing the events is `commands/import.rs`.

pub mod csv;
pub mod zendesk;

use serde_json::Value;

/// A time as other systems write it, as RFC 3339: RFC 3339 itself, `YYYY-MM-DD HH:MM[:SS]`
/// (UTC), a date (midnight UTC), or unix seconds (milliseconds when too large for seconds).
pub fn time_of(v: &Value) -> Result<String, String> {
    let t = match v {
        Value::Number(n) => {
            let secs = n.as_i64().ok_or_else(|| format!("{n} is not a whole number of seconds"))?;
            let secs = if secs > 100_000_000_000 { secs / 1000 } else { secs };
            chrono::DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("{secs} is not a time"))?
        }
        Value::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<i64>() {
                return time_of(&Value::from(n));
            }
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                t.with_timezone(&chrono::Utc)
            } else if let Some(t) = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S"]
                .iter()
                .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
            {
                t.and_utc()
            } else if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
            } else {
                return Err(format!(
                    "`{s}` is not a time: write RFC 3339 (2024-05-01T12:00:00Z), 2024-05-01 12:00:00 (UTC), a date, or unix seconds"
                ));
            }
        }
        other => return Err(format!("{other} is not a time")),
    };
    Ok(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_as_systems_write_them() {
        for (v, want) in [
            (json!("2024-05-01T12:00:00+02:00"), "2024-05-01T10:00:00Z"),
            (json!("2024-05-01 12:30:05"), "2024-05-01T12:30:05Z"),
            (json!("2024-05-01 12:30"), "2024-05-01T12:30:00Z"),
            (json!("2024-05-01"), "2024-05-01T00:00:00Z"),
            (json!(1714564800), "2024-05-01T12:00:00Z"),
            (json!("1714564800000"), "2024-05-01T12:00:00Z"),
        ] {
            assert_eq!(time_of(&v).unwrap(), want, "{v}");
        }
        assert!(time_of(&json!("last tuesday")).unwrap_err().contains("RFC 3339"));
    }
}
