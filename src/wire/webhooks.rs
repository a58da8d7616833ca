//! Outbound webhooks as other systems receive them and as admins manage them: the kinds of
//! casebook events one can subscribe to, the CloudEvent (structured JSON) each delivery
//! carries, and the admin API's bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::named_enum;

/// What happened in casebook, as a subscriber names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum OutKind {
    #[serde(rename = "case.opened")]
    CaseOpened,
    #[serde(rename = "case.assigned")]
    CaseAssigned,
    /// The resolution was recorded (with its outcome).
    #[serde(rename = "case.resolved")]
    CaseResolved,
    /// A note the customer may read was added.
    #[serde(rename = "case.customer_note_added")]
    CustomerNoteAdded,
    /// An open follow-up's due time came.
    #[serde(rename = "followup.due")]
    FollowUpDue,
    #[serde(rename = "followup.done")]
    FollowUpDone,
    /// Ask the customer for feedback now: sent the moment a case is resolved.
    #[serde(rename = "survey.requested")]
    SurveyRequested,
}
named_enum!(OutKind, "event kind", {
    CaseOpened => "case.opened",
    CaseAssigned => "case.assigned",
    CaseResolved => "case.resolved",
    CustomerNoteAdded => "case.customer_note_added",
    FollowUpDue => "followup.due",
    FollowUpDone => "followup.done",
    SurveyRequested => "survey.requested",
});

impl OutKind {
    /// The CloudEvents `type` of a delivery of this kind.
    pub fn ce_type(self) -> String {
        format!("{CE_TYPE_PREFIX}{}", self.as_str())
    }
}

/// Every delivery's CloudEvents `type` starts so: `casebook.survey.requested`.
pub const CE_TYPE_PREFIX: &str = "casebook.";
/// Every delivery's CloudEvents `source`.
pub const CE_SOURCE: &str = "casebook";
/// A subscription to every kind, present and future.
pub const ALL_KINDS: &str = "*";

/// Something that happened, to be told to the subscribers of its kind.
#[derive(Debug, Clone)]
pub struct OutEvent {
    pub id: Uuid,
    pub kind: OutKind,
    /// What it is about (a case's or a follow-up's id): the CloudEvents `subject`.
    pub subject: Uuid,
    pub at: DateTime<Utc>,
    pub data: Value,
}

impl OutEvent {
    /// The delivery's body: a CloudEvent in structured JSON mode.
    pub fn to_cloudevent(&self) -> String {
        json!({
            "specversion": "1.0",
            "id": self.id,
            "source": CE_SOURCE,
            "type": self.kind.ce_type(),
            "subject": self.subject,
            "time": self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "datacontenttype": "application/json",
            "data": self.data,
        })
        .to_string()
    }
}

/// A subscription as admins see it (never its secret, which is shown once, when made).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Subscription {
    pub id: Uuid,
    pub url: String,
    /// Kinds it receives; `["*"]` for all.
    pub kinds: Vec<String>,
    pub description: String,
    /// `active`; `failing` once a delivery ran out of retries (cleared by the next success);
    /// `paused` (nothing is sent, deliveries wait).
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new subscription.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// `https://…` (or `http://…`) on a public address; loopback and private addresses only
    /// where an operator opened their network (`casebook admin webhook allow-network`).
    #[schema(pattern = r"^\s*[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@]+([/?][^\s#]*)?\s*$", max_length = 2000)]
    pub url: String,
    /// Kinds to receive (`case.opened`, `case.assigned`, `case.resolved`,
    /// `case.customer_note_added`, `followup.due`, `followup.done`, `survey.requested`), or `*`.
    #[schema(min_items = 1)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// A subscription just made, with its signing secret: shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// The Standard Webhooks secret (`whsec_` + base64) the receiver verifies signatures with.
    pub secret: String,
}

/// Pausing or resuming a subscription.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchSubscription {
    pub state: SettableState,
}

/// The states an admin sets (`failing` is set by deliveries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettableState {
    Active,
    Paused,
}
named_enum!(SettableState, "subscription state", { Active => "active", Paused => "paused" });

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next try.
    Pending,
    Delivered,
    /// Out of retries (redeliver it on demand).
    Failed,
}
named_enum!(DeliveryState, "delivery state", { Pending => "pending", Delivered => "delivered", Failed => "failed" });

/// One event for one subscription, with how its tries went.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub subscription_id: Uuid,
    /// The CloudEvent's id, and the `webhook-id` header: the same on every try.
    pub event_id: Uuid,
    pub kind: String,
    #[schema(value_type = DeliveryState)]
    pub state: String,
    /// Tries in this round.
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last answer's HTTP status, if one came.
    pub last_status: Option<i64>,
    /// Why the last try failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The delivery's body, as sent.
    #[schema(value_type = Object)]
    pub payload: Value,
}

/// One try of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    /// The node that tried.
    pub node: String,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub took_ms: i64,
}

/// A delivery with its log of tries, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryLog {
    #[serde(flatten)]
    pub delivery: Delivery,
    pub attempts_log: Vec<Attempt>,
}

/// Checks a subscription's kinds: known ones, or `*`; none twice.
pub fn parse_kinds(kinds: &[String]) -> Result<Vec<String>, crate::domain::Invalid> {
    if kinds.is_empty() {
        return Err(crate::domain::Invalid::field("kinds", "is empty: name at least one kind, or `*` for all"));
    }
    let mut out: Vec<String> = Vec::new();
    for k in kinds {
        let k = k.trim();
        if k != ALL_KINDS {
            k.parse::<OutKind>().map_err(|e| crate::domain::Invalid::field("kinds", e.message))?;
        }
        if !out.iter().any(|o| o == k) {
            out.push(k.to_string());
        }
    }
    Ok(out)
}

/// Whether a subscription to `kinds` wants `kind`.
pub fn wants(kinds: &[String], kind: OutKind) -> bool {
    kinds.iter().any(|k| k == ALL_KINDS || k == kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_match() {
        let k = parse_kinds(&["survey.requested".into(), "case.opened".into(), "survey.requested".into()]).unwrap();
        assert_eq!(k, vec!["survey.requested", "case.opened"]);
        assert!(wants(&k, OutKind::SurveyRequested));
        assert!(!wants(&k, OutKind::CaseResolved));
        assert!(wants(&["*".into()], OutKind::FollowUpDue));
        let e = parse_kinds(&["case.closed".into()]).unwrap_err();
        assert!(e.message.contains("case.opened"), "{}", e.message);
        assert!(parse_kinds(&[]).is_err());
        for k in OutKind::ALL {
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()), "serde and as_str agree");
        }
    }

    #[test]
    fn a_delivery_is_a_structured_cloudevent() {
        let e = OutEvent {
            id: Uuid::nil(),
            kind: OutKind::SurveyRequested,
            subject: Uuid::nil(),
            at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            data: json!({"channel": "phone"}),
        };
        let v: Value = serde_json::from_str(&e.to_cloudevent()).unwrap();
        assert_eq!(v["specversion"], "1.0");
        assert_eq!(v["type"], "casebook.survey.requested");
        assert_eq!(v["time"], "2023-11-14T22:13:20.000000Z");
        assert_eq!(v["data"]["channel"], "phone");
    }
}
