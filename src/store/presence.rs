//! Presence: which agents have a case open now. Kept in the database (not in a node's memory)
//! so that every API node of a team sees the same; a row not refreshed within
//! [`PRESENCE_WINDOW`] means the agent left.

use chrono::Duration;
use uuid::Uuid;

use super::{col_str, col_ts, col_uuid, Result, Store};
use crate::domain::time::{now, to_micros};
pub use crate::wire::presence::PresentAgent;

/// How long a heartbeat keeps an agent present (consoles beat every 10 s).
pub const PRESENCE_WINDOW: Duration = Duration::seconds(30);

impl Store {
    /// Records that `agent` has `case` open now; returns the other agents who do.
    pub async fn heartbeat(&self, case: Uuid, agent: Uuid) -> Result<Vec<PresentAgent>> {
        let at = now();
        let stale = to_micros(at - PRESENCE_WINDOW);
        let mut tx = self.begin_write().await?;
        // A heartbeat after a gap starts a new stay.
        sqlx::query(
            "INSERT INTO case_presence (case_id, agent_id, since, seen_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (case_id, agent_id) DO UPDATE SET seen_at = excluded.seen_at, \
             since = CASE WHEN case_presence.seen_at < $4 THEN excluded.since ELSE case_presence.since END",
        )
        .bind(case.to_string())
        .bind(agent.to_string())
        .bind(to_micros(at))
        .bind(stale)
        .execute(&mut *tx)
        .await?;
        // Old rows of this case go, so the table stays the size of what is open.
        sqlx::query("DELETE FROM case_presence WHERE case_id = $1 AND seen_at < $2")
            .bind(case.to_string())
            .bind(to_micros(at - Duration::hours(1)))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.present(case, Some(agent)).await
    }

    /// The agents with `case` open now, but `except`.
    pub async fn present(&self, case: Uuid, except: Option<Uuid>) -> Result<Vec<PresentAgent>> {
        let rows = sqlx::query(
            "SELECT p.agent_id, a.name, p.since, p.seen_at FROM case_presence p JOIN agents a ON a.id = p.agent_id \
             WHERE p.case_id = $1 AND p.seen_at >= $2 AND p.agent_id <> $3 ORDER BY p.since, a.name",
        )
        .bind(case.to_string())
        .bind(to_micros(now() - PRESENCE_WINDOW))
        .bind(except.map(|e| e.to_string()).unwrap_or_default())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PresentAgent {
                    agent_id: col_uuid(r, "agent_id")?,
                    name: col_str(r, "name")?,
                    since: col_ts(r, "since")?,
                    seen_at: col_ts(r, "seen_at")?,
                })
            })
            .collect()
    }

    /// The agent closed the case.
    pub async fn leave(&self, case: Uuid, agent: Uuid) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM case_presence WHERE case_id = $1 AND agent_id = $2")
            .bind(case.to_string())
            .bind(agent.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
