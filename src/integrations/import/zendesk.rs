//! Tickets of a Zendesk-style export as timeline events: each ticket opened (its description
//! the body), each comment after the first, and its end (solved or closed); optionally, a
//! solved or closed ticket as a closed casebook case with its resolution. The events land on
//! the same customer as the Zendesk webhook's (`integrations/presets/zendesk.toml`): source
//! `helpdesk`, the requester's Zendesk id as the subject.
//!
//! Read: a ticket per line (Zendesk's JSON export), or a document `{"tickets": [...],
//! "users": [...]}` (the API with `include=users`). A ticket may carry `comments` (the export's
//! way); the requester's email and name come from `requester`, the sideloaded `users`, or
//! `via.source.from`.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::domain::case::{Channel, Outcome, Priority};

/// A user of the export: email and name, by Zendesk id.
pub type Users = HashMap<String, (Option<String>, Option<String>)>;

/// A solved or closed ticket, to become a closed case.
#[derive(Debug, Clone, PartialEq)]
pub struct Ended {
    pub ticket: String,
    pub subject: String,
    pub channel: Channel,
    pub priority: Priority,
    pub created_at: String,
    pub ended_at: String,
    /// From the satisfaction rating: good → positive, bad → negative, none → forgettable.
    pub outcome: Outcome,
    pub summary: String,
    /// The events of this ticket, by id, for the case to link.
    pub event_ids: Vec<String>,
}

/// What one ticket gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub events: Vec<Value>,
    pub ended: Option<Ended>,
}

/// The users a document sideloads.
pub fn users_of(doc: &Value) -> Users {
    let mut out = Users::new();
    for u in doc.get("users").and_then(Value::as_array).into_iter().flatten() {
        if let Some(id) = text(u.get("id")) {
            out.insert(id, (text(u.get("email")), text(u.get("name"))));
        }
    }
    out
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn channel_of(via: Option<&str>) -> Channel {
    match via.unwrap_or_default() {
        "voice" | "phone" | "phone_call_inbound" | "phone_call_outbound" => Channel::Phone,
        "chat" | "native_messaging" | "messaging" | "whatsapp" | "sms" => Channel::Chat,
        "email" | "mail" => Channel::Email,
        "facebook" | "twitter" | "instagram_dm" => Channel::Social,
        _ => Channel::Web,
    }
}

fn priority_of(p: Option<&str>) -> Priority {
    match p.unwrap_or_default() {
        "low" => Priority::Low,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        _ => Priority::Normal,
    }
}

/// One ticket as events (and, solved or closed, what its case would be); `source` is the
/// casebook source (`helpdesk`). The error says what the ticket lacks.
pub fn ticket(t: &Value, users: &Users, source: &str) -> Result<Ticket, String> {
    let t = t.as_object().ok_or("a ticket must be a JSON object")?;
    let get = |k: &str| t.get(k);
    let id = text(get("id")).ok_or("the ticket has no `id`")?;
    let created = get("created_at").ok_or(format!("ticket #{id} has no `created_at`"))?;
    let created = super::time_of(created).map_err(|e| format!("ticket #{id} `created_at`: {e}"))?;
    let requester = text(get("requester_id")).or_else(|| t.get("requester").and_then(|r| text(r.get("id"))));
    let from = t.get("via").and_then(|v| v.pointer("/source/from"));
    let known = requester.as_ref().and_then(|r| users.get(r));
    let email = t
        .get("requester")
        .and_then(|r| text(r.get("email")))
        .or_else(|| known.and_then(|k| k.0.clone()))
        .or_else(|| from.and_then(|f| text(f.get("address"))));
    let name = t
        .get("requester")
        .and_then(|r| text(r.get("name")))
        .or_else(|| known.and_then(|k| k.1.clone()))
        .or_else(|| from.and_then(|f| text(f.get("name"))));
    if requester.is_none() && email.is_none() {
        return Err(format!("ticket #{id} names no requester: it needs `requester_id` or a requester email"));
    }
    let subject = text(get("subject")).or_else(|| text(get("raw_subject"))).unwrap_or_else(|| format!("Ticket #{id}"));
    let description = text(get("description"));
    let status = text(get("status")).unwrap_or_else(|| "open".into());
    let via = t.get("via").and_then(|v| v.get("channel")).and_then(Value::as_str);

    let event = |eid: String, kind: &str, time: &str, title: String, body: Option<String>, extra: Value| {
        let mut e = Map::new();
        e.insert("specversion".into(), json!("1.0"));
        e.insert("id".into(), json!(eid));
        e.insert("source".into(), json!(source));
        e.insert("type".into(), json!(format!("com.zendesk.{kind}")));
        e.insert("time".into(), json!(time));
        if let Some(r) = &requester {
            e.insert("subject".into(), json!(r));
        }
        if let Some(m) = &email {
            e.insert("customeremail".into(), json!(m));
        }
        if let Some(n) = &name {
            e.insert("customername".into(), json!(n));
        }
        let mut data = json!({"title": title, "ticket_id": id, "status": status});
        if let Some(b) = body {
            data["body"] = json!(b);
        }
        if let (Value::Object(d), Value::Object(x)) = (&mut data, extra) {
            d.extend(x);
        }
        e.insert("data".into(), data);
        Value::Object(e)
    };

    let mut events = vec![event(
        format!("ticket-{id}"),
        "ticket_created",
        &created,
        format!("Ticket #{id} opened: {subject}"),
        description.clone(),
        json!({"priority": get("priority"), "channel": via, "tags": get("tags")}),
    )];
    let mut comments: Vec<&Value> = t.get("comments").and_then(Value::as_array).into_iter().flatten().collect();
    comments.sort_by_key(|c| c.get("created_at").and_then(Value::as_str).unwrap_or_default().to_string());
    for (i, c) in comments.iter().enumerate() {
        let body = text(c.get("plain_body")).or_else(|| text(c.get("body")));
        // Zendesk's first comment is the description, on the timeline already.
        if i == 0 && body.is_some() && body == description {
            continue;
        }
        let cid = text(c.get("id")).ok_or(format!("a comment of ticket #{id} has no `id`"))?;
        let at = c.get("created_at").map(super::time_of).transpose().map_err(|e| format!("comment {cid}: {e}"))?;
        let public = c.get("public").and_then(Value::as_bool).unwrap_or(true);
        let by_requester = text(c.get("author_id")).is_some_and(|a| Some(&a) == requester.as_ref());
        let title = match (public, by_requester) {
            (_, true) => format!("Customer wrote on ticket #{id}"),
            (true, false) => format!("Reply on ticket #{id}"),
            (false, false) => format!("Internal note on ticket #{id}"),
        };
        events.push(event(
            format!("ticket-{id}-comment-{cid}"),
            "ticket_comment",
            at.as_deref().unwrap_or(&created),
            title,
            body,
            json!({"public": public, "author_id": c.get("author_id")}),
        ));
    }

    let ended = if status == "solved" || status == "closed" {
        let at = ["solved_at", "closed_at", "updated_at"]
            .iter()
            .find_map(|k| get(k).or_else(|| t.get("metric_set").and_then(|m| m.get(*k))).filter(|v| !v.is_null()))
            .map(super::time_of)
            .transpose()
            .map_err(|e| format!("ticket #{id}: {e}"))?
            .unwrap_or_else(|| created.clone());
        let rating = t.get("satisfaction_rating");
        let score = rating.and_then(|r| r.get("score")).and_then(Value::as_str);
        let outcome = match score {
            Some("good") => Outcome::Positive,
            Some("bad") => Outcome::Negative,
            _ => Outcome::Forgettable,
        };
        let mut extra = json!({"satisfaction": score});
        if let Some(c) = rating.and_then(|r| text(r.get("comment"))) {
            extra["satisfaction_comment"] = json!(c);
        }
        events.push(event(
            format!("ticket-{id}-{status}"),
            &format!("ticket_{status}"),
            &at,
            format!("Ticket #{id} {status}"),
            None,
            extra,
        ));
        Some(Ended {
            ticket: id.clone(),
            subject: subject.clone(),
            channel: channel_of(via),
            priority: priority_of(get("priority").and_then(Value::as_str)),
            created_at: created.clone(),
            ended_at: at,
            outcome,
            summary: format!("Solved in Zendesk (ticket #{id}): {subject}"),
            event_ids: events.iter().filter_map(|e| e["id"].as_str().map(String::from)).collect(),
        })
    } else {
        None
    };
    Ok(Ticket { events, ended })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cloudevents::parse_event;

    fn sample() -> Value {
        json!({
            "id": 35436, "subject": "Help, my printer is on fire!", "description": "The fire is very colorful.",
            "status": "solved", "priority": "high", "requester_id": 20978392, "created_at": "2009-07-20T22:55:29Z",
            "updated_at": "2011-05-05T10:38:52Z", "via": {"channel": "email", "source": {"from": {"address": "jo@example.com", "name": "Jo Smith"}}},
            "satisfaction_rating": {"score": "bad", "comment": "Still smoking"},
            "comments": [
                {"id": 1, "author_id": 20978392, "body": "The fire is very colorful.", "public": true, "created_at": "2009-07-20T22:55:29Z"},
                {"id": 2, "author_id": 5, "body": "Have you tried water?", "public": true, "created_at": "2009-07-21T08:00:00Z"},
                {"id": 3, "author_id": 5, "body": "Escalate to hardware", "public": false, "created_at": "2009-07-21T08:05:00Z"},
                {"id": 4, "author_id": 20978392, "body": "🔥 مرحبا still burning", "public": true, "created_at": "2009-07-21T09:00:00Z"}
            ]
        })
    }

    #[test]
    fn a_ticket_becomes_its_events_and_its_case() {
        let t = ticket(&sample(), &Users::new(), "helpdesk").unwrap();
        let events: Vec<_> = t.events.iter().map(|e| parse_event(e).unwrap()).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["ticket_created", "ticket_comment", "ticket_comment", "ticket_comment", "ticket_solved"]);
        assert_eq!(events[0].title, "Ticket #35436 opened: Help, my printer is on fire!");
        assert_eq!(events[0].subject.as_deref(), Some("20978392"));
        assert_eq!(events[0].customer_email.as_deref(), Some("jo@example.com"));
        assert_eq!(events[1].title, "Reply on ticket #35436");
        assert_eq!(events[2].title, "Internal note on ticket #35436");
        assert_eq!(events[3].title, "Customer wrote on ticket #35436");
        assert_eq!(events[3].body.as_deref(), Some("🔥 مرحبا still burning"));
        assert_eq!(events[4].id, "ticket-35436-solved");
        assert_eq!(events[4].occurred_at.unwrap().to_rfc3339(), "2011-05-05T10:38:52+00:00");
        let ended = t.ended.unwrap();
        assert_eq!((ended.channel, ended.priority, ended.outcome), (Channel::Email, Priority::High, Outcome::Negative));
        assert_eq!(ended.event_ids.len(), 5);
    }

    #[test]
    fn users_sideloaded_and_mistakes_said() {
        let doc = json!({"users": [{"id": 7, "email": "ann@example.com", "name": "Ann"}]});
        let t = json!({"id": 1, "subject": "Hi", "status": "open", "requester_id": 7, "created_at": "2024-01-01T00:00:00Z"});
        let got = ticket(&t, &users_of(&doc), "helpdesk").unwrap();
        let e = parse_event(&got.events[0]).unwrap();
        assert_eq!((e.customer_email.as_deref(), e.customer_name.as_deref()), (Some("ann@example.com"), Some("Ann")));
        assert!(got.ended.is_none(), "an open ticket is no closed case");
        let e = ticket(&json!({"id": 2, "created_at": "2024-01-01"}), &Users::new(), "helpdesk").unwrap_err();
        assert!(e.contains("names no requester"), "{e}");
        let e = ticket(&json!({"id": 3, "requester_id": 1}), &Users::new(), "helpdesk").unwrap_err();
        assert!(e.contains("created_at"), "{e}");
    }
}
