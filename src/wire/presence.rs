//! Who else has a case open.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PresentAgent {
    pub agent_id: Uuid,
    pub name: String,
    /// Since when they have had the case open.
    pub since: chrono::DateTime<chrono::Utc>,
    pub seen_at: chrono::DateTime<chrono::Utc>,
}

/// Who else has the case open.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PresenceResponse {
    /// Other agents with the case open now (seen within the last 30 s), longest first.
    pub present: Vec<PresentAgent>,
}
