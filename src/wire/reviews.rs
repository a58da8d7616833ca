//! Quality reviews over the wire: a review as kept, a lead's scoring, an agent's answer. The
//! scorecard and its arithmetic are `domain::scorecard`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::scorecard::{Answer, Score};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub id: Uuid,
    pub case_id: Uuid,
    /// The agent reviewed: the case's assignee when it was reviewed.
    pub agent_id: Option<Uuid>,
    pub reviewer_id: Uuid,
    pub scorecard: String,
    pub scores: Vec<Score>,
    pub coaching: Option<String>,
    /// 0 to 100 (0 when failed).
    pub percent: f64,
    /// An auto-fail item was missed.
    pub failed: bool,
    pub answer: Answer,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// A lead's review of a case on the server's scorecard.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReviewRequest {
    /// Every criterion of the scorecard, once, within its scale.
    pub scores: Vec<Score>,
    /// What the agent could do better, for them to read (up to 5,000 characters).
    #[serde(default)]
    pub coaching: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewList {
    pub reviews: Vec<Review>,
}
