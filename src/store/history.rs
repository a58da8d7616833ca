//! History from before casebook that is more than events: a ticket an old helpdesk solved
//! becomes a closed case with its resolution (`casebook import --format zendesk --cases`),
//! its events linked to it, in the change feed like any case. Written once: the case's id is
//! derived from the ticket, so a rerun adds nothing twice.

use uuid::Uuid;

use super::cases::insert_case_row;
use super::changes::{record_change, Entity};
use super::{Result, Store};
use crate::domain::case::{Case, CaseStatus, Channel, Outcome, Priority, Resolution};
use crate::domain::time::Timestamp;

/// Who opened and resolved an imported case: no agent of this casebook (the old system's
/// agents are not casebook's).
pub const IMPORT_AGENT_ID: Uuid = uuid::uuid!("00000000-0000-7000-8000-0000000001a0");

/// A closed case from another system's history.
#[derive(Debug, Clone)]
pub struct PastCase {
    /// Unique in that system (`zendesk:35436`): the case's id is derived from it.
    pub key: String,
    pub customer_id: Uuid,
    pub subject: String,
    pub channel: Channel,
    pub priority: Priority,
    pub queue: String,
    pub created_at: Timestamp,
    pub resolved_at: Timestamp,
    pub outcome: Outcome,
    pub summary: String,
    /// Its events, by (source, id), to link to it.
    pub events: Vec<(String, String)>,
}

/// The case id a past case gets: the same for the same key, always.
pub fn past_case_id(key: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("casebook:import:{key}").as_bytes())
}

impl Store {
    /// Stores closed cases from another system's history, each once; returns how many were new.
    pub async fn import_past_cases(&self, cases: &[PastCase]) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let mut created = 0;
        for p in cases {
            let id = past_case_id(&p.key);
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM cases WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                continue;
            }
            let team = super::queues::team_for_queue(&mut tx, &p.queue).await?;
            let case = Case {
                id,
                customer_id: p.customer_id,
                subject: p.subject.chars().take(crate::domain::case::MAX_SUBJECT_CHARS).collect(),
                channel: p.channel,
                status: CaseStatus::Closed,
                priority: p.priority,
                queue: p.queue.clone(),
                team,
                assignee_id: None,
                first_response_due: None,
                resolution_due: None,
                revision: 1,
                created_by: IMPORT_AGENT_ID,
                created_at: p.created_at,
                updated_at: p.resolved_at,
                resolution: Some(Resolution {
                    summary: p.summary.clone(),
                    root_cause: Vec::new(),
                    outcome: p.outcome,
                    rasa_incomplete_reason: Some("imported: the old system kept no RASA checklist".into()),
                    resolved_by: IMPORT_AGENT_ID,
                    resolved_at: p.resolved_at,
                }),
                first_response_at: None,
                tags: vec![],
            };
            insert_case_row(&mut tx, &case).await?;
            record_change(&mut tx, Entity::Case, case.id, Some(case.id), Some(case.customer_id), &case).await?;
            for (source, event) in &p.events {
                sqlx::query(
                    "UPDATE events SET case_id = $1 WHERE source = $2 AND source_event_id = $3 AND case_id IS NULL",
                )
                .bind(id.to_string())
                .bind(source)
                .bind(event)
                .execute(&mut *tx)
                .await?;
            }
            created += 1;
        }
        tx.commit().await?;
        Ok(created)
    }
}
