//! `casebook bench api`: the API's speed on a seeded database, measured over real HTTP on
//! loopback — the first timeline page and customer search under concurrent clients, and the
//! CloudEvents batch ingestion rate. The database is kept in the cache dir so reruns skip seeding.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use rand::{Rng, SeedableRng};
use serde_json::json;
use uuid::Uuid;

use crate::commands::seed::{default_anchor, seed, SeedOptions};
use crate::store::{redact, Store, StoreOptions};

#[derive(Args, Clone)]
pub struct BenchArgs {
    /// sqlite://PATH or postgres://… [default: bench-CxE.db in the cache dir, seeded on first use]
    #[arg(long)]
    database: Option<String>,
    #[arg(long, default_value_t = 10_000)]
    customers: usize,
    #[arg(long, default_value_t = 100)]
    events_per_customer: usize,
    /// Concurrent clients for the read scenarios
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Requests per read scenario
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Ingestion: number of batches
    #[arg(long, default_value_t = 40)]
    batches: usize,
    /// Ingestion: events per batch
    #[arg(long, default_value_t = 500)]
    batch_size: usize,
    /// Turn the built-in rules on before ingesting (what acting on events costs ingestion)
    #[arg(long)]
    rules: bool,
    /// Database connections the server may open (SQLite: readers, besides the one writer)
    #[arg(long, default_value_t = StoreOptions::default().max_connections)]
    connections: u32,
}

pub(crate) struct Stats {
    pub(crate) name: String,
    pub(crate) latencies: Vec<Duration>,
    pub(crate) wall: Duration,
}

impl Stats {
    pub(crate) fn pct(&self, p: f64) -> f64 {
        let mut v = self.latencies.clone();
        v.sort();
        let i = ((v.len() as f64 * p / 100.0).ceil() as usize).clamp(1, v.len()) - 1;
        v[i].as_secs_f64() * 1000.0
    }

    pub(crate) fn print(&self, clients: usize) {
        println!(
            "{:<28} {:>7} req  {:>3} clients  p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  {:>7.0} req/s",
            self.name,
            self.latencies.len(),
            clients,
            self.pct(50.0),
            self.pct(90.0),
            self.pct(99.0),
            self.pct(100.0),
            self.latencies.len() as f64 / self.wall.as_secs_f64()
        );
    }
}

/// Runs `total` requests from `clients` concurrent tasks; `make(i)` builds request `i`.
pub(crate) async fn load<F>(name: &str, clients: usize, total: usize, make: F) -> anyhow::Result<Stats>
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let next = next.clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let res = make(i).send().await?;
                let status = res.status();
                let body = res.bytes().await?;
                if !status.is_success() {
                    bail!("request {i} failed with {status}: {}", String::from_utf8_lossy(&body));
                }
                lat.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for t in tasks {
        latencies.extend(t.await??);
    }
    Ok(Stats { name: name.to_string(), latencies, wall: started.elapsed() })
}

/// The timeline's first page as the console reads it, one request at a time: its size and time
/// for the list's rows and for the whole events, against the floor measured in the same run —
/// the same SQL run on the database directly, plus a loopback round trip (`GET /healthz`).
async fn first_page_alone(
    store: &Store,
    client: &reqwest::Client,
    base: &str,
    token: &str,
    ids: &[String],
    n: usize,
) -> anyhow::Result<()> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let picks: Vec<&String> = (0..n).map(|_| &ids[rng.gen_range(0..ids.len())]).collect();
    let ms = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    let (mut rows, mut whole, mut sql, mut round_trip) = (vec![], vec![], vec![], vec![]);
    let (mut rows_bytes, mut whole_bytes) = (0usize, 0usize);
    let page_sql = format!(
        "SELECT {} FROM events WHERE customer_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT 51",
        crate::store::events::ROW_COLUMNS
    );
    for (round, id) in picks.iter().enumerate() {
        let get = |path: String| client.get(format!("{base}{path}")).bearer_auth(token);
        let t = Instant::now();
        let body = get(format!("/api/v1/customers/{id}/timeline/rows?limit=50")).send().await?.bytes().await?;
        rows.push(t.elapsed());
        rows_bytes += body.len();
        let t = Instant::now();
        let body = get(format!("/api/v1/customers/{id}/timeline?limit=50")).send().await?.bytes().await?;
        whole.push(t.elapsed());
        whole_bytes += body.len();
        let t = Instant::now();
        let found = sqlx::query(&page_sql).bind(id.to_string()).fetch_all(store.reader()).await?;
        sql.push(t.elapsed());
        let t = Instant::now();
        client.get(format!("{base}/healthz")).send().await?.bytes().await?;
        round_trip.push(t.elapsed());
        if round == 0 && found.is_empty() {
            bail!("customer {id} has no events to read");
        }
    }
    let (rows_ms, whole_ms, sql_ms, rt_ms) = (ms(&mut rows), ms(&mut whole), ms(&mut sql), ms(&mut round_trip));
    let floor = sql_ms + rt_ms;
    println!(
        "timeline first page alone ({n} customers, 1 client), p50: rows {rows_ms:.2} ms ({:.1} KB, {:.2}× the floor), whole events {whole_ms:.2} ms ({:.1} KB, {:.2}×); floor {floor:.2} ms = the rows' SQL on the database {sql_ms:.2} ms + a loopback round trip {rt_ms:.2} ms",
        rows_bytes as f64 / n as f64 / 1024.0,
        rows_ms / floor,
        whole_bytes as f64 / n as f64 / 1024.0,
        whole_ms / floor,
    );
    Ok(())
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let url = args.database.clone().unwrap_or_else(|| {
        let dir = crate::paths::cache_dir();
        format!("sqlite://{}", dir.join(format!("bench-{}x{}.db", args.customers, args.events_per_customer)).display())
    });
    let store = Store::open_with(&url, StoreOptions { max_connections: args.connections }).await?;
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(store.reader()).await?;
    if (have as usize) < args.customers {
        println!(
            "Seeding {} customers × {} events into {} (once; reruns reuse it)…",
            args.customers,
            args.events_per_customer,
            redact(&url)
        );
        let t = Instant::now();
        let opts = SeedOptions {
            customers: args.customers,
            events_per_customer: args.events_per_customer,
            seed: 1,
            anchor: default_anchor(),
        };
        let r = seed(&store, &opts, |done| {
            if done % 1000 == 0 {
                eprint!("\r  {done}/{}", args.customers)
            }
        })
        .await?;
        eprintln!();
        println!(
            "Seeded {} events in {:.1}s ({:.0} events/s).",
            r.events,
            t.elapsed().as_secs_f64(),
            r.events as f64 / t.elapsed().as_secs_f64()
        );
    }
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(store.reader()).await?;
    let (_, token) = store
        .add_agent(
            &format!("bench-{}", &Uuid::now_v7().simple().to_string()[20..]),
            crate::domain::agent::Role::Admin,
            &[],
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ingest_token = store.add_ingest_token("shop").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM customers ORDER BY id LIMIT $1")
        .bind(args.customers as i64)
        .fetch_all(store.reader())
        .await?;
    let emails: Vec<String> =
        sqlx::query_scalar("SELECT value FROM customer_identities WHERE kind = 'email' ORDER BY value LIMIT 2000")
            .fetch_all(store.reader())
            .await?;
    if ids.is_empty() || emails.is_empty() {
        bail!("the database has no customers to read");
    }
    for (name, _) in crate::domain::rules::BUILT_IN {
        store.set_rule_enabled(name, args.rules).await.map_err(|e| anyhow::anyhow!("rule {name}: {e:?}"))?;
    }
    let server = crate::server::spawn(store.clone(), "127.0.0.1:0").await?;
    let base = server.url();
    println!(
        "casebook bench api: {} customers, {} events, {:?} at {}, built-in rules {}; server and clients share this machine's {} cores.",
        ids.len(),
        events,
        store.backend(),
        redact(&url),
        if args.rules { "on" } else { "off" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients * 2)
        .build()
        .context("building the HTTP client")?;

    let ids = Arc::new(ids);
    let timeline = {
        let (client, base, token, ids) = (client.clone(), base.clone(), token.clone(), ids.clone());
        move |i: usize| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(i as u64);
            let id = &ids[rng.gen_range(0..ids.len())];
            client.get(format!("{base}/api/v1/customers/{id}/timeline/rows?limit=50")).bearer_auth(&token)
        }
    };
    load("warm-up", args.clients, 500.min(args.requests), timeline.clone()).await?;
    let stats = load("timeline rows, first 50", args.clients, args.requests, timeline).await?;
    stats.print(args.clients);
    first_page_alone(&store, &client, &base, &token, &ids, 2_000.min(args.requests)).await?;

    let prefixes: Arc<Vec<String>> = Arc::new(emails.iter().map(|e| e.chars().take(8).collect()).collect());
    let search = {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        move |i: usize| {
            let q = &prefixes[i % prefixes.len()];
            client
                .get(format!("{base}/api/v1/customers"))
                .query(&[("q", q.as_str()), ("limit", "20")])
                .bearer_auth(&token)
        }
    };
    let stats = load("search by email prefix", args.clients, args.requests, search).await?;
    stats.print(args.clients);

    // Ingestion: batches of new events, nine in ten for known customers (by shop id), one in
    // ten for new customers (by email); one in twenty is a failed payment (which the built-in
    // rule acts on when --rules turns it on).
    let run_id = Uuid::now_v7().simple().to_string();
    let total = args.batches * args.batch_size;
    let batch_body = move |b: usize| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(b as u64);
        let events: Vec<_> = (0..args.batch_size)
            .map(|i| {
                let n = b * args.batch_size + i;
                let mut e = json!({
                    "specversion": "1.0", "id": format!("bench-{run_id}-{n}"), "source": "shop",
                    "type": if n % 20 == 0 { "com.example.shop.payment_failed" } else { "com.example.shop.order_placed" },
                    "time": "2026-01-01T10:00:00Z",
                    "data": {"title": format!("Order #{n} placed"), "total": 42.5}
                });
                if rng.gen_bool(0.9) {
                    e["subject"] = json!(format!("C-{}", 10_000 + rng.gen_range(0..args.customers)));
                } else {
                    e["subject"] = json!(format!("NEW-{run_id}-{n}"));
                    e["customeremail"] = json!(format!("new-{n}-{}@bench.example", &run_id[20..]));
                }
                e
            })
            .collect();
        serde_json::to_vec(&events).expect("events serialise")
    };
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new((0..args.batches).map(batch_body).collect());
    for posters in [1usize, 4] {
        let (client, base, ingest_token, bodies2) =
            (client.clone(), base.clone(), ingest_token.clone(), bodies.clone());
        // Each round posts the same batches: the second round measures duplicate detection.
        let t = Instant::now();
        let stats = load(&format!("ingest {}-event batches", args.batch_size), posters, args.batches, move |i| {
            client
                .post(format!("{base}/api/v1/events"))
                .header("content-type", "application/cloudevents-batch+json")
                .bearer_auth(&ingest_token)
                .body(bodies2[i].clone())
        })
        .await?;
        let rate = total as f64 / t.elapsed().as_secs_f64();
        let label = if posters == 1 { "new events" } else { "same batches again (all duplicates)" };
        println!(
            "{:<28} {:>7} ev   {:>3} posters  p50 {:>6.1} ms/batch  p99 {:>6.1} ms/batch  {:>9.0} events/s  ({label})",
            stats.name,
            total,
            posters,
            stats.pct(50.0),
            stats.pct(99.0),
            rate
        );
    }
    server.stop().await;
    store.close().await;
    Ok(())
}
