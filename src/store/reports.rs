//! The leads' summary report for a period and team(s), per queue and per agent: cases opened
//! and resolved, median handle time, SLA breaches, RASA completion, the outcome mix, follow-up
//! compliance, CSAT and NPS. Counted in SQL (grouped, a few rows back), so it stays fast on a
//! large database; the rules are spelled out on [`Figures`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::queues::{breached_sql, ACTIVE};
use super::{col_i64, col_str, Result, Sql, Store};
use crate::domain::case::Outcome;
use crate::domain::time::{to_micros, Timestamp};

/// How long after a resolution a survey answer still counts for that case.
pub const SURVEY_WINDOW_DAYS: i64 = 14;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUpCompliance {
    /// Due in the period and done by the due time.
    pub on_time: i64,
    /// Due in the period and done after it.
    pub late: i64,
    /// Due in the period, still open, and the due time has passed.
    pub overdue: i64,
    /// Due in the period, still open, not due yet (a period that reaches into the future).
    pub upcoming: i64,
}

/// The figures of a period, for a queue, an agent or everything.
///
/// - `opened`: cases opened in the period. `resolved`: cases resolved in it.
/// - `median_handle_secs`: of the resolved ones, the median time from opening to resolution.
/// - `sla_breaches`: cases resolved in the period that missed a due time, plus cases opened in
///   the period still waiting and past a due time now.
/// - `rasa_completion_rate`: the share of resolved cases whose RASA checklist was complete when
///   resolved (no reason for an incomplete one was recorded).
/// - `outcomes`: resolved cases by experience outcome.
/// - `followups`: follow-ups on the cases, due in the period.
/// - `csat_average` (1–5) and `nps` (% promoters 9–10 − % detractors 0–6): survey answers in
///   the period, each counted for the case it names, else the customer's latest case resolved
///   up to 14 days before the answer; answers with neither are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    pub opened: i64,
    pub resolved: i64,
    pub median_handle_secs: Option<i64>,
    pub sla_breaches: i64,
    pub rasa_completion_rate: Option<f64>,
    pub outcomes: BTreeMap<String, i64>,
    pub followups: FollowUpCompliance,
    pub csat_average: Option<f64>,
    pub csat_responses: i64,
    pub nps: Option<f64>,
    pub nps_responses: i64,
    #[serde(skip)]
    rasa_complete: i64,
    #[serde(skip)]
    csat_sum: i64,
    #[serde(skip)]
    promoters: i64,
    #[serde(skip)]
    detractors: i64,
}

impl Figures {
    fn finish(&mut self) {
        self.rasa_completion_rate = (self.resolved > 0).then(|| self.rasa_complete as f64 / self.resolved as f64);
        self.csat_average = (self.csat_responses > 0).then(|| self.csat_sum as f64 / self.csat_responses as f64);
        self.nps = (self.nps_responses > 0)
            .then(|| 100.0 * (self.promoters - self.detractors) as f64 / self.nps_responses as f64);
        for o in Outcome::ALL {
            self.outcomes.entry(o.as_str().to_string()).or_default();
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QueueFigures {
    pub queue: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentFigures {
    /// `null`: cases nobody was assigned.
    pub agent_id: Option<Uuid>,
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SummaryReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The teams counted (every team when empty).
    pub teams: Vec<String>,
    pub total: Figures,
    pub by_queue: Vec<QueueFigures>,
    pub by_agent: Vec<AgentFigures>,
}

/// What a report groups by: a cases column, or everything together.
#[derive(Clone, Copy)]
enum Group {
    Queue,
    Agent,
    All,
}

impl Group {
    fn expr(self, t: &str) -> String {
        match self {
            Group::Queue => format!("{t}queue"),
            Group::Agent => format!("COALESCE({t}assignee_id, '')"),
            Group::All => "CAST('all' AS TEXT)".into(),
        }
    }
}

fn team_filter(sql: &mut Sql, teams: &[String], t: &str) {
    if teams.is_empty() {
        return;
    }
    sql.push(&format!(" AND {t}team IN ('-'"));
    for team in teams {
        sql.push(", ").bind(team.clone());
    }
    sql.push(")");
}

impl Store {
    /// The summary report of `[from, to)` for `teams` (all when empty), as it stands at `now`.
    pub async fn summary_report(
        &self,
        from: Timestamp,
        to: Timestamp,
        teams: &[String],
        now: Timestamp,
    ) -> Result<SummaryReport> {
        let mut total = BTreeMap::new();
        let mut by_queue = BTreeMap::new();
        let mut by_agent = BTreeMap::new();
        for (group, out) in [(Group::All, &mut total), (Group::Queue, &mut by_queue), (Group::Agent, &mut by_agent)] {
            self.figures(group, from, to, teams, now, out).await?;
        }
        let names: BTreeMap<String, String> = sqlx::query_as::<_, (String, String)>("SELECT id, name FROM agents")
            .fetch_all(self.reader())
            .await?
            .into_iter()
            .collect();
        let mut total = total.remove("all").unwrap_or_default();
        total.finish();
        let by_queue = by_queue
            .into_iter()
            .map(|(queue, mut figures)| {
                figures.finish();
                QueueFigures { queue, figures }
            })
            .collect();
        let by_agent = by_agent
            .into_iter()
            .map(|(id, mut figures)| {
                figures.finish();
                let agent_id = Uuid::parse_str(&id).ok();
                AgentFigures { agent_id, name: names.get(&id).cloned(), figures }
            })
            .collect();
        Ok(SummaryReport { from, to, teams: teams.to_vec(), total, by_queue, by_agent })
    }

    async fn figures(
        &self,
        group: Group,
        from: Timestamp,
        to: Timestamp,
        teams: &[String],
        now: Timestamp,
        out: &mut BTreeMap<String, Figures>,
    ) -> Result<()> {
        let (from, to, now) = (to_micros(from), to_micros(to), to_micros(now));
        let g = group.expr("");

        // Opened in the period; of those, still waiting and past due now.
        let mut sql = Sql::new(self.backend(), &format!("SELECT {g} AS g, COUNT(*) AS n, SUM(CASE WHEN {ACTIVE} AND "));
        breached_sql(&mut sql, now, "");
        sql.push(" THEN 1 ELSE 0 END) AS breached FROM cases WHERE created_at >= ").bind(from);
        sql.push(" AND created_at < ").bind(to);
        team_filter(&mut sql, teams, "");
        sql.push(" GROUP BY 1");
        for r in self.rows(sql).await? {
            let f = out.entry(col_str(&r, "g")?).or_default();
            f.opened += col_i64(&r, "n")?;
            f.sla_breaches += col_i64(&r, "breached")?;
        }

        // Resolved in the period: count, RASA, breaches, outcomes.
        let mut sql = Sql::new(
            self.backend(),
            &format!(
                "SELECT {g} AS g, COUNT(*) AS n, \
                 SUM(CASE WHEN resolution_rasa_incomplete_reason IS NULL THEN 1 ELSE 0 END) AS rasa, \
                 SUM(CASE WHEN resolved_at > resolution_due \
                     OR COALESCE(first_response_at, resolved_at) > first_response_due THEN 1 ELSE 0 END) AS late"
            ),
        );
        for o in Outcome::ALL {
            sql.push(&format!(", SUM(CASE WHEN resolution_outcome = '{o}' THEN 1 ELSE 0 END) AS o_{o}"));
        }
        sql.push(" FROM cases WHERE resolved_at >= ").bind(from).push(" AND resolved_at < ").bind(to);
        team_filter(&mut sql, teams, "");
        sql.push(" GROUP BY 1");
        for r in self.rows(sql).await? {
            let f = out.entry(col_str(&r, "g")?).or_default();
            f.resolved += col_i64(&r, "n")?;
            f.rasa_complete += col_i64(&r, "rasa")?;
            f.sla_breaches += col_i64(&r, "late")?;
            for o in Outcome::ALL {
                f.outcomes.insert(o.as_str().to_string(), col_i64(&r, &format!("o_{o}"))?);
            }
        }

        // Median handle time: the middle one (or the mean of the middle two) per group.
        let mut sql = Sql::new(
            self.backend(),
            &format!(
                "SELECT g, CAST(SUM(h) AS BIGINT) AS s, COUNT(*) AS k FROM (SELECT {g} AS g, resolved_at - created_at AS h, \
                 ROW_NUMBER() OVER (PARTITION BY {g} ORDER BY resolved_at - created_at) AS rn, \
                 COUNT(*) OVER (PARTITION BY {g}) AS cnt FROM cases WHERE resolved_at >= "
            ),
        );
        sql.bind(from).push(" AND resolved_at < ").bind(to);
        team_filter(&mut sql, teams, "");
        sql.push(") m WHERE rn = (cnt + 1) / 2 OR rn = (cnt + 2) / 2 GROUP BY g");
        for r in self.rows(sql).await? {
            let f = out.entry(col_str(&r, "g")?).or_default();
            let k = col_i64(&r, "k")?.max(1);
            f.median_handle_secs = Some(col_i64(&r, "s")? / k / 1_000_000);
        }

        // Follow-ups on the cases, due in the period.
        let gc = match group {
            Group::Agent => "COALESCE(f.assignee_id, '')".to_string(),
            _ => group.expr("c."),
        };
        let mut sql = Sql::new(
            self.backend(),
            &format!(
                "SELECT {gc} AS g, \
                 SUM(CASE WHEN f.status = 'done' AND f.done_at <= f.due_at THEN 1 ELSE 0 END) AS on_time, \
                 SUM(CASE WHEN f.status = 'done' AND f.done_at > f.due_at THEN 1 ELSE 0 END) AS late, "
            ),
        );
        sql.push("SUM(CASE WHEN f.status = 'open' AND f.due_at < ").bind(now).push(" THEN 1 ELSE 0 END) AS overdue, ");
        sql.push("SUM(CASE WHEN f.status = 'open' AND f.due_at >= ").bind(now).push(" THEN 1 ELSE 0 END) AS upcoming ");
        sql.push("FROM followups f JOIN cases c ON c.id = f.case_id WHERE f.due_at >= ").bind(from);
        sql.push(" AND f.due_at < ").bind(to);
        team_filter(&mut sql, teams, "c.");
        sql.push(" GROUP BY 1");
        for r in self.rows(sql).await? {
            let f = out.entry(col_str(&r, "g")?).or_default();
            f.followups.on_time += col_i64(&r, "on_time")?;
            f.followups.late += col_i64(&r, "late")?;
            f.followups.overdue += col_i64(&r, "overdue")?;
            f.followups.upcoming += col_i64(&r, "upcoming")?;
        }

        // Survey answers, each for its case: named, or the latest resolved shortly before.
        let window = SURVEY_WINDOW_DAYS * 86_400_000_000;
        let mut sql = Sql::new(
            self.backend(),
            &format!(
                "SELECT {gc} AS g, s.kind, s.data FROM (SELECT e.kind, e.data, COALESCE(e.case_id, \
                 (SELECT c2.id FROM cases c2 WHERE c2.customer_id = e.customer_id AND c2.resolved_at <= e.occurred_at \
                 AND c2.resolved_at > e.occurred_at - {window} ORDER BY c2.resolved_at DESC LIMIT 1)) AS cid \
                 FROM events e WHERE (e.kind LIKE '%csat%' OR e.kind LIKE '%nps%') AND e.occurred_at >= ",
                gc = group.expr("c.")
            ),
        );
        sql.bind(from).push(" AND e.occurred_at < ").bind(to);
        sql.push(") s JOIN cases c ON c.id = s.cid WHERE 1 = 1");
        team_filter(&mut sql, teams, "c.");
        for r in self.rows(sql).await? {
            let kind = col_str(&r, "kind")?;
            let score = serde_json::from_str::<serde_json::Value>(&col_str(&r, "data")?)
                .ok()
                .and_then(|d| d.get("score").and_then(|s| s.as_i64()));
            let Some(score) = score else { continue };
            let f = out.entry(col_str(&r, "g")?).or_default();
            if kind.contains("nps") && (0..=10).contains(&score) {
                f.nps_responses += 1;
                f.promoters += i64::from(score >= 9);
                f.detractors += i64::from(score <= 6);
            } else if kind.contains("csat") && (1..=5).contains(&score) {
                f.csat_responses += 1;
                f.csat_sum += score;
            }
        }
        Ok(())
    }

    async fn rows(&self, sql: Sql) -> Result<Vec<sqlx::any::AnyRow>> {
        let (text, args) = sql.finish();
        Ok(sqlx::query_with(&text, args).fetch_all(self.reader()).await?)
    }
}
