//! The customer card: the customer, their open and latest case, their latest event, and the
//! facts the card rules ([`crate::domain::card`]) compute from their events. Each fact is one
//! query on the `events_customer_kind` index (a count reads no event rows; a sum or last value
//! reads only the rows it adds up or shows), so a customer with 10,000 events costs what one
//! with ten does, give or take the rows a sum reads.

use uuid::Uuid;

use super::queues::ACTIVE;
use super::{col_enum, col_i64, col_json, col_str, col_ts, col_uuid, Result, Sql, Store};
use crate::domain::card::{CardRules, Reading, Rows};
use crate::domain::event::CASEBOOK_SOURCE;
use crate::domain::time::{now, to_micros};
use crate::wire::card::{CaseBrief, CustomerCard, EventBrief};

impl Store {
    /// The card of a customer (`None`: no such customer). A merged customer's card is its own
    /// (empty, with `merged_into` saying where everything went).
    pub async fn customer_card(&self, id: Uuid, rules: &CardRules) -> Result<Option<CustomerCard>> {
        let Some(customer) = self.customer(id).await? else { return Ok(None) };
        let at = now();
        let key = id.to_string();

        let open_cases: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM cases WHERE customer_id = $1 AND {ACTIVE}"))
                .bind(&key)
                .fetch_one(self.reader())
                .await?;
        let last_case = sqlx::query(
            "SELECT id, subject, status, created_at FROM cases WHERE customer_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(&key)
        .fetch_optional(self.reader())
        .await?
        .map(|r| -> Result<CaseBrief> {
            Ok(CaseBrief {
                id: col_uuid(&r, "id")?,
                subject: col_str(&r, "subject")?,
                status: col_enum(&r, "status")?,
                created_at: col_ts(&r, "created_at")?,
            })
        })
        .transpose()?;
        let last_event = sqlx::query(
            "SELECT source, kind, title, occurred_at FROM events WHERE customer_id = $1 AND source <> $2 \
             ORDER BY occurred_at DESC, id DESC LIMIT 1",
        )
        .bind(&key)
        .bind(CASEBOOK_SOURCE)
        .fetch_optional(self.reader())
        .await?
        .map(|r| -> Result<EventBrief> {
            Ok(EventBrief {
                source: col_str(&r, "source")?,
                kind: col_str(&r, "kind")?,
                title: col_str(&r, "title")?,
                occurred_at: col_ts(&r, "occurred_at")?,
            })
        })
        .transpose()?;

        let mut facts = Vec::with_capacity(rules.facts.len());
        for (rule, q) in rules.facts.iter().zip(rules.queries(at)) {
            let what = match q.rows {
                Rows::Count => "COUNT(*) AS n",
                Rows::Newest(_) => "occurred_at, data",
            };
            let mut sql = Sql::new(self.backend, &format!("SELECT {what} FROM events WHERE customer_id = "));
            sql.bind(key.clone());
            sql.and_in("kind", q.kinds).and_in("source", q.sources);
            if let Some(since) = q.since {
                sql.push(" AND occurred_at >= ").bind(to_micros(since));
            }
            if let Rows::Newest(n) = q.rows {
                sql.push(" ORDER BY occurred_at DESC LIMIT ").bind(n as i64);
            }
            let (text, args) = sql.finish();
            let rows = sqlx::query_with(&text, args).fetch_all(self.reader()).await?;
            let reading = match q.rows {
                Rows::Count => Reading::Count(rows.first().map(|r| col_i64(r, "n")).transpose()?.unwrap_or(0) as u64),
                Rows::Newest(_) => Reading::Rows(
                    rows.iter()
                        .map(|r| Ok((col_ts(r, "occurred_at")?, col_json(r, "data")?)))
                        .collect::<Result<Vec<_>>>()?,
                ),
            };
            facts.push(rule.fact(reading));
        }
        Ok(Some(CustomerCard { customer, open_cases: open_cases.max(0) as u64, last_case, last_event, facts, at }))
    }
}
