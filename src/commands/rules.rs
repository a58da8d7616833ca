//! `casebook rules …`: the rules that act on events (`domain::rules`), for admins with the
//! database in hand — list, show, add from a TOML file, turn on or off, remove, read the log of
//! firings, and `test`: which past events would have fired one, without acting.

use anyhow::{bail, Context};
use clap::Subcommand;

use super::cli::DatabaseArg;
use crate::casework::rules::dry_run;
use crate::domain::rules::Rule;
use crate::domain::time::{now, parse_span};
use crate::store::agents::AdminError;

#[derive(Subcommand)]
pub(super) enum RulesCommand {
    /// Every rule, on or off (the built-in ones too)
    List {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// One rule's definition
    Show {
        name: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Set a rule from a TOML file (`-`: standard input), checked first; off unless --enable
    Add {
        name: String,
        file: String,
        /// Turn it on at once
        #[arg(long)]
        enable: bool,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Turn a rule on: it acts on what arrives from now on (never on the past)
    Enable {
        name: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Turn a rule off
    Disable {
        name: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Remove a stored rule (a built-in one goes back to off); its firings stay in the log
    Remove {
        name: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Which past events would have fired a rule, and what it would have done: nothing is
    /// written. RULE is a rule's name or a TOML file not stored yet
    Test {
        rule: String,
        /// How far back: 90s, 30m, 1h, 7d, 2w
        #[arg(long, default_value = "30d")]
        since: String,
        /// How many of them to list (all are counted)
        #[arg(long, default_value_t = 20)]
        show: usize,
        /// As JSON
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// The times a rule fired and what it did, newest first
    Firings {
        name: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

fn admin(e: AdminError) -> anyhow::Error {
    match e {
        AdminError::Invalid(i) => anyhow::anyhow!("{}", i.message),
        AdminError::Exists(n) => anyhow::anyhow!("`{n}` exists already"),
        AdminError::Store(s) => s.into(),
    }
}

fn read_source(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading the rule from standard input")?;
        return Ok(s);
    }
    std::fs::read_to_string(file).with_context(|| format!("reading the rule from {file}"))
}

fn no_rule(name: &str) -> anyhow::Error {
    anyhow::anyhow!("no rule named `{name}`: `casebook rules list` shows them")
}

pub(super) async fn run(command: RulesCommand) -> anyhow::Result<()> {
    match command {
        RulesCommand::List { db } => {
            for r in db.open().await?.rules().await? {
                let state = if r.enabled { "on" } else { "off" };
                let origin = match (r.built_in, r.stored) {
                    (true, false) => "built in",
                    (true, true) => "built in, stored",
                    _ => "",
                };
                println!("{:<32} {state:<4} {origin:<17} {}", r.name, r.description);
            }
        }
        RulesCommand::Show { name, db } => {
            let r = db.open().await?.rule(&name).await?.ok_or_else(|| no_rule(&name))?;
            eprintln!(
                "# {} — {}{}",
                r.name,
                if r.enabled { "on" } else { "off" },
                if r.stored { "" } else { " (built in, not stored)" }
            );
            print!("{}", r.definition);
            if !r.definition.ends_with('\n') {
                println!();
            }
        }
        RulesCommand::Add { name, file, enable, db } => {
            let src = read_source(&file)?;
            let r = db.open().await?.put_rule(&name, &src, enable.then_some(true)).await.map_err(admin)?;
            eprintln!(
                "Set rule `{}` ({}).{}",
                r.name,
                if r.enabled { "on" } else { "off" },
                if r.enabled {
                    ""
                } else {
                    " `casebook rules test` shows what it would do; `casebook rules enable` turns it on."
                }
            );
        }
        RulesCommand::Enable { name, db } => {
            let r =
                db.open().await?.set_rule_enabled(&name, true).await.map_err(admin)?.ok_or_else(|| no_rule(&name))?;
            eprintln!("Rule `{}` is on: it acts on events and cases from now on.", r.name);
        }
        RulesCommand::Disable { name, db } => {
            let r =
                db.open().await?.set_rule_enabled(&name, false).await.map_err(admin)?.ok_or_else(|| no_rule(&name))?;
            eprintln!("Rule `{}` is off.", r.name);
        }
        RulesCommand::Remove { name, db } => {
            if !db.open().await?.remove_rule(&name).await? {
                bail!("no stored rule named `{name}`: `casebook rules list` shows them");
            }
            eprintln!("Removed rule `{name}`.");
        }
        RulesCommand::Test { rule, since, show, json, db } => {
            let span = parse_span(&since).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
            let store = db.open().await?;
            let (name, parsed) = if std::path::Path::new(&rule).is_file() {
                let src = read_source(&rule)?;
                let parsed = Rule::parse(&src).map_err(|e| anyhow::anyhow!("{rule}: {}", e.message))?;
                let stem = std::path::Path::new(&rule).file_stem().map(|s| s.to_string_lossy().into_owned());
                (stem.unwrap_or_else(|| rule.clone()), parsed)
            } else {
                let r = store.rule(&rule).await?.ok_or_else(|| no_rule(&rule))?;
                let parsed = r.rule.map_err(|e| {
                    anyhow::anyhow!("rule `{}` does not read: {e}; set it again with `casebook rules add`", r.name)
                })?;
                (r.name, parsed)
            };
            let run = dry_run(&store, &name, &parsed, now() - span, show).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&run)?);
                return Ok(());
            }
            for f in &run.fires {
                println!(
                    "{}  {}  {}{}",
                    f.at.format("%Y-%m-%d %H:%M"),
                    f.customer_name,
                    f.title,
                    if f.fired { "  (fired then)" } else { "" }
                );
                for a in &f.actions {
                    println!("    would {a}");
                }
            }
            let more = run.matched.saturating_sub(run.fires.len() as u64);
            println!(
                "`{name}` would have fired {} time{} on the {} {} since {}{}. Nothing was done.",
                run.matched,
                if run.matched == 1 { "" } else { "s" },
                run.examined,
                match (parsed.on_case_events(), run.examined == 1) {
                    (true, true) => "case",
                    (true, false) => "cases",
                    (false, true) => "event",
                    (false, false) => "events",
                },
                run.since.format("%Y-%m-%d %H:%M UTC"),
                if more > 0 { format!(" ({more} more not listed: --show)") } else { String::new() }
            );
        }
        RulesCommand::Firings { name, limit, db } => {
            for f in db.open().await?.rule_firings(&name, limit.clamp(1, 1000)).await? {
                println!("{}  {}  {}", f.fired_at.format("%Y-%m-%d %H:%M:%S"), f.customer_id, f.trigger_key);
                for a in &f.actions {
                    println!("    {a}");
                }
            }
        }
    }
    Ok(())
}
