//! Rules that act on what arrives, kept as data (TOML): a rule matches an incoming event, or one
//! of casebook's own case events (`case.opened`, `case.resolved`), and does what its actions say
//! — open a proactive case, add a follow-up for the customer's last agent, tag the customer,
//! route a new case to a queue or the least-loaded agent of a team.
//!
//! ```toml
//! description = "A second failed payment within 7 days opens a proactive billing case"
//! [when]
//! source = "billing"                    # one name or a list; `casebook` for case events
//! kind = "payment_failed"               # one name or a list
//! [[when.data]]                         # fields of the event's data
//! path = "amount"
//! op = "gt"                             # equals not_equals contains gt gte lt lte exists missing
//! value = 20
//! [[when.customer]]                     # the customer's name, tier, tags, language
//! path = "tags"
//! op = "contains"
//! value = "vip"
//! [[when.count]]                        # counts over the customer's recent timeline
//! kind = "payment_failed"
//! within = "7d"                         # up to the event's own time, the event included
//! at_least = 2
//! [[then]]
//! do = "open_case"                      # open_case follow_up tag_customer route
//! queue = "billing"
//! priority = "high"
//! subject = "Payment failed again: {event.title}"
//! ```
//!
//! Pure: the definition and its checks, the match, and what each action would do. The
//! transaction that carries the actions out is `casework::rules`; stored rules are
//! `store::rules`.

use chrono::Duration;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use super::case::{Channel, Priority, MAX_NOTE_CHARS, MAX_SUBJECT_CHARS};
use super::event::{is_valid_name, CASEBOOK_SOURCE};
use super::followup::MAX_FOLLOWUP_NOTE_CHARS;
use super::template::{self, number};
use super::time::{parse_span, Timestamp};
use super::Invalid;

/// Casebook's own case events a rule may act on (source `casebook`).
pub const CASE_KINDS: &[&str] = &["case.opened", "case.resolved"];

/// The rules casebook ships, off until an admin enables them: (name, definition).
pub const BUILT_IN: &[(&str, &str)] = &[
    ("payment-failure-repeated", include_str!("builtin/payment-failure-repeated.toml")),
    ("nps-detractor-follow-up", include_str!("builtin/nps-detractor-follow-up.toml")),
    ("error-after-order", include_str!("builtin/error-after-order.toml")),
    ("negative-outcome-follow-up", include_str!("builtin/negative-outcome-follow-up.toml")),
];

/// The most actions one rule may take.
const MAX_ACTIONS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub description: String,
    pub when: When,
    #[serde(rename = "then")]
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default, deserialize_with = "one_or_many")]
    pub source: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub kind: Vec<String>,
    #[serde(default)]
    pub data: Vec<Condition>,
    #[serde(default)]
    pub customer: Vec<Condition>,
    #[serde(default)]
    pub count: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub path: String,
    pub op: Op,
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equals,
    NotEquals,
    Contains,
    Gt,
    Gte,
    Lt,
    Lte,
    Exists,
    Missing,
}

/// How many of the customer's events (of these sources and kinds) fall in the span before the
/// event, the event included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    #[serde(default, deserialize_with = "one_or_many")]
    pub source: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub kind: Vec<String>,
    pub within: String,
    pub at_least: Option<u32>,
    pub at_most: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Action {
    OpenCase(OpenCase),
    FollowUp(FollowUp),
    TagCustomer(TagCustomer),
    Route(Route),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenCase {
    pub queue: String,
    /// Default: the queue's team.
    pub team: Option<String>,
    #[serde(default = "high")]
    pub priority: Priority,
    pub channel: Option<Channel>,
    pub subject: String,
    /// An internal note on the new case: why it was opened.
    pub note: Option<String>,
    #[serde(default)]
    pub assign: Assign,
    /// Not when the customer has an active case in that queue already (default `true`).
    #[serde(default = "yes")]
    pub skip_if_open: bool,
}

fn high() -> Priority {
    Priority::High
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assign {
    /// Nobody: the queue's agents pick it up.
    #[default]
    Unassigned,
    /// The agent of the team with the fewest waiting cases.
    LeastLoaded,
    /// The agent of the customer's latest case (else the least loaded).
    LastAgent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    /// When it is due, from the moment the rule fires: `15m`, `1h`, `2d`.
    pub due_in: String,
    pub channel: Option<Channel>,
    pub note: String,
    /// When the customer has no last agent: the least-loaded agent of this team.
    pub fallback_team: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagCustomer {
    pub tag: String,
}

/// For `case.opened` only: where the new case goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub queue: Option<String>,
    /// Default: the queue's team.
    pub team: Option<String>,
    #[serde(default)]
    pub assign: RouteAssign,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteAssign {
    /// Whoever the case was opened for stays.
    #[default]
    Keep,
    LeastLoaded,
    Unassigned,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// The event's fields a template may read (besides `event.data.…`).
const EVENT_FIELDS: &[&str] = &["source", "kind", "title", "body", "time"];
/// The customer's fields a template may read.
const CUSTOMER_FIELDS: &[&str] = &["name", "first_name", "tier", "tags", "language"];

/// The customer's attributes a rule may test.
pub const CUSTOMER_PATHS: &[&str] = &["name", "tier", "tags", "language"];

fn bad(msg: impl Into<String>) -> Invalid {
    Invalid::general(msg.into())
}

impl Rule {
    /// Reads and checks a rule; the error says what to fix.
    pub fn parse(src: &str) -> Result<Rule, Invalid> {
        let rule: Rule = toml::from_str(src).map_err(|e| bad(format!("the rule: {}", e.message())))?;
        rule.check()?;
        Ok(rule)
    }

    /// Checks a template's braces and filters, and that each path it reads is one a rule has:
    /// `rule`, `event.*`, `customer.*`, and on case events `case.*`.
    fn check_template(&self, template: &str, what: &str) -> Result<(), Invalid> {
        for path in template::paths(template, what)? {
            let mut parts = path.splitn(3, '.');
            let (root, field) = (parts.next().unwrap_or(""), parts.next());
            let known = match (root, field) {
                ("rule", None) => true,
                ("event", Some("data")) => true,
                ("event", Some(f)) => EVENT_FIELDS.contains(&f) && parts.next().is_none(),
                ("customer", Some("tags")) => true,
                ("customer", Some(f)) => CUSTOMER_FIELDS.contains(&f) && parts.next().is_none(),
                ("case", _) if self.on_case_events() => true,
                ("case", _) => {
                    return Err(bad(format!(
                        "{what}: `{{{path}}}`: a case is known only to rules on case events (source = \"casebook\")"
                    )))
                }
                _ => false,
            };
            if !known {
                return Err(bad(format!(
                    "{what}: `{{{path}}}` is nothing a rule knows: use {{rule}}, {{event.{}}}, {{event.data.…}}, {{customer.{}}}{}",
                    EVENT_FIELDS.join("}, {event."),
                    CUSTOMER_FIELDS.join("}, {customer."),
                    if self.on_case_events() { ", {case.…}" } else { "" }
                )));
            }
        }
        Ok(())
    }

    /// A shipped rule by name.
    pub fn built_in(name: &str) -> Option<Rule> {
        BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, src)| Rule::parse(src).expect("built-in rules are valid"))
    }

    /// Whether it acts on casebook's own case events (else on incoming events).
    pub fn on_case_events(&self) -> bool {
        self.when.source.iter().any(|s| s == CASEBOOK_SOURCE)
    }

    /// Whether it acts on this case event (`case.opened`, `case.resolved`).
    pub fn on_case_event(&self, kind: &str) -> bool {
        self.on_case_events() && self.when.kind.iter().any(|k| k == kind)
    }

    fn check(&self) -> Result<(), Invalid> {
        let w = &self.when;
        if w.source.is_empty() && w.kind.is_empty() {
            return Err(bad(
                "[when] names no source and no kind: say what the rule acts on (kind = \"payment_failed\")",
            ));
        }
        for name in w.source.iter().chain(&w.kind) {
            let is_case_kind = CASE_KINDS.contains(&name.as_str());
            if !is_case_kind && !is_valid_name(name) {
                return Err(bad(format!(
                    "`{name}` is not a source or kind name: lower-case letters, digits, `_`, `-`"
                )));
            }
        }
        if self.on_case_events() {
            if w.source.len() > 1 {
                return Err(bad(
                    "a rule acts on casebook's own case events (source = \"casebook\") or on incoming events, not both: make two rules",
                ));
            }
            if w.kind.is_empty() || w.kind.iter().any(|k| !CASE_KINDS.contains(&k.as_str())) {
                return Err(bad(format!("with source = \"casebook\", kind is one of {}", CASE_KINDS.join(", "))));
            }
        } else if let Some(k) = w.kind.iter().find(|k| CASE_KINDS.contains(&k.as_str())) {
            return Err(bad(format!("kind `{k}` is casebook's own: add source = \"casebook\"")));
        }
        for c in &w.data {
            c.check("[[when.data]]")?;
        }
        for c in &w.customer {
            c.check("[[when.customer]]")?;
            if !CUSTOMER_PATHS.contains(&c.path.as_str()) {
                return Err(bad(format!(
                    "[[when.customer]] path `{}`: a customer's attributes are {}",
                    c.path,
                    CUSTOMER_PATHS.join(", ")
                )));
            }
        }
        for c in &w.count {
            c.span()?;
            if c.at_least.is_none() && c.at_most.is_none() {
                return Err(bad("[[when.count]] needs at_least or at_most"));
            }
            for name in c.source.iter().chain(&c.kind) {
                if !is_valid_name(name) {
                    return Err(bad(format!("[[when.count]]: `{name}` is not a source or kind name")));
                }
            }
        }
        if self.actions.is_empty() {
            return Err(bad("the rule has no [[then]]: give it an action (open_case, follow_up, tag_customer, route)"));
        }
        if self.actions.len() > MAX_ACTIONS {
            return Err(bad(format!("a rule takes at most {MAX_ACTIONS} actions")));
        }
        let opened_only = self.on_case_events() && w.kind.iter().all(|k| k == "case.opened");
        for a in &self.actions {
            match a {
                Action::OpenCase(o) => {
                    name_ok("open_case queue", &o.queue)?;
                    if let Some(t) = &o.team {
                        name_ok("open_case team", t)?;
                    }
                    if self.on_case_event("case.opened") {
                        return Err(bad("open_case on case.opened would open cases on cases: use route"));
                    }
                    self.check_template(&o.subject, "open_case subject")?;
                    if let Some(n) = &o.note {
                        self.check_template(n, "open_case note")?;
                    }
                }
                Action::FollowUp(f) => {
                    parse_span(&f.due_in).map_err(|e| bad(format!("follow_up due_in: {e}")))?;
                    self.check_template(&f.note, "follow_up note")?;
                    if let Some(t) = &f.fallback_team {
                        name_ok("follow_up fallback_team", t)?;
                    }
                }
                Action::TagCustomer(t) => {
                    let tag = t.tag.trim();
                    if tag.is_empty() || tag.chars().count() > 50 || tag.chars().any(char::is_control) {
                        return Err(bad("tag_customer tag: 1 to 50 characters, no control characters"));
                    }
                }
                Action::Route(r) => {
                    if !opened_only {
                        return Err(bad(
                            "route acts on a new case: use it with source = \"casebook\" and kind = \"case.opened\"",
                        ));
                    }
                    if r.queue.is_none() && r.team.is_none() && r.assign == RouteAssign::Keep {
                        return Err(bad("route changes nothing: give it a queue, a team or assign"));
                    }
                    for (what, v) in [("route queue", &r.queue), ("route team", &r.team)] {
                        if let Some(v) = v {
                            name_ok(what, v)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn name_ok(what: &str, v: &str) -> Result<(), Invalid> {
    if is_valid_name(v) {
        Ok(())
    } else {
        Err(bad(format!("{what} `{v}` is not a name: lower-case letters, digits, `_`, `-`")))
    }
}

impl Condition {
    fn check(&self, what: &str) -> Result<(), Invalid> {
        if self.path.trim().is_empty() {
            return Err(bad(format!("{what}: path is empty")));
        }
        match self.op {
            Op::Exists | Op::Missing => Ok(()),
            Op::Gt | Op::Gte | Op::Lt | Op::Lte if number(&self.value).is_none() => {
                Err(bad(format!("{what} `{}`: {:?} compares with a number: give value = 7", self.path, self.op)))
            }
            _ if self.value.is_null() => Err(bad(format!("{what} `{}`: give the value to compare with", self.path))),
            _ => Ok(()),
        }
    }

    /// Whether the value at the condition's path (if any) meets it.
    pub fn holds(&self, actual: Option<&Value>) -> bool {
        let want = &self.value;
        match self.op {
            Op::Exists => actual.is_some(),
            Op::Missing => actual.is_none(),
            Op::Equals => actual.is_some_and(|a| loose_eq(a, want)),
            Op::NotEquals => !actual.is_some_and(|a| loose_eq(a, want)),
            Op::Contains => match actual {
                Some(Value::String(s)) => want.as_str().is_some_and(|w| s.to_lowercase().contains(&w.to_lowercase())),
                Some(Value::Array(items)) => items.iter().any(|i| loose_eq(i, want)),
                _ => false,
            },
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                let (Some(a), Some(w)) = (actual.and_then(number), number(want)) else { return false };
                match self.op {
                    Op::Gt => a > w,
                    Op::Gte => a >= w,
                    Op::Lt => a < w,
                    _ => a <= w,
                }
            }
        }
    }
}

/// Equal as a person would read them: numbers by value (`7` = `"7.0"`), text without regard
/// to case.
fn loose_eq(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        if matches!(a, Value::Number(_)) || matches!(b, Value::Number(_)) {
            return x == y;
        }
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.to_lowercase() == y.to_lowercase(),
        _ => a == b,
    }
}

impl Count {
    pub fn span(&self) -> Result<Duration, Invalid> {
        parse_span(&self.within).map_err(|e| bad(format!("[[when.count]] within: {e}")))
    }

    /// Whether `n` events meet it.
    pub fn holds(&self, n: i64) -> bool {
        self.at_least.is_none_or(|m| n >= i64::from(m)) && self.at_most.is_none_or(|m| n <= i64::from(m))
    }
}

/// What a rule is matched against: an incoming event, or a case event.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub source: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub body: Option<&'a str>,
    pub at: Timestamp,
    /// The event's data; for a case event, `{"case": …}`.
    pub data: &'a Value,
    /// `{"name", "first_name", "tier", "tags", "language"}`.
    pub customer: &'a Value,
}

/// A customer's attributes as rules see them.
pub fn customer_view(name: &str, tier: Option<&str>, tags: &[String], language: Option<&str>) -> Value {
    let first = name.split_whitespace().next().unwrap_or(name);
    json!({"name": name, "first_name": first, "tier": tier, "tags": tags, "language": language})
}

impl When {
    /// Whether the subject meets everything but the counts (those need the customer's timeline).
    pub fn matches(&self, s: &Subject) -> bool {
        (self.source.is_empty() || self.source.iter().any(|x| x == s.source))
            && (self.kind.is_empty() || self.kind.iter().any(|x| x == s.kind))
            && self.data.iter().all(|c| c.holds(template::value_at(s.data, &c.path)))
            && self.customer.iter().all(|c| c.holds(template::value_at(s.customer, &c.path)))
    }
}

/// What one action would do, its templates filled and its times fixed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Planned {
    OpenCase {
        queue: String,
        team: Option<String>,
        priority: Priority,
        channel: Channel,
        subject: String,
        note: Option<String>,
        assign: Assign,
        skip_if_open: bool,
    },
    FollowUp {
        due_at: Timestamp,
        channel: Channel,
        note: String,
        fallback_team: Option<String>,
    },
    TagCustomer {
        tag: String,
    },
    Route {
        queue: Option<String>,
        team: Option<String>,
        assign: RouteAssign,
    },
}

/// The values a rule's templates read: `{rule}`, `{event.title}`, `{event.data.amount}`,
/// `{customer.first_name}`, `{case.subject}` (case events).
pub fn template_values(rule: &str, s: &Subject) -> Value {
    json!({
        "rule": rule,
        "event": {"source": s.source, "kind": s.kind, "title": s.title, "body": s.body, "data": s.data,
                  "time": s.at.to_rfc3339()},
        "customer": s.customer,
        "case": s.data.get("case"),
    })
}

fn fill(template: &str, what: &str, values: &Value, max_chars: usize) -> String {
    // A value the event lacks reads as nothing: a rule still acts on a sparse event.
    let text = template::render(template, what, |p| template::value_at(values, p).cloned(), |_| Ok(String::new()))
        .unwrap_or_else(|_| template.to_string());
    let text = text.trim();
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => text[..i].to_string(),
        None => text.to_string(),
    }
}

impl Rule {
    /// What its actions would do for this subject, firing at `at`.
    pub fn plan(&self, name: &str, s: &Subject, at: Timestamp) -> Vec<Planned> {
        let values = template_values(name, s);
        self.actions
            .iter()
            .map(|a| match a {
                Action::OpenCase(o) => {
                    let mut subject = fill(&o.subject, "open_case subject", &values, MAX_SUBJECT_CHARS);
                    if subject.is_empty() {
                        subject = fill("Proactive: {event.title}", "subject", &values, MAX_SUBJECT_CHARS);
                    }
                    Planned::OpenCase {
                        queue: o.queue.clone(),
                        team: o.team.clone(),
                        priority: o.priority,
                        channel: o.channel.unwrap_or(Channel::Phone),
                        subject,
                        note: o.note.as_ref().map(|n| fill(n, "open_case note", &values, MAX_NOTE_CHARS)),
                        assign: o.assign,
                        skip_if_open: o.skip_if_open,
                    }
                }
                Action::FollowUp(f) => Planned::FollowUp {
                    due_at: at + parse_span(&f.due_in).unwrap_or_else(|_| Duration::hours(1)),
                    channel: f.channel.unwrap_or(Channel::Phone),
                    note: fill(&f.note, "follow_up note", &values, MAX_FOLLOWUP_NOTE_CHARS),
                    fallback_team: f.fallback_team.clone(),
                },
                Action::TagCustomer(t) => Planned::TagCustomer { tag: t.tag.trim().to_string() },
                Action::Route(r) => Planned::Route { queue: r.queue.clone(), team: r.team.clone(), assign: r.assign },
            })
            .collect()
    }
}

impl Planned {
    /// In words, for the firing log and `casebook rules test`.
    pub fn describe(&self) -> String {
        match self {
            Planned::OpenCase { queue, priority, subject, assign, .. } => {
                let who = match assign {
                    Assign::Unassigned => "unassigned",
                    Assign::LeastLoaded => "for the least-loaded agent",
                    Assign::LastAgent => "for the customer's last agent",
                };
                format!("open a {} case in {queue}, {who}: “{subject}”", priority.as_str())
            }
            Planned::FollowUp { due_at, channel, note, .. } => format!(
                "add a {} follow-up for the customer's last agent, due {}: “{note}”",
                channel.as_str(),
                due_at.format("%Y-%m-%d %H:%M UTC")
            ),
            Planned::TagCustomer { tag } => format!("tag the customer “{tag}”"),
            Planned::Route { queue, team, assign } => {
                let mut parts = Vec::new();
                if let Some(q) = queue {
                    parts.push(format!("to queue {q}"));
                }
                if let Some(t) = team {
                    parts.push(format!("to team {t}"));
                }
                match assign {
                    RouteAssign::Keep => {}
                    RouteAssign::LeastLoaded => parts.push("to the least-loaded agent".into()),
                    RouteAssign::Unassigned => parts.push("unassigned".into()),
                }
                format!("route the case {}", parts.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_rfc3339;

    fn subject<'a>(kind: &'a str, data: &'a Value, customer: &'a Value) -> Subject<'a> {
        Subject {
            source: "billing",
            kind,
            title: "Payment of €20.00 failed",
            body: None,
            at: parse_rfc3339("2026-11-30T10:00:00Z").unwrap(),
            data,
            customer,
        }
    }

    #[test]
    fn the_built_in_rules_parse() {
        for (name, _) in BUILT_IN {
            assert!(Rule::built_in(name).is_some(), "{name}");
        }
        assert!(Rule::built_in("negative-outcome-follow-up").unwrap().on_case_event("case.resolved"));
    }

    #[test]
    fn mistakes_are_said_plainly() {
        let cases = [
            ("[when]\n[[then]]\ndo = \"tag_customer\"\ntag = \"x\"", "no source and no kind"),
            ("[when]\nkind = \"x\"\n", "then"),
            ("[when]\nkind = \"x\"\nsorce = 1\n[[then]]\ndo = \"tag_customer\"\ntag = \"x\"", "sorce"),
            ("[when]\nkind = \"x\"\n[[when.data]]\npath = \"a\"\nop = \"gt\"\nvalue = \"lots\"\n[[then]]\ndo = \"tag_customer\"\ntag = \"x\"", "number"),
            ("[when]\nkind = \"x\"\n[[when.count]]\nkind = \"x\"\nwithin = \"7 days\"\nat_least = 2\n[[then]]\ndo = \"tag_customer\"\ntag = \"x\"", "span of time"),
            ("[when]\nkind = \"x\"\n[[then]]\ndo = \"route\"\nqueue = \"billing\"", "case.opened"),
            ("[when]\nsource = \"casebook\"\nkind = \"case.opened\"\n[[then]]\ndo = \"open_case\"\nqueue = \"q\"\nsubject = \"s\"", "use route"),
            ("[when]\nsource = \"casebook\"\nkind = \"payment_failed\"\n[[then]]\ndo = \"tag_customer\"\ntag = \"x\"", "case.opened, case.resolved"),
            ("[when]\nkind = \"x\"\n[[when.customer]]\npath = \"email\"\nop = \"exists\"\n[[then]]\ndo = \"tag_customer\"\ntag = \"x\"", "name, tier, tags, language"),
            ("[when]\nkind = \"x\"\n[[then]]\ndo = \"follow_up\"\ndue_in = \"soon\"\nnote = \"n\"", "due_in"),
            ("[when]\nkind = \"x\"\n[[then]]\ndo = \"open_case\"\nqueue = \"q\"\nsubject = \"{event.title|shout}\"", "shout"),
            ("[when]\nkind = \"x\"\n[[then]]\ndo = \"explode\"", "explode"),
            ("[when]\nkind = \"x\"\n[[then]]\ndo = \"follow_up\"\ndue_in = \"1h\"\nnote = \"{event.tittle}\"", "`{event.tittle}` is nothing"),
            ("[when]\nkind = \"x\"\n[[then]]\ndo = \"follow_up\"\ndue_in = \"1h\"\nnote = \"{case.subject}\"", "only to rules on case events"),
            ("[when]\nkind = \"x\"\n[[then]]\ndo = \"follow_up\"\ndue_in = \"1h\"\nnote = \"{customer.email}\"", "{customer.first_name}"),
        ];
        // What a rule may read, it may.
        let fine = "[when]\nkind = \"x\"\n[[then]]\ndo = \"follow_up\"\ndue_in = \"1h\"\nnote = \"{rule} {event.data.a.0.b|upper} {customer.tags.0} {customer.first_name} {event.time}\"";
        assert!(Rule::parse(fine).is_ok(), "{:?}", Rule::parse(fine));
        for (src, said) in cases {
            let e = Rule::parse(src).unwrap_err();
            assert!(e.message.contains(said), "{src}\n→ {e}");
        }
    }

    #[test]
    fn conditions_compare_as_people_read_them() {
        let c = |op: Op, value: Value| Condition { path: "x".into(), op, value };
        assert!(c(Op::Equals, json!(7)).holds(Some(&json!("7.0"))));
        assert!(c(Op::Equals, json!("EUR")).holds(Some(&json!("eur"))));
        assert!(!c(Op::Equals, json!("7")).holds(Some(&json!("07"))), "two texts compare as texts");
        assert!(c(Op::NotEquals, json!("a")).holds(None));
        assert!(c(Op::Contains, json!("Declined")).holds(Some(&json!("card declined by bank"))));
        assert!(c(Op::Contains, json!("vip")).holds(Some(&json!(["new", "VIP"]))));
        assert!(c(Op::Gt, json!(100)).holds(Some(&json!("250.50"))));
        assert!(!c(Op::Gt, json!(100)).holds(Some(&json!("lots"))));
        assert!(c(Op::Lte, json!(6)).holds(Some(&json!(6))));
        assert!(c(Op::Exists, Value::Null).holds(Some(&json!(0))));
        assert!(c(Op::Missing, Value::Null).holds(None));
    }

    #[test]
    fn a_rule_matches_and_plans_its_actions() {
        let rule = Rule::built_in("payment-failure-repeated").unwrap();
        let data = json!({"amount": 20, "currency": "EUR"});
        let customer = customer_view("Giulia Rossi", Some("gold"), &["vip".into()], Some("it"));
        let s = subject("payment_failed", &data, &customer);
        assert!(rule.when.matches(&s));
        assert!(!rule.when.matches(&subject("payment_succeeded", &data, &customer)));
        let count = &rule.when.count[0];
        assert!(!count.holds(1) && count.holds(2));
        let plan = rule.plan("payment-failure-repeated", &s, s.at);
        let Planned::OpenCase { queue, subject, note, .. } = &plan[0] else { panic!("{plan:?}") };
        assert_eq!(queue, "billing");
        assert_eq!(subject, "Payment failed again: Payment of €20.00 failed");
        assert!(note.as_deref().unwrap().contains("Giulia"), "{note:?}");
        assert!(plan.iter().any(|p| matches!(p, Planned::TagCustomer { tag } if tag == "payment-risk")));
    }

    #[test]
    fn a_missing_value_reads_as_nothing_and_an_empty_subject_falls_back() {
        let rule = Rule::parse(
            "[when]\nkind = \"x\"\n[[then]]\ndo = \"open_case\"\nqueue = \"q\"\nsubject = \"{event.data.nothing}\"",
        )
        .unwrap();
        let data = json!({});
        let customer = customer_view("Ana", None, &[], None);
        let s = subject("x", &data, &customer);
        let Planned::OpenCase { subject, .. } = &rule.plan("r", &s, s.at)[0] else { panic!() };
        assert_eq!(subject, "Proactive: Payment of €20.00 failed");
    }
}
