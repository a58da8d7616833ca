//! `casebook bench sync`: the offline core's speed, on fresh files in a temp folder and a real
//! server on loopback — the cost of one durable local write, draining a full outbox to the
//! server, and pulling the change feed into an empty local store.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::casework::{NewCaseRequest, NewNoteRequest, RasaStepRequest};
use crate::client::sync::{pull_all, push_all, sync_round, RoundReport};
use crate::client::ApiClient;
use crate::domain::agent::Role;
use crate::domain::rasa::RasaStep;
use crate::local::LocalStore;
use crate::store::events::IngestOutcome;
use crate::store::Store;
use crate::wire::cloudevents::parse_event;

#[derive(Args, Clone)]
pub struct SyncBenchArgs {
    /// Operations queued offline, then drained; also the number of changes pulled
    #[arg(long, default_value_t = 10_000)]
    operations: usize,
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

pub async fn run(args: SyncBenchArgs) -> anyhow::Result<()> {
    let n = args.operations.max(2);
    let dir = tempfile::tempdir().context("making a temp folder")?;
    let url = format!("sqlite://{}", dir.path().join("server.db").display());
    let store = Store::open(&url).await?;
    let (_, token) =
        store.add_agent("anna", Role::Agent, &["support".into()]).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let signup = json!({"specversion": "1.0", "id": "bench-1", "source": "shop", "type": "com.example.shop.signup",
        "subject": "C-1", "customername": "Bench Customer", "data": {}});
    let outcome = store.ingest(&[parse_event(&signup).map_err(|e| anyhow::anyhow!("{e}"))?]).await?;
    let customer = match &outcome[0] {
        IngestOutcome::Created { customer_id, .. } | IngestOutcome::Duplicate { customer_id, .. } => *customer_id,
        IngestOutcome::Rejected(e) => anyhow::bail!("the bench customer was not made: {e}"),
        IngestOutcome::Unknown(e) => anyhow::bail!("the bench customer was not made: {e}"),
    };
    let server = crate::server::spawn(store.clone(), "127.0.0.1:0").await?;
    let client = ApiClient::new(&server.url(), &token)?;
    println!(
        "casebook bench sync: {n} operations, server on {} (SQLite, synchronous=FULL), local stores in {}",
        server.url(),
        dir.path().display()
    );

    // 0. Floors on this machine, in this run: one durable SQLite commit on this disk (a
    // one-row insert in WAL mode, synchronous=FULL, nothing else) and one HTTP round trip
    // over loopback to this server. What follows is reported beside them.
    let commit_floor = durable_commit_floor(&dir.path().join("floor.db")).await?;
    let trip_floor = round_trip_floor(&server.url()).await?;
    println!(
        "floor: durable SQLite commit   {:>5} ops  p50 {:>6.3} ms  p99 {:>6.3} ms",
        commit_floor.len(),
        pct(&commit_floor, 50.0),
        pct(&commit_floor, 99.0)
    );
    println!(
        "floor: loopback round trip     {:>5} req  p50 {:>6.3} ms  p99 {:>6.3} ms",
        trip_floor.len(),
        pct(&trip_floor, 50.0),
        pct(&trip_floor, 99.0)
    );

    // 1. Local writes: each one durable (fsync'd WAL) before the call returns.
    let local = LocalStore::open(&dir.path().join("anna.db")).await?;
    sync_round(&local, &client).await?;
    let case = local.open_case(NewCaseRequest::new(customer, "Bench")).await?;
    let mut lat = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 1..n {
        let t = Instant::now();
        local
            .add_note(
                case.id,
                NewNoteRequest { body: format!("note {i}: the customer called again"), visibility: None },
            )
            .await?;
        lat.push(t.elapsed());
    }
    let wall = started.elapsed();
    lat.sort();
    println!(
        "local write (note, durable)   {:>6} ops  p50 {:>6.3} ms  p99 {:>6.3} ms  max {:>7.3} ms  {:>6.0} ops/s  (p99 {:.1}× the commit floor)",
        lat.len(),
        pct(&lat, 50.0),
        pct(&lat, 99.0),
        pct(&lat, 100.0),
        lat.len() as f64 / wall.as_secs_f64(),
        pct(&lat, 99.0) / pct(&commit_floor, 99.0)
    );

    // 1b. Marking a RASA step done, as the case view does: 250 cases, four steps each, in
    // another store (the drain below counts the notes only).
    let steps = LocalStore::open(&dir.path().join("anna-steps.db")).await?;
    steps.set_me(&client.me().await?).await?;
    let mut lat = Vec::with_capacity(1_000);
    for c in 0..250 {
        let case = steps.open_case(NewCaseRequest::new(customer, &format!("Steps {c}"))).await?;
        for step in RasaStep::ALL {
            let t = Instant::now();
            steps
                .set_rasa_step(case.id, *step, RasaStepRequest { notes: format!("{step}: what was said"), done: true })
                .await?;
            lat.push(t.elapsed());
        }
    }
    lat.sort();
    println!(
        "local write (RASA step done)  {:>6} ops  p50 {:>6.3} ms  p99 {:>6.3} ms  max {:>7.3} ms",
        lat.len(),
        pct(&lat, 50.0),
        pct(&lat, 99.0),
        pct(&lat, 100.0),
    );
    steps.close().await;

    // 2. Drain the outbox to the server.
    let mut report = RoundReport::default();
    let t = Instant::now();
    push_all(&local, &client, &mut report).await?;
    let drain = t.elapsed();
    let p = report.pushed;
    anyhow::ensure!(p.applied as usize == n && report.held_back.is_none(), "not all applied: {p:?}");
    // The least a drain can cost here: one server commit per group of operations, one round
    // trip per push.
    let groups = n.div_ceil(crate::casework::pushed::OPS_PER_TRANSACTION) as f64;
    let pushes = n.div_ceil(crate::client::sync::PUSH_BATCH as usize) as f64;
    let floor = groups * pct(&commit_floor, 50.0) / 1000.0 + pushes * pct(&trip_floor, 50.0) / 1000.0;
    println!(
        "drain outbox                  {:>6} ops  {:>8.2} s   {:>6.0} ops/s  ({} applied; floor {:.2} s: {groups} commits + {pushes} round trips; {:.1}× it)",
        n,
        drain.as_secs_f64(),
        n as f64 / drain.as_secs_f64(),
        p.applied,
        floor,
        drain.as_secs_f64() / floor
    );

    // 3. Pull the feed into an empty local store.
    let fresh = LocalStore::open(&dir.path().join("anna-2.db")).await?;
    fresh.set_me(&client.me().await?).await?;
    let mut report = RoundReport::default();
    let t = Instant::now();
    pull_all(&fresh, &client, &mut report).await?;
    let pull = t.elapsed();
    println!(
        "pull into empty store         {:>6} chg  {:>8.2} s   {:>6.0} changes/s",
        report.pulled,
        pull.as_secs_f64(),
        report.pulled as f64 / pull.as_secs_f64()
    );
    local.close().await;
    fresh.close().await;
    server.stop().await;
    store.close().await;
    Ok(())
}

/// One-row durable commits on a plain SQLite file beside the others: the disk's floor.
async fn durable_commit_floor(path: &std::path::Path) -> anyhow::Result<Vec<Duration>> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::{ConnectOptions, Connection};
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await?;
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").execute(&mut conn).await?;
    let mut lat = Vec::with_capacity(2_000);
    for i in 0..2_000 {
        let t = Instant::now();
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO t (body) VALUES (?)").bind(format!("row {i}")).execute(&mut *tx).await?;
        tx.commit().await?;
        lat.push(t.elapsed());
    }
    conn.close().await?;
    lat.sort();
    Ok(lat)
}

/// Sequential `GET /healthz` over loopback: the round trip's floor.
async fn round_trip_floor(base: &str) -> anyhow::Result<Vec<Duration>> {
    let http = reqwest::Client::new();
    let mut lat = Vec::with_capacity(1_000);
    for _ in 0..1_000 {
        let t = Instant::now();
        http.get(format!("{base}/healthz")).send().await?.bytes().await?;
        lat.push(t.elapsed());
    }
    lat.sort();
    Ok(lat)
}
