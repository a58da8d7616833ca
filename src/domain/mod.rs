//! The domain: plain types and rules, no I/O. Everything here is reachable from unit tests
//! without a database, a network or a terminal.

pub mod agent;
pub mod articles;
pub mod card;
pub mod case;
pub mod cursor;
pub mod customer;
pub mod due;
pub mod duplicates;
pub mod event;
pub mod followup;
pub mod macros;
pub mod rasa;
pub mod reasons;
pub mod rules;
pub mod schedule;
pub mod scorecard;
pub mod sla;
pub mod template;
pub mod text;
pub mod time;
pub mod views;

use uuid::Uuid;

/// A new identifier: UUIDv7 (time-ordered, random), used for every entity.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Reads a whole number as JSON Schema counts one: `7` and `7.0` alike (a client written in a
/// language whose numbers are all floats sends `7.0`); `7.5`, or a number beyond `i64`, is
/// refused. For `revision`, `seq` and the like, which the OpenAPI document calls integers.
pub fn integral<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct Integral;
    impl serde::de::Visitor<'_> for Integral {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom(format!("{v} is too large: the largest is {}", i64::MAX)))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
            // Every whole float in the range converts exactly; 2^63 itself does not fit.
            if v.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v) {
                Ok(v as i64)
            } else {
                Err(E::custom(format!("{v} is not a whole number that fits in 64 bits")))
            }
        }
    }
    d.deserialize_any(Integral)
}

/// Like [`integral`], for numbers that count from 1 (revisions, sequence numbers): 0 and
/// below are refused as they are read.
pub fn positive<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = integral(d)?;
    if n < 1 {
        return Err(serde::de::Error::custom(format!("{n} is not a number from 1 up (they count from 1)")));
    }
    Ok(n)
}

/// A rule was broken by the input; `field` names the offending field (JSON name) when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: Option<&'static str>,
    pub message: String,
}

impl Invalid {
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Invalid { field: Some(field), message: message.into() }
    }
    pub fn general(message: impl Into<String>) -> Self {
        Invalid { field: None, message: message.into() }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Trims a required free-text field and checks its length in characters.
pub fn required_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    text::check_no_nul(field, value)?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Invalid::field(field, "must not be empty"));
    }
    optional_text(field, trimmed, max_chars).map(|s| s.unwrap_or_default())
}

/// Like [`required_text`] but an empty value is `None`.
pub fn optional_text(field: &'static str, value: &str, max_chars: usize) -> Result<Option<String>, Invalid> {
    text::check_no_nul(field, value)?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(Invalid::field(
            field,
            format!("is {chars} characters long; the limit is {max_chars}: shorten it or split it in two"),
        ));
    }
    Ok(Some(trimmed.to_string()))
}

/// Distinguishes a field left out (`None`) from one set to null (`Some(None)`).
pub fn double_option<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// Generates `as_str`, `ALL`, `Display` and `FromStr` (with an error listing the valid values)
/// for a fieldless enum whose serde names are snake_case.
macro_rules! named_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::domain::Invalid;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    other => Err($crate::domain::Invalid::general(format!(
                        "unknown {} `{}`: use one of {}",
                        $what,
                        other,
                        [$($name),+].join(", ")
                    ))),
                }
            }
        }
    };
}
pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(required_text("summary", "  hi  ", 10).unwrap(), "hi");
        assert!(required_text("summary", "   ", 10).unwrap_err().message.contains("empty"));
        let long = "é".repeat(11);
        let err = required_text("summary", &long, 10).unwrap_err();
        assert_eq!(err.field, Some("summary"));
        assert!(err.message.contains("11 characters"));
        assert_eq!(optional_text("x", "  ", 3).unwrap(), None);
    }
}
