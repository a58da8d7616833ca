//! Queues and SLA policies: what a lead watches. A queue is a named view of a team's cases
//! (cases name their queue); its figures are counted in SQL, with the SLA rules of
//! `domain::sla` written as conditions on the due times (a test checks they agree).

use sqlx::any::AnyRow;

use super::{col_enum, col_i64, col_str, Result, Sql, Store, StoreError, Tx};
use crate::domain::case::{CaseStatus, Priority};
use crate::domain::sla::{SlaPolicy, AT_RISK_DIVISOR};
use crate::domain::time::{now, to_micros};
pub use crate::wire::leads::{AgentLoad, Queue, QueueCase, QueueCounts, QueueSort, QueueSummary};

fn queue_from_row(row: &AnyRow) -> Result<Queue> {
    let statuses: Vec<CaseStatus> = serde_json::from_str(&col_str(row, "statuses")?)
        .map_err(|e| StoreError::Corrupt(format!("queues.statuses: {e}")))?;
    Ok(Queue {
        id: col_str(row, "id")?,
        name: col_str(row, "name")?,
        team: col_str(row, "team")?,
        statuses,
        sort: col_enum(row, "sort")?,
    })
}

/// The policy of a priority: the stored one, else the built-in one.
pub(crate) async fn sla_policy(tx: &mut Tx, priority: Priority) -> Result<SlaPolicy> {
    let row = sqlx::query("SELECT first_response_secs, resolution_secs FROM sla_policies WHERE priority = $1")
        .bind(priority.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(r) => SlaPolicy {
            priority,
            first_response_secs: col_i64(&r, "first_response_secs")?,
            resolution_secs: col_i64(&r, "resolution_secs")?,
        },
        None => SlaPolicy::default_for(priority),
    })
}

/// SQL: an active case is breached at `now` (bound); `t` is the cases table's alias with its
/// dot, or empty.
/// The same rule as `domain::sla::sla_state` for a case not resolved.
pub(crate) fn breached_sql(sql: &mut Sql, now: i64, t: &str) {
    sql.push(&format!("(({t}first_response_at IS NULL AND {t}first_response_due < "))
        .bind(now)
        .push(&format!(") OR {t}resolution_due < "))
        .bind(now)
        .push(")");
}

/// SQL: an active case is at risk at `now` (less than a quarter of a window left), breached or not.
pub(crate) fn at_risk_or_worse_sql(sql: &mut Sql, now: i64, t: &str) {
    let d = i64::from(AT_RISK_DIVISOR);
    sql.push(&format!("(({t}first_response_at IS NULL AND ({t}first_response_due - "))
        .bind(now)
        .push(&format!(") * {d} <= {t}first_response_due - {t}created_at) OR ({t}resolution_due - "))
        .bind(now)
        .push(&format!(") * {d} <= {t}resolution_due - {t}created_at)"));
}

impl Store {
    /// The policies, most urgent first (the built-in one where none is stored).
    pub async fn sla_policies(&self) -> Result<Vec<SlaPolicy>> {
        let rows = sqlx::query("SELECT priority, first_response_secs, resolution_secs FROM sla_policies")
            .fetch_all(self.reader())
            .await?;
        let mut out = Vec::new();
        for p in Priority::ALL.iter().rev() {
            let stored = rows.iter().find(|r| col_str(r, "priority").ok().as_deref() == Some(p.as_str()));
            out.push(match stored {
                Some(r) => SlaPolicy {
                    priority: *p,
                    first_response_secs: col_i64(r, "first_response_secs")?,
                    resolution_secs: col_i64(r, "resolution_secs")?,
                },
                None => SlaPolicy::default_for(*p),
            });
        }
        Ok(out)
    }

    /// Sets the policy of a priority (cases opened or reprioritised afterwards use it).
    pub async fn set_sla_policy(&self, p: SlaPolicy) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sla_policies (priority, first_response_secs, resolution_secs, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (priority) DO UPDATE SET first_response_secs = excluded.first_response_secs, \
             resolution_secs = excluded.resolution_secs, updated_at = excluded.updated_at",
        )
        .bind(p.priority.as_str())
        .bind(p.first_response_secs)
        .bind(p.resolution_secs)
        .bind(to_micros(now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn queues(&self) -> Result<Vec<Queue>> {
        let rows = sqlx::query("SELECT id, name, team, statuses, sort FROM queues ORDER BY team, name, id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(queue_from_row).collect()
    }

    pub async fn queue(&self, id: &str) -> Result<Option<Queue>> {
        let row = sqlx::query("SELECT id, name, team, statuses, sort FROM queues WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(queue_from_row).transpose()
    }

    /// Adds or replaces a queue.
    pub async fn put_queue(&self, q: &Queue) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO queues (id, name, team, statuses, sort, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, team = excluded.team, \
             statuses = excluded.statuses, sort = excluded.sort",
        )
        .bind(q.id.clone())
        .bind(q.name.clone())
        .bind(q.team.clone())
        .bind(serde_json::to_string(&q.statuses).expect("statuses serialise"))
        .bind(q.sort.as_str())
        .bind(to_micros(now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The team that works a queue: the queue's, or for a queue not set up, the team of its name
/// (`billing`). Read inside the caller's transaction.
pub(crate) async fn team_for_queue(conn: &mut sqlx::AnyConnection, queue: &str) -> Result<String> {
    let team: Option<String> =
        sqlx::query_scalar("SELECT team FROM queues WHERE id = $1").bind(queue).fetch_optional(&mut *conn).await?;
    Ok(team.unwrap_or_else(|| queue.to_string()))
}

/// The statuses a queue counts and lists as waiting.
pub const ACTIVE: &str = "status IN ('new', 'open', 'pending')";

/// Age buckets of waiting cases, by upper bound in hours (the last is open-ended).
pub const AGE_BUCKETS: &[(&str, Option<i64>)] =
    &[("under_1h", Some(1)), ("1h_4h", Some(4)), ("4h_24h", Some(24)), ("1d_3d", Some(72)), ("over_3d", None)];

impl Store {
    /// Every queue with its figures at `now`, busiest trouble first is left to the caller.
    pub async fn queue_summaries(&self, at: crate::domain::time::Timestamp) -> Result<Vec<QueueSummary>> {
        let now = to_micros(at);
        let mut sql = Sql::new(self.backend(), "SELECT queue, status, COUNT(*) AS n, ");
        sql.push("SUM(CASE WHEN assignee_id IS NULL THEN 1 ELSE 0 END) AS unassigned, ");
        sql.push("SUM(CASE WHEN ");
        breached_sql(&mut sql, now, "");
        sql.push(" THEN 1 ELSE 0 END) AS breached, SUM(CASE WHEN ");
        at_risk_or_worse_sql(&mut sql, now, "");
        sql.push(" THEN 1 ELSE 0 END) AS risky");
        for (name, hours) in AGE_BUCKETS {
            if let Some(h) = hours {
                sql.push(", SUM(CASE WHEN created_at > ").bind(now - h * 3_600_000_000).push(" THEN 1 ELSE 0 END) AS ");
                sql.push(&format!("a_{name}"));
            }
        }
        sql.push(&format!(" FROM cases WHERE {ACTIVE} GROUP BY queue, status"));
        let (text, args) = sql.finish();
        let rows = sqlx::query_with(&text, args).fetch_all(self.reader()).await?;
        let mut counts: std::collections::BTreeMap<String, QueueCounts> = Default::default();
        for r in &rows {
            let c = counts.entry(col_str(r, "queue")?).or_default();
            let n = col_i64(r, "n")?;
            c.by_status.insert(col_str(r, "status")?, n);
            c.waiting += n;
            c.unassigned += col_i64(r, "unassigned")?;
            c.breached += col_i64(r, "breached")?;
            c.at_risk += col_i64(r, "risky")? - col_i64(r, "breached")?;
            // Buckets are cumulative in SQL (younger than h); made disjoint here.
            let mut younger = 0;
            for (name, hours) in AGE_BUCKETS {
                let upto = match hours {
                    Some(_) => col_i64(r, &format!("a_{name}"))?,
                    None => n,
                };
                *c.by_age.entry(name.to_string()).or_default() += upto - younger;
                younger = upto;
            }
        }
        let mut out = Vec::new();
        for q in self.queues().await? {
            let mut c = counts.remove(&q.id).unwrap_or_default();
            for s in ["new", "open", "pending"] {
                c.by_status.entry(s.into()).or_default();
            }
            for (name, _) in AGE_BUCKETS {
                c.by_age.entry(name.to_string()).or_default();
            }
            out.push(QueueSummary { queue: q, counts: c });
        }
        Ok(out)
    }

    /// Every agent's waiting cases at `now`, of the given teams (all when empty).
    pub async fn agent_loads(&self, at: crate::domain::time::Timestamp, teams: &[String]) -> Result<Vec<AgentLoad>> {
        let now = to_micros(at);
        let mut sql = Sql::new(self.backend(), "SELECT a.id, a.name, a.teams, COUNT(c.id) AS waiting, ");
        sql.push("COALESCE(SUM(CASE WHEN c.id IS NOT NULL AND ");
        breached_sql(&mut sql, now, "c.");
        sql.push(" THEN 1 ELSE 0 END), 0) AS breached, COALESCE(SUM(CASE WHEN c.id IS NOT NULL AND ");
        at_risk_or_worse_sql(&mut sql, now, "c.");
        sql.push(" THEN 1 ELSE 0 END), 0) AS risky FROM agents a LEFT JOIN cases c ON c.assignee_id = a.id AND c.");
        sql.push(ACTIVE);
        sql.push(" WHERE a.role <> 'admin' GROUP BY a.id, a.name, a.teams ORDER BY a.name");
        let (text, args) = sql.finish();
        let rows = sqlx::query_with(&text, args).fetch_all(self.reader()).await?;
        let mut out = Vec::new();
        for r in &rows {
            let agent_teams: Vec<String> = serde_json::from_str(&col_str(r, "teams")?).unwrap_or_default();
            if !teams.is_empty() && !agent_teams.iter().any(|t| teams.contains(t)) {
                continue;
            }
            let breached = col_i64(r, "breached")?;
            out.push(AgentLoad {
                agent_id: super::col_uuid(r, "id")?,
                name: col_str(r, "name")?,
                teams: agent_teams,
                waiting: col_i64(r, "waiting")?,
                breached,
                at_risk: col_i64(r, "risky")? - breached,
            });
        }
        Ok(out)
    }
}

/// Which of a queue's cases to list, and in which order.
#[derive(Debug, Clone)]
pub struct QueueCaseFilter {
    /// Of the queue's statuses, only these (all of the queue's when empty).
    pub statuses: Vec<CaseStatus>,
    pub sla: Option<crate::domain::sla::SlaState>,
    /// `Some(None)`: unassigned only.
    pub assignee: Option<Option<uuid::Uuid>>,
    pub sort: QueueSort,
}

/// The key a queue sorts by, as SQL: oldest first; nearest due first; most urgent first (then
/// oldest) — an i64 with the priority's rank above the opening time.
fn sort_key(sort: QueueSort) -> &'static str {
    match sort {
        QueueSort::Age => "created_at",
        // Every case has a resolution due time (set when opened); the index is on it as is.
        // A case waiting on the customer has no resolution due time (its clock stands still):
        // last. The expression is indexed as it is written here (migration 0014).
        QueueSort::Due => "COALESCE(resolution_due, 9000000000000000000)",
        QueueSort::Priority => {
            "((CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END) * 10000000000000000 + created_at)"
        }
    }
}

impl Store {
    /// One keyset page of a queue's waiting cases.
    pub async fn queue_cases(
        &self,
        queue: &Queue,
        f: &QueueCaseFilter,
        limit: u32,
        after: Option<&crate::domain::cursor::TimeCursor>,
        at: crate::domain::time::Timestamp,
    ) -> Result<(Vec<QueueCase>, Option<crate::domain::cursor::TimeCursor>)> {
        use crate::domain::sla::{sla_state, SlaState};
        let now = to_micros(at);
        let key = sort_key(f.sort);
        let cols = super::cases::CASE_COLUMNS;
        let mut sql = Sql::new(self.backend(), &format!("SELECT {cols}, {key} AS sort_key FROM cases WHERE queue = "));
        sql.bind(queue.id.clone()).push(" AND ").push(ACTIVE);
        let statuses: Vec<CaseStatus> = if f.statuses.is_empty() {
            queue.statuses.clone()
        } else {
            f.statuses.iter().copied().filter(|s| queue.statuses.contains(s)).collect()
        };
        sql.push(" AND status IN ('-'");
        for s in &statuses {
            sql.push(", ").bind(s.as_str());
        }
        sql.push(")");
        match f.assignee {
            Some(Some(a)) => {
                sql.push(" AND assignee_id = ").bind(a.to_string());
            }
            Some(None) => {
                sql.push(" AND assignee_id IS NULL");
            }
            None => {}
        }
        match f.sla {
            Some(SlaState::Breached) => {
                sql.push(" AND ");
                breached_sql(&mut sql, now, "");
            }
            Some(SlaState::AtRisk) => {
                sql.push(" AND ");
                at_risk_or_worse_sql(&mut sql, now, "");
                sql.push(" AND NOT ");
                breached_sql(&mut sql, now, "");
            }
            Some(SlaState::Ok) => {
                sql.push(" AND NOT ");
                at_risk_or_worse_sql(&mut sql, now, "");
            }
            None => {}
        }
        if let Some(c) = after {
            sql.push(&format!(" AND ({key}, id) > (")).bind(c.at).push(", ").bind(c.id.to_string()).push(")");
        }
        sql.push(&format!(" ORDER BY {key}, id LIMIT ")).bind(i64::from(limit) + 1);
        let (text, args) = sql.finish();
        let rows = sqlx::query_with(&text, args).fetch_all(self.reader()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let case = super::cases::case_from_row(r)?;
            let sla = sla_state(&case, at);
            out.push((QueueCase { case, sla }, col_i64(r, "sort_key")?));
        }
        let more = out.len() > limit as usize;
        out.truncate(limit as usize);
        let next = if more {
            out.last().map(|(c, k)| crate::domain::cursor::TimeCursor { at: *k, id: c.case.id })
        } else {
            None
        };
        Ok((out.into_iter().map(|(c, _)| c).collect(), next))
    }
}
