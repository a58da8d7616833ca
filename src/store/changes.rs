//! The change feed: what offline clients pull to keep their copy of case work current.
//!
//! Each write to case work (cases, notes, RASA entries, follow-ups) appends a change in its
//! own transaction, numbered by `change_counter`. The number is taken last: changes recorded
//! during the transaction wait in [`Tx`] and are numbered and written by [`Tx::commit`], after
//! every row lock the transaction takes (so a push changing many cases and a PATCH of one of
//! them never wait for each other in a circle). The counter row stays locked until the
//! transaction ends, so on PostgreSQL a writer
//! on another node waits for it and gets the next number only once this one is committed.
//! Numbers are therefore in commit order and without gaps (a rolled-back transaction returns
//! its number): a reader that has seen change N has seen every change below N. A plain
//! sequence would not do: on PostgreSQL a smaller sequence value can commit after a larger one
//! has been read, and a cursor past it would skip it for ever.
//!
//! The feed is compacted, never cut short: [`Store::compact_changes`] drops only changes that
//! a later change of the same entity supersedes, so any cursor — and a pull from the start —
//! still reads the current state of everything. Cursors carry the feed's id; a cursor from
//! another database (replaced, or restored from a backup) is answered 410.

use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::{col_i64, col_opt_uuid, col_str, col_ts, col_uuid, to_json, Result, Store, StoreError, Tx};
use crate::domain::time::{now, to_micros};

pub use crate::wire::changes::{Change, Entity};

/// A change recorded in a transaction, written with its number when the transaction commits.
pub(crate) struct PendingChange {
    entity: Entity,
    entity_id: Uuid,
    case_id: Option<Uuid>,
    customer_id: Option<Uuid>,
    body: String,
    at: i64,
}

/// Records a change to the feed: the entity as it stands after this write. It is numbered and
/// written by [`Tx::commit`], as the transaction's last step, so the counter is locked only
/// from there to the commit, after every row lock the transaction takes.
pub(crate) async fn record_change(
    tx: &mut Tx,
    entity: Entity,
    entity_id: Uuid,
    case_id: Option<Uuid>,
    customer_id: Option<Uuid>,
    body: &impl Serialize,
) -> Result<()> {
    tx.pending.push(PendingChange {
        entity,
        entity_id,
        case_id,
        customer_id,
        body: to_json(body),
        at: to_micros(now()),
    });
    Ok(())
}

/// Takes the numbers for a transaction's changes in one step and writes them (called by
/// [`Tx::commit`] just before the commit).
pub(crate) async fn write_pending(conn: &mut sqlx::AnyConnection, pending: Vec<PendingChange>) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let n = pending.len() as i64;
    let last: i64 = sqlx::query_scalar("UPDATE change_counter SET value = value + $1 WHERE id = 1 RETURNING value")
        .bind(n)
        .fetch_one(&mut *conn)
        .await?;
    let first = last - n + 1;
    let backend = super::backend_of(conn);
    for (c, chunk) in pending.chunks(ROWS_PER_INSERT).enumerate() {
        let mut sql = super::Sql::new(
            backend,
            "INSERT INTO changes (seq, entity, entity_id, case_id, customer_id, body, at) VALUES ",
        );
        let mut seq = first + (c * ROWS_PER_INSERT) as i64;
        sql.rows(chunk, |row, p| {
            row.bind(seq)
                .bind(p.entity.as_str().to_string())
                .bind(p.entity_id.to_string())
                .bind(p.case_id.map(|x| x.to_string()))
                .bind(p.customer_id.map(|x| x.to_string()))
                .bind(p.body.clone())
                .bind(p.at);
            seq += 1;
        });
        let (text, args) = sql.finish();
        sqlx::query_with(&text, args).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rows per INSERT statement: seven parameters each, well under SQLite's limit.
const ROWS_PER_INSERT: usize = 100;

/// Why a pull cannot continue from a cursor.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The cursor does not belong to this feed (the database was replaced or restored from a
    /// backup): the client must rebuild its copy from the start.
    #[error("{0}")]
    Gone(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A page of the feed.
#[derive(Debug)]
pub struct FeedPage {
    pub changes: Vec<Change>,
    pub more: bool,
    /// This feed's id, for the next cursor.
    pub feed: String,
    /// Where the next page starts.
    pub next: i64,
}

impl Store {
    /// The feed's id: it changes only with the database.
    /// The number of the change feed's last change (0 when empty): what moves whenever a case,
    /// note, RASA entry or follow-up is written, on any node.
    pub async fn last_change(&self) -> Result<i64> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM changes").fetch_one(self.reader()).await?;
        Ok(n.unwrap_or(0))
    }

    pub async fn feed_id(&self) -> Result<String> {
        Ok(sqlx::query_scalar("SELECT feed_id FROM change_counter WHERE id = 1").fetch_one(self.reader()).await?)
    }

    /// Changes after `from` (a feed id and a position; `None` for the start), oldest first,
    /// at most `limit`.
    pub async fn changes_after(&self, from: Option<(&str, i64)>, limit: u32) -> Result<FeedPage, PullError> {
        let (newest, feed): (i64, String) = sqlx::query_as("SELECT value, feed_id FROM change_counter WHERE id = 1")
            .fetch_one(self.reader())
            .await
            .map_err(StoreError::from)?;
        let after = match from {
            None => 0,
            Some((f, _)) if f != feed => {
                return Err(PullError::Gone(
                    "this cursor is from another database (the server's database was replaced or restored): rebuild the local copy from the start and keep the outbox".into(),
                ))
            }
            Some((_, n)) if n > newest => {
                return Err(PullError::Gone(format!(
                    "this cursor ({n}) is ahead of this server's feed ({newest}): the server's database was restored from a backup; rebuild the local copy from the start and keep the outbox"
                )))
            }
            Some((_, n)) => n,
        };
        let rows = sqlx::query(
            "SELECT seq, entity, entity_id, case_id, customer_id, body, at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit) + 1)
        .fetch_all(self.reader())
        .await
        .map_err(StoreError::from)?;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            changes.push(Change {
                seq: col_i64(row, "seq")?,
                entity: col_str(row, "entity")?
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("changes.entity: {e}")))?,
                entity_id: col_uuid(row, "entity_id")?,
                case_id: col_opt_uuid(row, "case_id")?,
                customer_id: col_opt_uuid(row, "customer_id")?,
                at: col_ts(row, "at")?,
                body: RawValue::from_string(col_str(row, "body")?)
                    .map_err(|e| StoreError::Corrupt(format!("changes.body: {e}")))?,
            });
        }
        let more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        let next = changes.last().map(|c| c.seq).unwrap_or(after);
        Ok(FeedPage { changes, more, feed, next })
    }

    /// Compacts the feed up to `through`: drops every change there that a later change of the
    /// same entity supersedes. Each entity's latest change stays, so every cursor — and a pull
    /// from the start — still reads the current state of everything it has not seen (entities
    /// are only created and changed, never deleted). Returns how many were dropped.
    pub async fn compact_changes(&self, through: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let dropped = sqlx::query(
            "DELETE FROM changes WHERE seq <= $1 AND EXISTS \
             (SELECT 1 FROM changes later WHERE later.entity = changes.entity AND later.entity_id = changes.entity_id AND later.seq > changes.seq)",
        )
        .bind(through)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(dropped)
    }
}
