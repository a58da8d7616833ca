//! CloudEvents 1.0 → casebook events: the JSON format (structured and batched content modes)
//! and the HTTP binding's binary content mode (attributes in `ce-*` headers, the body as
//! `data`, its `Content-Type` as `datacontenttype`), which [`binary_event`] turns into the
//! JSON format so that one set of checks applies to both. Pure parsing and validation; the
//! store decides which customer an event belongs to.
//!
//! Mapping (also in README.md):
//! - `source` names the system: a plain name (`shop`) or a URI-reference whose last segment is
//!   the name (`/acme/shop`, `urn:acme:shop`, `https://acme.example/shop`).
//! - `type`'s last dot-separated segment is the kind (`com.acme.shop.order_placed` → `order_placed`).
//! - `subject` is the customer's id in that system; the extensions `customeremail`,
//!   `customerphone` and `customername` help link and name the customer, `casebookcustomer`
//!   and `casebookcase` name casebook's own ids.
//! - `time` is when it happened (ingestion time when absent); `data.title`, `data.body` and
//!   `data.actor` strings are what the timeline shows; `data` is kept whole.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::customer::{normalize_email, normalize_language, normalize_phone};
use crate::domain::event::{is_valid_name, title_from_kind, MAX_TITLE_CHARS};
use crate::domain::time::{parse_rfc3339, Timestamp};
use crate::domain::Invalid;

/// The largest single event accepted, serialized (CloudEvents intermediaries must forward 64 KiB).
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
/// The most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 1_000;

/// The extensions that name the customer or the case: strings, never empty.
const CUSTOMER_EXTENSIONS: &[&str] =
    &["customeremail", "customerphone", "customername", "customerlanguage", "casebookcustomer", "casebookcase"];

const CONTEXT_ATTRIBUTES: &[&str] =
    &["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data", "data_base64"];

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEvent {
    /// casebook's source name, derived from the `source` attribute.
    pub source: String,
    /// The `source` attribute as sent.
    pub ce_source: String,
    pub id: String,
    pub ce_type: String,
    pub kind: String,
    pub occurred_at: Option<Timestamp>,
    pub subject: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub customer_name: Option<String>,
    /// The customer's language (BCP 47, normalised), from `customerlanguage`.
    pub customer_language: Option<String>,
    pub customer_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub title: String,
    pub body: Option<String>,
    pub actor: Option<String>,
    pub data: Value,
    /// Extension attributes as sent, and `ce_source` when it differs from the source name.
    pub extensions: Map<String, Value>,
}

/// The header prefix of an attribute in binary content mode.
pub const BINARY_HEADER_PREFIX: &str = "ce-";

/// Whether a media type carries JSON: `application/json`, `text/json` or any `…+json`.
pub fn is_json_media_type(content_type: &str) -> bool {
    let base = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    base == "application/json" || base == "text/json" || base.ends_with("+json")
}

/// Decodes a binary-mode header value: the binding percent-encodes what is not printable
/// ASCII (and `%` itself); the result must be UTF-8.
fn percent_decode(header: &str, value: &str) -> Result<String, Invalid> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => out.push(b),
                None => {
                    return Err(Invalid::general(format!(
                        "header `{header}` has a `%` not followed by two hex digits: percent-encode it as `%25`"
                    )))
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        Invalid::general(format!("header `{header}` is not UTF-8 once percent-decoded: percent-encode UTF-8 text"))
    })
}

/// A CloudEvent sent in binary content mode, as the JSON format: every `ce-<name>` header (names
/// as received, any case) becomes the attribute `<name>`, percent-decoded; `Content-Type`
/// becomes `datacontenttype`; the body becomes `data` — JSON when the content type says JSON
/// (or none is given and the body is JSON), a string when it is UTF-8 text, else
/// `data_base64`. The result goes through [`parse_event`] like any event.
pub fn binary_event<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Value, Invalid> {
    let mut obj = Map::new();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let Some(attr) = lower.strip_prefix(BINARY_HEADER_PREFIX) else { continue };
        let value = std::str::from_utf8(value).map_err(|_| {
            Invalid::general(format!("header `{name}` is not ASCII: percent-encode what is not printable ASCII"))
        })?;
        let value = percent_decode(&lower, value)?;
        if obj.insert(attr.to_string(), Value::String(value)).is_some() {
            return Err(Invalid::general(format!("header `{lower}` is sent twice: send each attribute once")));
        }
    }
    if obj.contains_key("data") || obj.contains_key("data_base64") {
        return Err(Invalid::general("in binary mode the body is the data: leave out the `ce-data` headers"));
    }
    let content_type = content_type
        .map(str::to_string)
        .or_else(|| obj.get("datacontenttype").and_then(Value::as_str).map(str::to_string));
    if let Some(ct) = &content_type {
        obj.insert("datacontenttype".into(), Value::String(ct.clone()));
    }
    if !body.is_empty() {
        let json = content_type.as_deref().is_some_and(is_json_media_type);
        let data = if json {
            serde_json::from_slice(body).map_err(|e| {
                Invalid::field(
                    "data",
                    format!("the body is not JSON as `Content-Type` says ({e}): fix it or send another type"),
                )
            })?
        } else if let Some(v) = content_type.is_none().then(|| serde_json::from_slice::<Value>(body).ok()).flatten() {
            v
        } else if let Ok(text) = std::str::from_utf8(body) {
            Value::String(text.to_string())
        } else {
            use base64::Engine;
            obj.insert("data_base64".into(), Value::String(base64::engine::general_purpose::STANDARD.encode(body)));
            return Ok(Value::Object(obj));
        };
        obj.insert("data".into(), data);
    }
    Ok(Value::Object(obj))
}

fn string_attr(obj: &Map<String, Value>, name: &'static str, required: bool) -> Result<Option<String>, Invalid> {
    match obj.get(name) {
        None | Some(Value::Null) if required => Err(Invalid::field(
            name,
            format!("is required: every CloudEvent needs specversion, id, source and type (`{name}` is missing)"),
        )),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Err(Invalid::field(name, "must not be empty")),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Invalid::field(name, format!("must be a string, not {}", json_kind(other)))),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The casebook source name in a CloudEvents `source`: its last segment.
///
/// ```
/// use casebook::wire::cloudevents::source_name;
/// assert_eq!(source_name("urn:acme:billing").as_deref(), Some("billing"));
/// assert_eq!(source_name("/acme/shop/").as_deref(), Some("shop"));
/// ```
pub fn source_name(ce_source: &str) -> Option<String> {
    let last = ce_source.trim().trim_end_matches(['/', ':']).rsplit(['/', ':']).next()?.to_ascii_lowercase();
    is_valid_name(&last).then_some(last)
}

/// The casebook kind in a CloudEvents `type`.
pub fn kind_name(ce_type: &str) -> Option<String> {
    let last = ce_type.trim().rsplit('.').next()?.to_ascii_lowercase();
    is_valid_name(&last).then_some(last)
}

fn is_valid_attribute_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 20 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Parses and checks one event in the CloudEvents JSON format.
pub fn parse_event(v: &Value) -> Result<IncomingEvent, Invalid> {
    let obj = v.as_object().ok_or_else(|| {
        Invalid::general(format!(
            "a CloudEvent must be a JSON object with specversion, id, source and type, not {}",
            json_kind(v)
        ))
    })?;
    // Text with NUL anywhere in the event is refused (the rule of `domain::text`), naming where.
    if let Some(path) = crate::domain::text::json_nul_path("", v) {
        let advice = crate::domain::text::NUL_ADVICE;
        return Err(if path == "data" || path.starts_with("data.") || path.starts_with("data[") {
            Invalid::field("data", format!("`{path}` {advice}"))
        } else {
            Invalid::general(format!("`{path}` {advice}"))
        });
    }
    let specversion = string_attr(obj, "specversion", true)?.unwrap_or_default();
    if specversion != "1.0" {
        return Err(Invalid::field(
            "specversion",
            format!("is `{specversion}`; casebook takes CloudEvents 1.0: set \"specversion\": \"1.0\""),
        ));
    }
    let id = string_attr(obj, "id", true)?.unwrap_or_default();
    if id.chars().count() > 256 {
        return Err(Invalid::field("id", "is longer than 256 characters"));
    }
    let ce_source = string_attr(obj, "source", true)?.unwrap_or_default();
    let source = source_name(&ce_source).ok_or_else(|| {
        Invalid::field(
            "source",
            format!(
                "`{ce_source}` does not end in a source name: use a plain name such as `shop`, or a URI ending in one (`/acme/shop`, `urn:acme:shop`); names are lower-case letters, digits, `_`, `-`, `.`"
            ),
        )
    })?;
    let ce_type = string_attr(obj, "type", true)?.unwrap_or_default();
    let kind = kind_name(&ce_type).ok_or_else(|| {
        Invalid::field(
            "type",
            format!(
                "`{ce_type}` does not end in a kind name such as `order_placed` (as in `com.acme.shop.order_placed`)"
            ),
        )
    })?;
    let occurred_at = match string_attr(obj, "time", false)? {
        None => None,
        Some(t) => Some(parse_rfc3339(&t).ok_or_else(|| {
            Invalid::field("time", format!("`{t}` is not an RFC 3339 time such as 2024-05-01T12:30:00Z"))
        })?),
    };
    let subject = string_attr(obj, "subject", false)?.map(|s| s.trim().to_string());
    if subject.as_ref().is_some_and(|s| s.chars().count() > 256) {
        return Err(Invalid::field("subject", "is longer than 256 characters"));
    }
    // Checked, then kept with the event's data: structured mode carries JSON in `data`
    // whatever the content type says, and it is stored as sent.
    string_attr(obj, "datacontenttype", false)?;
    string_attr(obj, "dataschema", false)?;

    let data = match (obj.get("data"), obj.get("data_base64")) {
        (Some(_), Some(_)) => {
            return Err(Invalid::general("an event carries `data` or `data_base64`, not both"));
        }
        (Some(d), None) => d.clone(),
        (None, Some(Value::String(b64))) => serde_json::json!({ "data_base64": b64 }),
        (None, Some(_)) => return Err(Invalid::field("data_base64", "must be a base64 string")),
        (None, None) => Value::Null,
    };

    let mut extensions = Map::new();
    for (name, value) in obj {
        if CONTEXT_ATTRIBUTES.contains(&name.as_str()) {
            continue;
        }
        if !is_valid_attribute_name(name) {
            let hint: String = name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect();
            return Err(Invalid::general(format!(
                "`{name}` is not a valid CloudEvents attribute name (lower-case letters and digits, at most 20): did you mean `{hint}`?"
            )));
        }
        match value {
            Value::String(s) if CUSTOMER_EXTENSIONS.contains(&name.as_str()) && s.trim().is_empty() => {
                return Err(Invalid::general(format!(
                    "extension attribute `{name}` is empty: leave it out or fill it in"
                )))
            }
            Value::String(_) => {}
            _ if CUSTOMER_EXTENSIONS.contains(&name.as_str()) => {
                return Err(Invalid::general(format!(
                    "extension attribute `{name}` must be a string, not {}",
                    json_kind(value)
                )))
            }
            Value::Number(_) | Value::Bool(_) => {}
            other => {
                return Err(Invalid::general(format!(
                    "extension attribute `{name}` must be a string, number or boolean, not {}",
                    json_kind(other)
                )))
            }
        }
        extensions.insert(name.clone(), value.clone());
    }
    let ext_string = |name: &str| extensions.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());

    let customer_email = match ext_string("customeremail") {
        None => None,
        Some(e) => Some(
            normalize_email(e)
                .ok_or_else(|| Invalid::general(format!("customeremail `{e}` is not an email address")))?,
        ),
    };
    let customer_phone = match ext_string("customerphone") {
        None => None,
        Some(p) => Some(normalize_phone(p).ok_or_else(|| {
            Invalid::general(format!("customerphone `{p}` is not a phone number (digits, spaces, + - ( ) only)"))
        })?),
    };
    let customer_name = ext_string("customername").map(|n| truncate_chars(n, 200));
    let customer_language = match ext_string("customerlanguage") {
        None => None,
        Some(l) => Some(normalize_language(l).ok_or_else(|| {
            Invalid::general(format!("customerlanguage `{l}` is not a language tag (BCP 47, e.g. `it` or `pt-BR`)"))
        })?),
    };
    let uuid_ext = |name: &str| -> Result<Option<Uuid>, Invalid> {
        match ext_string(name) {
            None => Ok(None),
            Some(s) => {
                s.parse().map(Some).map_err(|_| Invalid::general(format!("{name} `{s}` is not a casebook id (a UUID)")))
            }
        }
    };
    let customer_id = uuid_ext("casebookcustomer")?;
    let case_id = uuid_ext("casebookcase")?;
    if subject.is_none() && customer_email.is_none() && customer_phone.is_none() && customer_id.is_none() {
        return Err(Invalid::field(
            "subject",
            "casebook cannot tell which customer this is about: set `subject` to the customer's id in your system, or the extension `customeremail` (or `customerphone`)",
        ));
    }
    if ce_source != source {
        extensions.insert("ce_source".into(), Value::String(ce_source.clone()));
    }

    let data_str = |name: &str| data.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let title = data_str("title").map(|t| truncate_chars(t, MAX_TITLE_CHARS)).unwrap_or_else(|| title_from_kind(&kind));
    let body = data_str("body").map(str::to_string);
    let actor = data_str("actor").map(|a| truncate_chars(a, 200));

    Ok(IncomingEvent {
        source,
        ce_source,
        id,
        ce_type,
        kind,
        occurred_at,
        subject,
        customer_email,
        customer_phone,
        customer_name,
        customer_language,
        customer_id,
        case_id,
        title,
        body,
        actor,
        data,
        extensions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "specversion": "1.0",
            "id": "ord-1",
            "source": "https://shop.acme.example/shop",
            "type": "com.acme.shop.order_placed",
            "subject": "C-1042",
            "time": "2024-05-01T12:30:00Z",
            "customeremail": "Anna@Example.com",
            "data": {"title": "Order #1 placed", "total": 42.5}
        })
    }

    #[test]
    fn maps_a_good_event() {
        let e = parse_event(&base()).unwrap();
        assert_eq!(e.source, "shop");
        assert_eq!(e.kind, "order_placed");
        assert_eq!(e.subject.as_deref(), Some("C-1042"));
        assert_eq!(e.customer_email.as_deref(), Some("anna@example.com"));
        assert_eq!(e.title, "Order #1 placed");
        assert_eq!(e.data["total"], json!(42.5));
        assert_eq!(e.extensions["ce_source"], json!("https://shop.acme.example/shop"));
        assert_eq!(e.occurred_at.unwrap().to_rfc3339(), "2024-05-01T12:30:00+00:00");
    }

    #[test]
    fn source_and_kind_names() {
        assert_eq!(source_name("shop").as_deref(), Some("shop"));
        assert_eq!(source_name("/acme/billing/").as_deref(), Some("billing"));
        assert_eq!(source_name("urn:acme:phone").as_deref(), Some("phone"));
        assert_eq!(source_name("https://x.example/").as_deref(), Some("x.example"), "the last segment, here the host");
        assert_eq!(source_name("/a/b c"), None);
        assert_eq!(kind_name("order_placed").as_deref(), Some("order_placed"));
        assert_eq!(kind_name("com.acme.Payment_Failed").as_deref(), Some("payment_failed"));
    }

    #[test]
    fn refuses_bad_events_with_reasons() {
        let cases: Vec<(Value, &str)> = vec![
            (json!([]), "JSON object"),
            (json!({"id": "1", "source": "shop", "type": "x"}), "specversion"),
            (
                json!({"specversion": "0.3", "id": "1", "source": "shop", "type": "x", "subject": "s"}),
                "CloudEvents 1.0",
            ),
            (json!({"specversion": "1.0", "source": "shop", "type": "x", "subject": "s"}), "`id` is missing"),
            (json!({"specversion": "1.0", "id": 5, "source": "shop", "type": "x", "subject": "s"}), "must be a string"),
            (json!({"specversion": "1.0", "id": "1", "source": "shop", "type": "x"}), "which customer"),
            (
                json!({"specversion": "1.0", "id": "1", "source": "shop", "type": "x", "subject": "s", "time": "noon"}),
                "RFC 3339",
            ),
            (
                json!({"specversion": "1.0", "id": "1", "source": "shop", "type": "x", "subject": "s", "customer_email": "a@b.c"}),
                "customeremail",
            ),
            (
                json!({"specversion": "1.0", "id": "1", "source": "shop", "type": "x", "subject": "s", "customeremail": "nope"}),
                "not an email",
            ),
            (
                json!({"specversion": "1.0", "id": "1", "source": "shop", "type": "x", "subject": "s", "data": 1, "data_base64": "AA=="}),
                "not both",
            ),
            (
                json!({"specversion": "1.0", "id": "1", "source": "shop", "type": "x", "subject": "s", "ext": {"a": 1}}),
                "string, number or boolean",
            ),
            (json!({"specversion": "1.0", "id": "1", "source": "SHOP!", "type": "x", "subject": "s"}), "source name"),
        ];
        for (v, expected) in cases {
            let err = parse_event(&v).unwrap_err().to_string();
            assert!(err.contains(expected), "{v}: `{err}` lacks `{expected}`");
        }
    }

    #[test]
    fn title_defaults_and_truncation() {
        let mut v = base();
        v["data"] = json!({"title": "x".repeat(1000)});
        assert!(parse_event(&v).unwrap().title.chars().count() <= MAX_TITLE_CHARS + 1);
        v["data"] = json!("plain");
        assert_eq!(parse_event(&v).unwrap().title, "Order placed");
        // Structured mode carries JSON in `data` whatever the content type says: kept as sent.
        v["datacontenttype"] = json!("text/plain");
        v["data"] = json!({"a": 1});
        assert_eq!(parse_event(&v).unwrap().data, json!({"a": 1}));
    }

    #[test]
    fn binary_mode_reads_headers_as_attributes_and_the_body_as_data() {
        let h = |pairs: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static [u8])> {
            pairs.iter().map(|(n, v)| (*n, v.as_bytes())).collect()
        };
        let headers = h(&[
            ("ce-specversion", "1.0"),
            ("ce-id", "pay-1"),
            ("Ce-Source", "/acme/billing"),
            ("ce-type", "com.acme.billing.payment_failed"),
            ("ce-subject", "CUST-1"),
            ("ce-customername", "Zo%C3%AB M%C3%BCller"),
            ("host", "127.0.0.1"),
        ]);
        let v = binary_event(
            headers.clone(),
            Some("application/json; charset=utf-8"),
            br#"{"title": "Card declined", "amount": 42}"#,
        )
        .unwrap();
        let e = parse_event(&v).unwrap();
        assert_eq!(
            (e.source.as_str(), e.kind.as_str(), e.title.as_str()),
            ("billing", "payment_failed", "Card declined")
        );
        assert_eq!(e.customer_name.as_deref(), Some("Zoë Müller"), "percent-decoded");
        assert_eq!(e.data["amount"], 42);
        assert!(!e.extensions.contains_key("host"), "only ce- headers are attributes");

        let text = binary_event(headers.clone(), Some("text/plain"), "café au lait".as_bytes()).unwrap();
        assert_eq!(parse_event(&text).unwrap().data, Value::String("café au lait".into()));
        let bin = binary_event(headers.clone(), Some("application/octet-stream"), &[0xff, 0x00, 0x10]).unwrap();
        assert_eq!(parse_event(&bin).unwrap().data["data_base64"], "/wAQ");
        let none = binary_event(headers.clone(), None, b"").unwrap();
        assert_eq!(parse_event(&none).unwrap().data, Value::Null);

        let bad = binary_event(headers.clone(), Some("application/json"), b"{not json").unwrap_err();
        assert_eq!(bad.field, Some("data"));
        let nul = binary_event(headers.clone(), Some("text/plain"), b"a\0b").unwrap();
        assert!(parse_event(&nul).is_err(), "the NUL rule holds in binary mode too");
        let mut twice = headers.clone();
        twice.push(("ce-id", b"pay-2"));
        assert!(binary_event(twice, None, b"").unwrap_err().message.contains("sent twice"));
        let broken = h(&[("ce-specversion", "1.0"), ("ce-id", "100%")]);
        assert!(binary_event(broken, None, b"").unwrap_err().message.contains("%25"));
        let missing = binary_event(h(&[("ce-specversion", "1.0"), ("ce-id", "x")]), None, b"").unwrap();
        assert_eq!(parse_event(&missing).unwrap_err().field, Some("source"));
    }
}
