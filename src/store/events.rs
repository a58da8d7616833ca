//! Events: ingestion (with the customer each one belongs to) and the unified timeline.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::customers::{
    insert_customers, insert_identities, insert_search_terms, lookup_identities, NewCustomer, ROWS_PER_INSERT,
};
use super::{
    backend_of, col_i64, col_opt_str, col_opt_uuid, col_str, col_ts, col_uuid, cut_page, to_json, Result, Sql, Store,
    StoreError, Tx,
};
use crate::domain::cursor::TimeCursor;
use crate::domain::customer::{search_terms, Identity};
use crate::domain::event::{Event, TimelineFilter, TimelineRow, CASEBOOK_SOURCE};
use crate::domain::new_id;
use crate::domain::time::{now, to_micros, Timestamp};
use crate::domain::Invalid;
use crate::wire::cloudevents::IncomingEvent;

/// What became of one ingested event.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestOutcome {
    Created {
        event_id: Uuid,
        customer_id: Uuid,
    },
    /// The same (`source`, `id`) was ingested before: nothing changed.
    Duplicate {
        event_id: Uuid,
        customer_id: Uuid,
    },
    Rejected(Invalid),
    /// It names a customer or case (`casebookcustomer`, `casebookcase`) that does not exist.
    Unknown(String),
}

/// An event row about to be written.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub source: String,
    pub source_event_id: String,
    pub kind: String,
    pub ce_type: String,
    pub occurred_at: Timestamp,
    pub title: String,
    pub body: Option<String>,
    pub actor: Option<String>,
    pub data: Value,
    pub extensions: Map<String, Value>,
    pub case_id: Option<Uuid>,
    pub ingested_at: Timestamp,
}

const EVENT_COLUMNS: &str =
    "id, customer_id, source, source_event_id, kind, ce_type, occurred_at, title, body, actor, data, extensions, case_id, ingested_at";

/// Inserts events, skipping any whose (source, source_event_id) exists; returns the ids inserted.
pub(crate) async fn insert_events(tx: &mut Tx, events: &[NewEvent]) -> Result<HashSet<Uuid>> {
    let mut inserted = HashSet::with_capacity(events.len());
    // In key order, so that writers inserting overlapping sets wait on each other in the same
    // order instead of deadlocking.
    let mut events: Vec<&NewEvent> = events.iter().collect();
    events.sort_by(|a, b| (&a.source, &a.source_event_id).cmp(&(&b.source, &b.source_event_id)));
    for chunk in events.chunks(ROWS_PER_INSERT / 2) {
        let mut sql = Sql::new(backend_of(tx), &format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES "));
        sql.rows(chunk, |row, e| {
            row.bind(e.id.to_string())
                .bind(e.customer_id.to_string())
                .bind(e.source.clone())
                .bind(e.source_event_id.clone())
                .bind(e.kind.clone())
                .bind(e.ce_type.clone())
                .bind(to_micros(e.occurred_at))
                .bind(e.title.clone())
                .bind(e.body.clone())
                .bind(e.actor.clone())
                .bind(to_json(&e.data))
                .bind(to_json(&e.extensions))
                .bind(e.case_id.map(|c| c.to_string()))
                .bind(to_micros(e.ingested_at));
        });
        sql.push(" ON CONFLICT (source, source_event_id) DO NOTHING RETURNING id");
        let (text, args) = sql.finish();
        for row in sqlx::query_with(&text, args).fetch_all(&mut **tx).await? {
            inserted.insert(col_uuid(&row, "id")?);
        }
    }
    Ok(inserted)
}

/// One piece of case activity for the customer's timeline.
pub(crate) struct Activity<'a> {
    pub customer_id: Uuid,
    pub case_id: Option<Uuid>,
    /// Makes the event unique: ids of what it records, so a replay does not add it twice.
    pub key: String,
    pub kind: &'a str,
    pub title: String,
    pub body: Option<String>,
    pub actor: Option<String>,
    pub data: Value,
    pub at: Timestamp,
}

/// Records a piece of case activity; it is written with the transaction's commit.
pub(crate) async fn record_activity(tx: &mut Tx, a: Activity<'_>) -> Result<()> {
    let e = NewEvent {
        id: new_id(),
        customer_id: a.customer_id,
        source: CASEBOOK_SOURCE.into(),
        source_event_id: a.key,
        kind: a.kind.into(),
        ce_type: format!("dev.casebook.{}", a.kind),
        occurred_at: a.at,
        title: a.title,
        body: a.body,
        actor: a.actor,
        data: a.data,
        extensions: Map::new(),
        case_id: a.case_id,
        ingested_at: a.at,
    };
    tx.activity.push(e);
    Ok(())
}

/// What a timeline's list reads of an event: the data only of survey answers (for their score).
pub(crate) const ROW_COLUMNS: &str = "id, occurred_at, source, kind, title, actor, case_id, \
     CASE WHEN kind LIKE '%nps%' OR kind LIKE '%csat%' THEN data END AS data";

fn row_from_row(row: &AnyRow) -> Result<TimelineRow> {
    let kind = col_str(row, "kind")?;
    let score = col_opt_str(row, "data")?.and_then(|d| crate::domain::event::score_of(&kind, &d));
    Ok(TimelineRow {
        id: col_uuid(row, "id")?,
        occurred_at: col_ts(row, "occurred_at")?,
        source: col_str(row, "source")?,
        kind,
        title: col_str(row, "title")?,
        actor: col_opt_str(row, "actor")?,
        case_id: col_opt_uuid(row, "case_id")?,
        score,
    })
}

fn event_from_row(row: &AnyRow) -> Result<Event> {
    Ok(Event {
        id: col_uuid(row, "id")?,
        customer_id: col_uuid(row, "customer_id")?,
        source: col_str(row, "source")?,
        source_event_id: col_str(row, "source_event_id")?,
        kind: col_str(row, "kind")?,
        ce_type: col_str(row, "ce_type")?,
        occurred_at: col_ts(row, "occurred_at")?,
        title: col_str(row, "title")?,
        body: col_opt_str(row, "body")?,
        actor: col_opt_str(row, "actor")?,
        data: serde_json::value::RawValue::from_string(col_str(row, "data")?)
            .map_err(|e| StoreError::Corrupt(format!("events.data: {e}")))?,
        case_id: col_opt_uuid(row, "case_id")?,
        ingested_at: col_ts(row, "ingested_at")?,
    })
}

/// A concurrent writer (another API node) linked an identity or stored an event this batch
/// meant to; the batch is retried on fresh data.
struct Raced;

enum Attempt {
    Done(Vec<IngestOutcome>),
    Raced,
}

impl From<Raced> for Attempt {
    fn from(_: Raced) -> Self {
        Attempt::Raced
    }
}

fn identities_of(e: &IncomingEvent) -> Vec<Identity> {
    let mut ids = Vec::new();
    if let Some(s) = &e.subject {
        ids.push(Identity::external(&e.source, s));
    }
    if let Some(m) = &e.customer_email {
        ids.push(Identity::email(m.clone()));
    }
    if let Some(p) = &e.customer_phone {
        ids.push(Identity::phone(p.clone()));
    }
    ids
}

fn new_customer_name(e: &IncomingEvent) -> String {
    if let Some(n) = &e.customer_name {
        return n.clone();
    }
    if let Some(n) = e.data.get("customer_name").and_then(Value::as_str).filter(|s| !s.trim().is_empty()) {
        return n.trim().chars().take(200).collect();
    }
    if let Some(m) = &e.customer_email {
        return m.clone();
    }
    if let Some(s) = &e.subject {
        return format!("{} {s}", e.source);
    }
    e.customer_phone.clone().unwrap_or_else(|| "Unknown customer".into())
}

impl Store {
    /// Stores validated events, finding or creating the customer of each:
    /// 1. `casebookcustomer`, when given, names the customer;
    /// 2. else the customer already linked to (`source`, `subject`), then to `customeremail`,
    ///    then to `customerphone`;
    /// 3. else a new customer, named by `customername` (or `data.customer_name`, the email, or
    ///    "source subject").
    ///
    /// Identities the event carries that are not linked yet are linked to its customer; an
    /// identity linked to another customer stays there (customers are never merged silently).
    /// Events already stored (same source and id) are reported as duplicates and change nothing.
    ///
    /// The enabled rules (`domain::rules`) fire on the events stored, in the same transaction.
    pub async fn ingest(&self, events: &[IncomingEvent]) -> Result<Vec<IngestOutcome>> {
        self.ingest_with(events, true).await
    }

    /// Stores events from before casebook (`casebook import`) as [`Store::ingest`] does, but
    /// fires no rules: history is not news.
    pub async fn ingest_history(&self, events: &[IncomingEvent]) -> Result<Vec<IngestOutcome>> {
        self.ingest_with(events, false).await
    }

    async fn ingest_with(&self, events: &[IncomingEvent], fire_rules: bool) -> Result<Vec<IngestOutcome>> {
        // Nodes ingesting overlapping batches wait on each other's rows; PostgreSQL breaks a
        // cycle by aborting one, which is tried again here rather than handed to the sender.
        for attempt in 0..8u64 {
            match self.try_ingest(events, fire_rules).await {
                Ok(Attempt::Done(outcomes)) => return Ok(outcomes),
                Ok(Attempt::Raced) => tracing::debug!("ingest raced with another writer; retrying"),
                Err(e) if e.is_lost_race() => {
                    tracing::debug!(error = %e, "ingest lost a race with another writer; retrying");
                    let jitter = rand::random::<u64>() % 20;
                    tokio::time::sleep(std::time::Duration::from_millis(5 * attempt + jitter)).await;
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Corrupt("ingestion kept racing with concurrent writers; retry the request".into()))
    }

    async fn try_ingest(&self, events: &[IncomingEvent], fire_rules: bool) -> Result<Attempt> {
        let mut tx = self.begin_write().await?;
        let mut outcomes: Vec<Option<IngestOutcome>> = vec![None; events.len()];

        // Duplicates: stored before, or earlier in this batch.
        let mut existing: HashMap<(String, String), (Uuid, Uuid)> = HashMap::new();
        for (c, chunk) in events.chunks(ROWS_PER_INSERT).enumerate() {
            // Joined with a VALUES list so that each is looked up by the unique index; rows
            // come back as their place in the list.
            let mut sql = Sql::new(self.backend, "WITH wanted (i, source, source_event_id) AS (VALUES ");
            for (i, e) in chunk.iter().enumerate() {
                sql.push(&format!("{}({}, ", if i == 0 { "" } else { ", " }, c * ROWS_PER_INSERT + i));
                sql.bind(e.source.clone()).push(", ").bind(e.id.clone()).push(")");
            }
            sql.push(
                ") SELECT CAST(w.i AS BIGINT) AS i, e.id, e.customer_id FROM wanted w JOIN events e \
                 ON e.source = w.source AND e.source_event_id = w.source_event_id",
            );
            let (text, args) = sql.finish();
            for row in sqlx::query_with(&text, args).fetch_all(&mut *tx).await? {
                let i = usize::try_from(col_i64(&row, "i")?).map_err(|_| StoreError::Corrupt("event index".into()))?;
                let e = events.get(i).ok_or_else(|| StoreError::Corrupt("event index out of range".into()))?;
                existing
                    .insert((e.source.clone(), e.id.clone()), (col_uuid(&row, "id")?, col_uuid(&row, "customer_id")?));
            }
        }

        // Customers and cases named by casebook id must exist.
        let named_customers: Vec<Uuid> = events.iter().filter_map(|e| e.customer_id).collect();
        let known_customers = super::existing_ids(&mut tx, "customers", &named_customers).await?;
        // A customer merged into another: its events go where everything else of it went.
        let mut merged_into: HashMap<Uuid, Uuid> = HashMap::new();
        for chunk in named_customers.chunks(500) {
            let mut sql = Sql::new(
                self.backend,
                "SELECT id, merged_into FROM customers WHERE merged_into IS NOT NULL AND id IN (",
            );
            sql.bind_list(chunk.iter().map(|id| id.to_string())).push(")");
            let (text, args) = sql.finish();
            for row in sqlx::query_with(&text, args).fetch_all(&mut *tx).await? {
                if let Some(into) = col_opt_uuid(&row, "merged_into")? {
                    merged_into.insert(col_uuid(&row, "id")?, into);
                }
            }
        }
        let named_cases: Vec<Uuid> = events.iter().filter_map(|e| e.case_id).collect();
        let known_cases = super::existing_ids(&mut tx, "cases", &named_cases).await?;

        // Only the events not stored yet need their customers found.
        let all_identities: Vec<Identity> = events
            .iter()
            .filter(|e| !existing.contains_key(&(e.source.clone(), e.id.clone())))
            .flat_map(identities_of)
            .collect();
        let mut owner = lookup_identities(&mut tx, &all_identities).await?;

        let mut new_customers: Vec<NewCustomer> = Vec::new();
        let mut new_links: Vec<(Uuid, Identity)> = Vec::new();
        let mut rows: Vec<NewEvent> = Vec::new();
        let mut pending: HashMap<(String, String), usize> = HashMap::new();
        // The language each customer's latest event here named.
        let mut languages: HashMap<Uuid, String> = HashMap::new();
        let t = now();

        for (i, e) in events.iter().enumerate() {
            let key = (e.source.clone(), e.id.clone());
            if let Some((event_id, customer_id)) = existing.get(&key) {
                outcomes[i] = Some(IngestOutcome::Duplicate { event_id: *event_id, customer_id: *customer_id });
                continue;
            }
            if let Some(first) = pending.get(&key) {
                let r: &NewEvent = &rows[*first];
                outcomes[i] = Some(IngestOutcome::Duplicate { event_id: r.id, customer_id: r.customer_id });
                continue;
            }
            if let Some(c) = e.customer_id.filter(|c| !known_customers.contains(c)) {
                outcomes[i] = Some(IngestOutcome::Unknown(format!(
                    "casebookcustomer `{c}` is not a known customer: leave it out to match by subject or customeremail"
                )));
                continue;
            }
            if let Some(c) = e.case_id.filter(|c| !known_cases.contains(c)) {
                outcomes[i] = Some(IngestOutcome::Unknown(format!("casebookcase `{c}` is not a known case")));
                continue;
            }
            let ids = identities_of(e);
            let named = e.customer_id.map(|c| merged_into.get(&c).copied().unwrap_or(c));
            let customer_id = match named.or_else(|| ids.iter().find_map(|id| owner.get(id).copied())) {
                Some(c) => {
                    for id in ids {
                        if !owner.contains_key(&id) {
                            owner.insert(id.clone(), c);
                            new_links.push((c, id));
                        }
                    }
                    c
                }
                None => {
                    let c = NewCustomer {
                        id: new_id(),
                        display_name: new_customer_name(e),
                        tier: None,
                        tags: Vec::new(),
                        identities: ids.clone(),
                        created_at: t,
                    };
                    for id in ids {
                        owner.insert(id, c.id);
                    }
                    let cid = c.id;
                    new_customers.push(c);
                    cid
                }
            };
            if let Some(l) = &e.customer_language {
                languages.insert(customer_id, l.clone());
            }
            pending.insert(key, rows.len());
            outcomes[i] = Some(IngestOutcome::Created { event_id: Uuid::nil(), customer_id });
            rows.push(NewEvent {
                id: new_id(),
                customer_id,
                source: e.source.clone(),
                source_event_id: e.id.clone(),
                kind: e.kind.clone(),
                ce_type: e.ce_type.clone(),
                occurred_at: e.occurred_at.unwrap_or(t),
                title: e.title.clone(),
                body: e.body.clone(),
                actor: e.actor.clone(),
                data: e.data.clone(),
                extensions: e.extensions.clone(),
                case_id: e.case_id,
                ingested_at: t,
            });
        }

        if !new_customers.is_empty() {
            let expected: usize = new_customers.iter().map(|c| c.identities.len()).sum();
            let linked = insert_customers(&mut tx, &new_customers).await?;
            // A shortfall means another node linked one of these identities first.
            if linked != expected {
                return Ok(Raced.into());
            }
        }
        if !new_links.is_empty() {
            let linked = insert_identities(&mut tx, &new_links, t).await?;
            if linked.len() != new_links.len() {
                return Ok(Raced.into());
            }
            let terms: Vec<(Uuid, String)> = new_links
                .iter()
                .flat_map(|(c, id)| search_terms("", std::slice::from_ref(id)).into_iter().map(move |term| (*c, term)))
                .collect();
            insert_search_terms(&mut tx, &terms).await?;
        }
        let inserted = insert_events(&mut tx, &rows).await?;
        if inserted.len() != rows.len() {
            return Ok(Raced.into());
        }
        for (customer, language) in &languages {
            sqlx::query("UPDATE customers SET language = $1 WHERE id = $2 AND (language IS NULL OR language <> $1)")
                .bind(language)
                .bind(customer.to_string())
                .execute(&mut *tx)
                .await?;
        }
        if fire_rules && !rows.is_empty() {
            crate::casework::rules::on_events(&mut tx, &rows).await?;
        }
        tx.commit().await?;

        let mut row_iter = rows.iter();
        let outcomes = outcomes
            .into_iter()
            .map(|o| match o.expect("every event has an outcome") {
                IngestOutcome::Created { customer_id, .. } => {
                    let r = row_iter.next().expect("one row per created event");
                    IngestOutcome::Created { event_id: r.id, customer_id }
                }
                other => other,
            })
            .collect();
        Ok(Attempt::Done(outcomes))
    }

    /// One page of a customer's timeline as its list shows it ([`TimelineRow`]: no text or
    /// data but a survey's score), newest first, strictly after `before`.
    pub async fn timeline_rows(
        &self,
        customer_id: Uuid,
        filter: &TimelineFilter,
        limit: u32,
        before: Option<&TimeCursor>,
    ) -> Result<(Vec<TimelineRow>, Option<TimeCursor>)> {
        let rows = self.timeline_page(ROW_COLUMNS, customer_id, filter, limit, before).await?;
        let rows = rows.iter().map(row_from_row).collect::<Result<Vec<_>>>()?;
        Ok(cut_page(rows, limit, |r| TimeCursor { at: to_micros(r.occurred_at), id: r.id }))
    }

    /// The rows of one timeline page (one more than `limit`, to tell whether there is a next),
    /// newest first, strictly after `before`: `columns` of each.
    async fn timeline_page(
        &self,
        columns: &str,
        customer_id: Uuid,
        filter: &TimelineFilter,
        limit: u32,
        before: Option<&TimeCursor>,
    ) -> Result<Vec<AnyRow>> {
        let mut sql = Sql::new(self.backend, &format!("SELECT {columns} FROM events WHERE customer_id = "));
        sql.bind(customer_id.to_string());
        sql.and_in("source", &filter.sources).and_in("kind", &filter.kinds);
        if let Some(c) = before {
            sql.push(" AND (occurred_at, id) < (").bind(c.at).push(", ").bind(c.id.to_string()).push(")");
        }
        sql.push(" ORDER BY occurred_at DESC, id DESC LIMIT ").bind(i64::from(limit) + 1);
        let (text, args) = sql.finish();
        Ok(sqlx::query_with(&text, args).fetch_all(self.reader()).await?)
    }

    /// One event, whole.
    pub async fn event(&self, id: Uuid) -> Result<Option<Event>> {
        let row = sqlx::query(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(event_from_row).transpose()
    }

    /// One page of a customer's timeline, newest first, strictly after `before`.
    pub async fn timeline(
        &self,
        customer_id: Uuid,
        filter: &TimelineFilter,
        limit: u32,
        before: Option<&TimeCursor>,
    ) -> Result<(Vec<Event>, Option<TimeCursor>)> {
        let rows = self.timeline_page(EVENT_COLUMNS, customer_id, filter, limit, before).await?;
        let events = rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?;
        Ok(cut_page(events, limit, |e| TimeCursor { at: to_micros(e.occurred_at), id: e.id }))
    }
}
