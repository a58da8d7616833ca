//! `casebook report`: the leads' report of a period, exported for a spreadsheet — every table of
//! it (the total, each queue, each agent, each day, the root causes, the contact reasons) as
//! rows of one CSV with a `table` column, or the report as JSON — read from the database.

use std::io::Write;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::{Args, ValueEnum};

use super::cli::DatabaseArg;
use crate::domain::time::now;
use crate::wire::leads::{Figures, SummaryReport};

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum ReportFormat {
    Csv,
    Json,
}

#[derive(Args)]
pub(super) struct ReportArgs {
    /// The period's start: a date (`2026-11-01`, from midnight UTC) or an RFC 3339 time
    /// [default: 7 days before --to]
    #[arg(long)]
    from: Option<String>,
    /// The period's end, not included [default: now]
    #[arg(long)]
    to: Option<String>,
    /// One team [default: every team]
    #[arg(long)]
    team: Option<String>,
    #[arg(long, value_enum, default_value = "csv")]
    format: ReportFormat,
    /// Write here instead of standard output
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    #[command(flatten)]
    db: DatabaseArg,
}

/// A date (midnight UTC) or an RFC 3339 time.
fn parse_when(field: &str, s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    crate::domain::time::parse_rfc3339(s.trim())
        .ok_or_else(|| anyhow::anyhow!("--{field} `{s}` is neither a date (2026-11-01) nor an RFC 3339 time"))
}

/// The CSV's columns: every table's rows fill the ones they have.
pub const CSV_COLUMNS: &[&str] = &[
    "table",
    "name",
    "opened",
    "resolved",
    "median_handle_secs",
    "sla_breaches",
    "rasa_completion_rate",
    "memorable",
    "positive",
    "negative",
    "forgettable",
    "followups_on_time",
    "followups_late",
    "followups_overdue",
    "followups_upcoming",
    "csat_average",
    "csat_responses",
    "nps",
    "nps_responses",
    "reviews",
    "quality_average",
    "quality_previous",
    "count",
    "previous",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn figures_row(table: &str, name: &str, f: &Figures) -> Vec<String> {
    let outcome = |o: &str| f.outcomes.get(o).copied().unwrap_or(0).to_string();
    vec![
        table.into(),
        name.into(),
        f.opened.to_string(),
        f.resolved.to_string(),
        opt(f.median_handle_secs),
        f.sla_breaches.to_string(),
        opt(f.rasa_completion_rate.map(|r| format!("{r:.4}"))),
        outcome("memorable"),
        outcome("positive"),
        outcome("negative"),
        outcome("forgettable"),
        f.followups.on_time.to_string(),
        f.followups.late.to_string(),
        f.followups.overdue.to_string(),
        f.followups.upcoming.to_string(),
        opt(f.csat_average.map(|r| format!("{r:.2}"))),
        f.csat_responses.to_string(),
        opt(f.nps.map(|r| format!("{r:.1}"))),
        f.nps_responses.to_string(),
        f.reviews.to_string(),
        opt(f.quality_average.map(|r| format!("{r:.2}"))),
        opt(f.quality_previous.map(|r| format!("{r:.2}"))),
        String::new(),
        String::new(),
    ]
}

/// Every table of the report as rows of one CSV.
pub fn to_csv(r: &SummaryReport, out: impl Write) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_COLUMNS)?;
    w.write_record(figures_row("total", "", &r.total))?;
    for q in &r.by_queue {
        w.write_record(figures_row("queue", &q.queue, &q.figures))?;
    }
    for a in &r.by_agent {
        let name =
            a.name.clone().unwrap_or_else(|| if a.agent_id.is_none() { "(nobody)".into() } else { opt(a.agent_id) });
        w.write_record(figures_row("agent", &name, &a.figures))?;
    }
    let blank = |n: usize| vec![String::new(); n];
    for d in &r.daily {
        let mut row = vec!["day".to_string(), d.day.to_string(), d.opened.to_string(), d.resolved.to_string()];
        row.extend(blank(11));
        row.push(opt(d.csat_average.map(|r| format!("{r:.2}"))));
        row.push(d.csat_responses.to_string());
        row.extend(blank(7));
        w.write_record(row)?;
    }
    for (table, ranked) in [("root_cause", &r.root_causes), ("contact_reason", &r.contact_reasons)] {
        for k in ranked {
            let mut row = vec![table.to_string(), k.key.clone()];
            row.extend(blank(CSV_COLUMNS.len() - 4));
            row.push(k.count.to_string());
            row.push(k.previous.to_string());
            w.write_record(row)?;
        }
    }
    w.flush()?;
    Ok(())
}

pub(super) async fn run(args: ReportArgs) -> anyhow::Result<()> {
    let at = now();
    let to = args.to.as_deref().map(|s| parse_when("to", s)).transpose()?.unwrap_or(at);
    let from = args.from.as_deref().map(|s| parse_when("from", s)).transpose()?.unwrap_or(to - Duration::days(7));
    if from >= to {
        anyhow::bail!("--from must come before --to");
    }
    if to - from > Duration::days(366) {
        anyhow::bail!("a report covers at most 366 days: ask for a shorter period");
    }
    let teams: Vec<String> = args.team.iter().map(|t| t.trim().to_lowercase()).collect();
    let report = args.db.open().await?.summary_report(from, to, &teams, at).await?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("writing {}", p.display()))?),
        None => Box::new(std::io::stdout().lock()),
    };
    match args.format {
        ReportFormat::Csv => to_csv(&report, &mut out)?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}
