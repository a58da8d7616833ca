//! `casebook import FILE`: history from before casebook, into its database — JSON Lines of
//! CloudEvents (structured mode, one event per line). Every line is checked as the API checks
//! an event; a bad line is reported by its number and the rest go on. Idempotent: an event is
//! stored once per (source, id), so a rerun after a crash, or of the same file, adds nothing
//! twice. A progress bar with rate and ETA on a terminal, a summary at the end.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use crate::store::events::IngestOutcome;
use crate::store::Store;
use crate::wire::cloudevents::{parse_event, IncomingEvent, MAX_EVENT_BYTES};

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// A file of CloudEvents in JSON, one per line (`-`: standard input)
    pub file: PathBuf,
    /// Check every line and report the bad ones by number; store nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Events stored per transaction
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: u32,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: server.db in the data dir]
    #[arg(long, env = "CASEBOOK_DATABASE_URL")]
    pub database: Option<String>,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub lines: u64,
    /// Events that passed the checks (stored now, there already, or, in a dry run, would be).
    pub checked: u64,
    pub created: u64,
    pub duplicates: u64,
    /// Line numbers (from 1) and why.
    pub refused: Vec<(u64, String)>,
}

/// Reads `reader` line by line and stores its events in batches (or, `store` none, only checks
/// them); `progress` is told each line read.
pub async fn import(
    reader: impl BufRead,
    store: Option<&Store>,
    batch: usize,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut pending: Vec<(u64, IncomingEvent)> = Vec::with_capacity(batch);
    for (i, line) in reader.split(b'\n').enumerate() {
        let n = i as u64 + 1;
        let line = line.context("reading the file")?;
        report.lines = n;
        progress(n);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        if line.len() > MAX_EVENT_BYTES {
            report.refused.push((n, format!("{} bytes; an event may be at most {MAX_EVENT_BYTES}", line.len())));
            continue;
        }
        let event = serde_json::from_slice::<serde_json::Value>(&line)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|v| parse_event(&v).map_err(|e| e.to_string()));
        match event {
            Ok(e) => {
                report.checked += 1;
                pending.push((n, e));
            }
            Err(why) => report.refused.push((n, why)),
        }
        if pending.len() >= batch {
            store_batch(store, &mut pending, &mut report).await?;
        }
    }
    store_batch(store, &mut pending, &mut report).await?;
    report.refused.sort();
    Ok(report)
}

async fn store_batch(
    store: Option<&Store>,
    pending: &mut Vec<(u64, IncomingEvent)>,
    report: &mut ImportReport,
) -> anyhow::Result<()> {
    let Some(store) = store else {
        pending.clear();
        return Ok(());
    };
    if pending.is_empty() {
        return Ok(());
    }
    let events: Vec<IncomingEvent> = pending.iter().map(|(_, e)| e.clone()).collect();
    let outcomes = store.ingest_history(&events).await.context("storing a batch of events")?;
    for ((n, _), outcome) in pending.iter().zip(outcomes) {
        match outcome {
            IngestOutcome::Created { .. } => report.created += 1,
            IngestOutcome::Duplicate { .. } => report.duplicates += 1,
            IngestOutcome::Rejected(why) => report.refused.push((*n, why.to_string())),
            IngestOutcome::Unknown(why) => report.refused.push((*n, why)),
        }
    }
    pending.clear();
    Ok(())
}

pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let url = args.database.clone().unwrap_or_else(crate::paths::default_database_url);
    let (reader, size): (Box<dyn BufRead>, Option<u64>) = if args.file.as_os_str() == "-" {
        (Box::new(BufReader::new(std::io::stdin())), None)
    } else {
        let f = std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(BufReader::with_capacity(1 << 20, f)), size)
    };
    // Lines are counted for the bar; its length is an estimate from the file's size.
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {human_pos} lines  {per_sec}  {elapsed_precise}  {msg}")
            .expect("a valid template"),
    );
    if let Some(size) = size {
        bar.set_message(format!("{:.1} MB", size as f64 / 1e6));
    }
    let store = if args.dry_run {
        None
    } else {
        Some(Store::open(&url).await.with_context(|| format!("opening the database {url}"))?)
    };
    let started = Instant::now();
    let report = import(reader, store.as_ref(), args.batch as usize, |n| {
        if n % 1000 == 0 {
            bar.set_position(n);
        }
    })
    .await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    for (n, why) in &report.refused {
        eprintln!("line {n}: {why}");
    }
    let good = report.created + report.duplicates;
    if args.dry_run {
        println!(
            "Checked {} lines: {} events would be imported, {} lines refused (listed above). Nothing was stored.",
            report.lines,
            report.checked,
            report.refused.len()
        );
    } else {
        println!(
            "Imported {} new events ({} were there already) from {} lines in {secs:.1} s ({:.0} events/s); {} lines refused{}.",
            report.created,
            report.duplicates,
            report.lines,
            good as f64 / secs.max(1e-9),
            report.refused.len(),
            if report.refused.is_empty() { "" } else { " (listed above; fix them and import again: nothing is added twice)" }
        );
    }
    if let Some(store) = store {
        store.close().await;
    }
    Ok(if report.refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
