//! A CSV file of past events (orders, payments, calls) through a column mapping (TOML): which
//! column is the event's id, its time, the customer; which kind each row becomes; how the
//! timeline title and body read, as templates over the columns. Every column is kept in the
//! event's `data`, so rules and people can read all of it.
//!
//! ```toml
//! source = "shop"                     # the casebook source the events get
//! kind = "order_placed"               # every row's kind, or:
//! # kind_column = "type"              #   the kind from a column, through [kinds]
//! [columns]
//! id = "order_id"                     # unique per source: a rerun adds nothing twice
//! time = "created_at"                 # RFC 3339, 2024-05-01 12:00:00 (UTC), a date, unix seconds
//! subject = "customer_id"             # the customer's id in that system; and/or
//! email = "email"                     # email, phone, name
//! [kinds]                             # with kind_column: the column's value → the kind
//! "refund" = "refund_issued"
//! title = "Order {order_id}: {total} {currency}"   # templates over columns, {col|upper}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::domain::event::is_valid_name;
use crate::domain::{template, Invalid};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    pub source: String,
    pub kind: Option<String>,
    pub kind_column: Option<String>,
    #[serde(default)]
    pub kinds: BTreeMap<String, String>,
    pub columns: Columns,
    pub title: Option<String>,
    pub body: Option<String>,
    /// The field separator (`,` unless given; `;` and tab are common too).
    pub delimiter: Option<char>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub id: String,
    pub time: Option<String>,
    pub subject: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub actor: Option<String>,
}

fn bad(msg: impl Into<String>) -> Invalid {
    Invalid::general(msg.into())
}

/// A value as a kind name: lower-case, `_` for anything else (`Order Placed` → `order_placed`).
fn kind_of(v: &str) -> String {
    let k: String = v.trim().to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    k.trim_matches('_').to_string()
}

impl CsvMapping {
    /// Reads and checks a mapping; the error says what to fix.
    pub fn parse(src: &str) -> Result<CsvMapping, Invalid> {
        let m: CsvMapping = toml::from_str(src).map_err(|e| bad(format!("the mapping: {}", e.message())))?;
        if !is_valid_name(&m.source) {
            return Err(bad(format!(
                "the mapping's source `{}` is not a name: lower-case letters, digits, `_`, `-`",
                m.source
            )));
        }
        match (&m.kind, &m.kind_column) {
            (Some(k), None) if is_valid_name(k) && !k.contains('.') => {}
            (Some(k), None) => return Err(bad(format!("kind `{k}` is not a kind name such as `order_placed`"))),
            (None, Some(_)) => {}
            _ => return Err(bad("give `kind` (every row's) or `kind_column` (the column that names it), one of them")),
        }
        if let Some((v, k)) = m.kinds.iter().find(|(_, k)| !is_valid_name(k) || k.contains('.')) {
            return Err(bad(format!("[kinds] `{v}` = `{k}` is not a kind name such as `order_placed`")));
        }
        let c = &m.columns;
        if c.subject.is_none() && c.email.is_none() && c.phone.is_none() {
            return Err(bad("[columns] names no customer: give subject, email or phone (the columns that say who)"));
        }
        for (t, what) in [(&m.title, "title"), (&m.body, "body")] {
            if let Some(t) = t {
                template::check(t, what)?;
            }
        }
        if m.delimiter.is_some_and(|d| !d.is_ascii() || d == '"' || d == '\n') {
            return Err(bad("delimiter: one ASCII character such as `,`, `;` or `\\t`"));
        }
        Ok(m)
    }

    /// The delimiter as the CSV reader takes it.
    pub fn delimiter_byte(&self) -> u8 {
        self.delimiter.map(|d| d as u8).unwrap_or(b',')
    }

    /// Checks that the file's header has every column the mapping names.
    pub fn check_header(&self, header: &[String]) -> Result<(), Invalid> {
        let c = &self.columns;
        let named =
            [Some(&c.id), c.time.as_ref(), c.subject.as_ref(), c.email.as_ref(), c.phone.as_ref(), c.name.as_ref()]
                .into_iter()
                .flatten()
                .chain(self.kind_column.as_ref());
        let mut templated = Vec::new();
        for t in [&self.title, &self.body].into_iter().flatten() {
            templated.extend(template::paths(t, "template")?);
        }
        for col in named.map(String::as_str).chain(templated) {
            let top = col.split('.').next().unwrap_or(col);
            if !header.iter().any(|h| h == col || h == top) {
                return Err(bad(format!(
                    "the file has no column `{col}` (its columns: {}): fix the mapping or the header",
                    header.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// One row as a CloudEvent (JSON format), for the same checks as any event.
    pub fn to_cloudevent(&self, header: &[String], row: &[String]) -> Result<Value, String> {
        let mut data = Map::new();
        for (h, v) in header.iter().zip(row) {
            data.insert(h.clone(), Value::String(v.clone()));
        }
        let row_value = Value::Object(data);
        let text = |col: &Option<String>| -> Option<String> {
            col.as_ref()
                .and_then(|c| row_value.get(c))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let id = text(&Some(self.columns.id.clone()))
            .ok_or_else(|| format!("the `{}` column (the event's id) is empty", self.columns.id))?;
        let kind = match (&self.kind, &self.kind_column) {
            (Some(k), _) => k.clone(),
            (None, Some(col)) => {
                let v = text(&Some(col.clone())).ok_or_else(|| format!("the `{col}` column (the kind) is empty"))?;
                self.kinds.get(&v).cloned().unwrap_or_else(|| kind_of(&v))
            }
            (None, None) => unreachable!("checked when parsed"),
        };
        let mut event = Map::new();
        event.insert("specversion".into(), json!("1.0"));
        event.insert("id".into(), json!(id));
        event.insert("source".into(), json!(self.source));
        event.insert("type".into(), json!(format!("com.casebook.import.{}.{kind}", self.source)));
        if let Some(t) = text(&self.columns.time) {
            let col = self.columns.time.as_deref().unwrap_or_default();
            event.insert("time".into(), json!(super::time_of(&Value::String(t)).map_err(|e| format!("`{col}`: {e}"))?));
        }
        let c = &self.columns;
        for (name, col) in [
            ("subject", &c.subject),
            ("customeremail", &c.email),
            ("customerphone", &c.phone),
            ("customername", &c.name),
        ] {
            if let Some(v) = text(col) {
                event.insert(name.into(), json!(v));
            }
        }
        let mut out = Map::new();
        let fill = |t: &str, what: &str| {
            template::render(t, what, |p| template::value_at(&row_value, p).cloned(), |_| Ok(String::new()))
                .map_err(|e| e.to_string())
        };
        if let Some(t) = &self.title {
            out.insert("title".into(), json!(fill(t, "title")?.trim()));
        }
        if let Some(b) = &self.body {
            out.insert("body".into(), json!(fill(b, "body")?.trim()));
        }
        if let Some(a) = text(&c.actor) {
            out.insert("actor".into(), json!(a));
        }
        out.insert("row".into(), row_value);
        event.insert("data".into(), Value::Object(out));
        Ok(Value::Object(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cloudevents::parse_event;

    const ORDERS: &str = r#"
source = "shop"
kind = "order_placed"
title = "Order {order_id}: {total} {currency|upper}"
[columns]
id = "order_id"
time = "created_at"
subject = "customer_id"
email = "email"
name = "customer"
"#;

    fn h(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_row_becomes_an_event() {
        let m = CsvMapping::parse(ORDERS).unwrap();
        let header = h(&["order_id", "created_at", "customer_id", "email", "customer", "total", "currency"]);
        m.check_header(&header).unwrap();
        let row = h(&["1001", "2024-05-01 12:00:00", "C-7", "noor@example.com", "Noor Haddad", "42.50", "eur"]);
        let e = parse_event(&m.to_cloudevent(&header, &row).unwrap()).unwrap();
        assert_eq!((e.source.as_str(), e.kind.as_str(), e.id.as_str()), ("shop", "order_placed", "1001"));
        assert_eq!(e.title, "Order 1001: 42.50 EUR");
        assert_eq!(e.subject.as_deref(), Some("C-7"));
        assert_eq!(e.customer_email.as_deref(), Some("noor@example.com"));
        assert_eq!(e.customer_name.as_deref(), Some("Noor Haddad"));
        assert_eq!(e.occurred_at.unwrap().to_rfc3339(), "2024-05-01T12:00:00+00:00");
        assert_eq!(e.data["row"]["total"], "42.50");
    }

    #[test]
    fn mistakes_are_said_plainly() {
        let m = CsvMapping::parse(ORDERS).unwrap();
        let e = m.check_header(&h(&["order_id", "created_at", "customer_id", "email"])).unwrap_err();
        assert!(e.message.contains("no column `customer`"), "{e}");
        let header = h(&["order_id", "created_at", "customer_id", "email", "customer", "total", "currency"]);
        let e = m.to_cloudevent(&header, &h(&["", "2024-05-01", "C-7", "", "", "1", "x"])).unwrap_err();
        assert!(e.contains("`order_id`"), "{e}");
        let e = m.to_cloudevent(&header, &h(&["7", "yesterday", "C-7", "", "", "1", "x"])).unwrap_err();
        assert!(e.contains("`created_at`") && e.contains("not a time"), "{e}");
        for (src, says) in [
            ("source = \"shop\"\n[columns]\nid = \"id\"\nsubject = \"c\"", "kind"),
            ("source = \"shop\"\nkind = \"x\"\n[columns]\nid = \"id\"", "names no customer"),
            ("source = \"Shop!\"\nkind = \"x\"\n[columns]\nid = \"id\"\nsubject = \"c\"", "not a name"),
            ("source = \"shop\"\nkind = \"x\"\ntitel = \"t\"\n[columns]\nid = \"id\"\nsubject = \"c\"", "titel"),
        ] {
            let e = CsvMapping::parse(src).unwrap_err();
            assert!(e.message.contains(says), "{src}: {e}");
        }
    }

    #[test]
    fn the_kind_may_come_from_a_column() {
        let m = CsvMapping::parse(
            "source = \"billing\"\nkind_column = \"type\"\n[kinds]\n\"Payment Failed\" = \"payment_failed\"\n[columns]\nid = \"id\"\nsubject = \"acct\"",
        )
        .unwrap();
        let header = h(&["id", "type", "acct"]);
        let kind = |t: &str| parse_event(&m.to_cloudevent(&header, &h(&["1", t, "A-1"])).unwrap()).unwrap().kind;
        assert_eq!(kind("Payment Failed"), "payment_failed");
        assert_eq!(kind("Refund Issued"), "refund_issued");
    }
}
