//! A hook's mapping: how a system's own webhook JSON becomes a CloudEvent — where the delivery's
//! id, type, time and customer are in the payload (or its headers), how the timeline title and
//! body read, which kind it becomes. Kept as data (TOML), checked when an admin sets it; pure.
//!
//! ```toml
//! source = "billing"                       # the casebook source the events get
//! [verify]
//! scheme = "stripe"                        # stripe | shopify | zendesk | hmac-sha256
//! [event]
//! id = "id"                                # paths into the payload: dotted, `items.0.sku`,
//! type = "type"                            # or `header:x-shopify-topic` for a header
//! time = "created"                         # unix seconds or RFC 3339 (optional)
//! subject = "data.object.customer"         # the customer's id in that system (optional)
//! email = "data.object.customer_email"     # optional, as are phone, name, actor
//! [kinds]                                  # the system's type → the timeline's kind
//! "invoice.payment_failed" = "payment_failed"
//! [titles]                                 # per type, or "*" for any; {path|cents|upper|lower}
//! "invoice.payment_failed" = "Payment of {data.object.amount_due|cents} {data.object.currency|upper} failed"
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::signature::Scheme;
use crate::domain::event::is_valid_name;
use crate::domain::template;
use crate::domain::Invalid;

/// The mappings casebook ships, by name.
pub const PRESETS: &[(&str, &str)] = &[
    ("stripe", include_str!("presets/stripe.toml")),
    ("shopify", include_str!("presets/shopify.toml")),
    ("zendesk", include_str!("presets/zendesk.toml")),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub source: String,
    pub verify: Scheme,
    pub event: Fields,
    #[serde(default)]
    pub kinds: BTreeMap<String, String>,
    #[serde(default)]
    pub titles: BTreeMap<String, String>,
    #[serde(default)]
    pub bodies: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    pub id: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub time: Option<String>,
    pub subject: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub actor: Option<String>,
}

/// What a delivery holds: its JSON and its headers (lower-case names).
pub struct Delivery<'a> {
    pub payload: &'a Value,
    pub headers: &'a [(String, String)],
}

impl Delivery<'_> {
    /// The value at `path`, if there.
    fn at(&self, path: &str) -> Option<Value> {
        if let Some(name) = path.strip_prefix("header:") {
            let name = name.trim().to_ascii_lowercase();
            return self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| Value::String(v.clone()));
        }
        template::value_at(self.payload, path).cloned()
    }

    fn text(&self, path: &str) -> Option<String> {
        match self.at(path)? {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// Says which field of the payload the mapping could not read.
fn missing(path: &str, what: &str) -> Invalid {
    Invalid::general(format!(
        "the payload has no `{path}` (the mapping's {what}): it is kept for an admin to inspect and replay once the mapping reads it"
    ))
}

/// Fills `{path}` and `{path|filter}` from the delivery; a path it lacks is an error that
/// names it.
fn render(template: &str, d: &Delivery, what: &str) -> Result<String, Invalid> {
    template::render(template, what, |path| d.at(path), |path| Err(missing(path, what)))
}

/// A system's type as a kind name: lower-case, `_` for anything else (`orders/create` →
/// `orders_create`).
fn kind_of(ty: &str) -> String {
    let k: String = ty.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    k.trim_matches('_').to_string()
}

impl Mapping {
    /// Reads and checks a mapping; the error says what to fix.
    pub fn parse(src: &str) -> Result<Mapping, Invalid> {
        let m: Mapping = toml::from_str(src).map_err(|e| Invalid::general(format!("the mapping: {}", e.message())))?;
        if !is_valid_name(&m.source) {
            return Err(Invalid::general(format!(
                "the mapping's source `{}` is not a name: lower-case letters, digits, `_`, `-`",
                m.source
            )));
        }
        if let Some((ty, k)) = m.kinds.iter().find(|(_, k)| !is_valid_name(k) || k.contains('.')) {
            return Err(Invalid::general(format!(
                "[kinds] `{ty}` = `{k}` is not a kind name such as `payment_failed`"
            )));
        }
        Ok(m)
    }

    /// A shipped mapping by name.
    pub fn preset(name: &str) -> Option<Mapping> {
        PRESETS.iter().find(|(n, _)| *n == name).map(|(_, src)| Mapping::parse(src).expect("presets are valid"))
    }

    /// The delivery as a CloudEvent (JSON format), for the same checks as any event; the error
    /// names what the mapping could not find.
    pub fn to_cloudevent(&self, hook: &str, d: &Delivery) -> Result<Value, Invalid> {
        let f = &self.event;
        let id = d.text(&f.id).ok_or_else(|| missing(&f.id, "event.id"))?;
        let ty = d.text(&f.ty).ok_or_else(|| missing(&f.ty, "event.type"))?;
        let kind = self.kinds.get(&ty).cloned().unwrap_or_else(|| kind_of(&ty));
        let mut event = Map::new();
        event.insert("specversion".into(), json!("1.0"));
        event.insert("id".into(), json!(id));
        event.insert("source".into(), json!(self.source));
        event.insert("type".into(), json!(format!("com.casebook.hook.{hook}.{kind}")));
        if let Some(path) = &f.time {
            match d.at(path) {
                Some(Value::Number(n)) => {
                    let secs = n.as_i64().ok_or_else(|| Invalid::general(format!("`{path}` is not a whole number")))?;
                    // Milliseconds when too large for seconds.
                    let secs = if secs > 100_000_000_000 { secs / 1000 } else { secs };
                    let t = chrono::DateTime::from_timestamp(secs, 0)
                        .ok_or_else(|| Invalid::general(format!("`{path}` = {secs} is not a time")))?;
                    event.insert("time".into(), json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
                }
                Some(Value::String(s)) => {
                    event.insert("time".into(), json!(s));
                }
                _ => {}
            }
        }
        let ext = [
            ("subject", &f.subject),
            ("customeremail", &f.email),
            ("customerphone", &f.phone),
            ("customername", &f.name),
        ];
        for (name, path) in ext {
            if let Some(v) = path.as_deref().and_then(|p| d.text(p)) {
                event.insert(name.into(), json!(v));
            }
        }
        let pick = |t: &BTreeMap<String, String>| t.get(&ty).or_else(|| t.get("*")).cloned();
        let mut data = Map::new();
        if let Some(t) = pick(&self.titles) {
            data.insert("title".into(), json!(render(&t, d, &format!("[titles] `{ty}`"))?));
        }
        if let Some(b) = pick(&self.bodies) {
            data.insert("body".into(), json!(render(&b, d, &format!("[bodies] `{ty}`"))?));
        }
        if let Some(a) = f.actor.as_deref().and_then(|p| d.text(p)) {
            data.insert("actor".into(), json!(a));
        }
        data.insert("hook".into(), json!(hook));
        data.insert("type".into(), json!(ty));
        data.insert("payload".into(), d.payload.clone());
        event.insert("data".into(), Value::Object(data));
        Ok(Value::Object(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cloudevents::parse_event;

    #[test]
    fn the_presets_parse_and_unknown_keys_are_refused() {
        for (name, _) in PRESETS {
            assert!(Mapping::preset(name).is_some(), "{name}");
        }
        let e = Mapping::parse("source = \"x\"\nsorce = 1").unwrap_err();
        assert!(e.message.contains("sorce"), "{e}");
        let e = Mapping::parse(
            "source = \"Bad Name\"\n[verify]\nscheme = \"shopify\"\n[event]\nid = \"id\"\ntype = \"type\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("Bad Name"), "{e}");
    }

    #[test]
    fn a_payload_becomes_an_event_and_a_missing_field_is_named() {
        let m = Mapping::preset("stripe").unwrap();
        let payload = json!({
            "id": "evt_1", "type": "invoice.payment_failed", "created": 1686089970,
            "data": {"object": {"customer": "cus_9", "customer_email": "jenny.rosen@example.com",
                                "amount_due": 2000, "currency": "eur"}}
        });
        let d = Delivery { payload: &payload, headers: &[] };
        let e = parse_event(&m.to_cloudevent("stripe", &d).unwrap()).unwrap();
        assert_eq!((e.source.as_str(), e.kind.as_str(), e.id.as_str()), ("billing", "payment_failed", "evt_1"));
        assert_eq!(e.title, "Invoice payment of 20.00 EUR failed");
        assert_eq!(e.subject.as_deref(), Some("cus_9"));
        assert_eq!(e.customer_email.as_deref(), Some("jenny.rosen@example.com"));
        assert_eq!(e.occurred_at.unwrap().to_rfc3339(), "2023-06-06T22:19:30+00:00");

        let no_amount =
            json!({"id": "evt_2", "type": "invoice.payment_failed", "data": {"object": {"customer": "cus_9"}}});
        let err = m.to_cloudevent("stripe", &Delivery { payload: &no_amount, headers: &[] }).unwrap_err();
        assert!(err.message.contains("`data.object.amount_due`"), "{err}");
        let no_id = json!({"type": "x"});
        let err = m.to_cloudevent("stripe", &Delivery { payload: &no_id, headers: &[] }).unwrap_err();
        assert!(err.message.contains("`id`") && err.message.contains("event.id"), "{err}");
    }

    #[test]
    fn headers_and_array_items_are_reachable() {
        let m = Mapping::preset("shopify").unwrap();
        let payload = json!({"id": 820982911946154508u64, "email": "jon@example.com", "name": "#9999",
            "total_price": "403.00", "currency": "USD", "customer": {"id": 115310627314723954u64, "first_name": "John"},
            "line_items": [{"title": "IPod Nano - 8GB"}]});
        let headers = vec![
            ("x-shopify-topic".to_string(), "orders/create".to_string()),
            ("x-shopify-webhook-id".to_string(), "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043".to_string()),
        ];
        let e =
            parse_event(&m.to_cloudevent("shop", &Delivery { payload: &payload, headers: &headers }).unwrap()).unwrap();
        assert_eq!(e.kind, "order_placed");
        assert_eq!(e.id, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
        assert_eq!(e.subject.as_deref(), Some("115310627314723954"));
        assert_eq!(e.title, "Order #9999 placed: 403.00 USD");
    }
}
