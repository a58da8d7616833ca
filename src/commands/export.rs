//! `casebook export case ID --format md|json`: a handover of a case for whoever takes it over —
//! the customer, an excerpt of their timeline, the RASA notes step by step, the notes, the
//! resolution and the follow-ups. Read from the server; when it cannot be reached, from this
//! computer's local store (saying so, and how many changes still wait to sync).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::client::{ApiClient, ClientError};
use crate::domain::case::{Case, Note, NoteVisibility};
use crate::domain::customer::Customer;
use crate::domain::event::TimelineRow;
use crate::domain::followup::FollowUp;
use crate::domain::rasa::Checklist;
use crate::local::open_for_agent;

/// How many of the customer's latest events a handover shows.
pub const TIMELINE_EXCERPT: u32 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub what: ExportWhat,
}

#[derive(clap::Subcommand, Debug)]
pub enum ExportWhat {
    /// A case's handover: customer, timeline excerpt, RASA notes, resolution, follow-ups
    Case {
        /// The case id
        id: Uuid,
        #[arg(long, value_enum, default_value = "md")]
        format: Format,
        /// Write to this file instead of standard output
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// The server [default: CASEBOOK_SERVER, else config.toml]
        #[arg(long, env = "CASEBOOK_SERVER")]
        server: Option<String>,
        /// Your agent token [default: CASEBOOK_TOKEN, else config.toml]
        #[arg(long, env = "CASEBOOK_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
}

/// Where the handover was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Server,
    /// This computer's local store (the server could not be reached).
    Local,
}

#[derive(Debug, Clone, Serialize)]
pub struct Handover {
    pub source: Source,
    /// Changes to the case made here that the server has not confirmed yet (local only).
    pub waiting_to_sync: usize,
    pub exported_at: DateTime<Utc>,
    pub customer: Option<Customer>,
    pub case: Case,
    pub rasa: Checklist,
    pub notes: Vec<Note>,
    pub followups: Vec<FollowUp>,
    /// The customer's latest events, newest first.
    pub timeline: Vec<TimelineRow>,
}

fn when(t: DateTime<Utc>, tz: FixedOffset) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %:z").to_string()
}

/// The handover as Markdown (times in `tz`).
pub fn markdown(h: &Handover, tz: FixedOffset) -> String {
    let c = &h.case;
    let mut md = format!("# Case handover: {}\n\n", c.subject);
    let name = h.customer.as_ref().map(|c| c.display_name.clone()).unwrap_or_else(|| c.customer_id.to_string());
    md += &format!("- **Customer:** {name}\n");
    if let Some(cu) = &h.customer {
        for e in &cu.emails {
            md += &format!("  - email {e}\n");
        }
        for p in &cu.phones {
            md += &format!("  - phone {p}\n");
        }
    }
    md += &format!("- **Case:** `{}` · {} · {} priority · via {}\n", c.id, c.status, c.priority, c.channel);
    md += &format!("- **Queue:** {} · team {}\n", c.queue, c.team);
    md += &format!("- **Opened:** {}\n", when(c.created_at, tz));
    match h.source {
        Source::Server => md += &format!("- **Exported:** {} from the server\n", when(h.exported_at, tz)),
        Source::Local => {
            md += &format!(
            "- **Exported:** {} from this computer (the server could not be reached); {} change(s) not yet synced\n",
            when(h.exported_at, tz),
            h.waiting_to_sync
        )
        }
    }

    md += "\n## RASA\n\n";
    let done = h.rasa.steps.iter().filter(|s| s.done_at.is_some()).count();
    md += &format!("{done} of 4 steps done{}.\n\n", if h.rasa.complete { "" } else { " (incomplete)" });
    for s in &h.rasa.steps {
        let mark = if s.done_at.is_some() { "x" } else { " " };
        md += &format!("- [{mark}] **{}**", capitalised(s.step.as_str()));
        if let Some(at) = s.done_at {
            md += &format!(" — done {}", when(at, tz));
        }
        md += "\n";
        for line in s.notes.lines().filter(|l| !l.trim().is_empty()) {
            md += &format!("  > {line}\n");
        }
    }

    md += "\n## Resolution\n\n";
    match &c.resolution {
        None => md += "Not resolved yet.\n",
        Some(r) => {
            md += &format!("- **Outcome:** {}\n- **Summary:** {}\n", r.outcome, r.summary);
            if !r.root_cause.is_empty() {
                md += &format!("- **Root cause:** {}\n", r.root_cause.join(" → "));
            }
            if let Some(reason) = &r.rasa_incomplete_reason {
                md += &format!("- **RASA incomplete because:** {reason}\n");
            }
            md += &format!("- **Resolved:** {}\n", when(r.resolved_at, tz));
        }
    }

    md += "\n## Follow-ups\n\n";
    if h.followups.is_empty() {
        md += "None.\n";
    }
    for f in &h.followups {
        let note = if f.note.is_empty() { String::new() } else { format!(": {}", f.note) };
        md += &format!("- {} · due {} · by {}{note}\n", f.status, when(f.due_at, tz), f.channel);
    }

    md += &format!("\n## Notes ({})\n\n", h.notes.len());
    for n in &h.notes {
        let vis = match n.visibility {
            NoteVisibility::Internal => "internal",
            NoteVisibility::Customer => "to the customer",
        };
        md += &format!("- {} ({vis}):\n", when(n.created_at, tz));
        for line in n.body.lines() {
            md += &format!("  > {line}\n");
        }
    }

    md += &format!("\n## Timeline (latest {})\n\n", h.timeline.len());
    if h.timeline.is_empty() {
        md += "No events.\n";
    }
    for e in &h.timeline {
        md += &format!("- {} [{}] {}\n", when(e.occurred_at, tz), e.source, e.title);
    }
    md
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Reads the handover: from the server, or when it cannot be reached from the local store.
pub async fn handover(client: &ApiClient, id: Uuid) -> anyhow::Result<Handover> {
    match client.case_detail(id).await {
        Ok(d) => {
            let customer = client.customer(d.case.customer_id).await.ok();
            let timeline = client.timeline_rows(d.case.customer_id, None, TIMELINE_EXCERPT).await?.0;
            Ok(Handover {
                source: Source::Server,
                waiting_to_sync: 0,
                exported_at: Utc::now(),
                customer,
                case: d.case,
                rasa: d.rasa,
                notes: d.notes,
                followups: d.followups,
                timeline,
            })
        }
        // Unreachable, or not there yet (opened offline, not synced): what this computer has.
        Err(e) if e.is_transient() || matches!(e, ClientError::Refused { status: 404, .. }) => {
            from_local_store(client, id, &e.to_string()).await
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// The handover as this computer's local store has it; `why` says why not the server's.
async fn from_local_store(client: &ApiClient, id: Uuid, why: &str) -> anyhow::Result<Handover> {
    let (store, _) = open_for_agent(client, &crate::paths::data_dir()).await.context(why.to_string())?;
    let local = store
        .case(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{why}; and case {id} is not on this computer either: check the id"))?;
    let customer_id = local.case.value.customer_id;
    let waiting = store.outbox().await?.iter().filter(|o| o.body.case_id() == Some(id)).count();
    let h = Handover {
        source: Source::Local,
        waiting_to_sync: waiting,
        exported_at: Utc::now(),
        customer: store.customer(customer_id).await?,
        case: local.case.value,
        rasa: local.rasa,
        notes: local.notes.into_iter().map(|n| n.value).collect(),
        followups: local.followups.into_iter().map(|f| f.value).collect(),
        timeline: store.cached_timeline(customer_id, None, TIMELINE_EXCERPT).await?,
    };
    store.close().await;
    Ok(h)
}

pub async fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let ExportWhat::Case { id, format, out, server, token } = args.what;
    let (server, token) = crate::commands::config::signed_in(server, token)?;
    let client = ApiClient::new(&server, &token)?;
    let h = handover(&client, id).await?;
    let text = match format {
        Format::Md => markdown(&h, *chrono::Local::now().offset()),
        Format::Json => serde_json::to_string_pretty(&h)? + "\n",
    };
    match out {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("casebook: wrote the handover of case {id} to {}", path.display());
        }
        None => print!("{text}"),
    }
    if h.source == Source::Local {
        eprintln!(
            "casebook: the server could not be reached or does not have the case yet; this handover is what this computer has"
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agent::{Agent, Role};
    use crate::domain::case::{new_case, NewCaseRequest};
    use crate::domain::case::{Outcome, Resolution};
    use crate::domain::rasa::{fold, RasaStep, StepEntry};

    #[test]
    fn markdown_has_every_part_of_the_handover() {
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap().with_timezone(&Utc);
        let anna = Agent::new("anna", Role::Agent, &[], at);
        let customer = Customer::named(Uuid::from_u128(1), "Zoë Müller", at);
        let mut case =
            new_case(&anna, Uuid::from_u128(2), &NewCaseRequest::new(customer.id, "Parcel lost"), at).unwrap();
        case.resolution = Some(Resolution {
            summary: "Reshipped".into(),
            root_cause: vec!["label torn".into(), "no tape check".into()],
            outcome: Outcome::Negative,
            rasa_incomplete_reason: Some("customer had to go".into()),
            resolved_by: anna.id,
            resolved_at: at,
        });
        let entry = |step, notes: &str| StepEntry { step, notes: notes.into(), done: true, author_id: anna.id, at };
        let h = Handover {
            source: Source::Local,
            waiting_to_sync: 3,
            exported_at: at,
            customer: Some(customer),
            case,
            rasa: fold(&[entry(RasaStep::Receive, "“It never came”"), entry(RasaStep::Appreciate, "Thanked her")]),
            notes: vec![],
            followups: vec![],
            timeline: vec![],
        };
        let md = markdown(&h, FixedOffset::east_opt(3600).unwrap());
        for part in [
            "# Case handover: Parcel lost",
            "**Customer:** Zoë Müller",
            "2 of 4 steps done (incomplete)",
            "- [x] **Receive** — done 2026-11-23 11:00 +01:00",
            "  > “It never came”",
            "- [ ] **Summarize**",
            "**Outcome:** negative",
            "**Root cause:** label torn → no tape check",
            "**RASA incomplete because:** customer had to go",
            "3 change(s) not yet synced",
            "## Follow-ups\n\nNone.",
        ] {
            assert!(md.contains(part), "missing {part:?} in\n{md}");
        }
    }
}
