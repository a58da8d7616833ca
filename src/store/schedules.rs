//! Business-hours schedules (`domain::schedule`) as admins set them, which teams and queues
//! keep which (a queue's wins over its team's), and each case's status history — what the
//! SLA clocks are computed from.

use sqlx::Row;
use uuid::Uuid;

use super::agents::AdminError;
use super::{col_json, col_str, to_json, Result, Store, StoreError, Tx};
use crate::domain::case::{Case, CaseStatus};
use crate::domain::schedule::{Schedule, ScheduleSpec};
use crate::domain::sla::{clock_base_at, due_times, pauses, ClockBase, DueTimes};
use crate::domain::time::{from_micros, now, to_micros, Timestamp};
use crate::domain::Invalid;
pub use crate::wire::schedules::KeptSchedule;
use chrono::Duration;

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
    /// queues that kept it keep the new hours, their waiting cases the time already used.
    /// How many waiting cases' due times moved.
    pub async fn put_schedule(&self, spec: &ScheduleSpec) -> std::result::Result<usize, AdminError> {
        spec.schedule().map_err(AdminError::Invalid)?;
        reschedule(self, Change::Put(spec)).await
    }

    /// Gives `scope` `name` (a team or a queue) the schedule named `schedule`, or (`None`) takes
    /// its schedule away (its cases' clocks run on the calendar again); its waiting cases keep
    /// the time already used. How many waiting cases' due times moved.
    pub async fn assign_schedule(
        &self,
        scope: Scope,
        name: &str,
        schedule: Option<&str>,
    ) -> std::result::Result<usize, AdminError> {
        let name = crate::domain::case::queue_name(name).map_err(AdminError::Invalid)?;
        reschedule(self, Change::Assign { scope, name, schedule: schedule.map(str::to_string) }).await
    }

    /// Whether a schedule of that name is set.
    pub async fn has_schedule(&self, name: &str) -> Result<bool> {
        let found: Option<String> = sqlx::query_scalar("SELECT name FROM schedules WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(self.reader())
            .await?;
        Ok(found.is_some())
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

/// Where a case's clocks were last based (when its business hours changed), if ever.
pub(crate) async fn clock_base(tx: &mut Tx, case_id: Uuid) -> Result<Option<ClockBase>> {
    let row = sqlx::query("SELECT clock_base_at, clock_first_used, clock_resolution_used FROM cases WHERE id = $1")
        .bind(case_id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let at: Option<i64> = row.try_get("clock_base_at")?;
    Ok(at.map(|at| ClockBase {
        at: from_micros(at),
        first_used: Duration::seconds(row.try_get::<i64, _>("clock_first_used").unwrap_or(0)),
        resolution_used: Duration::seconds(row.try_get::<i64, _>("clock_resolution_used").unwrap_or(0)),
    }))
}

/// The due times of `case` (as it is, or is about to be) at `now`, counted in the business
/// hours of its queue or team (the calendar when neither has a schedule) from its opening or
/// its clock base; the resolution clock stands still in the pending stretches of its recorded
/// status history (`was`: its status before `change`, the change being made, not recorded yet).
pub(crate) async fn due_times_for(
    tx: &mut Tx,
    case: &Case,
    was: CaseStatus,
    change: Option<(Timestamp, CaseStatus)>,
    now: Timestamp,
) -> Result<DueTimes> {
    let policy = super::queues::sla_policy(tx, case.priority).await?;
    let schedule = schedule_for(tx, &case.queue, &case.team).await?.unwrap_or_else(|| Schedule::always("calendar"));
    let paused = case_pauses(tx, case, was, change).await?;
    let base = clock_base(tx, case.id).await?;
    let (first, resolution) = due_times(case.created_at, base, &policy, &schedule, &paused, now);
    // Once answered, the first answer's due time is history: whether the answer was late does
    // not change with later hours or priorities.
    let first = if case.first_response_at.is_some() && case.first_response_due.is_some() {
        case.first_response_due
    } else {
        first
    };
    Ok((first, resolution))
}

/// The pauses of a case's recorded status history (and of `change`, being made).
async fn case_pauses(
    tx: &mut Tx,
    case: &Case,
    was: CaseStatus,
    change: Option<(Timestamp, CaseStatus)>,
) -> Result<Vec<crate::domain::sla::Pause>> {
    let (initial, mut history) = status_history(tx, case.id, was).await?;
    history.extend(change);
    Ok(pauses(case.created_at, initial, &history))
}

/// A change of schedules.
enum Change<'a> {
    /// Set a schedule (new hours for those who keep it).
    Put(&'a ScheduleSpec),
    /// Give a team or a queue a schedule, or none.
    Assign { scope: Scope, name: String, schedule: Option<String> },
}

async fn apply(tx: &mut Tx, change: &Change<'_>) -> std::result::Result<(), AdminError> {
    match change {
        Change::Put(spec) => {
            sqlx::query(
                "INSERT INTO schedules (name, definition, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
            )
            .bind(spec.name.clone())
            .bind(to_json(spec))
            .bind(to_micros(now()))
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from)?;
        }
        Change::Assign { scope, name, schedule } => {
            sqlx::query("DELETE FROM schedule_assignments WHERE scope = $1 AND name = $2")
                .bind(scope.as_str())
                .bind(name.clone())
                .execute(&mut **tx)
                .await
                .map_err(StoreError::from)?;
            if let Some(s) = schedule {
                let known: Option<String> = sqlx::query_scalar("SELECT name FROM schedules WHERE name = $1")
                    .bind(s.clone())
                    .fetch_optional(&mut **tx)
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
                    .bind(name.clone())
                    .bind(s.clone())
                    .execute(&mut **tx)
                    .await
                    .map_err(StoreError::from)?;
            }
        }
    }
    Ok(())
}

/// Makes a change of schedules so that the waiting cases it touches keep the business time
/// their clocks used under the hours they had: each gets a clock base at this moment under its
/// old schedule, then due times under its new one — a new revision, in the change feed, so
/// consoles see them. How many cases' due times moved.
async fn reschedule(store: &Store, change: Change<'_>) -> std::result::Result<usize, AdminError> {
    let mut tx = store.begin_write().await?;
    let at = now();
    // Only the waiting cases the change can touch: the team's or queue's, or those of the teams
    // and queues that keep the schedule being set.
    let (filter, name) = match &change {
        Change::Assign { scope: Scope::Team, name, .. } => ("team = $1", name.clone()),
        Change::Assign { scope: Scope::Queue, name, .. } => ("queue = $1", name.clone()),
        Change::Put(spec) => (
            "(team IN (SELECT name FROM schedule_assignments WHERE scope = 'team' AND schedule = $1) \
              OR queue IN (SELECT name FROM schedule_assignments WHERE scope = 'queue' AND schedule = $1))",
            spec.name.clone(),
        ),
    };
    let cases = sqlx::query(&format!(
        "SELECT {} FROM cases WHERE {} AND {filter}",
        super::cases::CASE_COLUMNS,
        super::queues::ACTIVE
    ))
    .bind(name)
    .fetch_all(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .iter()
    .map(super::cases::case_from_row)
    .collect::<Result<Vec<Case>>>()?;
    let touched = |c: &Case| match &change {
        Change::Put(_) => true,
        Change::Assign { scope: Scope::Team, name, .. } => c.team == *name,
        Change::Assign { scope: Scope::Queue, name, .. } => c.queue == *name,
    };
    let mut before = Vec::new();
    for c in cases.into_iter().filter(touched) {
        let old = schedule_for(&mut tx, &c.queue, &c.team).await?;
        if let Change::Put(spec) = &change {
            if old.as_ref().is_none_or(|s| s.name != spec.name) {
                continue;
            }
        }
        let paused = case_pauses(&mut tx, &c, c.status, None).await?;
        let base = clock_base(&mut tx, c.id).await?;
        let old_name = old.as_ref().map(|s| s.name.clone());
        let hours = old.unwrap_or_else(|| Schedule::always("calendar"));
        let kept = clock_base_at(c.created_at, base, c.first_response_at, &hours, &paused, at);
        before.push((c, old_name, kept));
    }
    apply(&mut tx, &change).await?;
    let mut moved = 0;
    for (c, old_name, kept) in before {
        let new_name = schedule_for(&mut tx, &c.queue, &c.team).await?.map(|s| s.name);
        if new_name == old_name && !matches!(change, Change::Put(_)) {
            continue;
        }
        sqlx::query(
            "UPDATE cases SET clock_base_at = $1, clock_first_used = $2, clock_resolution_used = $3 WHERE id = $4",
        )
        .bind(to_micros(kept.at))
        .bind(kept.first_used.num_seconds())
        .bind(kept.resolution_used.num_seconds())
        .bind(c.id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let dues = due_times_for(&mut tx, &c, c.status, None, at).await?;
        if (c.first_response_due, c.resolution_due) != dues {
            super::cases::set_due_times(&mut tx, &c, dues, at).await?;
            moved += 1;
        }
    }
    tx.commit().await?;
    Ok(moved)
}
