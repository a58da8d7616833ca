//! The push protocol, shared by the server and the console: what an operation is, and what the
//! server answers for each one. Plain types, no I/O.
//!
//! Every write the console makes is an operation with a client-made id (UUIDv7) and the
//! device's next sequence number. The server applies each at most once: a replay of an id gets
//! the first answer back, for ever. Operations of one device are applied in sequence order; a
//! gap is refused as `retry` until the missing ones arrive.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::server::problem::Problem;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The console installation: its operations are numbered 1, 2, 3, … without gaps.
    pub device_id: Uuid,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Made by the client (UUIDv7); the idempotency key.
    pub id: Uuid,
    /// The device's sequence number for this operation, from 1.
    pub seq: i64,
    /// `case.open`, `case.change`, `case.resolve`, `note.add`, `rasa.set`, `followup.create`
    /// or `followup.change`.
    pub kind: String,
    /// The operation's fields; see the `*Payload` schemas.
    #[schema(value_type = Object)]
    pub payload: Box<RawValue>,
}

/// `case.open`: a case with a client-made id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCasePayload {
    pub case_id: Uuid,
    pub fields: crate::casework::NewCaseRequest,
}

/// `case.change`: status, priority or assignee, with the revision the agent saw.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeCasePayload {
    pub case_id: Uuid,
    pub fields: crate::casework::PatchCaseRequest,
}

/// `case.resolve`: the resolution, with the revision the agent saw.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveCasePayload {
    pub case_id: Uuid,
    pub fields: crate::domain::case::ResolutionInput,
}

/// `note.add`: a note with a client-made id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNotePayload {
    pub case_id: Uuid,
    pub note_id: Uuid,
    pub fields: crate::casework::NewNoteRequest,
}

/// `rasa.set`: a RASA step's notes and done flag, as a new entry with a client-made id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRasaPayload {
    pub case_id: Uuid,
    pub entry_id: Uuid,
    pub step: crate::domain::rasa::RasaStep,
    pub fields: crate::casework::RasaStepRequest,
}

/// `followup.create`: a follow-up with a client-made id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFollowUpPayload {
    pub followup_id: Uuid,
    pub fields: crate::casework::NewFollowUpRequest,
}

/// `followup.change`: with the revision the agent saw.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeFollowUpPayload {
    pub followup_id: Uuid,
    pub fields: crate::casework::PatchFollowUpRequest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpStatus {
    /// Applied now; `result` is the entity as it became.
    Applied,
    /// Applied before: `result` is the first answer's.
    Duplicate,
    /// Not applied: the entity changed since the revision sent. `current` is how it is now;
    /// settle it (keep mine: send a new operation with its revision; take theirs: drop it).
    Conflict,
    /// Not applied, and never will be: `problem` says why. Keep it visible to the agent.
    Rejected,
    /// Not applied yet: an earlier operation of this device is missing, or the server could
    /// not finish. Push again later, in order.
    Retry,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OpResult {
    pub id: Uuid,
    pub seq: i64,
    pub status: OpStatus,
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushResponse {
    /// One result per operation, in the order sent.
    pub results: Vec<OpResult>,
}
