//! Cases: one support conversation, its status machine, priorities, SLA due times, notes and
//! the resolution.

use chrono::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::agent::Agent;
use super::event::is_valid_name;
use super::followup::FollowUp;
use super::named_enum;
use super::rasa::Checklist;
use super::{optional_text, required_text, Invalid};

pub const MAX_SUBJECT_CHARS: usize = 300;
pub const MAX_NOTE_CHARS: usize = 20_000;
pub const MAX_SUMMARY_CHARS: usize = 4_000;
pub const MAX_WHY_CHARS: usize = 500;
pub const MAX_WHYS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    New,
    Open,
    Pending,
    Resolved,
    Closed,
}
named_enum!(CaseStatus, "status", {
    New => "new", Open => "open", Pending => "pending", Resolved => "resolved", Closed => "closed"
});

impl CaseStatus {
    /// The status machine: new → open → pending → resolved → closed, with the moves back a
    /// real conversation needs (the customer answers, a resolved case is reopened).
    /// `closed` is final: a returning customer gets a new case.
    pub fn can_become(self, to: CaseStatus) -> bool {
        use CaseStatus::*;
        matches!(
            (self, to),
            (New, Open | Pending | Resolved)
                | (Open, Pending | Resolved)
                | (Pending, Open | Resolved)
                | (Resolved, Open | Closed)
        )
    }

    pub fn is_active(self) -> bool {
        matches!(self, CaseStatus::New | CaseStatus::Open | CaseStatus::Pending)
    }
}

/// Checks a status change and explains a refused one.
pub fn check_transition(from: CaseStatus, to: CaseStatus, has_resolution: bool) -> Result<(), Invalid> {
    if from == to {
        return Ok(());
    }
    if !from.can_become(to) {
        let allowed: Vec<&str> = CaseStatus::ALL.iter().filter(|s| from.can_become(**s)).map(|s| s.as_str()).collect();
        let hint = if allowed.is_empty() {
            "a closed case is final: open a new case for the customer".to_string()
        } else {
            format!("from `{from}` it may become {}", allowed.join(", "))
        };
        return Err(Invalid::field("status", format!("a `{from}` case cannot become `{to}`: {hint}")));
    }
    if matches!(to, CaseStatus::Resolved | CaseStatus::Closed) && !has_resolution {
        return Err(Invalid::field(
            "status",
            "record the resolution first (PUT /api/v1/cases/{id}/resolution): it sets the status",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}
named_enum!(Priority, "priority", { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Chat,
    Email,
    Web,
    Social,
    InPerson,
}
named_enum!(Channel, "channel", {
    Phone => "phone", Chat => "chat", Email => "email", Web => "web", Social => "social", InPerson => "in_person"
});

/// The default SLA policy: (first response, resolution) for a priority.
pub fn default_sla(priority: Priority) -> (Duration, Duration) {
    match priority {
        Priority::Urgent => (Duration::minutes(15), Duration::hours(4)),
        Priority::High => (Duration::hours(1), Duration::hours(8)),
        Priority::Normal => (Duration::hours(4), Duration::hours(24)),
        Priority::Low => (Duration::hours(24), Duration::hours(72)),
    }
}

/// The first-response and resolution due times of a case opened at `opened`.
pub fn sla_due(opened: DateTime<Utc>, priority: Priority) -> (DateTime<Utc>, DateTime<Utc>) {
    let (first, resolve) = default_sla(priority);
    (opened + first, opened + resolve)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Memorable,
    Positive,
    Negative,
    Forgettable,
}
named_enum!(Outcome, "outcome", {
    Memorable => "memorable", Positive => "positive", Negative => "negative", Forgettable => "forgettable"
});

/// How soon a follow-up should be due after a resolution with this outcome, if one is proposed.
/// A bad experience gets a follow-up within minutes: that is what keeps the customer.
pub fn proposed_followup_delay(outcome: Outcome) -> Option<Duration> {
    match outcome {
        Outcome::Negative => Some(Duration::minutes(10)),
        Outcome::Forgettable => Some(Duration::days(1)),
        Outcome::Positive | Outcome::Memorable => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Resolution {
    pub summary: String,
    /// The root cause as a chain of "why" answers, the first the most immediate.
    pub root_cause: Vec<String>,
    pub outcome: Outcome,
    /// Why the case was resolved with the RASA checklist incomplete, when it was.
    pub rasa_incomplete_reason: Option<String>,
    pub resolved_by: Uuid,
    pub resolved_at: DateTime<Utc>,
}

/// What a client sends to resolve a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionInput {
    /// The case revision the client last read.
    #[serde(deserialize_with = "crate::domain::positive")]
    pub revision: i64,
    pub summary: String,
    #[serde(default)]
    pub root_cause: Vec<String>,
    pub outcome: Outcome,
    /// `resolved` (the default) or `closed`.
    #[serde(default)]
    pub status: Option<CaseStatus>,
    #[serde(default)]
    pub rasa_incomplete_reason: Option<String>,
}

/// Validates a resolution against the case's RASA checklist. Returns the cleaned resolution
/// fields and the status to set.
pub fn validate_resolution(
    input: &ResolutionInput,
    checklist: &Checklist,
) -> Result<(String, Vec<String>, Option<String>, CaseStatus), Invalid> {
    let (summary, whys, reason, status) = resolution_fields(input)?;
    Ok((summary, whys, rasa_explained(checklist, reason)?, status))
}

/// Checks a resolution's own fields, whatever the case: the cleaned summary, whys and reason
/// for an incomplete RASA checklist, and the status to set. [`rasa_explained`] then checks
/// them against the case's checklist.
pub fn resolution_fields(
    input: &ResolutionInput,
) -> Result<(String, Vec<String>, Option<String>, CaseStatus), Invalid> {
    let summary = required_text("summary", &input.summary, MAX_SUMMARY_CHARS)?;
    if input.root_cause.len() > MAX_WHYS {
        return Err(Invalid::field(
            "root_cause",
            format!("has {} whys; keep the chain to {MAX_WHYS}", input.root_cause.len()),
        ));
    }
    let mut whys = Vec::new();
    for why in &input.root_cause {
        if let Some(w) = optional_text("root_cause", why, MAX_WHY_CHARS)? {
            whys.push(w);
        }
    }
    let status = input.status.unwrap_or(CaseStatus::Resolved);
    if !matches!(status, CaseStatus::Resolved | CaseStatus::Closed) {
        return Err(Invalid::field("status", "a resolution sets the status to `resolved` or `closed`"));
    }
    let reason = match &input.rasa_incomplete_reason {
        Some(r) => optional_text("rasa_incomplete_reason", r, MAX_SUMMARY_CHARS)?,
        None => None,
    };
    Ok((summary, whys, reason, status))
}

/// A case is resolved with its RASA checklist complete, or with a reason why not: the reason
/// to keep (none when the checklist is complete).
pub fn rasa_explained(checklist: &Checklist, reason: Option<String>) -> Result<Option<String>, Invalid> {
    if checklist.complete {
        return Ok(None);
    }
    if reason.is_none() {
        let missing: Vec<&str> = checklist.missing().iter().map(|s| s.as_str()).collect();
        return Err(Invalid::field(
            "rasa_incomplete_reason",
            format!(
                "the RASA checklist is incomplete ({} not done): finish the steps, or say why in rasa_incomplete_reason",
                missing.join(", ")
            ),
        ));
    }
    Ok(reason)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum NoteVisibility {
    #[default]
    Internal,
    Customer,
}
named_enum!(NoteVisibility, "visibility", { Internal => "internal", Customer => "customer" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Note {
    pub id: Uuid,
    pub case_id: Uuid,
    pub author_id: Uuid,
    pub body: String,
    pub visibility: NoteVisibility,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Case {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub subject: String,
    pub channel: Channel,
    pub status: CaseStatus,
    pub priority: Priority,
    pub queue: String,
    pub team: String,
    pub assignee_id: Option<Uuid>,
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
    /// Increases with every change; a change must carry the revision it read.
    pub revision: i64,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolution: Option<Resolution>,
    /// When the customer first had an answer: the case left `new` (an agent took it up, or
    /// opened it already talking to the customer). The first-response SLA is measured to it.
    #[serde(default)]
    pub first_response_at: Option<DateTime<Utc>>,
    /// Lower-case names, sorted (`refund-promised`, `vip-callback`).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Field changes to a case; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CaseChanges {
    pub status: Option<CaseStatus>,
    pub priority: Option<Priority>,
    /// `Some(None)` unassigns.
    pub assignee_id: Option<Option<Uuid>>,
    /// The service level of the new priority, as the server has it; the built-in one when
    /// left out (the console's offline view).
    pub policy: Option<super::sla::SlaPolicy>,
    /// The case's tags from now on (checked with [`check_tags`]).
    pub tags: Option<Vec<String>>,
    /// Another queue, and the team that works it: a case that goes to another team leaves
    /// its assignee unless `assignee_id` names someone.
    pub queue: Option<(String, String)>,
    /// The due times as the server computed them (business hours, pauses); left out, the
    /// calendar's from the policy (the console's offline view).
    pub dues: Option<super::sla::DueTimes>,
}

impl CaseChanges {
    /// The case as these changes (already checked against the rules) make it at `at`: a new
    /// revision when anything changes, the very same case when nothing does. The server and
    /// the console's offline view both use this, so they agree on what a change does.
    pub fn apply_to(&self, read: &Case, at: DateTime<Utc>) -> Case {
        let mut next = read.clone();
        if let Some(s) = self.status {
            next.status = s;
            if s != CaseStatus::New && next.first_response_at.is_none() {
                next.first_response_at = Some(at);
            }
        }
        if let Some(p) = self.priority {
            next.priority = p;
            let policy = self.policy.filter(|x| x.priority == p).unwrap_or(super::sla::SlaPolicy::default_for(p));
            let (first, resolve) = policy.due(read.created_at);
            next.first_response_due = Some(first);
            next.resolution_due = Some(resolve);
        }
        if let Some(a) = self.assignee_id {
            next.assignee_id = a;
        }
        if let Some(t) = &self.tags {
            next.tags = t.clone();
        }
        if let Some((queue, team)) = &self.queue {
            if *team != read.team && self.assignee_id.is_none() {
                next.assignee_id = None;
            }
            next.queue = queue.clone();
            next.team = team.clone();
        }
        if let Some((first, resolution)) = self.dues {
            next.first_response_due = first;
            next.resolution_due = resolution;
        }
        if next != *read {
            next.revision = read.revision + 1;
            next.updated_at = at;
        }
        next
    }
}

/// Most tags a case carries.
pub const MAX_CASE_TAGS: usize = 20;

/// A case's tags as they are kept: each a lower-case name (letters, digits, `-`, `_`, `.`, up to
/// 32), without repeats, sorted; at most [`MAX_CASE_TAGS`].
pub fn check_tags(tags: &[String]) -> Result<Vec<String>, Invalid> {
    tag_list(tags, MAX_CASE_TAGS, "a case")
}

/// Tags as they are kept (a case's, an article's): lower-case names without repeats, sorted,
/// at most `max` on `what`.
pub fn tag_list(tags: &[String], max: usize, what: &str) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        let t = t.trim().trim_start_matches('#').to_lowercase();
        if t.is_empty() || t.len() > 32 || !is_valid_name(&t) {
            return Err(Invalid::field(
                "tags",
                format!("`{}` is not a tag: lower-case letters, digits, `-`, `_`, `.`, up to 32", t.escape_debug()),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > max {
        return Err(Invalid::field("tags", format!("{} tags; {what} carries up to {max}", out.len())));
    }
    out.sort();
    Ok(out)
}

/// The case as a resolution (already validated) makes it at `at`.
pub fn resolved(read: &Case, resolution: Resolution, status: CaseStatus, at: DateTime<Utc>) -> Case {
    let mut next = read.clone();
    next.status = status;
    next.resolution = Some(resolution);
    next.first_response_at = read.first_response_at.or(Some(at));
    next.revision = read.revision + 1;
    next.updated_at = at;
    next
}

/// A case with everything worked on it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub notes: Vec<Note>,
    pub rasa: Checklist,
    pub followups: Vec<FollowUp>,
}

/// A queue's name as given (trimmed, lower-case), checked.
pub fn queue_name(v: &str) -> Result<String, Invalid> {
    team_or_queue("queue", Some(v.to_string()), String::new())
}

/// A name for a team or a queue: lower-case, trimmed, or the default.
fn team_or_queue(field: &'static str, v: Option<String>, default: String) -> Result<String, Invalid> {
    let v = v.map(|s| s.trim_matches(' ').to_ascii_lowercase()).unwrap_or(default);
    if is_valid_name(&v) {
        Ok(v)
    } else {
        Err(Invalid::field(field, format!("`{v}` is not a valid name: use lower-case letters, digits, `_`, `-`")))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseRequest {
    pub customer_id: Uuid,
    /// What the case is about: not empty or only spaces; at most 300 characters.
    #[schema(min_length = 1, pattern = r"\S")]
    pub subject: String,
    /// Default `phone`.
    pub channel: Option<Channel>,
    /// Default `normal`.
    pub priority: Option<Priority>,
    /// Default `general`.
    pub queue: Option<String>,
    /// Default: the creator's first team, else `support`.
    pub team: Option<String>,
    /// Default: the creator. `null` leaves the case unassigned.
    #[serde(default, deserialize_with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// `new` (default), `open` or `pending`.
    pub status: Option<CaseStatus>,
}

impl NewCaseRequest {
    /// A case for `customer_id` about `subject`, every other field left to its default.
    pub fn new(customer_id: Uuid, subject: &str) -> NewCaseRequest {
        NewCaseRequest {
            customer_id,
            subject: subject.to_string(),
            channel: None,
            priority: None,
            queue: None,
            team: None,
            assignee_id: None,
            status: None,
        }
    }
}

/// The case a request opens, by `agent` at `at`, with the defaults filled in; checks the
/// fields only (the server checks the rest). The server and the console's offline view apply it alike.
pub fn new_case(agent: &Agent, id: Uuid, req: &NewCaseRequest, at: DateTime<Utc>) -> Result<Case, Invalid> {
    let subject = required_text("subject", &req.subject, MAX_SUBJECT_CHARS)?;
    let queue = team_or_queue("queue", req.queue.clone(), "general".into())?;
    let team =
        team_or_queue("team", req.team.clone(), agent.teams.first().cloned().unwrap_or_else(|| "support".into()))?;
    let status = req.status.unwrap_or(CaseStatus::New);
    if !status.is_active() {
        return Err(Invalid::field("status", "a new case is `new`, `open` or `pending`; resolve it afterwards"));
    }
    let priority = req.priority.unwrap_or(Priority::Normal);
    let (first_due, resolve_due) = sla_due(at, priority);
    Ok(Case {
        id,
        customer_id: req.customer_id,
        subject,
        channel: req.channel.unwrap_or(Channel::Phone),
        status,
        priority,
        queue,
        team,
        assignee_id: req.assignee_id.unwrap_or(Some(agent.id)),
        first_response_due: Some(first_due),
        resolution_due: Some(resolve_due),
        revision: 1,
        created_by: agent.id,
        created_at: at,
        updated_at: at,
        resolution: None,
        first_response_at: (status != CaseStatus::New).then_some(at),
        tags: vec![],
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::rasa::{fold, RasaStep, StepEntry};
    use crate::domain::time::now;

    pub(crate) fn sample_case() -> Case {
        let t = now();
        Case {
            id: Uuid::now_v7(),
            customer_id: Uuid::now_v7(),
            subject: "Parcel never arrived".into(),
            channel: Channel::Phone,
            status: CaseStatus::Open,
            priority: Priority::Normal,
            queue: "general".into(),
            team: "support".into(),
            assignee_id: None,
            first_response_due: None,
            resolution_due: None,
            revision: 1,
            created_by: Uuid::now_v7(),
            created_at: t,
            updated_at: t,
            resolution: None,
            first_response_at: None,
            tags: vec![],
        }
    }

    #[test]
    fn status_machine() {
        use CaseStatus::*;
        assert!(New.can_become(Open));
        assert!(Pending.can_become(Open));
        assert!(Resolved.can_become(Open));
        assert!(!Closed.can_become(Open));
        assert!(!Open.can_become(New));
        assert!(check_transition(Open, Resolved, false).unwrap_err().message.contains("resolution first"));
        assert!(check_transition(Open, Resolved, true).is_ok());
        assert!(check_transition(Closed, Open, true).unwrap_err().message.contains("final"));
        assert!(check_transition(Open, Open, false).is_ok());
        assert!(check_transition(Open, New, false).unwrap_err().message.contains("pending, resolved"));
    }

    fn input(summary: &str, reason: Option<&str>) -> ResolutionInput {
        ResolutionInput {
            revision: 1,
            summary: summary.into(),
            root_cause: vec!["courier lost it".into(), " ".into()],
            outcome: Outcome::Negative,
            status: None,
            rasa_incomplete_reason: reason.map(str::to_string),
        }
    }

    #[test]
    fn resolution_rules() {
        let empty = fold(&[]);
        let err = validate_resolution(&input("Refunded", None), &empty).unwrap_err();
        assert_eq!(err.field, Some("rasa_incomplete_reason"));
        assert!(err.message.contains("receive, appreciate, summarize, ask"));
        let (summary, whys, reason, status) =
            validate_resolution(&input("Refunded", Some("caller hung up")), &empty).unwrap();
        assert_eq!(
            (summary.as_str(), whys.len(), reason.as_deref(), status),
            ("Refunded", 1, Some("caller hung up"), CaseStatus::Resolved)
        );
        assert_eq!(validate_resolution(&input("  ", Some("x")), &empty).unwrap_err().field, Some("summary"));

        let t = now();
        let entries: Vec<StepEntry> = RasaStep::ALL
            .iter()
            .map(|s| StepEntry { step: *s, notes: "ok".into(), done: true, author_id: Uuid::nil(), at: t })
            .collect();
        let full = fold(&entries);
        let (_, _, reason, _) = validate_resolution(&input("Refunded", Some("ignored")), &full).unwrap();
        assert_eq!(reason, None, "a complete checklist needs no reason");
    }

    #[test]
    fn sla_follows_priority() {
        let t = now();
        let (urgent, _) = sla_due(t, Priority::Urgent);
        let (low, _) = sla_due(t, Priority::Low);
        assert!(urgent < low);
        assert_eq!(sla_due(t, Priority::Normal).0, t + Duration::hours(4));
    }

    #[test]
    fn negative_outcomes_get_fast_followups() {
        assert!(proposed_followup_delay(Outcome::Negative).unwrap() <= Duration::minutes(15));
        assert_eq!(proposed_followup_delay(Outcome::Memorable), None);
    }
}
