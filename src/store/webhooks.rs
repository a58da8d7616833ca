//! Outbound webhooks' storage: subscriptions (secrets sealed), the durable delivery queue, the
//! log of every try, and the networks an operator opened to deliveries.
//!
//! Deliveries are queued by [`enqueue`] inside the transaction of the case work they tell
//! about (called from [`Tx::commit`]), so an event is queued exactly when its work commits,
//! and never for work rolled back. A node takes due deliveries with [`Store::claim_deliveries`]
//! for a lease: another node takes one only once that lease has run out, so each delivery is
//! tried by one node at a time.

use serde_json::Value;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{
    backend_of, col_i64, col_json, col_opt_ts, col_str, col_ts, col_uuid, to_json, Backend, Result, Sql, Store,
    StoreError, Tx,
};
use crate::domain::new_id;
use crate::domain::time::{from_micros, now, to_micros, Timestamp};
use crate::wire::webhooks::{wants, Attempt, Delivery, DeliveryLog, OutEvent, OutKind, Subscription};

/// Wakes this process's deliverer when a commit queued deliveries (other nodes find them by
/// polling).
pub static QUEUED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Subscription states.
pub const ACTIVE: &str = "active";
pub const FAILING: &str = "failing";
pub const PAUSED: &str = "paused";

const SUBSCRIPTION_COLUMNS: &str = "id, url, kinds, description, state, created_at, updated_at";
const DELIVERY_COLUMNS: &str = "id, subscription_id, event_id, kind, state, attempts, next_attempt_at, last_status, \
     last_error, created_at, delivered_at, payload";

fn subscription_from_row(row: &AnyRow) -> Result<Subscription> {
    Ok(Subscription {
        id: col_uuid(row, "id")?,
        url: col_str(row, "url")?,
        kinds: col_json(row, "kinds")?,
        description: col_str(row, "description")?,
        state: col_str(row, "state")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

fn delivery_from_row(row: &AnyRow) -> Result<Delivery> {
    let state = col_str(row, "state")?;
    let payload: Value = serde_json::from_str(&col_str(row, "payload")?)
        .map_err(|e| StoreError::Corrupt(format!("webhook_deliveries.payload: {e}")))?;
    Ok(Delivery {
        id: col_uuid(row, "id")?,
        subscription_id: col_uuid(row, "subscription_id")?,
        event_id: col_uuid(row, "event_id")?,
        kind: col_str(row, "kind")?,
        next_attempt_at: if state == "pending" { Some(col_ts(row, "next_attempt_at")?) } else { None },
        state,
        attempts: col_i64(row, "attempts")?,
        last_status: row_opt_i64(row, "last_status")?,
        last_error: super::col_opt_str(row, "last_error")?,
        created_at: col_ts(row, "created_at")?,
        delivered_at: col_opt_ts(row, "delivered_at")?,
        payload,
    })
}

fn row_opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    use sqlx::Row;
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

/// A delivery a node has claimed: what it needs to send it.
pub struct Claimed {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub event_id: Uuid,
    pub payload: String,
    /// Tries before this one, in this round.
    pub attempts: i64,
    pub url: String,
    /// The subscription's signing secret (`whsec_…`), opened.
    pub secret: String,
}

/// How a try went.
pub struct TryResult {
    pub status: Option<i64>,
    pub error: Option<String>,
    pub took_ms: i64,
    /// Delivered (a 2xx answer).
    pub delivered: bool,
    /// When to try again; `None` when out of retries (the delivery fails).
    pub retry_at: Option<Timestamp>,
}

/// Queues each event for every subscription that wants its kind (inside the commit of the
/// work it tells about). Whether anything was queued.
pub(super) async fn enqueue(conn: &mut sqlx::AnyConnection, events: &[OutEvent]) -> Result<bool> {
    if events.is_empty() {
        return Ok(false);
    }
    let subs = sqlx::query("SELECT id, kinds FROM webhook_subscriptions").fetch_all(&mut *conn).await?;
    let mut rows: Vec<(Uuid, &OutEvent)> = Vec::new();
    for s in &subs {
        let id = col_uuid(s, "id")?;
        let kinds: Vec<String> = col_json(s, "kinds")?;
        rows.extend(events.iter().filter(|e| wants(&kinds, e.kind)).map(|e| (id, e)));
    }
    if rows.is_empty() {
        return Ok(false);
    }
    let at = to_micros(now());
    let backend = backend_of(conn);
    for chunk in rows.chunks(100) {
        let mut sql = Sql::new(
            backend,
            "INSERT INTO webhook_deliveries (id, subscription_id, event_id, kind, payload, state, attempts, \
             next_attempt_at, created_at) VALUES ",
        );
        sql.rows(chunk, |row, (sub, e)| {
            row.bind(new_id().to_string())
                .bind(sub.to_string())
                .bind(e.id.to_string())
                .bind(e.kind.as_str())
                .bind(e.to_cloudevent())
                .literal("'pending'")
                .literal("0")
                .bind(at)
                .bind(at);
        });
        sql.push(" ON CONFLICT (subscription_id, event_id) DO NOTHING");
        let (text, args) = sql.finish();
        sqlx::query_with(&text, args).execute(&mut *conn).await?;
    }
    Ok(true)
}

impl Tx {
    /// Whether any subscription wants `kind`: what an event's data costs to build (the
    /// customer's contact) is spent only then. Subscriptions are read once per transaction.
    pub(crate) async fn wants(&mut self, kind: OutKind) -> Result<bool> {
        if self.subscribed.is_none() {
            let rows = sqlx::query("SELECT kinds FROM webhook_subscriptions").fetch_all(&mut **self).await?;
            self.subscribed = Some(rows.iter().map(|r| col_json(r, "kinds")).collect::<Result<_>>()?);
        }
        Ok(self.subscribed.as_ref().is_some_and(|subs| subs.iter().any(|k| wants(k, kind))))
    }

    /// Tells the subscribers of `kind`, once this transaction commits.
    pub(crate) fn emit(&mut self, kind: OutKind, subject: Uuid, data: Value) {
        self.outgoing.push(OutEvent { id: new_id(), kind, subject, at: now(), data });
    }
}

impl Store {
    /// Adds a subscription (the URL and kinds checked by the caller); `secret` is its
    /// Standard Webhooks secret, sealed here.
    pub async fn add_subscription(
        &self,
        url: &str,
        kinds: &[String],
        description: &str,
        secret: &str,
    ) -> Result<Subscription> {
        let sealed = self.secret_key()?.seal(secret.as_bytes());
        let id = new_id();
        let at = to_micros(now());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhook_subscriptions (id, url, kinds, secret, description, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id.to_string())
        .bind(url)
        .bind(to_json(&kinds))
        .bind(sealed)
        .bind(description)
        .bind(ACTIVE)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(self.subscription(id).await?.expect("the subscription just added"))
    }

    pub async fn subscription(&self, id: Uuid) -> Result<Option<Subscription>> {
        let row = sqlx::query(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    pub async fn subscriptions(&self) -> Result<Vec<Subscription>> {
        let rows =
            sqlx::query(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions ORDER BY created_at, id"))
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(subscription_from_row).collect()
    }

    /// Pauses (`paused`) or resumes (`active`) a subscription; `None` when there is none.
    pub async fn set_subscription_state(&self, id: Uuid, state: &str) -> Result<Option<Subscription>> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE webhook_subscriptions SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(state)
            .bind(to_micros(now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.subscription(id).await
    }

    /// Removes a subscription with its deliveries and their log; whether there was one.
    pub async fn remove_subscription(&self, id: Uuid) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        // Children first: SQLite enforces the cascade only with foreign keys on, and an
        // explicit order reads the same on both backends.
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = $1)",
        )
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE subscription_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone > 0)
    }

    /// Takes up to `limit` due deliveries for `node` until `lease_until`: deliveries no other
    /// node holds a lease on, of subscriptions not paused.
    pub async fn claim_deliveries(&self, node: &str, limit: i64, lease_until: Timestamp) -> Result<Vec<Claimed>> {
        let t = to_micros(now());
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE OF d SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2 WHERE id IN (\
               SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id \
               WHERE d.state = 'pending' AND d.next_attempt_at <= $3 AND (d.claimed_until IS NULL OR d.claimed_until < $3) \
               AND s.state <> 'paused' ORDER BY d.next_attempt_at LIMIT $4{lock}) \
             AND (claimed_until IS NULL OR claimed_until < $3) \
             RETURNING id, subscription_id, event_id, payload, attempts"
        );
        let mut tx = self.begin_write().await?;
        let rows =
            sqlx::query(&sql).bind(node).bind(to_micros(lease_until)).bind(t).bind(limit).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut subs = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let sub_id = col_uuid(row, "subscription_id")?;
            if let std::collections::hash_map::Entry::Vacant(slot) = subs.entry(sub_id) {
                let s = sqlx::query("SELECT url, secret FROM webhook_subscriptions WHERE id = $1")
                    .bind(sub_id.to_string())
                    .fetch_optional(self.reader())
                    .await?;
                let Some(s) = s else { continue };
                let secret = String::from_utf8(self.secret_key()?.open(&col_str(&s, "secret")?)?)
                    .map_err(|_| StoreError::Corrupt("a subscription's secret is not text".into()))?;
                slot.insert((col_str(&s, "url")?, secret));
            }
            let (url, secret) = subs[&sub_id].clone();
            out.push(Claimed {
                id: col_uuid(row, "id")?,
                subscription_id: sub_id,
                event_id: col_uuid(row, "event_id")?,
                payload: col_str(row, "payload")?,
                attempts: col_i64(row, "attempts")?,
                url,
                secret,
            });
        }
        Ok(out)
    }

    /// Records a try of a delivery this node claimed, and what follows from it: delivered, a
    /// retry at `retry_at`, or failed (and its subscription marked failing). A node whose
    /// lease ran out and was taken over records its try but changes nothing else.
    pub async fn finish_try(&self, node: &str, d: &Claimed, r: &TryResult) -> Result<()> {
        let t = to_micros(now());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (id, delivery_id, at, node, status, error, took_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id().to_string())
        .bind(d.id.to_string())
        .bind(t)
        .bind(node)
        .bind(r.status)
        .bind(r.error.clone())
        .bind(r.took_ms)
        .execute(&mut *tx)
        .await?;
        let (state, next) = match (r.delivered, r.retry_at) {
            (true, _) => ("delivered", t),
            (false, Some(at)) => ("pending", to_micros(at)),
            (false, None) => ("failed", t),
        };
        let changed = sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_attempt_at = $2, last_status = $3, \
             last_error = $4, delivered_at = $5, claimed_by = NULL, claimed_until = NULL \
             WHERE id = $6 AND claimed_by = $7 AND state = 'pending'",
        )
        .bind(state)
        .bind(next)
        .bind(r.status)
        .bind(r.error.clone())
        .bind(if r.delivered { Some(t) } else { None })
        .bind(d.id.to_string())
        .bind(node)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 && state != "pending" {
            // A success clears `failing`; running out of retries sets it. Paused stays paused.
            let sub_state = if r.delivered { ACTIVE } else { FAILING };
            sqlx::query(
                "UPDATE webhook_subscriptions SET state = $1, updated_at = $2 WHERE id = $3 AND state <> 'paused' AND state <> $1",
            )
            .bind(sub_state)
            .bind(t)
            .bind(d.subscription_id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deliveries, newest first: of one subscription or all, in one state or any.
    pub async fn deliveries(
        &self,
        subscription: Option<Uuid>,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ($1 = '' OR subscription_id = $1) \
             AND ($2 = '' OR state = $2) ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(subscription.map(|s| s.to_string()).unwrap_or_default())
        .bind(state.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// A delivery with the log of its tries.
    pub async fn delivery_log(&self, id: Uuid) -> Result<Option<DeliveryLog>> {
        let row = sqlx::query(&format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let delivery = delivery_from_row(&row)?;
        let rows = sqlx::query(
            "SELECT at, node, status, error, took_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY at, id",
        )
        .bind(id.to_string())
        .fetch_all(self.reader())
        .await?;
        let attempts_log = rows
            .iter()
            .map(|r| {
                Ok(Attempt {
                    at: col_ts(r, "at")?,
                    node: col_str(r, "node")?,
                    status: row_opt_i64(r, "status")?,
                    error: super::col_opt_str(r, "error")?,
                    took_ms: col_i64(r, "took_ms")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(DeliveryLog { delivery, attempts_log }))
    }

    /// Queues a delivery again, at once and with a fresh round of retries (delivered or
    /// failed ones too: the receiver lost it, or is back). `None` when there is none.
    pub async fn redeliver(&self, id: Uuid) -> Result<Option<Delivery>> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1, claimed_by = NULL, \
             claimed_until = NULL WHERE id = $2",
        )
        .bind(to_micros(now()))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        QUEUED.notify_one();
        Ok(self.delivery_log(id).await?.map(|l| l.delivery))
    }

    /// How many deliveries wait to be sent, all nodes.
    pub async fn pending_deliveries(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'")
            .fetch_one(self.reader())
            .await?)
    }

    /// When the next pending delivery is due, if any is.
    pub async fn next_delivery_due(&self) -> Result<Option<Timestamp>> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending'")
                .fetch_one(self.reader())
                .await?;
        Ok(at.map(from_micros))
    }

    /// The networks an operator opened to deliveries (CIDR text).
    pub async fn allowed_networks(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT network FROM webhook_allowed_networks ORDER BY network")
            .fetch_all(self.reader())
            .await?)
    }

    /// Opens (or, with `allow` false, closes) a network (CIDR text, checked by the caller).
    pub async fn set_network_allowed(&self, network: &str, allow: bool) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = if allow {
            sqlx::query("INSERT INTO webhook_allowed_networks (network, created_at) VALUES ($1, $2) ON CONFLICT (network) DO NOTHING")
                .bind(network)
                .bind(to_micros(now()))
                .execute(&mut *tx)
                .await?
        } else {
            sqlx::query("DELETE FROM webhook_allowed_networks WHERE network = $1").bind(network).execute(&mut *tx).await?
        }
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Marks open follow-ups whose due time has come as announced and tells `followup.due`
    /// subscribers, up to `limit` at a time; how many. Each is announced once, by one node.
    pub async fn announce_due_followups(&self, limit: i64) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "UPDATE followups SET due_announced = 1 WHERE id IN (SELECT id FROM followups WHERE status = 'open' \
             AND due_announced = 0 AND due_at <= $1 ORDER BY due_at LIMIT $2) AND due_announced = 0 \
             RETURNING id, customer_id, case_id, assignee_id, due_at, channel, note",
        )
        .bind(to_micros(now()))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let id = col_uuid(r, "id")?;
            let customer_id = col_uuid(r, "customer_id")?;
            let contact = super::customers::contact_of(&mut tx, customer_id).await?;
            tx.emit(
                OutKind::FollowUpDue,
                id,
                serde_json::json!({
                    "followup_id": id,
                    "case_id": super::col_opt_uuid(r, "case_id")?,
                    "assignee_id": col_uuid(r, "assignee_id")?,
                    "due_at": col_ts(r, "due_at")?,
                    "channel": col_str(r, "channel")?,
                    "note": col_str(r, "note")?,
                    "customer": contact,
                }),
            );
        }
        tx.commit().await?;
        Ok(rows.len())
    }
}
