//! `casebook schedules …`: business hours (`domain::schedule`), for admins with the database in
//! hand — list them with the teams and queues that keep each, load a TOML file (checked; one of
//! the same name replaced) and give it to teams or queues, or take a team's or queue's away.

use anyhow::Context;
use clap::Subcommand;

use super::cli::DatabaseArg;
use crate::domain::schedule::ScheduleSpec;
use crate::store::agents::AdminError;
use crate::store::schedules::Scope;

/// The teams and queues a command names.
#[derive(clap::Args)]
pub(super) struct Scopes {
    /// A team (repeatable)
    #[arg(long = "team")]
    teams: Vec<String>,
    /// A queue, over its team (repeatable)
    #[arg(long = "queue")]
    queues: Vec<String>,
}

#[derive(Subcommand)]
pub(super) enum SchedulesCommand {
    /// The schedules, with the teams and queues that keep each
    List {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Load a schedule from a TOML file (see README) and give it to teams or queues
    Load {
        file: String,
        /// The teams and queues whose cases are due in these hours
        #[command(flatten)]
        to: Scopes,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Take a team's or a queue's schedule away: its cases are due on the calendar again
    Unassign {
        #[command(flatten)]
        from: Scopes,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

fn said(e: AdminError) -> anyhow::Error {
    match e {
        AdminError::Invalid(i) => anyhow::anyhow!("{i}"),
        other => anyhow::anyhow!("{other}"),
    }
}

pub(super) async fn run(command: SchedulesCommand) -> anyhow::Result<()> {
    match command {
        SchedulesCommand::List { db } => {
            for k in db.open().await?.schedules().await? {
                let s = &k.schedule;
                println!(
                    "{:<20} {:<20} teams: {}  queues: {}  holidays: {}",
                    s.name,
                    s.timezone,
                    if k.teams.is_empty() { "-".to_string() } else { k.teams.join(",") },
                    if k.queues.is_empty() { "-".to_string() } else { k.queues.join(",") },
                    s.holidays.len()
                );
            }
        }
        SchedulesCommand::Load { file, to: Scopes { teams, queues }, db } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading the schedule {file}"))?;
            let spec: ScheduleSpec = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{file}: {}", e.message()))?;
            let store = db.open().await?;
            let mut moved = store.put_schedule(&spec).await.map_err(|e| anyhow::anyhow!("{file}: {}", said(e)))?;
            for t in &teams {
                moved += store.assign_schedule(Scope::Team, t, Some(&spec.name)).await.map_err(said)?;
            }
            for q in &queues {
                moved += store.assign_schedule(Scope::Queue, q, Some(&spec.name)).await.map_err(said)?;
            }
            eprintln!(
                "Loaded schedule `{}`{}{}; {moved} waiting case(s) due anew, keeping the time already used.",
                spec.name,
                if teams.is_empty() { String::new() } else { format!(" for team {}", teams.join(", ")) },
                if queues.is_empty() { String::new() } else { format!(" for queue {}", queues.join(", ")) }
            );
        }
        SchedulesCommand::Unassign { from: Scopes { teams, queues }, db } => {
            if teams.is_empty() && queues.is_empty() {
                anyhow::bail!("name a --team or a --queue whose schedule to take away");
            }
            let store = db.open().await?;
            let mut moved = 0;
            for t in &teams {
                moved += store.assign_schedule(Scope::Team, t, None).await.map_err(said)?;
            }
            for q in &queues {
                moved += store.assign_schedule(Scope::Queue, q, None).await.map_err(said)?;
            }
            eprintln!("Done: their cases are due on the calendar; {moved} waiting case(s) due anew, keeping the time already used.");
        }
    }
    Ok(())
}
