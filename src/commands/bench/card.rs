//! `casebook bench card`: the customer card of a customer with 10,000 events over two years
//! (orders, payments, surveys, errors and more, among 100 other customers' events), computed
//! in the store ("server-side") and read over real HTTP on loopback. Floors in the same run:
//! one indexed count of the customer's events (the raw SQLite query) and a loopback round trip
//! of the smallest authenticated request (`GET /api/v1/me`).

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use rand::{Rng, SeedableRng};
use serde_json::json;
use uuid::Uuid;

use super::api::Stats;
use crate::domain::agent::Role;
use crate::domain::card::CardRules;
use crate::domain::time::now;
use crate::store::customers::NewCustomer;
use crate::store::events::NewEvent;
use crate::store::Store;

#[derive(Args, Clone)]
pub struct CardBenchArgs {
    /// Events of the customer whose card is read
    #[arg(long, default_value_t = 10_000)]
    events: usize,
    /// Cards read in each measurement
    #[arg(long, default_value_t = 500)]
    requests: usize,
}

const KINDS: &[(&str, &str, u32)] = &[
    ("shop", "order_placed", 20),
    ("shop", "order_shipped", 15),
    ("shop", "refund_issued", 3),
    ("billing", "payment_succeeded", 15),
    ("billing", "payment_failed", 5),
    ("survey", "csat_response", 4),
    ("survey", "nps_response", 4),
    ("product", "error_shown", 6),
    ("product", "login", 20),
    ("phone", "call_ended", 8),
];

fn events_of(customer: Uuid, n: usize, rng: &mut impl Rng) -> Vec<NewEvent> {
    let total: u32 = KINDS.iter().map(|k| k.2).sum();
    let t = now();
    (0..n)
        .map(|i| {
            let mut roll = rng.gen_range(0..total);
            let (source, kind, _) = *KINDS
                .iter()
                .find(|k| {
                    let hit = roll < k.2;
                    roll = roll.saturating_sub(k.2);
                    hit
                })
                .expect("a kind");
            let at = t - chrono::Duration::minutes(rng.gen_range(0..2 * 365 * 24 * 60));
            NewEvent {
                id: Uuid::now_v7(),
                customer_id: customer,
                source: source.into(),
                source_event_id: format!("{customer}-{i}"),
                kind: kind.into(),
                ce_type: format!("com.example.{source}.{kind}"),
                occurred_at: at,
                title: format!("{kind} {i}"),
                body: None,
                actor: None,
                data: json!({"total": rng.gen_range(5..400), "score": rng.gen_range(0..=10)}),
                extensions: Default::default(),
                case_id: None,
                ingested_at: at,
            }
        })
        .collect()
}

async fn timed<F, Fut>(name: &str, n: usize, mut f: F) -> anyhow::Result<Stats>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..n.min(50) {
        f().await?;
    }
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await?;
        latencies.push(t.elapsed());
    }
    Ok(Stats { name: name.into(), latencies, wall: started.elapsed() })
}

pub async fn run(args: CardBenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("making a temp folder")?;
    let store = Store::open(&format!("sqlite://{}", dir.path().join("card.db").display())).await?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
    let customers: Vec<NewCustomer> = (0..101)
        .map(|i| NewCustomer {
            id: Uuid::now_v7(),
            display_name: format!("Card Customer {i}"),
            tier: None,
            tags: vec![],
            identities: vec![],
            created_at: now(),
        })
        .collect();
    let mut tx = store.begin_write().await?;
    crate::store::customers::insert_customers(&mut tx, &customers).await?;
    tx.commit().await?;
    let busy = customers[0].id;
    let mut rows = events_of(busy, args.events, &mut rng);
    for c in &customers[1..] {
        rows.extend(events_of(c.id, 100, &mut rng));
    }
    for chunk in rows.chunks(5_000) {
        let mut tx = store.begin_write().await?;
        crate::store::events::insert_events(&mut tx, chunk).await?;
        tx.commit().await?;
    }
    let (_, token) =
        store.add_agent("card-bench", Role::Agent, &["support".into()]).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "casebook bench card: a customer with {} events (of {} in the database), SQLite, {} cards per line",
        args.events,
        rows.len(),
        args.requests
    );
    let rules = CardRules::default();
    let card = store.customer_card(busy, &rules).await?.context("the customer")?;
    println!(
        "  the card: {} facts, {} open cases; e.g. {} = {}",
        card.facts.len(),
        card.open_cases,
        card.facts[0].label,
        card.facts[0].display()
    );

    let n = args.requests.max(1);
    let floor_sql = timed("floor: one indexed count", n, || async {
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE customer_id = $1")
            .bind(busy.to_string())
            .fetch_one(store.reader())
            .await?;
        Ok(())
    })
    .await?;
    let in_store = timed("card, in the store", n, || async {
        store.customer_card(busy, &rules).await?;
        Ok(())
    })
    .await?;

    let server = crate::server::spawn(store.clone(), "127.0.0.1:0").await?;
    let base = server.url();
    let client = reqwest::Client::new();
    let floor_http = timed("floor: GET /me round trip", n, || {
        let req = client.get(format!("{base}/api/v1/me")).bearer_auth(&token);
        async move {
            let r = req.send().await?;
            anyhow::ensure!(r.status().is_success(), "GET /me: {}", r.status());
            r.bytes().await?;
            Ok(())
        }
    })
    .await?;
    let over_http = timed("GET /customers/{id}/card", n, || {
        let req = client.get(format!("{base}/api/v1/customers/{busy}/card")).bearer_auth(&token);
        async move {
            let r = req.send().await?;
            anyhow::ensure!(r.status().is_success(), "GET card: {}", r.status());
            r.bytes().await?;
            Ok(())
        }
    })
    .await?;
    for s in [&floor_sql, &in_store, &floor_http, &over_http] {
        s.print(1);
    }
    println!(
        "card in the store: p50 {:.2} ms = {:.1}× the indexed count; over HTTP: p50 {:.2} ms = {:.1}× the store's card + round trip",
        in_store.pct(50.0),
        in_store.pct(50.0) / floor_sql.pct(50.0),
        over_http.pct(50.0),
        over_http.pct(50.0) / (in_store.pct(50.0) + floor_http.pct(50.0)),
    );
    server.stop().await;
    store.close().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
