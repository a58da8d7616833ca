//! The request bodies of case work — opening and changing cases, notes, RASA steps,
//! follow-ups — as the REST API takes them and as pushed operations carry them, and the
//! defaults a new case gets (the console's offline view fills them in the same way).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::agent::Agent;
use crate::domain::case::{sla_due, Case, CaseStatus, Channel, NoteVisibility, Priority, MAX_SUBJECT_CHARS};
use crate::domain::event::is_valid_name;
use crate::domain::followup::FollowUpStatus;
use crate::domain::{required_text, Invalid};

/// Distinguishes a field left out (`None`) from one set to null (`Some(None)`).
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

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
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
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
/// fields only (the server checks the rest). The console's offline view uses it too.
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
    })
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCaseRequest {
    /// The revision you read; a stale one gets 409 with the current case.
    #[serde(deserialize_with = "crate::domain::positive")]
    pub revision: i64,
    pub status: Option<CaseStatus>,
    pub priority: Option<Priority>,
    /// An agent id, or `null` to unassign.
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNoteRequest {
    /// Not empty or only spaces; at most 20,000 characters.
    #[schema(min_length = 1, pattern = r"\S")]
    pub body: String,
    /// Default `internal`.
    pub visibility: Option<NoteVisibility>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RasaStepRequest {
    /// The step's notes as they now stand.
    #[serde(default)]
    pub notes: String,
    /// Whether the step is done.
    #[serde(default)]
    pub done: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFollowUpRequest {
    /// The case it follows up; its customer is the follow-up's customer.
    pub case_id: Option<Uuid>,
    /// Needed when there is no case.
    pub customer_id: Option<Uuid>,
    /// Default: the creator.
    pub assignee_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    /// Default `phone`.
    pub channel: Option<Channel>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchFollowUpRequest {
    /// The revision you read; a stale one gets 409 with the current follow-up.
    #[serde(deserialize_with = "crate::domain::positive")]
    pub revision: i64,
    pub status: Option<FollowUpStatus>,
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub channel: Option<Channel>,
}
