//! Customers: reading, searching, and the writes ingestion and seeding make.

use std::collections::{BTreeMap, HashMap};

use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{
    backend_of, col_enum, col_i64, col_json, col_opt_str, col_opt_uuid, col_str, col_ts, col_uuid, cut_page, to_json,
    Result, Sql, Store, StoreError, Tx,
};
use crate::domain::cursor::TextCursor;
use crate::domain::customer::{fold_name, prefix_end, search_terms, Customer, Identity, IdentityKind};
use crate::domain::time::{to_micros, Timestamp};

/// A customer about to be written.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub id: Uuid,
    pub display_name: String,
    pub tier: Option<String>,
    pub tags: Vec<String>,
    pub identities: Vec<Identity>,
    pub created_at: Timestamp,
}

/// Rows per multi-row INSERT: well under both databases' bind-parameter limits.
pub(crate) const ROWS_PER_INSERT: usize = 400;

/// Writes customers with their identities and search terms; returns how many identities were
/// linked (fewer than given when another writer linked one first).
pub(crate) async fn insert_customers(tx: &mut Tx, customers: &[NewCustomer]) -> Result<usize> {
    for chunk in customers.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(
            backend_of(tx),
            "INSERT INTO customers (id, display_name, sort_name, tier, tags, created_at, updated_at) VALUES ",
        );
        for (i, c) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(c.id.to_string()).push(", ");
            sql.bind(c.display_name.clone()).push(", ");
            sql.bind(fold_name(&c.display_name)).push(", ");
            sql.bind(c.tier.clone()).push(", ");
            sql.bind(to_json(&c.tags)).push(", ");
            sql.bind(to_micros(c.created_at)).push(", ");
            sql.bind(to_micros(c.created_at)).push(")");
        }
        let (text, args) = sql.finish();
        sqlx::query_with(&text, args).execute(&mut **tx).await?;
    }
    let ids: Vec<(Uuid, Identity)> =
        customers.iter().flat_map(|c| c.identities.iter().map(move |i| (c.id, i.clone()))).collect();
    let linked =
        insert_identities(tx, &ids, customers.first().map(|c| c.created_at).unwrap_or_else(crate::domain::time::now))
            .await?;
    let terms: Vec<(Uuid, String)> = customers
        .iter()
        .flat_map(|c| search_terms(&c.display_name, &c.identities).into_iter().map(move |t| (c.id, t)))
        .collect();
    insert_search_terms(tx, &terms).await?;
    Ok(linked.len())
}

/// Links identities to customers. An identity already linked elsewhere stays where it is;
/// returns the identities this call linked.
pub(crate) async fn insert_identities(tx: &mut Tx, ids: &[(Uuid, Identity)], at: Timestamp) -> Result<Vec<Identity>> {
    let mut linked = Vec::new();
    // In key order, so that writers linking overlapping identities wait on each other in the
    // same order instead of deadlocking.
    let mut ids: Vec<&(Uuid, Identity)> = ids.iter().collect();
    ids.sort_by(|a, b| a.1.cmp(&b.1));
    for chunk in ids.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(
            backend_of(tx),
            "INSERT INTO customer_identities (kind, source, value, customer_id, created_at) VALUES ",
        );
        for (i, (customer, id)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(id.kind.as_str()).push(", ");
            sql.bind(id.source.clone()).push(", ");
            sql.bind(id.value.clone()).push(", ");
            sql.bind(customer.to_string()).push(", ");
            sql.bind(to_micros(at)).push(")");
        }
        sql.push(" ON CONFLICT (kind, source, value) DO NOTHING RETURNING kind, source, value");
        let (text, args) = sql.finish();
        for row in sqlx::query_with(&text, args).fetch_all(&mut **tx).await? {
            linked.push(Identity {
                kind: col_enum(&row, "kind")?,
                source: col_str(&row, "source")?,
                value: col_str(&row, "value")?,
            });
        }
    }
    Ok(linked)
}

pub(crate) async fn insert_search_terms(tx: &mut Tx, terms: &[(Uuid, String)]) -> Result<()> {
    for chunk in terms.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(backend_of(tx), "INSERT INTO customer_search (term, customer_id) VALUES ");
        for (i, (customer, term)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(term.clone()).push(", ");
            sql.bind(customer.to_string()).push(")");
        }
        sql.push(" ON CONFLICT (term, customer_id) DO NOTHING");
        let (text, args) = sql.finish();
        sqlx::query_with(&text, args).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Finds the customers that own any of these identities.
pub(crate) async fn lookup_identities(tx: &mut Tx, ids: &[Identity]) -> Result<HashMap<Identity, Uuid>> {
    let mut found = HashMap::new();
    let mut wanted: Vec<&Identity> = ids.iter().collect();
    wanted.sort();
    wanted.dedup();
    for chunk in wanted.chunks(ROWS_PER_INSERT) {
        // A join with a VALUES list: both databases look each row up by the primary key
        // (`(a, b, c) IN (VALUES …)` makes SQLite scan the table). Rows come back as their
        // place in the list, which is less to read than the identity.
        let mut sql = Sql::new(backend_of(tx), "WITH wanted (i, kind, source, value) AS (VALUES ");
        for (i, id) in chunk.iter().enumerate() {
            sql.push(&format!("{}({i}, ", if i == 0 { "" } else { ", " }));
            sql.bind(id.kind.as_str()).push(", ");
            sql.bind(id.source.clone()).push(", ");
            sql.bind(id.value.clone()).push(")");
        }
        sql.push(
            ") SELECT CAST(w.i AS BIGINT) AS i, ci.customer_id FROM wanted w JOIN customer_identities ci \
             ON ci.kind = w.kind AND ci.source = w.source AND ci.value = w.value",
        );
        let (text, args) = sql.finish();
        for row in sqlx::query_with(&text, args).fetch_all(&mut **tx).await? {
            let i = usize::try_from(col_i64(&row, "i")?).map_err(|_| StoreError::Corrupt("identity index".into()))?;
            let id = chunk.get(i).ok_or_else(|| StoreError::Corrupt("identity index out of range".into()))?;
            found.insert((*id).clone(), col_uuid(&row, "customer_id")?);
        }
    }
    Ok(found)
}

fn customer_from_row(row: &AnyRow, identities: Vec<Identity>) -> Result<Customer> {
    let mut emails = Vec::new();
    let mut phones = Vec::new();
    let mut external_ids = BTreeMap::new();
    for id in &identities {
        match id.kind {
            IdentityKind::Email => emails.push(id.value.clone()),
            IdentityKind::Phone => phones.push(id.value.clone()),
            IdentityKind::External => {
                external_ids.entry(id.source.clone()).or_insert_with(|| id.value.clone());
            }
        }
    }
    Ok(Customer {
        id: col_uuid(row, "id")?,
        display_name: col_str(row, "display_name")?,
        emails,
        phones,
        external_ids,
        identities,
        tier: col_opt_str(row, "tier")?,
        tags: col_json(row, "tags")?,
        language: col_opt_str(row, "language")?,
        merged_into: col_opt_uuid(row, "merged_into")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

/// Sets a customer's tags (rules add them; merges join and part them).
pub(crate) async fn write_tags(conn: &mut sqlx::AnyConnection, id: Uuid, tags: &[String], at: Timestamp) -> Result<()> {
    sqlx::query("UPDATE customers SET tags = $1, updated_at = $2 WHERE id = $3")
        .bind(to_json(&tags))
        .bind(to_micros(at))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How to reach a customer, for what casebook tells other systems: id, name, first email and
/// phone, language.
pub(crate) async fn contact_of(tx: &mut Tx, id: Uuid) -> Result<serde_json::Value> {
    let name: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT display_name, language FROM customers WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    let (name, language) = name.unwrap_or_default();
    let first = |kind: &'static str| {
        sqlx::query_scalar::<_, String>(
            "SELECT value FROM customer_identities WHERE customer_id = $1 AND kind = $2 ORDER BY created_at, value LIMIT 1",
        )
        .bind(id.to_string())
        .bind(kind)
    };
    let email = first("email").fetch_optional(&mut **tx).await?;
    let phone = first("phone").fetch_optional(&mut **tx).await?;
    Ok(serde_json::json!({"id": id, "name": name, "email": email, "phone": phone, "language": language}))
}

fn bind_id_list(sql: &mut Sql, ids: &[Uuid]) {
    sql.push("(");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(id.to_string());
    }
    sql.push(")");
}

impl Store {
    pub async fn customer(&self, id: Uuid) -> Result<Option<Customer>> {
        Ok(self.customers_by_ids(&[id]).await?.pop())
    }

    /// Customers in the order of `ids` (unknown ids are left out).
    pub async fn customers_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Customer>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(self.backend, "WITH hits (id, k) AS (SELECT id, id FROM customers WHERE id IN ");
        bind_id_list(&mut sql, ids);
        let mut by_id: HashMap<Uuid, Customer> =
            self.read_hits(sql).await?.into_iter().map(|(k, c)| (k.id, c)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Reads the customers named by a `hits (id, k)` common table expression (`sql` holds it
    /// up to its closing parenthesis), with their identities, in one query, ordered by (k, id).
    async fn read_hits(&self, mut sql: Sql) -> Result<Vec<(TextCursor, Customer)>> {
        sql.push(
            ") SELECT h.k, c.id, c.display_name, c.tier, c.tags, c.language, c.merged_into, c.created_at, c.updated_at, \
             ci.kind, ci.source, ci.value FROM hits h JOIN customers c ON c.id = h.id \
             LEFT JOIN customer_identities ci ON ci.customer_id = c.id \
             ORDER BY h.k, c.id, ci.created_at, ci.kind, ci.source, ci.value",
        );
        let (text, args) = sql.finish();
        let rows = sqlx::query_with(&text, args).fetch_all(self.reader()).await?;
        let mut out: Vec<(TextCursor, Customer)> = Vec::new();
        let mut identities: Vec<Identity> = Vec::new();
        let mut first_row = None;
        // Rows come grouped by customer: one per identity (one row with null identity
        // columns for a customer who has none).
        for (i, row) in rows.iter().enumerate() {
            let id = col_uuid(row, "id")?;
            if let Some(kind) = col_opt_str(row, "kind")? {
                identities.push(Identity {
                    kind: kind.parse().map_err(|e| StoreError::Corrupt(format!("customer_identities.kind: {e}")))?,
                    source: col_str(row, "source")?,
                    value: col_str(row, "value")?,
                });
            }
            first_row.get_or_insert(i);
            let last_of_customer = rows.get(i + 1).map(|next| col_uuid(next, "id")).transpose()? != Some(id);
            if last_of_customer {
                let head = &rows[first_row.take().unwrap_or(i)];
                let key = TextCursor { key: col_str(head, "k")?, id };
                out.push((key, customer_from_row(head, std::mem::take(&mut identities))?));
            }
        }
        Ok(out)
    }

    /// Customers whose name (or a word of it), email, phone or external id starts with `term`
    /// (already folded by [`crate::domain::customer::query_term`]), in the order of the best
    /// matching term; or all customers by name when `term` is `None`.
    pub async fn search_customers(
        &self,
        term: Option<&str>,
        limit: u32,
        after: Option<&TextCursor>,
    ) -> Result<(Vec<Customer>, Option<TextCursor>)> {
        let mut sql;
        match term {
            Some(term) => {
                sql = Sql::new(
                    self.backend,
                    "WITH hits (id, k) AS (SELECT customer_id, MIN(term) FROM customer_search WHERE term >= ",
                );
                sql.bind(term.to_string()).push(" AND term < ").bind(prefix_end(term));
                sql.push(" GROUP BY customer_id");
                if let Some(c) = after {
                    sql.push(" HAVING (MIN(term), customer_id) > (")
                        .bind(c.key.clone())
                        .push(", ")
                        .bind(c.id.to_string())
                        .push(")");
                }
                sql.push(" ORDER BY MIN(term), customer_id LIMIT ");
            }
            None => {
                // Customers merged into another are not listed (their things are the other's).
                sql = Sql::new(
                    self.backend,
                    "WITH hits (id, k) AS (SELECT id, sort_name FROM customers WHERE merged_into IS NULL",
                );
                if let Some(c) = after {
                    sql.push(" AND (sort_name, id) > (")
                        .bind(c.key.clone())
                        .push(", ")
                        .bind(c.id.to_string())
                        .push(")");
                }
                sql.push(" ORDER BY sort_name, id LIMIT ");
            }
        }
        sql.bind(i64::from(limit) + 1);
        let (hits, next) = cut_page(self.read_hits(sql).await?, limit, |(k, _)| k.clone());
        Ok((hits.into_iter().map(|(_, c)| c).collect(), next))
    }
}
