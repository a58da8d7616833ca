//! The request bodies of case work — opening and changing cases, notes, RASA steps,
//! follow-ups — as the REST API takes them and as pushed operations carry them. A new case's
//! body and the rule that fills in its defaults are the domain's ([`NewCaseRequest`],
//! [`crate::domain::case::new_case`]): the server and the console's offline view apply it alike.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::case::{CaseStatus, Channel, NoteVisibility, Priority};
use crate::domain::followup::FollowUpStatus;

pub use crate::domain::case::NewCaseRequest;
pub use crate::domain::double_option;

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
    /// The case's tags from now on (lower-case names, up to 20); left out: as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<CaseTag>>, max_items = 20)]
    pub tags: Option<Vec<String>>,
    /// Another queue (its team works the case from now on): a hand-over to another team. The
    /// case leaves its assignee unless `assignee_id` names someone of that team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
}

/// A case's tag: letters, digits, `-`, `_`, `.`, up to 32 (kept lower-case; a leading `#` is
/// dropped).
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^#?[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
pub struct CaseTag(pub String);

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
