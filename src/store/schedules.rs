//! Business-hours schedules (`domain::schedule`) as admins set them, which teams and queues
//! keep which (a queue's wins over its team's), and each case's status history — what the
//! SLA clocks are computed from.

use sqlx::Row;
use uuid::Uuid;

use super::agents::AdminError;
use super::{col_json, col_str, to_json, Result, Store, StoreError, Tx};
use crate::domain::case::CaseStatus;
use crate::domain::schedule::{Schedule, ScheduleSpec};
use crate::domain::time::{from_micros, now, to_micros, Timestamp};
use crate::domain::Invalid;
pub use crate::wire::schedules::KeptSchedule;

/// Where a schedule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Team,
    Queue,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Team => "team",
            Scope::Queue => "queue",
        }
    }
}

impl Store {
    /// Sets a schedule (checked first), replacing the one of the same name; the teams and
    /// queues that kept it keep the new version.
    pub async fn put_schedule(&self, spec: &ScheduleSpec) -> std::result::Result<Schedule, AdminError> {
        let schedule = spec.schedule().map_err(AdminError::Invalid)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO schedules (name, definition, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
        )
        .bind(spec.name.clone())
        .bind(to_json(spec))
        .bind(to_micros(now()))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        tx.commit().await?;
        Ok(schedule)
    }

    /// Gives `scope` `name` (a team or a queue) the schedule named `schedule`, or (`None`) takes
    /// its schedule away: its cases' clocks run on the calendar again.
    pub async fn assign_schedule(
        &self,
        scope: Scope,
        name: &str,
        schedule: Option<&str>,
    ) -> std::result::Result<(), AdminError> {
        let name = crate::domain::case::queue_name(name).map_err(AdminError::Invalid)?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM schedule_assignments WHERE scope = $1 AND name = $2")
            .bind(scope.as_str())
            .bind(name.clone())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        if let Some(s) = schedule {
            let known: Option<String> = sqlx::query_scalar("SELECT name FROM schedules WHERE name = $1")
                .bind(s.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            if known.is_none() {
                return Err(AdminError::Invalid(Invalid::field(
                    "schedule",
                    format!("no schedule named `{}`: set it first", s.escape_debug()),
                )));
            }
            sqlx::query("INSERT INTO schedule_assignments (scope, name, schedule) VALUES ($1, $2, $3)")
                .bind(scope.as_str())
                .bind(name)
                .bind(s.to_string())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from)?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every schedule with the teams and queues that keep it, by name.
    pub async fn schedules(&self) -> Result<Vec<KeptSchedule>> {
        let rows = sqlx::query("SELECT definition FROM schedules ORDER BY name").fetch_all(self.reader()).await?;
        let mut out: Vec<KeptSchedule> = rows
            .iter()
            .map(|r| Ok(KeptSchedule { schedule: col_json(r, "definition")?, teams: vec![], queues: vec![] }))
            .collect::<Result<_>>()?;
        let assigned = sqlx::query("SELECT scope, name, schedule FROM schedule_assignments ORDER BY scope, name")
            .fetch_all(self.reader())
            .await?;
        for r in &assigned {
            let schedule = col_str(r, "schedule")?;
            if let Some(k) = out.iter_mut().find(|k| k.schedule.name == schedule) {
                match col_str(r, "scope")?.as_str() {
                    "team" => k.teams.push(col_str(r, "name")?),
                    _ => k.queues.push(col_str(r, "name")?),
                }
            }
        }
        Ok(out)
    }
}

/// The schedule a case in `queue` of `team` keeps: the queue's, else the team's, else none
/// (the calendar). Read inside the caller's transaction.
pub(crate) async fn schedule_for(tx: &mut Tx, queue: &str, team: &str) -> Result<Option<Schedule>> {
    let row = sqlx::query(
        "SELECT s.definition, a.scope FROM schedule_assignments a JOIN schedules s ON s.name = a.schedule \
         WHERE (a.scope = 'queue' AND a.name = $1) OR (a.scope = 'team' AND a.name = $2) \
         ORDER BY CASE a.scope WHEN 'queue' THEN 0 ELSE 1 END LIMIT 1",
    )
    .bind(queue.to_string())
    .bind(team.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let spec: ScheduleSpec = col_json(&row, "definition")?;
    spec.schedule().map(Some).map_err(|e| StoreError::Corrupt(format!("schedule {}: {e}", spec.name)))
}

/// A case's status history: the status it was opened in, and each change since (when, to
/// what), in order. Read inside the caller's transaction.
pub(crate) async fn status_history(
    tx: &mut Tx,
    case_id: Uuid,
    current: CaseStatus,
) -> Result<(CaseStatus, Vec<(Timestamp, CaseStatus)>)> {
    let rows = sqlx::query(
        "SELECT at, from_status, to_status FROM case_status_history WHERE case_id = $1 ORDER BY at, to_status",
    )
    .bind(case_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let parse = |s: String| s.parse::<CaseStatus>().map_err(|_| StoreError::Corrupt(format!("case status `{s}`")));
    let initial = match rows.first() {
        Some(r) => parse(r.try_get::<String, _>("from_status")?)?,
        None => current,
    };
    let changes = rows
        .iter()
        .map(|r| Ok((from_micros(r.try_get::<i64, _>("at")?), parse(r.try_get::<String, _>("to_status")?)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok((initial, changes))
}

/// Records a change of a case's status.
pub(crate) async fn record_status(
    tx: &mut Tx,
    case_id: Uuid,
    at: Timestamp,
    from: CaseStatus,
    to: CaseStatus,
) -> Result<()> {
    sqlx::query("INSERT INTO case_status_history (case_id, at, from_status, to_status) VALUES ($1, $2, $3, $4)")
        .bind(case_id.to_string())
        .bind(to_micros(at))
        .bind(from.as_str())
        .bind(to.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
