//! Events: one thing on a customer's timeline, from any source.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The source name casebook uses for activity in the console itself.
pub const CASEBOOK_SOURCE: &str = "casebook";

pub const MAX_NAME_LEN: usize = 64;
pub const MAX_TITLE_CHARS: usize = 300;

/// A source or kind name: lower-case ASCII letters, digits, `_`, `-` and `.`, starting with a
/// letter or digit, at most 64 bytes.
pub fn is_valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// The system it came from: shop, billing, helpdesk, phone, chat, email, survey, product,
    /// casebook, …
    pub source: String,
    /// The event's id in its source (the CloudEvents `id`); unique with `source`.
    pub source_event_id: String,
    /// What happened: order_placed, payment_failed, nps_response, case_opened, …
    pub kind: String,
    /// The CloudEvents `type` as sent.
    #[serde(rename = "type")]
    pub ce_type: String,
    pub occurred_at: DateTime<Utc>,
    pub title: String,
    pub body: Option<String>,
    pub actor: Option<String>,
    /// The event's data as sent, kept whole: any JSON value, `null` when the event had none.
    #[schema(value_type = serde_json::Value)]
    pub data: Box<serde_json::value::RawValue>,
    pub case_id: Option<Uuid>,
    pub ingested_at: DateTime<Utc>,
}

/// An event as a timeline's list shows it: what happened, where and when, the case it belongs
/// to, and a survey's score (what marks an unhappy answer) — not its text or data, which a
/// client reads when the agent opens the event (`GET /api/v1/events/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimelineRow {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub source: String,
    pub kind: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    /// An NPS or CSAT answer's score (`data.score`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
}

/// Whether events of `kind` are survey answers whose `data.score` a list shows.
pub fn is_scored(kind: &str) -> bool {
    kind.contains("nps") || kind.contains("csat")
}

/// A survey's score from an event's data (`{"score": 3}`), for the kinds that have one.
pub fn score_of(kind: &str, data: &str) -> Option<i64> {
    if !is_scored(kind) {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(data).ok()?.get("score")?.as_i64()
}

impl From<&Event> for TimelineRow {
    fn from(e: &Event) -> Self {
        TimelineRow {
            id: e.id,
            occurred_at: e.occurred_at,
            source: e.source.clone(),
            kind: e.kind.clone(),
            title: e.title.clone(),
            actor: e.actor.clone(),
            case_id: e.case_id,
            score: score_of(&e.kind, e.data.get()),
        }
    }
}

/// A readable title from a kind when the event has none: `order_placed` → "Order placed".
pub fn title_from_kind(kind: &str) -> String {
    let words = kind.replace(['_', '-', '.'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Event".into(),
    }
}

/// What one timeline page asks for.
#[derive(Debug, Clone, Default)]
pub struct TimelineFilter {
    pub sources: Vec<String>,
    pub kinds: Vec<String>,
}

/// Splits a comma-separated filter (`shop,billing`) into checked names.
pub fn parse_name_list(field: &'static str, raw: Option<&str>) -> Result<Vec<String>, super::Invalid> {
    let parts: Vec<&str> = raw.unwrap_or("").split(',').collect();
    if parts.len() > 20 {
        return Err(super::Invalid::field(field, "lists more than 20 names"));
    }
    let mut out = Vec::new();
    for part in parts {
        let name = part.trim_matches(' ').to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        if !is_valid_name(&name) {
            return Err(super::Invalid::field(
                field,
                format!(
                    "`{name}` is not a valid name: use lower-case letters, digits, `_`, `-` or `.`, comma-separated"
                ),
            ));
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_titles() {
        assert!(is_valid_name("shop"));
        assert!(is_valid_name("order_placed"));
        assert!(!is_valid_name("Shop"));
        assert!(!is_valid_name("_x"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name(&"a".repeat(65)));
        assert_eq!(title_from_kind("order_placed"), "Order placed");
        assert_eq!(parse_name_list("source", Some("shop, Billing,,shop")).unwrap(), vec!["shop", "billing"]);
        assert!(parse_name_list("source", Some("sh op")).is_err());
    }
}
