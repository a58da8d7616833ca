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

use crate::wire::problem::Problem;

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
    #[serde(deserialize_with = "crate::domain::positive")]
    pub seq: i64,
    /// `case.open`, `case.change`, `case.resolve`, `note.add`, `rasa.set`, `followup.create`,
    /// `followup.change`, `review.add` or `review.answer`.
    pub kind: String,
    /// The operation's fields; see the `*Payload` schemas.
    #[schema(value_type = Object)]
    pub payload: Box<RawValue>,
    /// An earlier operation of this device whose result this one's `revision` was read from
    /// (made offline, before the server confirmed it). If that one was not applied, this one
    /// is a `conflict` too: its revision number could otherwise match someone else's change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Uuid>,
}

/// `case.open`: a case with a client-made id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCasePayload {
    pub case_id: Uuid,
    pub fields: crate::wire::requests::NewCaseRequest,
}

/// `case.change`: status, priority or assignee, with the revision the agent saw.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeCasePayload {
    pub case_id: Uuid,
    pub fields: crate::wire::requests::PatchCaseRequest,
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
    pub fields: crate::wire::requests::NewNoteRequest,
}

/// `rasa.set`: a RASA step's notes and done flag, as a new entry with a client-made id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRasaPayload {
    pub case_id: Uuid,
    pub entry_id: Uuid,
    pub step: crate::domain::rasa::RasaStep,
    pub fields: crate::wire::requests::RasaStepRequest,
}

/// `followup.create`: a follow-up with a client-made id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFollowUpPayload {
    pub followup_id: Uuid,
    pub fields: crate::wire::requests::NewFollowUpRequest,
}

/// `followup.change`: with the revision the agent saw.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeFollowUpPayload {
    pub followup_id: Uuid,
    pub fields: crate::wire::requests::PatchFollowUpRequest,
}

/// `review.add`: a lead's review of a resolved case, with a client-made id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddReviewPayload {
    pub case_id: Uuid,
    pub review_id: Uuid,
    pub fields: crate::wire::reviews::NewReviewRequest,
}

/// `review.answer`: the reviewed agent acknowledges a review or disputes one criterion.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerReviewPayload {
    pub review_id: Uuid,
    pub fields: crate::domain::scorecard::Answer,
}

/// What an operation does: named once here, and by these names everywhere (the wire, the
/// outbox, the server's record of applied operations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    OpenCase,
    ChangeCase,
    ResolveCase,
    AddNote,
    SetRasa,
    CreateFollowUp,
    ChangeFollowUp,
    AddReview,
    AnswerReview,
}
crate::domain::named_enum!(OpKind, "operation", {
    OpenCase => "case.open",
    ChangeCase => "case.change",
    ResolveCase => "case.resolve",
    AddNote => "note.add",
    SetRasa => "rasa.set",
    CreateFollowUp => "followup.create",
    ChangeFollowUp => "followup.change",
    AddReview => "review.add",
    AnswerReview => "review.answer",
});

impl OpKind {
    /// Whether it makes a new revision of its entity (a case or a follow-up); a note or a RASA
    /// entry is written once and never changed.
    pub fn makes_revision(self) -> bool {
        !matches!(self, OpKind::AddNote | OpKind::SetRasa | OpKind::AddReview | OpKind::AnswerReview)
    }

    /// The kinds that change a case record (not its notes or RASA entries).
    pub const CASE_RECORD: [OpKind; 3] = [OpKind::OpenCase, OpKind::ChangeCase, OpKind::ResolveCase];
    pub const FOLLOWUP: [OpKind; 2] = [OpKind::CreateFollowUp, OpKind::ChangeFollowUp];

    /// The kinds that make revisions.
    pub fn revisioned() -> Vec<OpKind> {
        OpKind::ALL.iter().copied().filter(|k| k.makes_revision()).collect()
    }

    /// Kinds as a list of SQL literals, `'case.open', 'case.change'`, for `kind IN (…)` (their
    /// names are fixed, quote-free ASCII).
    pub fn sql_list(kinds: &[OpKind]) -> String {
        kinds.iter().map(|k| format!("'{}'", k.as_str())).collect::<Vec<_>>().join(", ")
    }
}

/// An operation's kind and payload, read.
#[derive(Debug, Clone)]
pub enum OpBody {
    OpenCase(OpenCasePayload),
    ChangeCase(ChangeCasePayload),
    ResolveCase(ResolveCasePayload),
    AddNote(AddNotePayload),
    SetRasa(SetRasaPayload),
    CreateFollowUp(CreateFollowUpPayload),
    ChangeFollowUp(ChangeFollowUpPayload),
    AddReview(AddReviewPayload),
    AnswerReview(AnswerReviewPayload),
}

fn read_payload<T: serde::de::DeserializeOwned>(kind: &str, payload: &str) -> Result<T, String> {
    serde_json::from_str(payload).map_err(|e| format!("the payload of this `{kind}` operation does not fit: {e}"))
}

impl OpBody {
    /// Reads a kind and its payload; the error says what does not fit.
    pub fn parse(kind: &str, payload: &str) -> Result<OpBody, String> {
        let k: OpKind = kind.parse().map_err(|e: crate::domain::Invalid| e.message)?;
        Ok(match k {
            OpKind::OpenCase => OpBody::OpenCase(read_payload(kind, payload)?),
            OpKind::ChangeCase => OpBody::ChangeCase(read_payload(kind, payload)?),
            OpKind::ResolveCase => OpBody::ResolveCase(read_payload(kind, payload)?),
            OpKind::AddNote => OpBody::AddNote(read_payload(kind, payload)?),
            OpKind::SetRasa => OpBody::SetRasa(read_payload(kind, payload)?),
            OpKind::CreateFollowUp => OpBody::CreateFollowUp(read_payload(kind, payload)?),
            OpKind::ChangeFollowUp => OpBody::ChangeFollowUp(read_payload(kind, payload)?),
            OpKind::AddReview => OpBody::AddReview(read_payload(kind, payload)?),
            OpKind::AnswerReview => OpBody::AnswerReview(read_payload(kind, payload)?),
        })
    }

    pub fn kind(&self) -> OpKind {
        match self {
            OpBody::OpenCase(_) => OpKind::OpenCase,
            OpBody::ChangeCase(_) => OpKind::ChangeCase,
            OpBody::ResolveCase(_) => OpKind::ResolveCase,
            OpBody::AddNote(_) => OpKind::AddNote,
            OpBody::SetRasa(_) => OpKind::SetRasa,
            OpBody::CreateFollowUp(_) => OpKind::CreateFollowUp,
            OpBody::ChangeFollowUp(_) => OpKind::ChangeFollowUp,
            OpBody::AddReview(_) => OpKind::AddReview,
            OpBody::AnswerReview(_) => OpKind::AnswerReview,
        }
    }

    /// The payload as JSON text.
    pub fn payload_json(&self) -> String {
        let v = match self {
            OpBody::OpenCase(p) => serde_json::to_string(p),
            OpBody::ChangeCase(p) => serde_json::to_string(p),
            OpBody::ResolveCase(p) => serde_json::to_string(p),
            OpBody::AddNote(p) => serde_json::to_string(p),
            OpBody::SetRasa(p) => serde_json::to_string(p),
            OpBody::CreateFollowUp(p) => serde_json::to_string(p),
            OpBody::ChangeFollowUp(p) => serde_json::to_string(p),
            OpBody::AddReview(p) => serde_json::to_string(p),
            OpBody::AnswerReview(p) => serde_json::to_string(p),
        };
        v.expect("payloads are plain data and always serialise")
    }

    /// The case it works on, when there is one.
    pub fn case_id(&self) -> Option<Uuid> {
        match self {
            OpBody::OpenCase(p) => Some(p.case_id),
            OpBody::ChangeCase(p) => Some(p.case_id),
            OpBody::ResolveCase(p) => Some(p.case_id),
            OpBody::AddNote(p) => Some(p.case_id),
            OpBody::SetRasa(p) => Some(p.case_id),
            OpBody::CreateFollowUp(p) => p.fields.case_id,
            OpBody::ChangeFollowUp(_) => None,
            OpBody::AddReview(p) => Some(p.case_id),
            OpBody::AnswerReview(_) => None,
        }
    }

    /// Whether it carries the revision it read (and so may conflict).
    pub fn has_revision(&self) -> bool {
        matches!(self, OpBody::ChangeCase(_) | OpBody::ResolveCase(_) | OpBody::ChangeFollowUp(_))
    }

    /// Whether it makes a new revision of its entity (a case or a follow-up).
    pub fn makes_revision(&self) -> bool {
        self.kind().makes_revision()
    }

    /// The case, note, RASA entry or follow-up it creates or changes.
    pub fn entity_id(&self) -> Uuid {
        match self {
            OpBody::OpenCase(p) => p.case_id,
            OpBody::ChangeCase(p) => p.case_id,
            OpBody::ResolveCase(p) => p.case_id,
            OpBody::AddNote(p) => p.note_id,
            OpBody::SetRasa(p) => p.entry_id,
            OpBody::CreateFollowUp(p) => p.followup_id,
            OpBody::ChangeFollowUp(p) => p.followup_id,
            OpBody::AddReview(p) => p.review_id,
            OpBody::AnswerReview(p) => p.review_id,
        }
    }
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

/// A page of the change feed (`GET /api/v1/sync/pull`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PullPage {
    /// Oldest first. Apply them and store `next_cursor` in one local transaction.
    pub changes: Vec<crate::wire::changes::Change>,
    /// Where the next pull starts: after the last change here (or where this one started).
    pub next_cursor: String,
    /// More changes are waiting: pull again at once.
    pub has_more: bool,
}
