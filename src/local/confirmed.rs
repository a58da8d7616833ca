//! Confirmed server state in the local store: written from the change feed, from the answers
//! to pushed operations, and from what the console reads over REST (customers, timeline
//! pages). An older revision never replaces a newer one, so the order these arrive in does not
//! matter.

use std::collections::HashMap;

use sqlx::SqliteConnection;
use uuid::Uuid;

use super::{get_meta, parse_json, set_meta, LocalError, LocalStore, Result};
use crate::domain::case::{Case, Note};
use crate::domain::customer::Customer;
use crate::domain::event::{Event, TimelineRow};
use crate::domain::followup::FollowUp;
use crate::domain::rasa::RecordedEntry;
use crate::domain::time::{now, to_micros};
use crate::wire::card::CustomerCard;
use crate::wire::changes::{Change, Entity};

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).expect("entities serialise")
}

pub(crate) async fn put_case(conn: &mut SqliteConnection, c: &Case) -> Result<()> {
    sqlx::query(
        "INSERT INTO cases (id, customer_id, assignee_id, status, revision, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET assignee_id = excluded.assignee_id, status = excluded.status, \
         revision = excluded.revision, body = excluded.body WHERE excluded.revision >= cases.revision",
    )
    .bind(c.id.to_string())
    .bind(c.customer_id.to_string())
    .bind(c.assignee_id.map(|a| a.to_string()))
    .bind(c.status.as_str())
    .bind(c.revision)
    .bind(to_micros(c.created_at))
    .bind(json(c))
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn put_note(conn: &mut SqliteConnection, n: &Note) -> Result<()> {
    put_notes(conn, std::slice::from_ref(n)).await
}

/// Notes (never edited, so a repeat replaces like with like), many rows per statement.
pub(crate) async fn put_notes(conn: &mut SqliteConnection, notes: &[Note]) -> Result<()> {
    for chunk in notes.chunks(500) {
        let mut q = sqlx::QueryBuilder::new("INSERT OR REPLACE INTO notes (id, case_id, created_at, body) ");
        q.push_values(chunk, |mut row, n| {
            row.push_bind(n.id.to_string())
                .push_bind(n.case_id.to_string())
                .push_bind(to_micros(n.created_at))
                .push_bind(json(n));
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

pub(crate) async fn put_entry(conn: &mut SqliteConnection, e: &RecordedEntry) -> Result<()> {
    sqlx::query("INSERT OR REPLACE INTO rasa_entries (id, case_id, at, body) VALUES (?, ?, ?, ?)")
        .bind(e.id.to_string())
        .bind(e.case_id.to_string())
        .bind(to_micros(e.at))
        .bind(json(e))
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn put_followup(conn: &mut SqliteConnection, f: &FollowUp) -> Result<()> {
    sqlx::query(
        "INSERT INTO followups (id, case_id, customer_id, assignee_id, status, due_at, revision, body) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET assignee_id = excluded.assignee_id, \
         status = excluded.status, due_at = excluded.due_at, revision = excluded.revision, body = excluded.body \
         WHERE excluded.revision >= followups.revision",
    )
    .bind(f.id.to_string())
    .bind(f.case_id.map(|c| c.to_string()))
    .bind(f.customer_id.to_string())
    .bind(f.assignee_id.to_string())
    .bind(f.status.as_str())
    .bind(to_micros(f.due_at))
    .bind(f.revision)
    .bind(json(f))
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores one change of the feed.
pub(crate) async fn put_change(conn: &mut SqliteConnection, c: &Change) -> Result<()> {
    let body = c.body.get();
    let what = |e: &str| format!("change {} ({e})", c.seq);
    match c.entity {
        Entity::Case => put_case(conn, &parse_json(&what("case"), body)?).await,
        Entity::Note => put_note(conn, &parse_json(&what("note"), body)?).await,
        Entity::RasaEntry => put_entry(conn, &parse_json(&what("RASA entry"), body)?).await,
        Entity::Followup => put_followup(conn, &parse_json(&what("follow-up"), body)?).await,
    }
}

/// Where the next pull starts.
pub(crate) const PULL_CURSOR: &str = "pull_cursor";

impl LocalStore {
    /// The change-feed cursor to pull from; `None` to start from the beginning.
    pub async fn pull_cursor(&self) -> Result<Option<String>> {
        get_meta(self.reader(), PULL_CURSOR).await
    }

    /// Stores a page of the change feed and the cursor after it, in one transaction: a crash
    /// in between repeats the page, which changes nothing.
    pub async fn apply_pulled(&self, changes: &[Change], next_cursor: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        for c in changes {
            put_change(&mut tx, c).await?;
        }
        set_meta(&mut tx, PULL_CURSOR, next_cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets every confirmed entity and the pull cursor (the server no longer holds the
    /// cursor's position: 410) but keeps the outbox, to be pulled again from the start. The
    /// device starts a fresh numbering: a replaced server database has not seen its earlier
    /// operations, and operations it has seen are still recognised by their ids.
    pub async fn reset_confirmed(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        for table in ["cases", "notes", "rasa_entries", "followups"] {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM meta WHERE key = ?").bind(PULL_CURSOR).execute(&mut *tx).await?;
        let first_pending: Option<i64> =
            sqlx::query_scalar("SELECT MIN(seq) FROM outbox WHERE state = 'pending'").fetch_one(&mut *tx).await?;
        let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetch_one(&mut *tx).await?;
        set_meta(&mut tx, "device_id", &Uuid::now_v7().to_string()).await?;
        set_meta(&mut tx, "device_base", &(first_pending.unwrap_or(next) - 1).to_string()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps customers the console has read, for reading offline.
    pub async fn cache_customers(&self, customers: &[Customer]) -> Result<()> {
        let mut tx = self.begin().await?;
        let t = to_micros(now());
        for c in customers {
            sqlx::query("INSERT OR REPLACE INTO customers (id, fetched_at, body) VALUES (?, ?, ?)")
                .bind(c.id.to_string())
                .bind(t)
                .bind(json(c))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn customer(&self, id: Uuid) -> Result<Option<Customer>> {
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM customers WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        body.map(|b| parse_json("customer", &b)).transpose()
    }

    /// Customers in the cache, by id (those not there are left out).
    pub async fn cached_customers(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Customer>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let text = format!("SELECT body FROM customers WHERE id IN ({marks})");
            let mut q = sqlx::query_scalar::<_, String>(&text);
            for id in chunk {
                q = q.bind(id.to_string());
            }
            for body in q.fetch_all(self.reader()).await? {
                let c: Customer = parse_json("customer", &body)?;
                out.insert(c.id, c);
            }
        }
        Ok(out)
    }

    /// Customers of the cases and open follow-ups here that the cache does not hold yet (up to
    /// `limit`): the sync engine reads them so that lists can say who each one is about.
    pub async fn customers_to_fetch(&self, limit: u32) -> Result<Vec<Uuid>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT customer_id FROM (SELECT customer_id FROM cases UNION SELECT customer_id FROM followups) w \
             WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = w.customer_id) LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|s| super::parse_uuid("customer_id", s)).collect()
    }

    /// Keeps a customer card the console has read (and its customer), for reading offline.
    pub async fn cache_card(&self, card: &CustomerCard) -> Result<()> {
        self.cache_customers(std::slice::from_ref(&card.customer)).await?;
        sqlx::query("INSERT OR REPLACE INTO customer_cards (customer_id, fetched_at, body) VALUES (?, ?, ?)")
            .bind(card.customer.id.to_string())
            .bind(to_micros(now()))
            .bind(json(card))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The card last read for a customer.
    pub async fn cached_card(&self, id: Uuid) -> Result<Option<CustomerCard>> {
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM customer_cards WHERE customer_id = ?")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        body.map(|b| parse_json("customer card", &b)).transpose()
    }

    /// Customers seen before whose name, emails, phones or ids contain `q` (offline search).
    pub async fn search_cached_customers(&self, q: &str, limit: u32) -> Result<Vec<Customer>> {
        let pattern = format!("%{}%", q.trim().to_lowercase().replace(['%', '_'], ""));
        let rows: Vec<String> = sqlx::query_scalar("SELECT body FROM customers WHERE lower(body) LIKE ? LIMIT ?")
            .bind(pattern)
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|b| parse_json("customer", b)).collect()
    }

    /// Keeps a customer's timeline rows as the server listed them. An event already kept
    /// whole (its details were read) keeps its text and data.
    pub async fn cache_rows(&self, customer_id: Uuid, rows: &[TimelineRow]) -> Result<()> {
        let mut tx = self.begin().await?;
        for r in rows {
            sqlx::query(
                "INSERT INTO events (id, customer_id, occurred_at, body) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, occurred_at = excluded.occurred_at, \
                 body = CASE WHEN json_type(events.body, '$.data') IS NULL THEN excluded.body ELSE events.body END",
            )
            .bind(r.id.to_string())
            .bind(customer_id.to_string())
            .bind(to_micros(r.occurred_at))
            .bind(json(r))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Keeps an event whole (its details), readable as a row too.
    pub async fn cache_event(&self, e: &Event) -> Result<()> {
        let mut body = serde_json::to_value(e).expect("an event serialises");
        if let Some(score) = TimelineRow::from(e).score {
            body["score"] = serde_json::json!(score);
        }
        let mut tx = self.begin().await?;
        sqlx::query("INSERT OR REPLACE INTO events (id, customer_id, occurred_at, body) VALUES (?, ?, ?, ?)")
            .bind(e.id.to_string())
            .bind(e.customer_id.to_string())
            .bind(to_micros(e.occurred_at))
            .bind(body.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An event kept whole, if its details were read here.
    pub async fn cached_event(&self, id: Uuid) -> Result<Option<Event>> {
        let body: Option<String> =
            sqlx::query_scalar("SELECT body FROM events WHERE id = ? AND json_type(body, '$.data') IS NOT NULL")
                .bind(id.to_string())
                .fetch_optional(self.reader())
                .await?;
        body.map(|b| parse_json("event", &b)).transpose()
    }

    /// A customer's cached timeline rows, newest first, before `(occurred_at µs, id)` when given.
    pub async fn cached_timeline(
        &self,
        customer_id: Uuid,
        before: Option<(i64, Uuid)>,
        limit: u32,
    ) -> Result<Vec<TimelineRow>> {
        let (at, id) = before.map(|(a, i)| (a, i.to_string())).unwrap_or((i64::MAX, String::new()));
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM events WHERE customer_id = ? AND (occurred_at < ? OR (occurred_at = ? AND (? = '' OR id < ?))) \
             ORDER BY occurred_at DESC, id DESC LIMIT ?",
        )
        .bind(customer_id.to_string())
        .bind(at)
        .bind(at)
        .bind(&id)
        .bind(&id)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|b| parse_json("event", b)).collect::<Result<Vec<TimelineRow>, LocalError>>()
    }
}
