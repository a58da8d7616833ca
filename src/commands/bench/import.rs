//! `casebook bench import`: how fast history goes in — JSON Lines of CloudEvents and a CSV file
//! through a column mapping, each into a fresh SQLite database as `casebook import` stores it
//! (every event checked, its customer found or made, nothing twice), and a rerun of the same
//! file (everything there already). The floor, in the same run: the events' rows alone, the
//! same SQL in batches of the same size, into a database where their one customer exists — no
//! parsing, no checks, no customer matching.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::super::import::{csv_records, import, jsonl_records};
use crate::domain::new_id;
use crate::domain::time::now;
use crate::integrations::import::csv::CsvMapping;
use crate::store::customers::NewCustomer;
use crate::store::events::NewEvent;
use crate::store::Store;

#[derive(Args, Clone)]
pub struct ImportBenchArgs {
    /// Events in the file
    #[arg(long, default_value_t = 200_000)]
    events: usize,
    /// Customers they are about (each known by an id in the shop and an email)
    #[arg(long, default_value_t = 20_000)]
    customers: usize,
    /// Events per transaction, as `casebook import --batch`
    #[arg(long, default_value_t = 2000)]
    batch: usize,
}

const MAPPING: &str = r#"
source = "shop"
kind = "order_placed"
title = "Order {order_id}: {total} {currency|upper}"
[columns]
id = "order_id"
time = "created_at"
subject = "customer_id"
email = "email"
name = "customer"
"#;

/// The files: the same orders as JSON Lines and as CSV.
fn write_files(dir: &std::path::Path, n: usize, customers: usize) -> anyhow::Result<()> {
    let mut jsonl = std::io::BufWriter::new(std::fs::File::create(dir.join("orders.jsonl"))?);
    let mut csv = std::io::BufWriter::new(std::fs::File::create(dir.join("orders.csv"))?);
    writeln!(csv, "order_id,created_at,customer_id,email,customer,total,currency")?;
    // Customers drawn at random (a fixed seed): new ones keep turning up through the file, as
    // in a shop's order history, rather than all at its start.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let c = (x % customers.max(1) as u64) as usize;
        let day = 1 + i % 28;
        let total = format!("{}.{:02}", 5 + (i * 37) % 400, i % 100);
        let time = format!("2024-{:02}-{day:02}T{:02}:{:02}:00Z", 1 + i % 12, i % 24, i % 60);
        let e = serde_json::json!({"specversion": "1.0", "id": format!("O-{i}"), "source": "shop",
            "type": "com.acme.shop.order_placed", "subject": format!("C-{c}"), "time": time,
            "customeremail": format!("c{c}@example.com"), "customername": format!("Customer {c}"),
            "data": {"title": format!("Order O-{i}: {total} EUR"), "total": total, "currency": "eur"}});
        writeln!(jsonl, "{e}")?;
        writeln!(
            csv,
            "O-{i},{},C-{c},c{c}@example.com,Customer {c},{total},eur",
            time.replace('T', " ").trim_end_matches('Z')
        )?;
    }
    jsonl.flush()?;
    csv.flush()?;
    Ok(())
}

/// The floor: the events' rows alone, in batches of `batch`, one customer, no checks.
async fn floor(url: &str, n: usize, batch: usize) -> anyhow::Result<f64> {
    let store = Store::open(url).await?;
    let t = now();
    let customer = NewCustomer {
        id: new_id(),
        display_name: "Floor".into(),
        tier: None,
        tags: Vec::new(),
        identities: Vec::new(),
        created_at: t,
    };
    let mut tx = store.begin_write().await?;
    crate::store::customers::insert_customers(&mut tx, std::slice::from_ref(&customer)).await?;
    tx.commit().await?;
    let rows: Vec<NewEvent> = (0..n)
        .map(|i| NewEvent {
            id: new_id(),
            customer_id: customer.id,
            source: "shop".into(),
            source_event_id: format!("O-{i}"),
            kind: "order_placed".into(),
            ce_type: "com.acme.shop.order_placed".into(),
            occurred_at: t,
            title: format!("Order O-{i}"),
            body: None,
            actor: None,
            data: serde_json::json!({"title": format!("Order O-{i}"), "total": "42.00", "currency": "eur"}),
            extensions: Default::default(),
            case_id: None,
            ingested_at: t,
        })
        .collect();
    let started = Instant::now();
    for chunk in rows.chunks(batch.max(1)) {
        let mut tx = store.begin_write().await?;
        crate::store::events::insert_events(&mut tx, chunk).await?;
        tx.commit().await?;
    }
    let secs = started.elapsed().as_secs_f64();
    store.close().await;
    Ok(n as f64 / secs)
}

pub async fn run(args: ImportBenchArgs) -> anyhow::Result<()> {
    let n = args.events.max(1);
    let dir = tempfile::tempdir().context("making a temp folder")?;
    write_files(dir.path(), n, args.customers)?;
    println!(
        "casebook bench import: {n} orders of {} customers, batches of {} (SQLite, synchronous=FULL), in {}",
        args.customers,
        args.batch,
        dir.path().display()
    );
    let floor_rate = floor(&format!("sqlite://{}", dir.path().join("floor.db").display()), n, args.batch).await?;
    println!("floor: the events' rows alone     {floor_rate:>9.0} events/s");

    let line = |what: &str, rate: f64| {
        println!("{what:<33} {rate:>9.0} events/s  ({:.2}× the floor's time)", floor_rate / rate);
    };
    let url = format!("sqlite://{}", dir.path().join("jsonl.db").display());
    let store = Store::open(&url).await?;
    for what in ["import JSON Lines (new)", "import JSON Lines (rerun)"] {
        let file = std::io::BufReader::new(std::fs::File::open(dir.path().join("orders.jsonl"))?);
        let started = Instant::now();
        let r = import(jsonl_records(file), Some(&store), None, args.batch, |_, _| {}).await?;
        anyhow::ensure!(r.refused.is_empty() && r.created + r.duplicates == n as u64, "{what}: {r:?}");
        line(what, n as f64 / started.elapsed().as_secs_f64());
    }
    store.close().await;

    let url = format!("sqlite://{}", dir.path().join("csv.db").display());
    let store = Store::open(&url).await?;
    let mapping = CsvMapping::parse(MAPPING).map_err(|e| anyhow::anyhow!("{e}"))?;
    let file = std::io::BufReader::new(std::fs::File::open(dir.path().join("orders.csv"))?);
    let started = Instant::now();
    let r = import(csv_records(file, mapping)?, Some(&store), None, args.batch, |_, _| {}).await?;
    anyhow::ensure!(r.refused.is_empty() && r.created == n as u64, "csv: {r:?}");
    line("import CSV through a mapping (new)", n as f64 / started.elapsed().as_secs_f64());
    store.close().await;
    Ok(())
}
