//! What the console shows: confirmed state with the outbox's pending operations laid over it.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use super::overlay::{self, LocalOp, OpState, Synced};
use super::{parse_json, parse_uuid, LocalError, LocalStore, Result};
use crate::domain::agent::Agent;
use crate::domain::case::{Case, Note};
use crate::domain::followup::{FollowUp, FollowUpStatus};
use crate::domain::rasa::{Checklist, RecordedEntry};
use crate::domain::time::from_micros;
use crate::wire::sync::OpBody;
use crate::wire::sync::OpKind;

/// A case with everything worked on it, as the agent sees it.
#[derive(Debug, Clone)]
pub struct LocalCase {
    pub case: Synced<Case>,
    pub notes: Vec<Synced<Note>>,
    pub rasa: Checklist,
    pub followups: Vec<Synced<FollowUp>>,
    /// Operations on this case the agent must settle: conflicts and refusals.
    pub unsettled: Vec<LocalOp>,
}

/// How many operations wait, and how many need the agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    pub pending: u64,
    pub conflicts: u64,
    pub rejected: u64,
}

pub(crate) fn op_from_row(row: &SqliteRow) -> Result<LocalOp> {
    let kind: String = row.try_get("kind")?;
    let payload: String = row.try_get("payload")?;
    let state: String = row.try_get("state")?;
    let answer: Option<String> = row.try_get("answer")?;
    Ok(LocalOp {
        seq: row.try_get("seq")?,
        id: parse_uuid("outbox.id", &row.try_get::<String, _>("id")?)?,
        body: OpBody::parse(&kind, &payload).map_err(LocalError::Corrupt)?,
        state: OpState::parse(&state).ok_or_else(|| LocalError::Corrupt(format!("outbox.state `{state}`")))?,
        created_at: from_micros(row.try_get("created_at")?),
        answer: answer.map(|a| parse_json("outbox.answer", &a)).transpose()?,
    })
}

const OP_COLUMNS: &str = "seq, id, kind, payload, state, created_at, answer";

pub(crate) async fn ops_where(conn: &mut SqliteConnection, clause: &str, arg: &str) -> Result<Vec<LocalOp>> {
    let rows = sqlx::query(&format!("SELECT {OP_COLUMNS} FROM outbox WHERE {clause} ORDER BY seq"))
        .bind(arg)
        .fetch_all(conn)
        .await?;
    rows.iter().map(op_from_row).collect()
}

async fn bodies<T: serde::de::DeserializeOwned>(
    conn: &mut SqliteConnection,
    sql: &str,
    arg: &str,
    what: &str,
) -> Result<Vec<T>> {
    let rows: Vec<String> = sqlx::query_scalar(sql).bind(arg).fetch_all(conn).await?;
    rows.iter().map(|b| parse_json(what, b)).collect()
}

pub(crate) async fn confirmed_case(conn: &mut SqliteConnection, id: Uuid) -> Result<Option<Case>> {
    Ok(bodies(conn, "SELECT body FROM cases WHERE id = ?", &id.to_string(), "case").await?.pop())
}

pub(crate) async fn confirmed_followup(conn: &mut SqliteConnection, id: Uuid) -> Result<Option<FollowUp>> {
    Ok(bodies(conn, "SELECT body FROM followups WHERE id = ?", &id.to_string(), "follow-up").await?.pop())
}

/// The case as the agent sees it, read on `conn` (inside a write transaction, or not).
pub(crate) async fn case_on(conn: &mut SqliteConnection, me: &Agent, id: Uuid) -> Result<Option<Synced<Case>>> {
    let confirmed = confirmed_case(conn, id).await?;
    // Only the operations on the case record itself: notes and steps do not change it.
    let clause =
        format!("entity_id = ? AND state = 'pending' AND kind IN ({})", OpKind::sql_list(&OpKind::CASE_RECORD));
    let ops = ops_where(conn, &clause, &id.to_string()).await?;
    Ok(overlay::case(confirmed, &ops, me))
}

pub(crate) async fn checklist_on(conn: &mut SqliteConnection, me: &Agent, case_id: Uuid) -> Result<Checklist> {
    let id = case_id.to_string();
    let entries: Vec<RecordedEntry> =
        bodies(conn, "SELECT body FROM rasa_entries WHERE case_id = ? ORDER BY at, id", &id, "RASA entry").await?;
    let clause = format!("case_id = ? AND state = 'pending' AND kind IN ({})", OpKind::sql_list(&[OpKind::SetRasa]));
    let ops = ops_where(conn, &clause, &id).await?;
    Ok(overlay::checklist(&entries, &ops, me))
}

pub(crate) async fn followup_on(conn: &mut SqliteConnection, me: &Agent, id: Uuid) -> Result<Option<Synced<FollowUp>>> {
    let confirmed = confirmed_followup(conn, id).await?;
    let ops = ops_where(conn, "entity_id = ? AND state = 'pending'", &id.to_string()).await?;
    let case_id = ops.iter().find_map(|o| match &o.body {
        OpBody::CreateFollowUp(p) => p.fields.case_id,
        _ => None,
    });
    let customer = match case_id {
        Some(c) => case_on(conn, me, c).await?.map(|c| c.value.customer_id),
        None => None,
    };
    Ok(overlay::followup(id, confirmed, &ops, me, |_| customer))
}

impl LocalStore {
    /// A case with its notes, RASA checklist, follow-ups and unsettled operations.
    pub async fn case(&self, id: Uuid) -> Result<Option<LocalCase>> {
        let me = self.me_required().await?;
        let mut conn = self.reader().acquire().await?;
        let Some(case) = case_on(&mut conn, &me, id).await? else { return Ok(None) };
        let sid = id.to_string();
        let ops = ops_where(&mut conn, "case_id = ?", &sid).await?;
        let confirmed_notes: Vec<Note> =
            bodies(&mut conn, "SELECT body FROM notes WHERE case_id = ? ORDER BY created_at, id", &sid, "note").await?;
        let notes = overlay::notes(confirmed_notes, &ops, &me);
        let rasa = checklist_on(&mut conn, &me, id).await?;
        let mut ids: BTreeSet<Uuid> = BTreeSet::new();
        let confirmed_ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM followups WHERE case_id = ?").bind(&sid).fetch_all(&mut *conn).await?;
        for f in &confirmed_ids {
            ids.insert(parse_uuid("followups.id", f)?);
        }
        for o in &ops {
            if let OpBody::CreateFollowUp(p) = &o.body {
                ids.insert(p.followup_id);
            }
        }
        let mut followups = Vec::new();
        for f in ids {
            if let Some(f) = followup_on(&mut conn, &me, f).await? {
                followups.push(f);
            }
        }
        followups.sort_by_key(|f| (f.value.due_at, f.value.id));
        let unsettled = ops.into_iter().filter(|o| o.state != OpState::Pending).collect();
        Ok(Some(LocalCase { case, notes, rasa, followups, unsettled }))
    }

    /// Cases as the agent sees them, newest first: all, or those assigned to `assignee`;
    /// only active ones when `active_only`. Read in three queries whatever the number of cases
    /// (the candidates' confirmed rows, the pending operations on case records, the confirmed
    /// rows of the cases those touch), then laid over each other in memory.
    pub async fn cases(&self, assignee: Option<Uuid>, active_only: bool) -> Result<Vec<Synced<Case>>> {
        let me = self.me_required().await?;
        let mut conn = self.reader().acquire().await?;
        // Pending operations on case records, by case, in the order they were made.
        let clause = format!("state = 'pending' AND kind IN ({})", OpKind::sql_list(&OpKind::CASE_RECORD));
        let rows = sqlx::query(&format!("SELECT entity_id, {OP_COLUMNS} FROM outbox WHERE {clause} ORDER BY seq"))
            .fetch_all(&mut *conn)
            .await?;
        let mut ops: HashMap<Uuid, Vec<LocalOp>> = HashMap::new();
        for row in &rows {
            let entity: String = row.try_get("entity_id")?;
            ops.entry(parse_uuid("outbox.entity_id", &entity)?).or_default().push(op_from_row(row)?);
        }
        // Confirmed rows that may be shown: a pending change can only make a case the
        // assignee's or active when an operation touches it, and those are read below.
        let mut sql = String::from("SELECT id, body FROM cases WHERE 1 = 1");
        if assignee.is_some() {
            sql.push_str(" AND assignee_id = ?");
        }
        if active_only {
            sql.push_str(" AND status IN ('new', 'open', 'pending')");
        }
        let mut q = sqlx::query(&sql);
        if let Some(a) = assignee {
            q = q.bind(a.to_string());
        }
        let mut confirmed: HashMap<Uuid, Case> = HashMap::new();
        for row in q.fetch_all(&mut *conn).await? {
            let body: String = row.try_get("body")?;
            let c: Case = parse_json("case", &body)?;
            confirmed.insert(c.id, c);
        }
        for id in ops.keys().filter(|id| !confirmed.contains_key(id)).copied().collect::<Vec<_>>() {
            if let Some(c) = confirmed_case(&mut conn, id).await? {
                confirmed.insert(id, c);
            }
        }
        let ids: BTreeSet<Uuid> = confirmed.keys().chain(ops.keys()).copied().collect();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let none = Vec::new();
            let case = overlay::case(confirmed.remove(&id), ops.get(&id).unwrap_or(&none), &me);
            if let Some(c) = case {
                let keep = assignee.is_none_or(|a| c.value.assignee_id == Some(a));
                if keep && (!active_only || c.value.status.is_active()) {
                    out.push(c);
                }
            }
        }
        out.sort_by_key(|c| std::cmp::Reverse((c.value.created_at, c.value.id)));
        Ok(out)
    }

    /// Open follow-ups of `assignee` as the agent sees them, soonest due first.
    pub async fn open_followups(&self, assignee: Uuid) -> Result<Vec<Synced<FollowUp>>> {
        let me = self.me_required().await?;
        let mut conn = self.reader().acquire().await?;
        let mut ids: Vec<String> = sqlx::query_scalar("SELECT id FROM followups WHERE assignee_id = ?")
            .bind(assignee.to_string())
            .fetch_all(&mut *conn)
            .await?;
        let touched: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT DISTINCT entity_id FROM outbox WHERE state = 'pending' AND kind IN ({})",
            OpKind::sql_list(&OpKind::FOLLOWUP)
        ))
        .fetch_all(&mut *conn)
        .await?;
        ids.extend(touched);
        ids.sort();
        ids.dedup();
        let mut out = Vec::new();
        for id in ids {
            if let Some(f) = followup_on(&mut conn, &me, parse_uuid("follow-up id", &id)?).await? {
                if f.value.assignee_id == assignee && f.value.status == FollowUpStatus::Open {
                    out.push(f);
                }
            }
        }
        out.sort_by_key(|f| (f.value.due_at, f.value.id));
        Ok(out)
    }

    /// The subjects of these cases as the agent sees them (those not here are left out): what
    /// the follow-ups list shows beside each follow-up.
    pub async fn case_subjects(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
        let me = self.me_required().await?;
        let mut conn = self.reader().acquire().await?;
        let mut out = HashMap::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = case_on(&mut conn, &me, *id).await? {
                out.insert(*id, c.value.subject);
            }
        }
        Ok(out)
    }

    /// The outbox, oldest first: what waits, and what the agent must settle.
    pub async fn outbox(&self) -> Result<Vec<LocalOp>> {
        let rows =
            sqlx::query(&format!("SELECT {OP_COLUMNS} FROM outbox ORDER BY seq")).fetch_all(self.reader()).await?;
        rows.iter().map(op_from_row).collect()
    }

    pub async fn counts(&self) -> Result<OutboxCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetch_all(self.reader()).await?;
        let mut c = OutboxCounts::default();
        for (state, n) in rows {
            let n = n as u64;
            match state.as_str() {
                "pending" => c.pending = n,
                "conflict" => c.conflicts = n,
                "rejected" => c.rejected = n,
                _ => {}
            }
        }
        Ok(c)
    }
}
