//! The record of pushed operations (`sync_ops`): each operation once, by id, with its device's
//! number, its agent and the answer a replay gets back. How operations are applied, and in
//! what order these are called: `sync::apply`.

use std::collections::HashMap;

use uuid::Uuid;

use super::{backend_of, col_i64, col_str, col_uuid, Result, Sql, StoreError, Tx};
use crate::domain::time::{now, to_micros};
use crate::wire::sync::{OpResult, OpStatus, Operation};

/// Rows per statement: eight parameters each.
const ROWS_PER_STATEMENT: usize = 100;

/// A stored answer as a replay gets it: `applied` becomes `duplicate`.
fn answer_of(row: &sqlx::any::AnyRow) -> Result<OpResult> {
    let mut first: OpResult = serde_json::from_str(&col_str(row, "outcome")?)
        .map_err(|e| StoreError::Corrupt(format!("sync_ops.outcome: {e}")))?;
    if col_str(row, "status")? == "applied" {
        first.status = OpStatus::Duplicate;
    }
    Ok(first)
}

/// The answer stored for an operation, as a replay gets it.
pub(crate) async fn answer(tx: &mut Tx, op: Uuid) -> Result<Option<OpResult>> {
    let row = sqlx::query("SELECT status, outcome FROM sync_ops WHERE op_id = $1")
        .bind(op.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(answer_of).transpose()
}

/// The answers stored for any of these operations, by id, in one statement.
pub(crate) async fn answers(tx: &mut Tx, ops: &[Operation]) -> Result<HashMap<Uuid, OpResult>> {
    let mut stored = HashMap::new();
    for chunk in ops.chunks(ROWS_PER_STATEMENT * 5) {
        let mut sql = Sql::new(backend_of(tx), "SELECT op_id, status, outcome FROM sync_ops WHERE op_id IN (");
        sql.bind_list(chunk.iter().map(|op| op.id.to_string())).push(")");
        let (text, args) = sql.finish();
        for row in sqlx::query_with(&text, args).fetch_all(&mut **tx).await? {
            stored.insert(col_uuid(&row, "op_id")?, answer_of(&row)?);
        }
    }
    Ok(stored)
}

/// The status an operation was given (`pending` while its transaction runs), if it arrived.
pub(crate) async fn status(tx: &mut Tx, op: Uuid) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT status FROM sync_ops WHERE op_id = $1")
        .bind(op.to_string())
        .fetch_optional(&mut **tx)
        .await?)
}

/// The device's latest operation number and its agent (one index probe).
pub(crate) async fn device_latest(tx: &mut Tx, device: Uuid) -> Result<(i64, Option<String>)> {
    let latest =
        sqlx::query("SELECT device_seq, agent_id FROM sync_ops WHERE device_id = $1 ORDER BY device_seq DESC LIMIT 1")
            .bind(device.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match &latest {
        Some(row) => (col_i64(row, "device_seq")?, Some(col_str(row, "agent_id")?)),
        None => (0, None),
    })
}

/// Claims operations (their ids and the device's numbers they carry) as `pending`, many per
/// statement; returns those claimed. One that another request claimed first is left out: on
/// PostgreSQL the insert waits for that request's transaction to end.
pub(crate) async fn claim(tx: &mut Tx, device: Uuid, agent: Uuid, ops: &[&Operation]) -> Result<Vec<Uuid>> {
    let mut claimed = Vec::with_capacity(ops.len());
    let at = to_micros(now());
    for chunk in ops.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            backend_of(tx),
            "INSERT INTO sync_ops (op_id, device_id, device_seq, agent_id, kind, status, outcome, applied_at) VALUES ",
        );
        sql.rows(chunk, |row, op| {
            row.bind(op.id.to_string())
                .bind(device.to_string())
                .bind(op.seq)
                .bind(agent.to_string())
                .bind(op.kind.clone())
                .literal("'pending'")
                .literal("'{}'")
                .bind(at);
        });
        sql.push(" ON CONFLICT DO NOTHING RETURNING op_id");
        let (text, args) = sql.finish();
        for row in sqlx::query_with(&text, args).fetch_all(&mut **tx).await? {
            claimed.push(col_uuid(&row, "op_id")?);
        }
    }
    Ok(claimed)
}

/// Takes the device's number `op.seq` for an operation first applied under another device or
/// number (a replay after the console renumbered its outbox).
pub(crate) async fn alias(tx: &mut Tx, device: Uuid, agent: Uuid, op: &Operation) -> Result<()> {
    sqlx::query(
        "INSERT INTO sync_ops (op_id, device_id, device_seq, agent_id, kind, status, outcome, applied_at) \
         VALUES ($1, $2, $3, $4, $5, 'alias', '{}', $6) ON CONFLICT DO NOTHING",
    )
    .bind(format!("alias:{}:{device}", op.id))
    .bind(device.to_string())
    .bind(op.seq)
    .bind(agent.to_string())
    .bind(op.kind.clone())
    .bind(to_micros(now()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes answers over their claims — (operation id, status, answer as JSON) — many per
/// statement.
pub(crate) async fn write_answers(tx: &mut Tx, answered: &[(Uuid, &'static str, String)]) -> Result<()> {
    for chunk in answered.chunks(ROWS_PER_STATEMENT) {
        let mut sql =
            Sql::new(backend_of(tx), "UPDATE sync_ops SET status = v.column2, outcome = v.column3 FROM (VALUES ");
        sql.rows(chunk, |row, (id, status, outcome)| {
            row.bind(id.to_string()).bind(status.to_string()).bind(outcome.clone());
        });
        sql.push(") AS v WHERE sync_ops.op_id = v.column1");
        let (text, args) = sql.finish();
        sqlx::query_with(&text, args).execute(&mut **tx).await?;
    }
    Ok(())
}
