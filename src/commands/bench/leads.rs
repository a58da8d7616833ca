//! `casebook bench leads`: the leads' API on a large team's history — 100,000 cases over 90
//! days (three in four resolved, with follow-ups and survey answers) written straight into a
//! fresh SQLite file (or the database given), then over real HTTP on loopback: the summary
//! report, sequentially, and a queue's first page at 32 concurrent clients.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use rand::{Rng, SeedableRng};
use serde_json::json;
use uuid::Uuid;

use super::api::{load, Stats};
use crate::domain::agent::{Agent, Role};
use crate::domain::case::{Case, CaseStatus, Channel, Outcome, Priority, Resolution};
use crate::domain::followup::{FollowUp, FollowUpStatus};
use crate::domain::sla::SlaPolicy;
use crate::store::customers::NewCustomer;
use crate::store::events::NewEvent;
use crate::store::Store;

#[derive(Args, Clone)]
pub struct LeadsBenchArgs {
    /// Cases written before measuring
    #[arg(long, default_value_t = 100_000)]
    cases: usize,
    /// Concurrent clients asking for a queue's first page
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Queue page requests
    #[arg(long, default_value_t = 5_000)]
    requests: usize,
    /// Summary reports asked for, one after another
    #[arg(long, default_value_t = 30)]
    reports: usize,
    /// The database [default: a fresh SQLite file in a temp folder]
    #[arg(long)]
    database: Option<String>,
}

const TEAMS: [(&str, &str); 2] = [("support", "general"), ("billing", "billing")];

/// Writes `n` cases (and their follow-ups and survey answers) for `agents`.
async fn write_history(store: &Store, n: usize, agents: &[Agent]) -> anyhow::Result<()> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let now = crate::domain::time::now();
    let customers: Vec<NewCustomer> = (0..n.div_ceil(10).max(1))
        .map(|i| NewCustomer {
            id: Uuid::now_v7(),
            display_name: format!("Bench Customer {i}"),
            tier: None,
            tags: vec![],
            identities: vec![],
            created_at: now,
        })
        .collect();
    let mut tx = store.begin_write().await?;
    crate::store::customers::insert_customers(&mut tx, &customers).await?;
    tx.commit().await?;
    let mut written = 0;
    while written < n {
        let batch = (n - written).min(5_000);
        let mut tx = store.begin_write().await?;
        let mut events = Vec::new();
        for i in written..written + batch {
            let (team, queue) = TEAMS[i % 2];
            let staff: Vec<&Agent> = agents.iter().filter(|a| a.role == Role::Agent && a.in_team(team)).collect();
            let who = staff[rng.gen_range(0..staff.len())];
            let priority = Priority::ALL[rng.gen_range(0..Priority::ALL.len())];
            let opened = now - chrono::Duration::minutes(rng.gen_range(1..90 * 24 * 60));
            let (first_due, resolve_due) = SlaPolicy::default_for(priority).due(opened);
            let resolved = rng.gen_bool(0.75);
            let resolved_at = (opened + chrono::Duration::minutes(rng.gen_range(10..3 * 24 * 60))).min(now);
            let status = if resolved {
                CaseStatus::Resolved
            } else {
                [CaseStatus::New, CaseStatus::Open, CaseStatus::Pending][rng.gen_range(0..3)]
            };
            let customer = customers[i % customers.len()].id;
            let case = Case {
                id: Uuid::now_v7(),
                customer_id: customer,
                subject: format!("Bench case {i}"),
                channel: Channel::ALL[i % Channel::ALL.len()],
                status,
                priority,
                queue: queue.into(),
                team: team.into(),
                assignee_id: (status != CaseStatus::New || rng.gen_bool(0.5)).then_some(who.id),
                first_response_due: Some(first_due),
                resolution_due: Some(resolve_due),
                revision: 2,
                created_by: who.id,
                created_at: opened,
                updated_at: opened,
                resolution: resolved.then(|| Resolution {
                    summary: "Sorted out".into(),
                    root_cause: vec![],
                    outcome: Outcome::ALL[rng.gen_range(0..4)],
                    rasa_incomplete_reason: rng.gen_bool(0.2).then(|| "cut short".to_string()),
                    resolved_by: who.id,
                    resolved_at,
                }),
                first_response_at: (status != CaseStatus::New)
                    .then(|| (opened + chrono::Duration::minutes(rng.gen_range(1..600))).min(now)),
                tags: vec![],
            };
            crate::store::cases::insert_case_row(&mut tx, &case).await?;
            if resolved && rng.gen_bool(0.2) {
                let due = resolved_at + chrono::Duration::hours(rng.gen_range(1..48));
                let done = rng.gen_bool(0.7) && due < now;
                let f = FollowUp {
                    id: Uuid::now_v7(),
                    customer_id: customer,
                    case_id: Some(case.id),
                    assignee_id: who.id,
                    due_at: due,
                    channel: Channel::Phone,
                    note: "Check back".into(),
                    status: if done { FollowUpStatus::Done } else { FollowUpStatus::Open },
                    revision: 1,
                    created_by: who.id,
                    created_at: resolved_at,
                    updated_at: resolved_at,
                    done_at: done.then(|| due + chrono::Duration::hours(rng.gen_range(-5..5))),
                };
                crate::store::followups::insert_followup_row(&mut tx, &f).await?;
            }
            if resolved && rng.gen_bool(0.2) {
                let nps = rng.gen_bool(0.5);
                let score = if nps { rng.gen_range(0..=10) } else { rng.gen_range(1..=5) };
                let kind = if nps { "nps_response" } else { "csat_response" };
                let at = (resolved_at + chrono::Duration::hours(rng.gen_range(1..72))).min(now);
                events.push(NewEvent {
                    id: Uuid::now_v7(),
                    customer_id: customer,
                    source: "survey".into(),
                    source_event_id: format!("bench-{i}"),
                    kind: kind.into(),
                    ce_type: format!("com.example.survey.{kind}"),
                    occurred_at: at,
                    title: format!("{kind} {score}"),
                    body: None,
                    actor: None,
                    data: json!({"score": score}),
                    extensions: Default::default(),
                    case_id: None,
                    ingested_at: at,
                });
            }
        }
        crate::store::events::insert_events(&mut tx, &events).await?;
        tx.commit().await?;
        written += batch;
    }
    Ok(())
}

pub async fn run(args: LeadsBenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("making a temp folder")?;
    let url = args.database.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("leads.db").display()));
    let store = Store::open(&url).await?;
    let mut agents = Vec::new();
    let mut lead_token = String::new();
    for (name, role, teams) in [
        ("a1", Role::Agent, &["support"][..]),
        ("a2", Role::Agent, &["support"]),
        ("a3", Role::Agent, &["support"]),
        ("a4", Role::Agent, &["support"]),
        ("b1", Role::Agent, &["billing"]),
        ("b2", Role::Agent, &["billing"]),
        ("b3", Role::Agent, &["billing"]),
        ("b4", Role::Agent, &["billing"]),
        ("lead", Role::Lead, &["support", "billing"]),
    ] {
        let name = format!("{name}-{}", &Uuid::now_v7().simple().to_string()[20..]);
        let teams: Vec<String> = teams.iter().map(|t| t.to_string()).collect();
        let (agent, token) = store.add_agent(&name, role, &teams).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if role == Role::Lead {
            lead_token = token;
        }
        agents.push(agent);
    }
    let t = Instant::now();
    write_history(&store, args.cases, &agents).await?;
    println!(
        "casebook bench leads: wrote {} cases in {:.1} s ({:?}); server and clients share {} cores",
        args.cases,
        t.elapsed().as_secs_f64(),
        store.backend(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let server = crate::server::spawn(store.clone(), "127.0.0.1:0").await?;
    let base = server.url();
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients * 2).build()?;

    // The summary report, one at a time: the last 7 days (the default) and 30 days, of one
    // team and of both.
    for (label, days, team) in [
        ("report, 7 days, one team", 7, "&team=support"),
        ("report, 7 days, both teams", 7, ""),
        ("report, 30 days, one team", 30, "&team=support"),
        ("report, 30 days, both teams", 30, ""),
        ("report, 90 days, one team", 90, "&team=support"),
        ("report, 90 days, both teams", 90, ""),
    ] {
        let to = Utc::now();
        let from = (to - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let url = format!("{base}/api/v1/reports/summary?from={from}{team}");
        let mut lat = Vec::with_capacity(args.reports);
        let started = Instant::now();
        for _ in 0..args.reports {
            let t = Instant::now();
            let r = client.get(&url).bearer_auth(&lead_token).send().await?;
            anyhow::ensure!(r.status().is_success(), "report failed: {}", r.text().await?);
            r.bytes().await?;
            lat.push(t.elapsed());
        }
        let stats = Stats { name: label.into(), latencies: lat, wall: started.elapsed() };
        stats.print(1);
        // The floor: what the report cannot do without — the period's opened and resolved
        // cases counted on the database directly, the same indexes, no HTTP.
        let (f, u) =
            (crate::domain::time::to_micros(to - chrono::Duration::days(days)), crate::domain::time::to_micros(to));
        let team_sql = if team.is_empty() { "" } else { " AND team = 'support'" };
        let mut floor = Vec::new();
        for _ in 0..args.reports.min(10) {
            let t = Instant::now();
            for col in ["created_at", "resolved_at"] {
                sqlx::query(&format!("SELECT COUNT(*) FROM cases WHERE {col} >= $1 AND {col} < $2{team_sql}"))
                    .bind(f)
                    .bind(u)
                    .fetch_one(store.reader())
                    .await?;
            }
            floor.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        floor.sort_by(f64::total_cmp);
        let floor = floor[floor.len() / 2];
        println!(
            "{:<28}  floor: the period's cases counted on the database {floor:.2} ms; the report is {:.1}× it",
            "",
            stats.pct(50.0) / floor
        );
        // In process, no HTTP: the report from the daily rollups, and counted from the cases
        // alone (what it cost before the rollups), same period, same run.
        let teams: Vec<String> = if team.is_empty() { vec![] } else { vec!["support".into()] };
        let (from_t, to_t) = (to - chrono::Duration::days(days), to);
        let mut rolled = Vec::new();
        let mut scanned = Vec::new();
        for _ in 0..args.reports.min(10) {
            let t = Instant::now();
            store.summary_report(from_t, to_t, &teams, to_t).await?;
            rolled.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            store.summary_report_scanned(from_t, to_t, &teams, to_t).await?;
            scanned.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        rolled.sort_by(f64::total_cmp);
        scanned.sort_by(f64::total_cmp);
        println!(
            "{:<28}  in process: from the daily rollups p50 {:.2} ms ({:.1}× the floor); counted from the cases alone p50 {:.2} ms",
            "",
            rolled[rolled.len() / 2],
            rolled[rolled.len() / 2] / floor,
            scanned[scanned.len() / 2]
        );
    }

    // A queue's first page under load.
    let page = {
        let (client, base, token) = (client.clone(), base.clone(), lead_token.clone());
        move |_i: usize| client.get(format!("{base}/api/v1/queues/general/cases?limit=50")).bearer_auth(&token)
    };
    load("warm-up", args.clients, 500.min(args.requests), page.clone()).await?;
    let one = load("queue first page (50)", 1, args.requests.min(2_000), page.clone()).await?;
    one.print(1);
    let many = load("queue first page (50)", args.clients, args.requests, page).await?;
    many.print(args.clients);
    // On this machine's cores, `clients` requests at once wait for each other: the least p50
    // they can see is one request's time × clients / cores (Little's law), the floor here.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let queueing = one.pct(50.0) * args.clients as f64 / cores;
    println!(
        "queue first page: p99 at {} clients {:.1}× one client's p99; p50 {:.2} ms = {:.2}× the queueing floor ({:.2} ms: one request's p50 × {} clients / {cores} cores)",
        args.clients,
        many.pct(99.0) / one.pct(99.0),
        many.pct(50.0),
        many.pct(50.0) / queueing,
        queueing,
        args.clients
    );
    let overview = {
        let (client, base, token) = (client.clone(), base.clone(), lead_token.clone());
        move |_i: usize| client.get(format!("{base}/api/v1/queues")).bearer_auth(&token)
    };
    load("queues overview", args.clients, (args.requests / 10).max(1), overview).await?.print(args.clients);
    // What each overview request cost before it was counted once for many readers: the count
    // itself, one after another (the floor the cached answers are measured against).
    let mut counts = Vec::new();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let at = crate::domain::time::now();
        store.queue_summaries(at).await?;
        store.agent_loads(at, &[]).await?;
        counts.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    counts.sort_by(f64::total_cmp);
    println!(
        "queues overview counted afresh (what every request cost before the node kept its count), 1 at a time: p50 {:.1} ms",
        counts[counts.len() / 2]
    );
    server.stop().await;
    store.close().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
