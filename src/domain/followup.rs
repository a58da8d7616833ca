//! Follow-up tasks: a promise to get back to a customer by a due time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::case::Channel;
use super::named_enum;
use super::time::Timestamp;

pub const MAX_FOLLOWUP_NOTE_CHARS: usize = 4_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpStatus {
    Open,
    Done,
    Cancelled,
}
named_enum!(FollowUpStatus, "follow-up status", { Open => "open", Done => "done", Cancelled => "cancelled" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUp {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub case_id: Option<Uuid>,
    pub assignee_id: Uuid,
    pub due_at: DateTime<Utc>,
    pub channel: Channel,
    pub note: String,
    pub status: FollowUpStatus,
    pub revision: i64,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it was marked done.
    pub done_at: Option<DateTime<Utc>>,
}

/// Changes to a follow-up; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct FollowUpChanges {
    pub status: Option<FollowUpStatus>,
    pub due_at: Option<Timestamp>,
    pub note: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub channel: Option<Channel>,
}

impl FollowUpChanges {
    /// The follow-up as these changes make it at `at`: a new revision when anything changes,
    /// the very same follow-up when nothing does (shared by the server and the offline view).
    pub fn apply_to(&self, read: &FollowUp, at: Timestamp) -> FollowUp {
        let mut next = read.clone();
        if let Some(s) = self.status {
            next.status = s;
            next.done_at = match s {
                FollowUpStatus::Done => read.done_at.or(Some(at)),
                _ => None,
            };
        }
        if let Some(d) = self.due_at {
            next.due_at = d;
        }
        if let Some(n) = &self.note {
            next.note = n.clone();
        }
        if let Some(a) = self.assignee_id {
            next.assignee_id = a;
        }
        if let Some(c) = self.channel {
            next.channel = c;
        }
        if next != *read {
            next.revision = read.revision + 1;
            next.updated_at = at;
        }
        next
    }
}

/// Whether a follow-up is late: still open past its due time.
pub fn is_overdue(f: &FollowUp, now: Timestamp) -> bool {
    f.status == FollowUpStatus::Open && f.due_at < now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::now;
    use chrono::Duration;

    #[test]
    fn overdue_only_when_open_and_past_due() {
        let t = now();
        let mut f = FollowUp {
            id: Uuid::nil(),
            customer_id: Uuid::nil(),
            case_id: None,
            assignee_id: Uuid::nil(),
            due_at: t - Duration::minutes(1),
            channel: Channel::Phone,
            note: String::new(),
            status: FollowUpStatus::Open,
            revision: 1,
            created_by: Uuid::nil(),
            created_at: t,
            updated_at: t,
            done_at: None,
        };
        assert!(is_overdue(&f, t));
        f.status = FollowUpStatus::Done;
        assert!(!is_overdue(&f, t));
        f.status = FollowUpStatus::Open;
        f.due_at = t + Duration::minutes(1);
        assert!(!is_overdue(&f, t));
    }
}
