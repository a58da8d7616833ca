//! `casebook import FILE`: history from before casebook, into its database — JSON Lines of
//! CloudEvents (one per line), a CSV file through a column mapping
//! (`integrations::import::csv`), or a Zendesk-style tickets export
//! (`integrations::import::zendesk`: tickets and comments as events, and with `--cases` the
//! solved ones as closed cases). Every event is checked as the API checks one; a bad line, row
//! or ticket is reported by its number and the rest go on. Idempotent: an event is stored once
//! per (source, id) and a past case once per ticket, so a rerun after a crash, or of the same
//! file, adds nothing twice. History fires no rules. A progress bar with rate and ETA on a
//! terminal, a summary at the end.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::Value;

use crate::integrations::import::csv::CsvMapping;
use crate::integrations::import::zendesk::{self, Ended, Users};
use crate::store::events::IngestOutcome;
use crate::store::history::PastCase;
use crate::store::Store;
use crate::wire::cloudevents::{parse_event, IncomingEvent, MAX_EVENT_BYTES};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// CloudEvents in JSON, one per line
    Jsonl,
    /// Rows through a column mapping (--mapping)
    Csv,
    /// Tickets, one per line or as {"tickets": [...], "users": [...]}
    Zendesk,
}

impl Format {
    /// What one record of the format is called in reports.
    fn unit(self) -> &'static str {
        match self {
            Format::Jsonl => "line",
            Format::Csv => "row",
            Format::Zendesk => "ticket",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The file (`-`: standard input)
    pub file: PathBuf,
    /// jsonl, csv or zendesk [default: from the file's extension: .csv is csv, else jsonl]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// For csv: the column mapping, a TOML file (README.md, "History import")
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// For zendesk: the source its events get (the Zendesk webhook's is `helpdesk`)
    #[arg(long, default_value = "helpdesk")]
    pub source: String,
    /// For zendesk: solved and closed tickets also become closed cases, with their resolution
    #[arg(long)]
    pub cases: bool,
    /// For --cases: the queue they go in
    #[arg(long, default_value = "general")]
    pub queue: String,
    /// Check everything and report what is bad by number; store nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Events stored per transaction
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: u32,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: server.db in the data dir]
    #[arg(long, env = "CASEBOOK_DATABASE_URL")]
    pub database: Option<String>,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Lines, rows or tickets read.
    pub records: u64,
    /// Events that passed the checks (stored now, there already, or, in a dry run, would be).
    pub checked: u64,
    pub created: u64,
    pub duplicates: u64,
    /// Closed cases made from solved tickets (`--cases`); in a dry run, that would be.
    pub cases: u64,
    /// Record numbers (from 1) and why.
    pub refused: Vec<(u64, String)>,
}

/// One line, row or ticket: its events as CloudEvents, or why it was refused.
pub struct Record {
    pub n: u64,
    /// How far into the input it ends, in bytes (for the progress bar).
    pub at_byte: u64,
    pub events: Result<Vec<Value>, String>,
    pub ended: Option<Ended>,
}

/// Where the events of one record sit in the pending batch.
struct Pending {
    n: u64,
    first: usize,
    count: usize,
    ended: Option<Ended>,
}

/// Stores what `records` hold in batches of about `batch` events (or, `store` none, only checks
/// them); `progress` is told each record's end, in bytes, and the events so far. While one
/// batch is written, the next is read and checked.
pub async fn import(
    records: impl Iterator<Item = anyhow::Result<Record>>,
    store: Option<&Store>,
    cases: Option<&str>,
    batch: usize,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut events: Vec<IncomingEvent> = Vec::with_capacity(batch + 64);
    let mut pending: Vec<Pending> = Vec::new();
    let mut writing: Option<tokio::task::JoinHandle<anyhow::Result<ImportReport>>> = None;
    for record in records {
        let r = record?;
        report.records = r.n;
        let parsed = r.events.and_then(|values| {
            values.iter().map(|v| parse_event(v).map_err(|e| e.to_string())).collect::<Result<Vec<_>, String>>()
        });
        match parsed {
            Ok(list) if !list.is_empty() => {
                report.checked += list.len() as u64;
                pending.push(Pending { n: r.n, first: events.len(), count: list.len(), ended: r.ended });
                events.extend(list);
            }
            Ok(_) => {}
            Err(why) => report.refused.push((r.n, why)),
        }
        if events.len() >= batch {
            let full = (std::mem::take(&mut events), std::mem::take(&mut pending));
            match store {
                Some(store) => {
                    if let Some(w) = writing.take() {
                        add(&mut report, w.await.context("the writer stopped")??);
                    }
                    let (store, cases) = (store.clone(), cases.map(String::from));
                    writing = Some(tokio::spawn(async move { flush(&store, cases.as_deref(), full.0, full.1).await }));
                }
                None => add(&mut report, checked_only(cases, &full.1)),
            }
        }
        progress(r.at_byte, report.checked);
    }
    if let Some(w) = writing.take() {
        add(&mut report, w.await.context("the writer stopped")??);
    }
    match store {
        Some(store) => add(&mut report, flush(store, cases, events, pending).await?),
        None => add(&mut report, checked_only(cases, &pending)),
    }
    report.refused.sort();
    Ok(report)
}

fn add(report: &mut ImportReport, part: ImportReport) {
    report.created += part.created;
    report.duplicates += part.duplicates;
    report.cases += part.cases;
    report.refused.extend(part.refused);
}

/// A dry run's batch: the cases it would make.
fn checked_only(queue: Option<&str>, pending: &[Pending]) -> ImportReport {
    let cases = pending.iter().filter(|p| p.ended.is_some() && queue.is_some()).count() as u64;
    ImportReport { cases, ..Default::default() }
}

/// Writes one batch: its events, then the closed cases of its solved tickets; what it did.
async fn flush(
    store: &Store,
    queue: Option<&str>,
    events: Vec<IncomingEvent>,
    mut pending: Vec<Pending>,
) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();
    if events.is_empty() {
        return Ok(report);
    }
    let outcomes = store.ingest_history(&events).await.context("storing a batch of events")?;
    let mut past = Vec::new();
    for p in pending.iter_mut() {
        let mut customer = None;
        let mut refused = None;
        for (e, outcome) in events[p.first..p.first + p.count].iter().zip(&outcomes[p.first..p.first + p.count]) {
            match outcome {
                IngestOutcome::Created { customer_id, .. } => {
                    report.created += 1;
                    customer = customer.or(Some(*customer_id));
                }
                IngestOutcome::Duplicate { customer_id, .. } => {
                    report.duplicates += 1;
                    customer = customer.or(Some(*customer_id));
                }
                IngestOutcome::Rejected(why) => refused = Some(format!("{}: {why}", e.id)),
                IngestOutcome::Unknown(why) => refused = Some(format!("{}: {why}", e.id)),
            }
        }
        if let Some(why) = refused {
            report.refused.push((p.n, why));
            continue;
        }
        if let (Some(queue), Some(ended), Some(customer_id)) = (queue, p.ended.take(), customer) {
            let source = events[p.first].source.clone();
            past.push(past_case(ended, customer_id, queue, &source)?);
        }
    }
    if !past.is_empty() {
        report.cases += store.import_past_cases(&past).await.context("storing the closed cases")? as u64;
    }
    Ok(report)
}

fn past_case(e: Ended, customer_id: uuid::Uuid, queue: &str, source: &str) -> anyhow::Result<PastCase> {
    let time =
        |t: &str| crate::domain::time::parse_rfc3339(t).with_context(|| format!("ticket #{}: time {t}", e.ticket));
    Ok(PastCase {
        key: format!("{source}:ticket:{}", e.ticket),
        customer_id,
        subject: e.subject,
        channel: e.channel,
        priority: e.priority,
        queue: queue.to_string(),
        created_at: time(&e.created_at)?,
        resolved_at: time(&e.ended_at)?,
        outcome: e.outcome,
        summary: e.summary,
        events: e.event_ids.into_iter().map(|id| (source.to_string(), id)).collect(),
    })
}

/// The lines of a file that hold something: (number from 1, where it ends in bytes, the line).
fn lines(reader: impl BufRead) -> impl Iterator<Item = anyhow::Result<(u64, u64, Vec<u8>)>> {
    let mut at = 0u64;
    reader.split(b'\n').enumerate().filter_map(move |(i, line)| {
        let line = match line.context("reading the file") {
            Ok(l) => l,
            Err(e) => return Some(Err(e)),
        };
        at += line.len() as u64 + 1;
        (!line.iter().all(|b| b.is_ascii_whitespace())).then_some(Ok((i as u64 + 1, at, line)))
    })
}

/// JSON Lines of CloudEvents: a record per line (blank lines skipped).
pub fn jsonl_records(reader: impl BufRead) -> impl Iterator<Item = anyhow::Result<Record>> {
    lines(reader).map(|line| {
        let (n, at, line) = line?;
        let events = if line.len() > MAX_EVENT_BYTES {
            Err(format!("{} bytes; an event may be at most {MAX_EVENT_BYTES}", line.len()))
        } else {
            serde_json::from_slice::<Value>(&line).map(|v| vec![v]).map_err(|e| format!("not JSON: {e}"))
        };
        Ok(Record { n, at_byte: at, events, ended: None })
    })
}

/// CSV rows through a mapping: a record per row (the header is row 0; numbers count data rows
/// from 1, as a spreadsheet shows them less its header).
pub fn csv_records(
    reader: impl Read,
    mapping: CsvMapping,
) -> anyhow::Result<impl Iterator<Item = anyhow::Result<Record>>> {
    let mut csv = ::csv::ReaderBuilder::new()
        .delimiter(mapping.delimiter_byte())
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let header: Vec<String> = csv
        .headers()
        .context("reading the CSV header")?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    mapping.check_header(&header).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let mut n = 0u64;
    let mut record = ::csv::StringRecord::new();
    Ok(std::iter::from_fn(move || {
        n += 1;
        match csv.read_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let row: Vec<String> = record.iter().map(str::to_string).collect();
                let events = if row.len() != header.len() {
                    Err(format!("{} fields where the header has {}", row.len(), header.len()))
                } else {
                    mapping.to_cloudevent(&header, &row).map(|e| vec![e])
                };
                Some(Ok(Record { n, at_byte: record.position().map_or(0, |p| p.byte()), events, ended: None }))
            }
            Err(e) if e.is_io_error() => Some(Err(anyhow::anyhow!("reading the file: {e}"))),
            Err(e) => Some(Ok(Record { n, at_byte: 0, events: Err(format!("not CSV: {e}")), ended: None })),
        }
    }))
}

/// A Zendesk-style export: a ticket per line, or one document with `tickets` (and `users`).
pub fn zendesk_records(
    mut reader: impl BufRead + 'static,
    source: String,
    cases: bool,
) -> anyhow::Result<Box<dyn Iterator<Item = anyhow::Result<Record>>>> {
    // A document, not lines: it opens with the API's `tickets` (or `users`, `next_page`) key,
    // where a ticket per line opens with a ticket's own fields.
    let peek = reader.fill_buf().context("reading the file")?;
    let head = String::from_utf8_lossy(&peek[..peek.len().min(4096)]);
    let opening = head.trim_start().strip_prefix('{').map(str::trim_start);
    let is_document =
        opening.is_some_and(|k| ["\"tickets\"", "\"users\"", "\"next_page\""].iter().any(|key| k.starts_with(key)));
    if is_document {
        let mut all = Vec::new();
        reader.read_to_end(&mut all).context("reading the file")?;
        let doc: Value = serde_json::from_slice(&all).context("the export is not JSON")?;
        let users = zendesk::users_of(&doc);
        let tickets = doc.get("tickets").and_then(Value::as_array).cloned().unwrap_or_default();
        let size = all.len() as u64;
        let total = tickets.len().max(1) as u64;
        return Ok(Box::new(tickets.into_iter().enumerate().map(move |(i, t)| {
            let n = i as u64 + 1;
            Ok(ticket_record(n, size * n / total, &t, &users, &source, cases))
        })));
    }
    let users = Users::new();
    Ok(Box::new(lines(reader).map(move |line| {
        let (n, at, line) = line?;
        Ok(match serde_json::from_slice::<Value>(&line) {
            Ok(t) => ticket_record(n, at, &t, &users, &source, cases),
            Err(e) => Record { n, at_byte: at, events: Err(format!("not JSON: {e}")), ended: None },
        })
    })))
}

fn ticket_record(n: u64, at_byte: u64, t: &Value, users: &Users, source: &str, cases: bool) -> Record {
    match zendesk::ticket(t, users, source) {
        Ok(t) => Record { n, at_byte, events: Ok(t.events), ended: t.ended.filter(|_| cases) },
        Err(why) => Record { n, at_byte, events: Err(why), ended: None },
    }
}

fn format_of(args: &ImportArgs) -> Format {
    args.format.unwrap_or_else(|| {
        match args.file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") | Some("tsv") => Format::Csv,
            _ => Format::Jsonl,
        }
    })
}

fn open(path: &Path) -> anyhow::Result<(Box<dyn Read>, Option<u64>)> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(std::io::stdin()), None));
    }
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = f.metadata().ok().map(|m| m.len());
    Ok((Box::new(f), size))
}

pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let format = format_of(&args);
    let mapping = match (format, &args.mapping) {
        (Format::Csv, Some(path)) => {
            let src = std::fs::read_to_string(path).with_context(|| format!("reading the mapping {}", path.display()))?;
            Some(CsvMapping::parse(&src).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message))?)
        }
        (Format::Csv, None) => bail!(
            "a CSV file needs --mapping FILE: a TOML file naming the columns of the id, time and customer (README.md, \"History import\")"
        ),
        (_, Some(_)) => bail!("--mapping is for --format csv"),
        _ => None,
    };
    if args.cases && format != Format::Zendesk {
        bail!("--cases is for --format zendesk: solved tickets become closed cases");
    }
    if format == Format::Zendesk && !crate::domain::event::is_valid_name(&args.source) {
        bail!("--source `{}` is not a source name: lower-case letters, digits, `_`, `-`", args.source);
    }
    let url = args.database.clone().unwrap_or_else(crate::paths::default_database_url);
    let (file, size) = open(&args.file)?;
    let counted = BufReader::with_capacity(1 << 20, file);
    let records: Box<dyn Iterator<Item = anyhow::Result<Record>>> = match format {
        Format::Jsonl => Box::new(jsonl_records(counted)),
        Format::Csv => Box::new(csv_records(counted, mapping.expect("checked above"))?),
        Format::Zendesk => zendesk_records(counted, args.source.clone(), args.cases)?,
    };

    // On a terminal: a bar over the file's bytes, with the events' rate and the time left.
    let bar = match size {
        Some(size) => {
            let bar = indicatif::ProgressBar::with_draw_target(Some(size), indicatif::ProgressDrawTarget::stderr());
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{wide_bar} {percent:>3}%  {binary_bytes}/{binary_total_bytes}  {msg}  ETA {eta}",
                )
                .expect("a valid template"),
            );
            bar
        }
        None => {
            let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {binary_bytes}  {msg}  {elapsed_precise}")
                    .expect("a valid template"),
            );
            bar
        }
    };
    let store = if args.dry_run {
        None
    } else {
        Some(Store::open(&url).await.with_context(|| format!("opening the database {url}"))?)
    };
    let started = Instant::now();
    let mut last = Instant::now();
    let cases = args.cases.then_some(args.queue.as_str());
    let report = import(records, store.as_ref(), cases, args.batch as usize, |at_byte, events| {
        if last.elapsed().as_millis() >= 100 {
            last = Instant::now();
            bar.set_position(at_byte);
            let rate = events as f64 / started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!("{events} events, {rate:.0}/s"));
        }
    })
    .await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let unit = format.unit();
    let plural = |n: u64| if n == 1 { unit.to_string() } else { format!("{unit}s") };
    for (n, why) in &report.refused {
        eprintln!("{unit} {n}: {why}");
    }
    let refused = report.refused.len() as u64;
    let cases_said = match (args.cases, args.dry_run) {
        (false, _) => String::new(),
        (true, true) => format!(", {} closed cases", report.cases),
        (true, false) => format!("; {} closed cases made", report.cases),
    };
    if args.dry_run {
        println!(
            "Checked {} {}: {} events would be imported{cases_said}, {} {} refused (listed above). Nothing was stored.",
            report.records,
            plural(report.records),
            report.checked,
            refused,
            plural(refused)
        );
    } else {
        let good = report.created + report.duplicates;
        println!(
            "Imported {} new events ({} were there already) from {} {} in {secs:.1} s ({:.0} events/s){cases_said}; {} {} refused{}.",
            report.created,
            report.duplicates,
            report.records,
            plural(report.records),
            good as f64 / secs.max(1e-9),
            refused,
            plural(refused),
            if refused == 0 { "" } else { " (listed above; fix them and import again: nothing is added twice)" }
        );
    }
    if let Some(store) = store {
        store.close().await;
    }
    Ok(if refused == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
