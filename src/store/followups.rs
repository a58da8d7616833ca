//! Follow-up tasks. Changes are compare-and-swap on the revision the caller read.

use serde_json::json;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::cases::Cas;
use super::changes::{record_change, Entity};
use super::events::{record_activity, Activity};
use super::{col_enum, col_i64, col_opt_ts, col_opt_uuid, col_str, col_ts, col_uuid, cut_page, Result, Sql, Store, Tx};
use crate::domain::agent::Agent;
use crate::domain::cursor::TimeCursor;
use crate::domain::followup::{FollowUp, FollowUpStatus};
use crate::domain::time::{now, to_micros, Timestamp};
use crate::wire::webhooks::OutKind;

pub(crate) const FOLLOWUP_COLUMNS: &str =
    "id, customer_id, case_id, assignee_id, due_at, channel, note, status, revision, created_by, created_at, updated_at, done_at";

pub(crate) fn followup_from_row(row: &AnyRow) -> Result<FollowUp> {
    Ok(FollowUp {
        id: col_uuid(row, "id")?,
        customer_id: col_uuid(row, "customer_id")?,
        case_id: col_opt_uuid(row, "case_id")?,
        assignee_id: col_uuid(row, "assignee_id")?,
        due_at: col_ts(row, "due_at")?,
        channel: col_enum(row, "channel")?,
        note: col_str(row, "note")?,
        status: col_enum(row, "status")?,
        revision: col_i64(row, "revision")?,
        created_by: col_uuid(row, "created_by")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
        done_at: col_opt_ts(row, "done_at")?,
    })
}

pub use crate::domain::followup::FollowUpChanges;

#[derive(Debug, Clone, Default)]
pub struct FollowUpFilter {
    pub assignee: Option<Uuid>,
    pub statuses: Vec<FollowUpStatus>,
    pub customer_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub due_before: Option<Timestamp>,
}

/// Writes a follow-up row as it is (creation and seeding).
pub(crate) async fn insert_followup_row(tx: &mut Tx, f: &FollowUp) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO followups ({FOLLOWUP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(f.id.to_string())
    .bind(f.customer_id.to_string())
    .bind(f.case_id.map(|c| c.to_string()))
    .bind(f.assignee_id.to_string())
    .bind(to_micros(f.due_at))
    .bind(f.channel.as_str())
    .bind(f.note.clone())
    .bind(f.status.as_str())
    .bind(f.revision)
    .bind(f.created_by.to_string())
    .bind(to_micros(f.created_at))
    .bind(to_micros(f.updated_at))
    .bind(f.done_at.map(to_micros))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a new follow-up with its timeline activity and change.
pub(crate) async fn create_followup(tx: &mut Tx, f: &FollowUp, by: &Agent) -> Result<()> {
    insert_followup_row(tx, f).await?;
    record_activity(
        tx,
        Activity {
            customer_id: f.customer_id,
            case_id: f.case_id,
            key: format!("{}:followup_created", f.id),
            kind: "followup_created",
            title: format!("Follow-up by {} due {}", f.channel, f.due_at.format("%Y-%m-%d %H:%M UTC")),
            body: (!f.note.is_empty()).then(|| f.note.clone()),
            actor: Some(by.name.clone()),
            data: json!({"followup_id": f.id, "due_at": f.due_at, "assignee_id": f.assignee_id}),
            at: f.created_at,
        },
    )
    .await?;
    record_change(tx, Entity::Followup, f.id, f.case_id, Some(f.customer_id), f).await?;
    Ok(())
}

/// A follow-up, read through a pool or inside a transaction.
pub(crate) async fn fetch_followup<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    id: Uuid,
) -> Result<Option<FollowUp>> {
    sqlx::query(&format!("SELECT {FOLLOWUP_COLUMNS} FROM followups WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(e)
        .await?
        .map(|r| followup_from_row(&r))
        .transpose()
}

impl Store {
    pub async fn followup(&self, id: Uuid) -> Result<Option<FollowUp>> {
        fetch_followup(self.reader(), id).await
    }

    pub async fn followups_of_case(&self, case_id: Uuid) -> Result<Vec<FollowUp>> {
        sqlx::query(&format!("SELECT {FOLLOWUP_COLUMNS} FROM followups WHERE case_id = $1 ORDER BY due_at, id"))
            .bind(case_id.to_string())
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(followup_from_row)
            .collect()
    }

    /// Follow-ups soonest due first, one keyset page.
    pub async fn list_followups(
        &self,
        f: &FollowUpFilter,
        limit: u32,
        after: Option<&TimeCursor>,
    ) -> Result<(Vec<FollowUp>, Option<TimeCursor>)> {
        let mut sql = Sql::new(self.backend, &format!("SELECT {FOLLOWUP_COLUMNS} FROM followups WHERE 1 = 1"));
        if let Some(a) = f.assignee {
            sql.push(" AND assignee_id = ").bind(a.to_string());
        }
        if !f.statuses.is_empty() {
            sql.push(" AND status IN (");
            for (i, s) in f.statuses.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).bind(s.as_str());
            }
            sql.push(")");
        }
        if let Some(c) = f.customer_id {
            sql.push(" AND customer_id = ").bind(c.to_string());
        }
        if let Some(c) = f.case_id {
            sql.push(" AND case_id = ").bind(c.to_string());
        }
        if let Some(d) = f.due_before {
            sql.push(" AND due_at < ").bind(to_micros(d));
        }
        if let Some(c) = after {
            sql.push(" AND (due_at, id) > (").bind(c.at).push(", ").bind(c.id.to_string()).push(")");
        }
        sql.push(" ORDER BY due_at, id LIMIT ").bind(i64::from(limit) + 1);
        let (text, args) = sql.finish();
        let rows = sqlx::query_with(&text, args).fetch_all(self.reader()).await?;
        let items = rows.iter().map(followup_from_row).collect::<Result<Vec<_>>>()?;
        Ok(cut_page(items, limit, |x| TimeCursor { at: to_micros(x.due_at), id: x.id }))
    }
}

/// Applies changes to `read` (already checked against the rules) if nobody changed it since.
pub(crate) async fn update_followup(
    tx: &mut Tx,
    read: &FollowUp,
    changes: &FollowUpChanges,
    by: &Agent,
) -> Result<Cas<FollowUp>> {
    let t = now();
    let next = changes.apply_to(read, t);
    if next == *read {
        // Nothing changes: no new revision, no activity (as for cases).
        return Ok(Cas::Applied(next));
    }
    let updated = sqlx::query(
        "UPDATE followups SET status = $1, due_at = $2, note = $3, assignee_id = $4, channel = $5, revision = $6, \
         updated_at = $7, done_at = $8, due_announced = CASE WHEN $11 = 1 THEN 0 ELSE due_announced END \
         WHERE id = $9 AND revision = $10",
    )
    .bind(next.status.as_str())
    .bind(to_micros(next.due_at))
    .bind(next.note.clone())
    .bind(next.assignee_id.to_string())
    .bind(next.channel.as_str())
    .bind(next.revision)
    .bind(to_micros(t))
    .bind(next.done_at.map(to_micros))
    .bind(read.id.to_string())
    .bind(read.revision)
    // Due again (`followup.due` once more) when its time moves or it is reopened.
    .bind(i64::from(
        next.due_at != read.due_at || (next.status == FollowUpStatus::Open && read.status != FollowUpStatus::Open),
    ))
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(match fetch_followup(&mut **tx, read.id).await? {
            Some(current) => Cas::Stale(Box::new(current)),
            None => Cas::NotFound,
        });
    }
    if next.status != read.status {
        let (kind, title) = match next.status {
            FollowUpStatus::Done => ("followup_done", "Follow-up done"),
            FollowUpStatus::Cancelled => ("followup_cancelled", "Follow-up cancelled"),
            FollowUpStatus::Open => ("followup_reopened", "Follow-up reopened"),
        };
        record_activity(
            tx,
            Activity {
                customer_id: read.customer_id,
                case_id: read.case_id,
                key: format!("{}:{kind}:{}", read.id, next.revision),
                kind,
                title: title.to_string(),
                body: (!next.note.is_empty()).then(|| next.note.clone()),
                actor: Some(by.name.clone()),
                data: json!({"followup_id": read.id, "due_at": next.due_at, "on_time": next.done_at.map(|d| d <= next.due_at)}),
                at: t,
            },
        )
        .await?;
        if next.status == FollowUpStatus::Done && tx.wants(OutKind::FollowUpDone).await? {
            let customer = super::customers::contact_of(tx, next.customer_id).await?;
            tx.emit(OutKind::FollowUpDone, next.id, json!({"followup": &next, "customer": customer, "by": by.id}));
        }
    }
    record_change(tx, Entity::Followup, next.id, next.case_id, Some(next.customer_id), &next).await?;
    Ok(Cas::Applied(next))
}
