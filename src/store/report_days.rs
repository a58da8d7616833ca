//! The report's daily rollups, kept on write (migration 0018): for each UTC day, team, queue
//! and agent, the cases opened that day, and of the cases resolved that day how many, how many
//! with the RASA checklist complete, how many late, each outcome, and their handle times
//! (seconds → how many, so that medians stay exact). Every write of a case row passes the case
//! as it was and as it becomes through [`track`]: what the difference comes to is added in the
//! same transaction, so the rollups never drift from the cases. The report reads whole days
//! from here and only the partial days at its ends from the cases (`store::reports`).
//!
//! Each row is changed by adding to it in one statement (`INSERT … ON CONFLICT DO UPDATE`
//! adding to the stored values), so two API nodes writing the same row at once both count.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;

use super::{backend_of, col_i64, col_str, Backend, Result, Store, Tx};
use crate::domain::case::{Case, Outcome};
use crate::domain::time::to_micros;

/// A day in microseconds.
pub const DAY: i64 = 86_400_000_000;

/// Where a fact counts: the day (since the epoch, UTC), team, queue and agent ('' for nobody).
pub type Key = (i64, String, String, String);

/// What a day, team, queue and agent add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub opened: i64,
    pub resolved: i64,
    pub rasa_complete: i64,
    pub late: i64,
    /// By outcome, in `Outcome::ALL`'s order.
    pub outcomes: [i64; 4],
    /// Handle times of the resolutions, in seconds → how many.
    pub handle: BTreeMap<i64, i64>,
}

impl Totals {
    fn add(&mut self, other: &Totals, sign: i64) {
        self.opened += sign * other.opened;
        self.resolved += sign * other.resolved;
        self.rasa_complete += sign * other.rasa_complete;
        self.late += sign * other.late;
        for (a, b) in self.outcomes.iter_mut().zip(other.outcomes) {
            *a += sign * b;
        }
        for (secs, n) in &other.handle {
            *self.handle.entry(*secs).or_default() += sign * n;
        }
        self.handle.retain(|_, n| *n != 0);
    }

    fn is_zero(&self) -> bool {
        *self == Totals::default()
    }
}

/// What one case adds: one opening on the day it was opened and, resolved, one resolution on
/// the day it was resolved — the report's own rules (`store::reports`), case by case.
pub fn facts(c: &Case) -> Vec<(Key, Totals)> {
    let agent = c.assignee_id.map(|a| a.to_string()).unwrap_or_default();
    let key = |at: i64| (at.div_euclid(DAY), c.team.clone(), c.queue.clone(), agent.clone());
    let created = to_micros(c.created_at);
    let mut out = vec![(key(created), Totals { opened: 1, ..Totals::default() })];
    if let Some(r) = &c.resolution {
        let resolved = to_micros(r.resolved_at);
        let after = |due: Option<chrono::DateTime<chrono::Utc>>, at: i64| due.is_some_and(|d| at > to_micros(d));
        let first = c.first_response_at.map(to_micros).unwrap_or(resolved);
        let mut t = Totals {
            resolved: 1,
            rasa_complete: i64::from(r.rasa_incomplete_reason.is_none()),
            late: i64::from(after(c.resolution_due, resolved) || after(c.first_response_due, first)),
            ..Totals::default()
        };
        if let Some(i) = Outcome::ALL.iter().position(|o| *o == r.outcome) {
            t.outcomes[i] = 1;
        }
        t.handle.insert((resolved - created) / 1_000_000, 1);
        out.push((key(resolved), t));
    }
    out
}

/// What changing `before` into `after` adds to each row (rows it leaves alone left out).
pub fn difference(before: Option<&Case>, after: Option<&Case>) -> BTreeMap<Key, Totals> {
    let mut out: BTreeMap<Key, Totals> = BTreeMap::new();
    for (case, sign) in [(after, 1), (before, -1)] {
        for (key, t) in case.map(facts).unwrap_or_default() {
            out.entry(key).or_default().add(&t, sign);
        }
    }
    out.retain(|_, t| !t.is_zero());
    out
}

/// Keeps the rollups in step with a case row written in `tx`: `before` as it was (none for a
/// new case), `after` as it is now.
pub(crate) async fn track(tx: &mut Tx, before: Option<&Case>, after: &Case) -> Result<()> {
    let diff = difference(before, Some(after));
    add(tx, &diff, false).await
}

/// Adds to the rows, in key order (two transactions touching the same rows lock them in the
/// same order); `fresh`: the table is empty (being filled), the rows are written as they are.
async fn add(tx: &mut Tx, diff: &BTreeMap<Key, Totals>, fresh: bool) -> Result<()> {
    let backend = backend_of(tx);
    for ((day, team, queue, agent), t) in diff {
        // The handle times: added to the stored JSON by the database itself (keys and counts
        // are numbers made here, written into the statement). A case's change brings one or two;
        // each one's old count is read from the row as stored, so the expression grows by one
        // call per time, not twice.
        let mut handle = "report_days.handle".to_string();
        for (secs, n) in &t.handle {
            handle = match backend {
                Backend::Sqlite => format!(
                    "json_set({handle}, '$.\"{secs}\"', COALESCE(json_extract(report_days.handle, '$.\"{secs}\"'), 0) + {n})"
                ),
                Backend::Postgres => format!(
                    "(jsonb_set(({handle})::jsonb, '{{{secs}}}', to_jsonb(COALESCE((report_days.handle::jsonb ->> '{secs}')::bigint, 0) + {n})))::text"
                ),
            };
        }
        let first: BTreeMap<String, i64> = t.handle.iter().map(|(s, n)| (s.to_string(), *n)).collect();
        let on_conflict = if fresh {
            String::new()
        } else {
            format!(
                " ON CONFLICT (day, team, queue, agent) DO UPDATE SET \
                 opened = report_days.opened + excluded.opened, resolved = report_days.resolved + excluded.resolved, \
                 rasa_complete = report_days.rasa_complete + excluded.rasa_complete, late = report_days.late + excluded.late, \
                 memorable = report_days.memorable + excluded.memorable, positive = report_days.positive + excluded.positive, \
                 negative = report_days.negative + excluded.negative, \
                 forgettable = report_days.forgettable + excluded.forgettable, handle = {handle}"
            )
        };
        sqlx::query(&format!(
            "INSERT INTO report_days (day, team, queue, agent, opened, resolved, rasa_complete, late, \
             memorable, positive, negative, forgettable, handle) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13){on_conflict}"
        ))
        .bind(*day)
        .bind(team.clone())
        .bind(queue.clone())
        .bind(agent.clone())
        .bind(t.opened)
        .bind(t.resolved)
        .bind(t.rasa_complete)
        .bind(t.late)
        .bind(t.outcomes[0])
        .bind(t.outcomes[1])
        .bind(t.outcomes[2])
        .bind(t.outcomes[3])
        .bind(serde_json::to_string(&first).expect("a map of numbers serialises"))
        .execute(&mut **tx)
        .await?;
        // A fact that left the row (the case reassigned, moved, resolved again) may leave it
        // empty: then it goes (its handle times are all zero then too).
        if t.opened < 0 || t.resolved < 0 {
            sqlx::query(
                "DELETE FROM report_days WHERE day = $1 AND team = $2 AND queue = $3 AND agent = $4 \
                 AND opened = 0 AND resolved = 0",
            )
            .bind(*day)
            .bind(team.clone())
            .bind(queue.clone())
            .bind(agent.clone())
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// A rollup row as read.
pub fn totals_from_row(r: &AnyRow) -> Result<(Key, Totals)> {
    let handle: BTreeMap<String, i64> = serde_json::from_str(&col_str(r, "handle")?).unwrap_or_default();
    let key = (col_i64(r, "day")?, col_str(r, "team")?, col_str(r, "queue")?, col_str(r, "agent")?);
    let t = Totals {
        opened: col_i64(r, "opened")?,
        resolved: col_i64(r, "resolved")?,
        rasa_complete: col_i64(r, "rasa_complete")?,
        late: col_i64(r, "late")?,
        outcomes: [
            col_i64(r, "memorable")?,
            col_i64(r, "positive")?,
            col_i64(r, "negative")?,
            col_i64(r, "forgettable")?,
        ],
        handle: handle.into_iter().filter(|(_, n)| *n != 0).filter_map(|(s, n)| Some((s.parse().ok()?, n))).collect(),
    };
    Ok((key, t))
}

pub const COLUMNS: &str =
    "day, team, queue, agent, opened, resolved, rasa_complete, late, memorable, positive, negative, forgettable, handle";

impl Store {
    /// Fills the rollups from the cases when they are empty and there are cases (a database
    /// from before migration 0018, or cases written by an older server): once, at start. On
    /// PostgreSQL the nodes starting together take turns (an advisory lock), and the one that
    /// finds them filled leaves them.
    pub(crate) async fn fill_report_days(&self) -> Result<()> {
        let filled: bool = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM (SELECT 1 FROM report_days LIMIT 1) x")
            .fetch_one(self.reader())
            .await?
            > 0;
        let cases: bool = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM (SELECT 1 FROM cases LIMIT 1) x")
            .fetch_one(self.reader())
            .await?
            > 0;
        if filled || !cases {
            return Ok(());
        }
        self.refill_report_days(false).await
    }

    /// Counts the rollups afresh from the cases, in one transaction: for case rows written
    /// around the store (a test that moves a case's times by hand, a repair by SQL).
    pub async fn rebuild_report_days(&self) -> Result<()> {
        self.refill_report_days(true).await
    }

    async fn refill_report_days(&self, afresh: bool) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7201518)").execute(&mut *tx).await?;
        }
        if afresh {
            sqlx::query("DELETE FROM report_days").execute(&mut *tx).await?;
        } else {
            let again: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM report_days LIMIT 1) x")
                .fetch_one(&mut *tx)
                .await?;
            if again > 0 {
                tx.commit().await?;
                return Ok(());
            }
        }
        let mut all: BTreeMap<Key, Totals> = BTreeMap::new();
        let mut after = String::new();
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {} FROM cases WHERE id > $1 ORDER BY id LIMIT 5000",
                super::cases::CASE_COLUMNS
            ))
            .bind(after.clone())
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = rows.last() else { break };
            after = col_str(last, "id")?;
            for r in &rows {
                for (key, t) in facts(&super::cases::case_from_row(r)?) {
                    all.entry(key).or_default().add(&t, 1);
                }
            }
        }
        add(&mut tx, &all, true).await?;
        tx.commit().await?;
        tracing::info!(rows = all.len(), "the report's daily rollups were filled from the cases");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::domain::case::Resolution;

    fn case() -> Case {
        let t = Utc.with_ymd_and_hms(2026, 11, 2, 23, 0, 0).unwrap();
        let mut c = crate::domain::case::new_case(
            &crate::domain::agent::Agent {
                id: uuid::Uuid::from_u128(1),
                name: "anna".into(),
                role: crate::domain::agent::Role::Agent,
                teams: vec!["support".into()],
                created_at: t,
            },
            uuid::Uuid::from_u128(9),
            &crate::wire::requests::NewCaseRequest::new(uuid::Uuid::from_u128(5), "Parcel"),
            t,
        )
        .unwrap();
        c.resolution_due = Some(t + Duration::hours(8));
        c
    }

    #[test]
    fn a_case_counts_where_it_was_opened_and_where_it_was_resolved() {
        let open = case();
        let mut done = open.clone();
        let at = open.created_at + Duration::hours(10); // the next day, after the due time
        done.resolution = Some(Resolution {
            summary: "x".into(),
            root_cause: vec![],
            outcome: Outcome::Negative,
            rasa_incomplete_reason: None,
            resolved_by: uuid::Uuid::from_u128(1),
            resolved_at: at,
        });
        let d = difference(Some(&open), Some(&done));
        assert_eq!(d.len(), 1, "only the resolution is new: {d:?}");
        let (key, t) = d.iter().next().unwrap();
        assert_eq!(key.0, to_micros(at).div_euclid(DAY));
        assert_eq!((t.resolved, t.rasa_complete, t.late, t.outcomes), (1, 1, 1, [0, 0, 1, 0]));
        assert_eq!(t.handle, [(36_000, 1)].into());
        // Handed to another agent: both facts leave anna's rows for bruno's.
        let mut moved = done.clone();
        moved.assignee_id = Some(uuid::Uuid::from_u128(2));
        let d = difference(Some(&done), Some(&moved));
        assert_eq!(d.len(), 4);
        assert_eq!(d.values().map(|t| t.opened + t.resolved).sum::<i64>(), 0, "moved, not added");
        // A change the report does not see changes no row.
        let mut retagged = moved.clone();
        retagged.tags = vec!["vip".into()];
        assert!(difference(Some(&moved), Some(&retagged)).is_empty());
    }
}
