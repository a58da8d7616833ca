//! The leads' summary report for a period and team(s), per queue and per agent: cases opened
//! and resolved, median handle time, SLA breaches, RASA completion, the outcome mix, follow-up
//! compliance, CSAT and NPS. Counted in SQL (grouped, a few rows back), so it stays fast on a
//! large database; the rules are spelled out on [`Figures`].

use std::collections::BTreeMap;

use uuid::Uuid;

use super::queues::{breached_sql, ACTIVE};
use super::report_days::DAY;
use super::{col_i64, col_str, Result, Sql, Store};
use crate::domain::case::{Case, Outcome};
use crate::domain::time::{to_micros, Timestamp};
pub use crate::wire::leads::{
    AgentFigures, Day, Figures, FollowUpCompliance, QueueFigures, Ranked, ReportFigure, SummaryReport,
};

/// How many root causes and contact reasons a report ranks.
pub const RANKED: usize = 20;

/// How long after a resolution a survey answer still counts for that case.
pub const SURVEY_WINDOW_DAYS: i64 = 14;

impl Figures {
    fn finish(&mut self) {
        self.rasa_completion_rate = (self.resolved > 0).then(|| self.rasa_complete as f64 / self.resolved as f64);
        self.csat_average = (self.csat_responses > 0).then(|| self.csat_sum as f64 / self.csat_responses as f64);
        self.nps = (self.nps_responses > 0)
            .then(|| 100.0 * (self.promoters - self.detractors) as f64 / self.nps_responses as f64);
        self.quality_average = (self.reviews > 0).then(|| self.quality_sum as f64 / 100.0 / self.reviews as f64);
        self.quality_previous = (self.quality_previous_n > 0)
            .then(|| self.quality_previous_sum as f64 / 100.0 / self.quality_previous_n as f64);
        for o in Outcome::ALL {
            self.outcomes.entry(o.as_str().to_string()).or_default();
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

/// Where one row of a grouped query counts: its queue, its agent, and the total.
struct Tally {
    total: Figures,
    by_queue: BTreeMap<String, Figures>,
    by_agent: BTreeMap<String, Figures>,
    /// Handle times in seconds → how many, for the medians.
    handle_total: BTreeMap<i64, i64>,
    handle_queue: BTreeMap<String, BTreeMap<i64, i64>>,
    handle_agent: BTreeMap<String, BTreeMap<i64, i64>>,
    /// By day number (days since the epoch).
    days: BTreeMap<i64, Day>,
}

impl Tally {
    /// Applies `add` to the total, the queue's figures and the agent's.
    fn add(&mut self, queue: &str, agent: &str, add: impl Fn(&mut Figures)) {
        add(&mut self.total);
        add(self.by_queue.entry(queue.to_string()).or_default());
        add(self.by_agent.entry(agent.to_string()).or_default());
    }
}

impl Tally {
    /// Counts handle times (seconds → how many) for the queue, the agent and the total.
    fn handled(&mut self, queue: &str, agent: &str, times: &BTreeMap<i64, i64>) {
        let by_queue = self.handle_queue.entry(queue.to_string()).or_default();
        let by_agent = self.handle_agent.entry(agent.to_string()).or_default();
        for (secs, n) in times {
            *self.handle_total.entry(*secs).or_default() += n;
            *by_queue.entry(*secs).or_default() += n;
            *by_agent.entry(*secs).or_default() += n;
        }
    }
}

/// The median of values given as value → how many (the mean of the middle two when even).
fn median(counts: Option<&BTreeMap<i64, i64>>) -> Option<i64> {
    let counts = counts?;
    let n: i64 = counts.values().sum();
    if n <= 0 {
        return None;
    }
    // The value at a position (0-based) of the sorted values.
    let at = |pos: i64| {
        let mut seen = 0;
        counts.iter().find(|(_, c)| {
            seen += **c;
            seen > pos
        })
    };
    let upper = *at(n / 2)?.0;
    Some(if n % 2 == 1 { upper } else { (*at(n / 2 - 1)?.0 + upper) / 2 })
}

/// `[start, end)`: microseconds, or day numbers.
type Span = (i64, i64);

/// The whole days of `[f, u)` (as day numbers, `[first, end)`), and the parts before and after
/// them; none whole: the period itself.
fn split_days(f: i64, u: i64) -> (Option<Span>, Vec<Span>) {
    let (first, end) = ((f + DAY - 1).div_euclid(DAY), u.div_euclid(DAY));
    if first >= end {
        return (None, vec![(f, u)]);
    }
    let edges = [(f, first * DAY), (end * DAY, u)].into_iter().filter(|(a, b)| a < b).collect();
    (Some((first, end)), edges)
}

impl Store {
    /// The summary report of `[from, to)` for `teams` (all when empty), as it stands at `now`.
    /// Its whole days are read from the daily rollups (`store::report_days`), the partial days
    /// at its ends from the cases; each query groups by queue and agent once; the queue, agent
    /// and total figures are sums of those rows (medians from the handle times themselves).
    pub async fn summary_report(
        &self,
        from: Timestamp,
        to: Timestamp,
        teams: &[String],
        at: Timestamp,
    ) -> Result<SummaryReport> {
        self.report(from, to, teams, at, true).await
    }

    /// The same report counted from the cases alone, without the rollups: what they are
    /// checked against (and what the report cost before them).
    pub async fn summary_report_scanned(
        &self,
        from: Timestamp,
        to: Timestamp,
        teams: &[String],
        at: Timestamp,
    ) -> Result<SummaryReport> {
        self.report(from, to, teams, at, false).await
    }

    async fn report(
        &self,
        from: Timestamp,
        to: Timestamp,
        teams: &[String],
        at: Timestamp,
        rollups: bool,
    ) -> Result<SummaryReport> {
        let mut t = Tally {
            total: Figures::default(),
            by_queue: BTreeMap::new(),
            by_agent: BTreeMap::new(),
            handle_total: BTreeMap::new(),
            handle_queue: BTreeMap::new(),
            handle_agent: BTreeMap::new(),
            days: BTreeMap::new(),
        };
        let (f, u, now) = (to_micros(from), to_micros(to), to_micros(at));
        const KEYS: &str = "queue AS q, COALESCE(assignee_id, '') AS a";
        // With the rollups: whole days from them, the rest from the cases.
        let (whole, edges) = if rollups { split_days(f, u) } else { (None, vec![(f, u)]) };

        if let Some((first, end)) = whole {
            let mut sql = Sql::new(
                self.backend(),
                &format!("SELECT {} FROM report_days WHERE day >= ", super::report_days::COLUMNS),
            );
            sql.bind(first).push(" AND day < ").bind(end);
            team_filter(&mut sql, teams, "");
            for r in self.rows(sql).await? {
                let ((day, _, q, a), x) = super::report_days::totals_from_row(&r)?;
                t.add(&q, &a, |y| {
                    y.opened += x.opened;
                    y.resolved += x.resolved;
                    y.rasa_complete += x.rasa_complete;
                    y.sla_breaches += x.late;
                    for (o, n) in Outcome::ALL.iter().zip(x.outcomes) {
                        if n != 0 {
                            *y.outcomes.entry(o.as_str().to_string()).or_default() += n;
                        }
                    }
                });
                let d = t.days.entry(day).or_default();
                d.opened += x.opened;
                d.resolved += x.resolved;
                t.handled(&q, &a, &x.handle);
            }
            // Of the period's openings, those still waiting and past due now: a figure of the
            // moment, read from the waiting cases alone.
            let mut sql =
                Sql::new(self.backend(), &format!("SELECT {KEYS}, COUNT(*) AS n FROM cases WHERE {ACTIVE} AND "));
            breached_sql(&mut sql, now, "");
            sql.push(" AND created_at >= ").bind(f).push(" AND created_at < ").bind(u);
            team_filter(&mut sql, teams, "");
            sql.push(" GROUP BY queue, assignee_id");
            for r in self.rows(sql).await? {
                let n = col_i64(&r, "n")?;
                t.add(&col_str(&r, "q")?, &col_str(&r, "a")?, |x| x.sla_breaches += n);
            }
        }

        for (f, u) in edges {
            // Opened in this part of the period; of those (when the rollups are not read),
            // still waiting and past due now.
            let mut sql = Sql::new(
                self.backend(),
                &format!("SELECT {KEYS}, created_at / {DAY} AS d, COUNT(*) AS n, SUM(CASE WHEN {ACTIVE} AND "),
            );
            breached_sql(&mut sql, now, "");
            sql.push(" THEN 1 ELSE 0 END) AS breached FROM cases WHERE created_at >= ").bind(f);
            sql.push(" AND created_at < ").bind(u);
            team_filter(&mut sql, teams, "");
            sql.push(&format!(" GROUP BY queue, assignee_id, created_at / {DAY}"));
            for r in self.rows(sql).await? {
                let (n, b) = (col_i64(&r, "n")?, if whole.is_some() { 0 } else { col_i64(&r, "breached")? });
                t.add(&col_str(&r, "q")?, &col_str(&r, "a")?, |x| {
                    x.opened += n;
                    x.sla_breaches += b;
                });
                t.days.entry(col_i64(&r, "d")?).or_default().opened += n;
            }

            // Resolved in this part, one row each (the handle times give the medians).
            let mut sql = Sql::new(
                self.backend(),
                &format!(
                    "SELECT {KEYS}, resolved_at / {DAY} AS d, resolved_at - created_at AS h, resolution_outcome AS o, \
                     CASE WHEN resolution_rasa_incomplete_reason IS NULL THEN 1 ELSE 0 END AS rasa, \
                     CASE WHEN resolved_at > resolution_due \
                         OR COALESCE(first_response_at, resolved_at) > first_response_due THEN 1 ELSE 0 END AS late \
                     FROM cases WHERE resolved_at >= "
                ),
            );
            sql.bind(f).push(" AND resolved_at < ").bind(u);
            team_filter(&mut sql, teams, "");
            for r in self.rows(sql).await? {
                let (q, a) = (col_str(&r, "q")?, col_str(&r, "a")?);
                let (h, rasa, late) = (col_i64(&r, "h")? / 1_000_000, col_i64(&r, "rasa")?, col_i64(&r, "late")?);
                let outcome = col_str(&r, "o")?;
                t.add(&q, &a, |x| {
                    x.resolved += 1;
                    x.rasa_complete += rasa;
                    x.sla_breaches += late;
                    *x.outcomes.entry(outcome.clone()).or_default() += 1;
                });
                t.days.entry(col_i64(&r, "d")?).or_default().resolved += 1;
                t.handled(&q, &a, &BTreeMap::from([(h, 1)]));
            }
        }

        // Follow-ups on the cases, due in the period (per agent: the follow-up's assignee).
        let mut sql = Sql::new(
            self.backend(),
            "SELECT c.queue AS q, f.assignee_id AS a, \
             SUM(CASE WHEN f.status = 'done' AND f.done_at <= f.due_at THEN 1 ELSE 0 END) AS on_time, \
             SUM(CASE WHEN f.status = 'done' AND f.done_at > f.due_at THEN 1 ELSE 0 END) AS late, ",
        );
        sql.push("SUM(CASE WHEN f.status = 'open' AND f.due_at < ").bind(now).push(" THEN 1 ELSE 0 END) AS overdue, ");
        sql.push("SUM(CASE WHEN f.status = 'open' AND f.due_at >= ").bind(now).push(" THEN 1 ELSE 0 END) AS upcoming ");
        sql.push("FROM followups f JOIN cases c ON c.id = f.case_id WHERE f.due_at >= ").bind(f);
        sql.push(" AND f.due_at < ").bind(u);
        team_filter(&mut sql, teams, "c.");
        sql.push(" GROUP BY c.queue, f.assignee_id");
        for r in self.rows(sql).await? {
            let c = FollowUpCompliance {
                on_time: col_i64(&r, "on_time")?,
                late: col_i64(&r, "late")?,
                overdue: col_i64(&r, "overdue")?,
                upcoming: col_i64(&r, "upcoming")?,
            };
            t.add(&col_str(&r, "q")?, &col_str(&r, "a")?, |x| {
                x.followups.on_time += c.on_time;
                x.followups.late += c.late;
                x.followups.overdue += c.overdue;
                x.followups.upcoming += c.upcoming;
            });
        }

        // Survey answers, each for its case: named, or the latest resolved shortly before;
        // summed in SQL by queue, agent, kind and day (a score is a whole number in the
        // event's data: `{"score": 4}`; NPS 0–10, CSAT 1–5, anything else left out).
        let window = SURVEY_WINDOW_DAYS * 86_400_000_000;
        let (kind_of, score) = match self.backend() {
            super::Backend::Sqlite => (
                "CASE WHEN instr(e.kind, 'nps') > 0 THEN 'nps' WHEN instr(e.kind, 'csat') > 0 THEN 'csat' END",
                "CASE WHEN json_valid(e.data) AND json_type(e.data, '$.score') = 'integer' \
                 THEN json_extract(e.data, '$.score') END",
            ),
            super::Backend::Postgres => (
                "CASE WHEN strpos(e.kind, 'nps') > 0 THEN 'nps' WHEN strpos(e.kind, 'csat') > 0 THEN 'csat' END",
                "CASE WHEN (e.data::jsonb ->> 'score') ~ '^-?[0-9]{1,18}$' \
                 AND jsonb_typeof(e.data::jsonb -> 'score') = 'number' THEN (e.data::jsonb ->> 'score')::bigint END",
            ),
        };
        let mut sql = Sql::new(
            self.backend(),
            &format!(
                "SELECT c.queue AS q, COALESCE(c.assignee_id, '') AS a, s.d, \
                 SUM(CASE WHEN s.k = 'nps' AND s.v BETWEEN 0 AND 10 THEN 1 ELSE 0 END) AS nps_n, \
                 SUM(CASE WHEN s.k = 'nps' AND s.v BETWEEN 9 AND 10 THEN 1 ELSE 0 END) AS promoters, \
                 SUM(CASE WHEN s.k = 'nps' AND s.v BETWEEN 0 AND 6 THEN 1 ELSE 0 END) AS detractors, \
                 SUM(CASE WHEN s.k = 'csat' AND s.v BETWEEN 1 AND 5 THEN 1 ELSE 0 END) AS csat_n, \
                 CAST(SUM(CASE WHEN s.k = 'csat' AND s.v BETWEEN 1 AND 5 THEN s.v ELSE 0 END) AS BIGINT) AS csat_sum \
                 FROM (SELECT {kind_of} AS k, {score} AS v, e.occurred_at / {DAY} AS d, \
                 COALESCE(e.case_id, (SELECT c2.id FROM cases c2 WHERE c2.customer_id = e.customer_id \
                 AND c2.resolved_at <= e.occurred_at AND c2.resolved_at > e.occurred_at - {window} \
                 ORDER BY c2.resolved_at DESC LIMIT 1)) AS cid \
                 FROM events e WHERE (e.kind LIKE '%csat%' OR e.kind LIKE '%nps%') AND e.occurred_at >= "
            ),
        );
        sql.bind(f).push(" AND e.occurred_at < ").bind(u);
        sql.push(") s JOIN cases c ON c.id = s.cid WHERE s.k IS NOT NULL AND s.v IS NOT NULL");
        team_filter(&mut sql, teams, "c.");
        sql.push(" GROUP BY c.queue, c.assignee_id, s.d");
        for r in self.rows(sql).await? {
            let (q, a) = (col_str(&r, "q")?, col_str(&r, "a")?);
            let (nps_n, promoters, detractors) =
                (col_i64(&r, "nps_n")?, col_i64(&r, "promoters")?, col_i64(&r, "detractors")?);
            let (csat_n, csat_sum) = (col_i64(&r, "csat_n")?, col_i64(&r, "csat_sum")?);
            t.add(&q, &a, |x| {
                x.nps_responses += nps_n;
                x.promoters += promoters;
                x.detractors += detractors;
                x.csat_responses += csat_n;
                x.csat_sum += csat_sum;
            });
            if csat_n > 0 {
                let day = t.days.entry(col_i64(&r, "d")?).or_default();
                day.csat_responses += csat_n;
                day.csat_sum += csat_sum;
            }
        }

        // Quality reviews of the period (and the one before, for the trend), each for its
        // case's queue and the agent reviewed; two reviews of one case are compared.
        let mut sql = Sql::new(
            self.backend(),
            "SELECT c.queue AS q, COALESCE(r.agent_id, '') AS a, r.percent_x100 AS p, r.created_at AS t, \
             r.case_id AS cid, r.scores AS s FROM reviews r JOIN cases c ON c.id = r.case_id WHERE r.created_at >= ",
        );
        sql.bind(f - (u - f)).push(" AND r.created_at < ").bind(u);
        team_filter(&mut sql, teams, "c.");
        sql.push(" ORDER BY r.created_at, r.id");
        let mut by_case: BTreeMap<String, Vec<Vec<crate::domain::scorecard::Score>>> = BTreeMap::new();
        for r in self.rows(sql).await? {
            let (q, a, p) = (col_str(&r, "q")?, col_str(&r, "a")?, col_i64(&r, "p")?);
            if col_i64(&r, "t")? >= f {
                t.add(&q, &a, |x| {
                    x.reviews += 1;
                    x.quality_sum += p;
                });
                if let Ok(scores) = serde_json::from_str(&col_str(&r, "s")?) {
                    by_case.entry(col_str(&r, "cid")?).or_default().push(scores);
                }
            } else {
                t.add(&q, &a, |x| {
                    x.quality_previous_n += 1;
                    x.quality_previous_sum += p;
                });
            }
        }
        let card = crate::domain::scorecard::default_scorecard();
        let pairs: Vec<f64> = by_case.values().filter(|v| v.len() >= 2).map(|v| card.agreement(&v[0], &v[1])).collect();
        let calibrated_cases = pairs.len() as i64;
        let calibration = (!pairs.is_empty()).then(|| pairs.iter().sum::<f64>() / pairs.len() as f64);

        let names: BTreeMap<String, String> = sqlx::query_as::<_, (String, String)>("SELECT id, name FROM agents")
            .fetch_all(self.reader())
            .await?
            .into_iter()
            .collect();
        let mut total = t.total;
        total.median_handle_secs = median(Some(&t.handle_total));
        total.finish();
        let by_queue = t
            .by_queue
            .into_iter()
            .map(|(queue, mut figures)| {
                figures.median_handle_secs = median(t.handle_queue.get(&queue));
                figures.finish();
                QueueFigures { queue, figures }
            })
            .collect();
        let by_agent = t
            .by_agent
            .into_iter()
            .map(|(id, mut figures)| {
                figures.median_handle_secs = median(t.handle_agent.get(&id));
                figures.finish();
                AgentFigures { agent_id: Uuid::parse_str(&id).ok(), name: names.get(&id).cloned(), figures }
            })
            .collect();
        let (first, last) = (f.div_euclid(DAY), (u - 1).div_euclid(DAY));
        let daily = (first..=last)
            .map(|d| {
                let mut day = t.days.remove(&d).unwrap_or_default();
                day.day = chrono::DateTime::from_timestamp(d * 86_400, 0).map(|t| t.date_naive()).unwrap_or_default();
                day.csat_average = (day.csat_responses > 0).then(|| day.csat_sum as f64 / day.csat_responses as f64);
                day
            })
            .collect();
        let (root_causes, contact_reasons) = self.rankings(f, u, teams).await?;
        Ok(SummaryReport {
            from,
            to,
            teams: teams.to_vec(),
            total,
            by_queue,
            by_agent,
            daily,
            root_causes,
            contact_reasons,
            calibration,
            calibrated_cases,
        })
    }

    /// The root causes of the period's resolutions and the reasons of its openings, each with
    /// its count in the period before (`[f - (u - f), f)`): grouped in SQL on the keys kept on
    /// write (migration 0015), the index covering the read.
    async fn rankings(&self, f: i64, u: i64, teams: &[String]) -> Result<(Vec<Ranked>, Vec<Ranked>)> {
        let before = f - (u - f);
        let mut out = Vec::new();
        for (key, at) in [("root_cause_key", "resolved_at"), ("contact_reason_key", "created_at")] {
            let mut sql = Sql::new(self.backend(), &format!("SELECT {key} AS k, SUM(CASE WHEN {at} >= "));
            sql.bind(f).push(&format!(" THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN {at} < ")).bind(f);
            sql.push(&format!(" THEN 1 ELSE 0 END) AS p FROM cases WHERE {at} >= ")).bind(before);
            sql.push(&format!(" AND {at} < ")).bind(u).push(&format!(" AND {key} IS NOT NULL"));
            team_filter(&mut sql, teams, "");
            sql.push(&format!(" GROUP BY {key}"));
            let mut ranked: Vec<Ranked> = self
                .rows(sql)
                .await?
                .iter()
                .map(|r| Ok(Ranked { key: col_str(r, "k")?, count: col_i64(r, "n")?, previous: col_i64(r, "p")? }))
                .collect::<Result<Vec<_>>>()?;
            ranked.retain(|r| r.count > 0);
            ranked.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
            ranked.truncate(RANKED);
            out.push(ranked);
        }
        let reasons = out.pop().unwrap_or_default();
        let causes = out.pop().unwrap_or_default();
        Ok((causes, reasons))
    }

    /// The cases behind a figure of the report of `[from, to)` for `teams` at `at`, optionally
    /// of one queue or one agent (`""`: nobody's), newest first (up to 500), and how many.
    #[allow(clippy::too_many_arguments)]
    pub async fn report_cases(
        &self,
        from: Timestamp,
        to: Timestamp,
        teams: &[String],
        figure: ReportFigure,
        key: Option<&str>,
        queue: Option<&str>,
        agent: Option<&str>,
        at: Timestamp,
    ) -> Result<(Vec<Case>, i64)> {
        let (f, u, now) = (to_micros(from), to_micros(to), to_micros(at));
        let mut sql = Sql::new(self.backend(), &format!("SELECT {} FROM cases WHERE ", super::cases::CASE_COLUMNS));
        match figure {
            ReportFigure::Opened | ReportFigure::ContactReason => {
                sql.push("created_at >= ").bind(f).push(" AND created_at < ").bind(u);
            }
            ReportFigure::Resolved | ReportFigure::RootCause | ReportFigure::Outcome => {
                sql.push("resolved_at >= ").bind(f).push(" AND resolved_at < ").bind(u);
            }
            ReportFigure::Breached => {
                sql.push("((created_at >= ").bind(f).push(" AND created_at < ").bind(u);
                sql.push(&format!(" AND {ACTIVE} AND "));
                breached_sql(&mut sql, now, "");
                sql.push(") OR (resolved_at >= ").bind(f).push(" AND resolved_at < ").bind(u);
                sql.push(" AND (resolved_at > resolution_due OR COALESCE(first_response_at, resolved_at) > first_response_due)))");
            }
        }
        if let (ReportFigure::Outcome, Some(k)) = (figure, key) {
            sql.push(" AND resolution_outcome = ").bind(k.to_string());
        }
        match (figure, key) {
            (ReportFigure::RootCause, Some(k)) => {
                sql.push(" AND root_cause_key = ").bind(k.to_string());
            }
            (ReportFigure::RootCause, None) => {
                sql.push(" AND root_cause_key IS NOT NULL");
            }
            (ReportFigure::ContactReason, Some(k)) => {
                sql.push(" AND contact_reason_key = ").bind(k.to_string());
            }
            _ => {}
        }
        team_filter(&mut sql, teams, "");
        if let Some(q) = queue {
            sql.push(" AND queue = ").bind(q.to_string());
        }
        match agent {
            Some("") => {
                sql.push(" AND assignee_id IS NULL");
            }
            Some(a) => {
                sql.push(" AND assignee_id = ").bind(a.to_string());
            }
            None => {}
        }
        sql.push(" ORDER BY created_at DESC, id DESC");
        let rows = self.rows(sql).await?;
        let mut cases = rows.iter().map(super::cases::case_from_row).collect::<Result<Vec<Case>>>()?;
        let total = cases.len() as i64;
        cases.truncate(500);
        Ok((cases, total))
    }

    async fn rows(&self, sql: Sql) -> Result<Vec<sqlx::any::AnyRow>> {
        let (text, args) = sql.finish();
        Ok(sqlx::query_with(&text, args).fetch_all(self.reader()).await?)
    }
}
