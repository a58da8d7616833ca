//! The customer card: who the customer is at a glance — identities, tier and tags — with their
//! open cases, the latest case and event, and the facts the card rules compute across sources.
//! Served by `GET /api/v1/customers/{id}/card`; the console keeps the last one it read for
//! offline use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::card::Fact;
use crate::domain::case::CaseStatus;
use crate::domain::customer::Customer;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerCard {
    pub customer: Customer,
    /// Cases new, open or pending.
    pub open_cases: u64,
    /// The newest case, whatever its status.
    pub last_case: Option<CaseBrief>,
    /// The newest event from another system (casebook's own activity left out): when and
    /// where the customer was last seen.
    pub last_event: Option<EventBrief>,
    /// As the server's card rules say, in their order.
    pub facts: Vec<Fact>,
    /// When the server computed it.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseBrief {
    pub id: Uuid,
    pub subject: String,
    pub status: CaseStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventBrief {
    pub source: String,
    pub kind: String,
    pub title: String,
    pub occurred_at: DateTime<Utc>,
}
