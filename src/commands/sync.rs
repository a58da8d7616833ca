//! `casebook sync`: one sync round without the console — push what waits, pull what changed,
//! print what happened and what needs the agent. Exits 0 when nothing waits and nothing needs
//! settling, 1 when conflicts or refusals remain or operations were held back, 2 when the
//! round could not run (bad arguments, server unreachable, token refused).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use uuid::Uuid;

use crate::client::sync::{sync_round, RoundReport};
use crate::client::ApiClient;
use crate::local::overlay::{LocalOp, OpState};
use crate::local::{open_for_agent, LocalStore};

#[derive(clap::Args, Debug)]
pub struct SyncArgs {
    /// The server, e.g. http://127.0.0.1:7878 [default: config.toml's, from `casebook login`]
    #[arg(long, env = "CASEBOOK_SERVER")]
    pub server: Option<String>,
    /// Your agent token [default: config.toml's]
    #[arg(long, env = "CASEBOOK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The local store file [default: in the data dir, one per server and agent]
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Settle a conflict by keeping your change (queued again on the server's revision); repeatable
    #[arg(long, value_name = "OPERATION")]
    pub keep_mine: Vec<Uuid>,
    /// Settle a conflict by taking the server's side (your change is dropped); repeatable
    #[arg(long, value_name = "OPERATION")]
    pub take_theirs: Vec<Uuid>,
    /// Remove a refused operation once you have read why; repeatable
    #[arg(long, value_name = "OPERATION")]
    pub dismiss: Vec<Uuid>,
}

fn describe(op: &LocalOp) -> String {
    let on = match op.body.case_id() {
        Some(c) => format!("case {c}"),
        None => format!("follow-up {}", op.body.entity_id()),
    };
    let why = op.answer.as_ref().and_then(|a| a.problem.as_ref()).map(|p| p.detail.as_str()).unwrap_or("");
    format!("  {}  {} on {on}: {why}", op.id, op.body.kind())
}

/// Runs the command; anything that keeps the round from running exits 2, with its reason.
pub async fn run(args: SyncArgs) -> anyhow::Result<ExitCode> {
    match round(args).await {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("casebook sync: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

async fn round(args: SyncArgs) -> anyhow::Result<ExitCode> {
    let (server, token) = crate::commands::config::signed_in(args.server, args.token)?;
    let client = ApiClient::new(&server, &token)?;
    let (store, path) = match &args.store {
        Some(p) => {
            let store =
                LocalStore::open(p).await.with_context(|| format!("opening the local store {}", p.display()))?;
            (store, p.clone())
        }
        None => open_for_agent(&client, &crate::paths::data_dir()).await?,
    };
    for id in &args.keep_mine {
        store.keep_mine(*id).await.with_context(|| format!("--keep-mine {id}"))?;
    }
    for id in &args.take_theirs {
        store.take_theirs(*id).await.with_context(|| format!("--take-theirs {id}"))?;
    }
    for id in &args.dismiss {
        store.dismiss(*id).await.with_context(|| format!("--dismiss {id}"))?;
    }
    println!("casebook sync with {} (local store {})", client.server(), path.display());
    let mut code = sync_store(&store, &client).await?;
    // Work written under another address of this same server waits in a store of its own:
    // it is synced too, so that nothing is reported clean while work waits anywhere here.
    if args.store.is_none() {
        if let (Some(id), Some(me)) = (store.server_id().await?, store.me().await?) {
            for other in crate::local::stores_of(&crate::paths::data_dir(), &me.name, &id).await {
                if other == path {
                    continue;
                }
                let more = LocalStore::open(&other)
                    .await
                    .with_context(|| format!("opening the local store {}", other.display()))?;
                println!("also for this server (local store {}):", other.display());
                let c = sync_store(&more, &client).await?;
                if c != ExitCode::SUCCESS {
                    code = c;
                }
                more.close().await;
            }
        }
    }
    store.close().await;
    Ok(code)
}

/// One round for one store, printed; its exit code.
async fn sync_store(store: &LocalStore, client: &ApiClient) -> anyhow::Result<ExitCode> {
    let round = sync_round(store, client).await;
    let code = match &round {
        Ok(report) => {
            print_report(report);
            if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            println!("sync failed: {e}");
            ExitCode::from(2)
        }
    };
    let counts = store.counts().await?;
    println!("waiting: {} · conflicts: {} · refused: {}", counts.pending, counts.conflicts, counts.rejected);
    let outbox = store.outbox().await?;
    let conflicts: Vec<&LocalOp> = outbox.iter().filter(|o| o.state == OpState::Conflict).collect();
    if !conflicts.is_empty() {
        println!("Conflicts (someone changed it first): settle each with --keep-mine ID or --take-theirs ID");
        for op in conflicts {
            println!("{}", describe(op));
        }
    }
    let refused: Vec<&LocalOp> = outbox.iter().filter(|o| o.state == OpState::Rejected).collect();
    if !refused.is_empty() {
        println!("Refused by the server (kept here until you --dismiss ID):");
        for op in refused {
            println!("{}", describe(op));
        }
    }
    Ok(if code == ExitCode::SUCCESS && counts.pending > 0 { ExitCode::from(1) } else { code })
}

fn print_report(r: &RoundReport) {
    let p = &r.pushed;
    println!(
        "pushed: {} applied, {} applied before, {} conflicts, {} refused",
        p.applied, p.duplicate, p.conflict, p.rejected
    );
    println!(
        "pulled: {} changes{}",
        r.pulled,
        if r.rebuilt { " (local copy rebuilt: the server's database was replaced or restored)" } else { "" }
    );
    if let Some(why) = &r.held_back {
        println!("held back: {why}");
    }
}
