//! Merging two customers a person judged the same, and undoing it exactly: what moved is kept
//! with the merge. Moved cases and follow-ups get a new revision and go into the change feed,
//! so offline consoles follow. The likely duplicates of a customer, for a person to confirm,
//! are looked up here and judged by `domain::duplicates`.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::cases::{case_from_row, CASE_COLUMNS};
use super::changes::{record_change, Entity};
use super::customers::{insert_search_terms, write_tags};
use super::events::{record_activity, Activity};
use super::followups::{followup_from_row, FOLLOWUP_COLUMNS};
use super::{
    backend_of, col_json, col_opt_str, col_opt_ts, col_opt_uuid, col_str, col_ts, col_uuid, to_json, Backend, Result,
    Sql, Store, StoreError, Tx,
};
use crate::domain::agent::Agent;
use crate::domain::customer::{fold_name, search_terms, Customer, Identity};
use crate::domain::duplicates::{email_key, likeness, name_key, phone_key, score};
use crate::domain::new_id;
use crate::domain::time::{now, to_micros};
use crate::wire::merges::{DuplicateSuggestion, Merge, MovedCounts};

/// What a merge moved, kept so that undoing it moves exactly that back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Moved {
    identities: Vec<Identity>,
    events: Vec<Uuid>,
    cases: Vec<Uuid>,
    followups: Vec<Uuid>,
    /// The kept customer's tags before, and the merged one's.
    kept_tags: Vec<String>,
    merged_tags: Vec<String>,
}

/// Why a merge (or its undoing) was refused.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for MergeError {
    fn from(e: sqlx::Error) -> Self {
        MergeError::Store(e.into())
    }
}

const MERGE_COLUMNS: &str = "id, kept_id, merged_id, moved, merged_by, merged_at, undone_by, undone_at";

fn merge_from_row(row: &AnyRow) -> Result<Merge> {
    let moved: Moved = col_json(row, "moved")?;
    Ok(Merge {
        id: col_uuid(row, "id")?,
        kept_id: col_uuid(row, "kept_id")?,
        merged_id: col_uuid(row, "merged_id")?,
        moved: MovedCounts {
            identities: moved.identities.len() as u64,
            events: moved.events.len() as u64,
            cases: moved.cases.len() as u64,
            followups: moved.followups.len() as u64,
        },
        merged_by: col_uuid(row, "merged_by")?,
        merged_at: col_ts(row, "merged_at")?,
        undone_by: col_opt_uuid(row, "undone_by")?,
        undone_at: col_opt_ts(row, "undone_at")?,
    })
}

/// A customer's name, tags and whether it was merged away, locked for this transaction on
/// PostgreSQL (SQLite has one writer at a time).
async fn lock_customer(tx: &mut Tx, id: Uuid) -> Result<Locked> {
    let lock = if backend_of(tx) == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row = sqlx::query(&format!("SELECT display_name, tags, merged_into FROM customers WHERE id = $1{lock}"))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| Ok((col_str(&r, "display_name")?, col_json(&r, "tags")?, col_opt_str(&r, "merged_into")?))).transpose()
}

/// Both customers of a merge, locked in id order (two merges of the same pair wait instead of
/// deadlocking): (kept, merged).
type Locked = Option<(String, Vec<String>, Option<String>)>;
async fn lock_pair(tx: &mut Tx, kept: Uuid, merged: Uuid) -> Result<(Locked, Locked)> {
    let (first, second) = if kept < merged { (kept, merged) } else { (merged, kept) };
    let a = lock_customer(tx, first).await?;
    let b = lock_customer(tx, second).await?;
    Ok(if kept < merged { (a, b) } else { (b, a) })
}

async fn ids_of(tx: &mut Tx, table: &str, customer: Uuid) -> Result<Vec<Uuid>> {
    let rows = sqlx::query(&format!("SELECT id FROM {table} WHERE customer_id = $1 ORDER BY id"))
        .bind(customer.to_string())
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(|r| col_uuid(r, "id")).collect()
}

async fn identities_of(tx: &mut Tx, customer: Uuid) -> Result<Vec<Identity>> {
    let rows = sqlx::query("SELECT kind, source, value FROM customer_identities WHERE customer_id = $1")
        .bind(customer.to_string())
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Identity {
                kind: col_str(r, "kind")?.parse().map_err(|e| StoreError::Corrupt(format!("identity kind: {e}")))?,
                source: col_str(r, "source")?,
                value: col_str(r, "value")?,
            })
        })
        .collect()
}

/// Moves rows by id from one customer to another (only those still on `from`).
async fn move_rows(tx: &mut Tx, table: &str, ids: &[Uuid], from: Uuid, to: Uuid) -> Result<()> {
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(backend_of(tx), &format!("UPDATE {table} SET customer_id = "));
        sql.bind(to.to_string()).push(" WHERE customer_id = ").bind(from.to_string()).push(" AND id IN (");
        sql.bind_list(chunk.iter().map(Uuid::to_string)).push(")");
        let (text, args) = sql.finish();
        sqlx::query_with(&text, args).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Moves one case or follow-up (if still on `from`) with a new revision; then the row as it is.
async fn move_one(tx: &mut Tx, table: &str, columns: &str, id: Uuid, from: Uuid, to: Uuid) -> Result<AnyRow> {
    sqlx::query(&format!(
        "UPDATE {table} SET customer_id = $1, revision = revision + 1, updated_at = $2 WHERE id = $3 AND customer_id = $4"
    ))
    .bind(to.to_string())
    .bind(to_micros(now()))
    .bind(id.to_string())
    .bind(from.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query(&format!("SELECT {columns} FROM {table} WHERE id = $1"))
        .bind(id.to_string())
        .fetch_one(&mut **tx)
        .await?)
}

/// Moves cases and follow-ups, each with a new revision, into the change feed.
async fn move_work(tx: &mut Tx, moved: &Moved, from: Uuid, to: Uuid) -> Result<()> {
    for id in &moved.cases {
        let case = case_from_row(&move_one(tx, "cases", CASE_COLUMNS, *id, from, to).await?)?;
        record_change(tx, Entity::Case, case.id, Some(case.id), Some(case.customer_id), &case).await?;
    }
    for id in &moved.followups {
        let f = followup_from_row(&move_one(tx, "followups", FOLLOWUP_COLUMNS, *id, from, to).await?)?;
        record_change(tx, Entity::Followup, f.id, f.case_id, Some(f.customer_id), &f).await?;
    }
    Ok(())
}

/// Makes a customer's search terms anew from its name and identities (none while merged away).
async fn reindex(tx: &mut Tx, customer: Uuid, also_names: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM customer_search WHERE customer_id = $1")
        .bind(customer.to_string())
        .execute(&mut **tx)
        .await?;
    let Some((name, _, merged_into)) = lock_customer(tx, customer).await? else { return Ok(()) };
    if merged_into.is_some() {
        return Ok(());
    }
    let ids = identities_of(tx, customer).await?;
    let mut terms = search_terms(&name, &ids);
    for other in also_names {
        terms.extend(search_terms(other, &[]));
    }
    terms.sort();
    terms.dedup();
    let rows: Vec<(Uuid, String)> = terms.into_iter().map(|t| (customer, t)).collect();
    insert_search_terms(tx, &rows).await
}

/// The customer work for `id` goes to: itself, or the customer it was merged into; `None` when
/// there is no such customer. (An offline console may open a case for a customer merged away
/// meanwhile: it lands with the rest of that customer.)
pub(crate) async fn current_customer(tx: &mut Tx, id: Uuid) -> Result<Option<Uuid>> {
    let row = sqlx::query("SELECT merged_into FROM customers WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| Ok(col_opt_uuid(&r, "merged_into")?.unwrap_or(id))).transpose()
}

impl Store {
    /// Merges `merged` into `kept`: identities, events, cases and follow-ups move, tags join,
    /// `merged` is hidden from search and lists. Refused when either is unknown or merged away
    /// already, or they are the same.
    pub async fn merge_customers(&self, kept: Uuid, merged: Uuid, by: &Agent) -> Result<Merge, MergeError> {
        if kept == merged {
            return Err(MergeError::Conflict(
                "a customer cannot be merged into itself: name another one in `from`".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let (k, m) = lock_pair(&mut tx, kept, merged).await?;
        let (kept_name, kept_tags, kept_into) =
            k.ok_or_else(|| MergeError::NotFound(format!("no customer with id {kept}")))?;
        let (merged_name, merged_tags, merged_into) =
            m.ok_or_else(|| MergeError::NotFound(format!("no customer with id {merged} (`from`)")))?;
        for (id, into) in [(kept, &kept_into), (merged, &merged_into)] {
            if let Some(into) = into {
                return Err(MergeError::Conflict(format!(
                    "customer {id} was merged into {into} already: merge into that one, or undo that merge first"
                )));
            }
        }
        let moved = Moved {
            identities: identities_of(&mut tx, merged).await?,
            events: ids_of(&mut tx, "events", merged).await?,
            cases: ids_of(&mut tx, "cases", merged).await?,
            followups: ids_of(&mut tx, "followups", merged).await?,
            kept_tags: kept_tags.clone(),
            merged_tags: merged_tags.clone(),
        };
        sqlx::query("UPDATE customer_identities SET customer_id = $1 WHERE customer_id = $2")
            .bind(kept.to_string())
            .bind(merged.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE events SET customer_id = $1 WHERE customer_id = $2")
            .bind(kept.to_string())
            .bind(merged.to_string())
            .execute(&mut *tx)
            .await?;
        move_work(&mut tx, &moved, merged, kept).await?;
        let mut tags = kept_tags;
        for t in &merged_tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        write_tags(&mut tx, kept, &tags, now()).await?;
        sqlx::query("UPDATE customers SET merged_into = $1, updated_at = $2 WHERE id = $3")
            .bind(kept.to_string())
            .bind(to_micros(now()))
            .bind(merged.to_string())
            .execute(&mut *tx)
            .await?;
        reindex(&mut tx, merged, &[]).await?;
        reindex(&mut tx, kept, std::slice::from_ref(&merged_name)).await?;
        let id = new_id();
        let at = now();
        sqlx::query(&format!(
            "INSERT INTO customer_merges ({MERGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)"
        ))
        .bind(id.to_string())
        .bind(kept.to_string())
        .bind(merged.to_string())
        .bind(to_json(&moved))
        .bind(by.id.to_string())
        .bind(to_micros(at))
        .execute(&mut *tx)
        .await?;
        record_activity(
            &mut tx,
            Activity {
                customer_id: kept,
                case_id: None,
                key: format!("merge:{id}"),
                kind: "customer.merged",
                title: format!("{merged_name} merged into {kept_name}"),
                body: Some(format!(
                    "{} events, {} cases, {} follow-ups and {} identities moved here; undo with POST /api/v1/merges/{id}/undo",
                    moved.events.len(),
                    moved.cases.len(),
                    moved.followups.len(),
                    moved.identities.len()
                )),
                actor: Some(by.name.clone()),
                data: serde_json::json!({"merge_id": id, "merged_id": merged, "kept_id": kept}),
                at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(self.merge(id).await?.expect("just written"))
    }

    /// Undoes a merge: what it moved goes back (what arrived since stays with the kept
    /// customer), tags it added go, the merged customer is listed again.
    pub async fn undo_merge(&self, id: Uuid, by: &Agent) -> Result<Merge, MergeError> {
        let mut tx = self.begin_write().await?;
        let lock = if backend_of(&tx) == Backend::Postgres { " FOR UPDATE" } else { "" };
        let row = sqlx::query(&format!("SELECT {MERGE_COLUMNS} FROM customer_merges WHERE id = $1{lock}"))
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| MergeError::NotFound(format!("no merge with id {id}")))?;
        let merge = merge_from_row(&row)?;
        if merge.undone_at.is_some() {
            return Err(MergeError::Conflict(format!("merge {id} was undone already")));
        }
        let moved: Moved = col_json(&row, "moved")?;
        let (kept, merged) = (merge.kept_id, merge.merged_id);
        let (k, m) = lock_pair(&mut tx, kept, merged).await?;
        let (kept_name, kept_tags, _) = k.ok_or_else(|| MergeError::NotFound(format!("no customer with id {kept}")))?;
        let (merged_name, _, _) = m.ok_or_else(|| MergeError::NotFound(format!("no customer with id {merged}")))?;
        for ident in &moved.identities {
            sqlx::query(
                "UPDATE customer_identities SET customer_id = $1 WHERE kind = $2 AND source = $3 AND value = $4 AND customer_id = $5",
            )
            .bind(merged.to_string())
            .bind(ident.kind.as_str())
            .bind(&ident.source)
            .bind(&ident.value)
            .bind(kept.to_string())
            .execute(&mut *tx)
            .await?;
        }
        move_rows(&mut tx, "events", &moved.events, kept, merged).await?;
        move_work(&mut tx, &moved, kept, merged).await?;
        let added: Vec<&String> = moved.merged_tags.iter().filter(|t| !moved.kept_tags.contains(t)).collect();
        let tags: Vec<String> = kept_tags.into_iter().filter(|t| !added.contains(&t)).collect();
        write_tags(&mut tx, kept, &tags, now()).await?;
        sqlx::query("UPDATE customers SET merged_into = NULL, updated_at = $1 WHERE id = $2")
            .bind(to_micros(now()))
            .bind(merged.to_string())
            .execute(&mut *tx)
            .await?;
        reindex(&mut tx, merged, &[]).await?;
        reindex(&mut tx, kept, &[]).await?;
        let at = now();
        sqlx::query("UPDATE customer_merges SET undone_by = $1, undone_at = $2 WHERE id = $3")
            .bind(by.id.to_string())
            .bind(to_micros(at))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        for (customer, title) in [
            (kept, format!("{merged_name} is a customer of its own again (merge undone)")),
            (merged, format!("No longer merged into {kept_name} (merge undone)")),
        ] {
            record_activity(
                &mut tx,
                Activity {
                    customer_id: customer,
                    case_id: None,
                    key: format!("unmerge:{id}:{customer}"),
                    kind: "customer.unmerged",
                    title,
                    body: None,
                    actor: Some(by.name.clone()),
                    data: serde_json::json!({"merge_id": id, "merged_id": merged, "kept_id": kept}),
                    at,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(self.merge(id).await?.expect("just written"))
    }

    pub async fn merge(&self, id: Uuid) -> Result<Option<Merge>> {
        sqlx::query(&format!("SELECT {MERGE_COLUMNS} FROM customer_merges WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?
            .map(|r| merge_from_row(&r))
            .transpose()
    }

    /// The merges a customer took part in, newest first.
    pub async fn merges_of(&self, customer: Uuid) -> Result<Vec<Merge>> {
        let rows = sqlx::query(&format!(
            "SELECT {MERGE_COLUMNS} FROM customer_merges WHERE kept_id = $1 OR merged_id = $1 ORDER BY merged_at DESC, id DESC LIMIT 100"
        ))
        .bind(customer.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(merge_from_row).collect()
    }

    /// Customers who may be the same person as `c`, likeliest first (at most `limit`): those
    /// sharing an email (normalised), a phone (its last nine digits) or the name. Never merged
    /// on their own: a person confirms.
    pub async fn duplicates_of(&self, c: &Customer, limit: usize) -> Result<Vec<DuplicateSuggestion>> {
        let mut ids: Vec<Uuid> = Vec::new();
        let mut conn = self.reader().acquire().await?;
        // Each address is kept in search under its normalised form too (`domain::customer::
        // search_terms`), so one look-up finds every spelling of it.
        for key in c.emails.iter().filter_map(|e| email_key(e)) {
            let rows = sqlx::query("SELECT customer_id FROM customer_search WHERE term = $1 LIMIT 100")
                .bind(&key)
                .fetch_all(&mut *conn)
                .await?;
            for r in rows {
                ids.push(col_uuid(&r, "customer_id")?);
            }
        }
        for phone in c.phones.iter().filter(|p| phone_key(p).is_some()) {
            // The number with and without its country code, as search keeps phones.
            for term in search_terms("", &[Identity::phone(phone.clone())]) {
                let rows = sqlx::query("SELECT customer_id FROM customer_search WHERE term = $1 LIMIT 100")
                    .bind(&term)
                    .fetch_all(&mut *conn)
                    .await?;
                for r in rows {
                    ids.push(col_uuid(&r, "customer_id")?);
                }
            }
        }
        let rows = sqlx::query(
            "SELECT id, display_name FROM customers WHERE sort_name = $1 AND merged_into IS NULL LIMIT 100",
        )
        .bind(fold_name(&c.display_name))
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            if name_key(&col_str(&r, "display_name")?) == name_key(&c.display_name) {
                ids.push(col_uuid(&r, "id")?);
            }
        }
        drop(conn);
        ids.sort();
        ids.dedup();
        ids.retain(|id| *id != c.id);
        let mut out: Vec<DuplicateSuggestion> = self
            .customers_by_ids(&ids)
            .await?
            .into_iter()
            .filter(|other| other.merged_into.is_none())
            .filter_map(|other| {
                let reasons = likeness(c, &other);
                (!reasons.is_empty()).then(|| DuplicateSuggestion { score: score(&reasons), reasons, customer: other })
            })
            .collect();
        out.sort_by(|a, b| b.score.cmp(&a.score).then(a.customer.display_name.cmp(&b.customer.display_name)));
        out.truncate(limit);
        Ok(out)
    }
}
