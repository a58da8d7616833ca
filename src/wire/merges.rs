//! One customer known to many systems: merging two customers a person judged the same, undoing
//! it, and the likely duplicates casebook suggests for a person to confirm.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::customer::Customer;
use crate::domain::duplicates::Likeness;

/// Merge `from` into the customer of the path: its identities, events, cases and follow-ups
/// move there; it is hidden from search and lists; `POST /api/v1/merges/{id}/undo` undoes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub from: Uuid,
}

/// How much moved in a merge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MovedCounts {
    pub identities: u64,
    pub events: u64,
    pub cases: u64,
    pub followups: u64,
}

/// A merge, done or undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Merge {
    pub id: Uuid,
    /// The customer kept: everything is here now.
    pub kept_id: Uuid,
    /// The customer merged into it (hidden until the merge is undone).
    pub merged_id: Uuid,
    pub moved: MovedCounts,
    pub merged_by: Uuid,
    pub merged_at: DateTime<Utc>,
    pub undone_by: Option<Uuid>,
    pub undone_at: Option<DateTime<Utc>>,
}

/// A customer who may be the same person, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DuplicateSuggestion {
    pub customer: Customer,
    pub reasons: Vec<Likeness>,
    /// Higher is likelier: 10 for a shared email or phone, 3 for the same name.
    pub score: u32,
}
