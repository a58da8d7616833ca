//! `casebook demo`: an embedded server on a seeded SQLite database in a temporary folder,
//! nothing to configure.

use std::future::Future;

use anyhow::Context;

use crate::commands::seed::{default_anchor, seed, SeedOptions};
use crate::store::Store;

/// Everything a demo needs, running.
pub struct Demo {
    pub server: crate::server::Running,
    pub store: Store,
    /// A token for the seeded agent `anna`.
    pub agent_token: String,
    pub lead_token: String,
    /// Removed when the demo is dropped.
    pub dir: tempfile::TempDir,
}

/// Seeds a fresh database and starts the API on `listen`.
pub async fn start(listen: &str, customers: usize, events_per_customer: usize) -> anyhow::Result<Demo> {
    let dir = tempfile::Builder::new()
        .prefix("casebook-demo-")
        .tempdir()
        .context("creating a temporary folder for the demo")?;
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let store = Store::open(&url).await?;
    let report =
        seed(&store, &SeedOptions { customers, events_per_customer, seed: 1, anchor: default_anchor() }, |_| {})
            .await?;
    let token_for = |name: &str| {
        report.agents.iter().find(|a| a.name == name).map(|a| a.id).context("the seeded team is missing an agent")
    };
    let agent_token = store.add_agent_token(token_for("anna")?).await?;
    let lead_token = store.add_agent_token(token_for("lena")?).await?;
    let server =
        crate::server::spawn(store.clone(), listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    Ok(Demo { server, store, agent_token, lead_token, dir })
}

pub async fn run(
    listen: &str,
    customers: usize,
    events_per_customer: usize,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let demo = start(listen, customers, events_per_customer).await?;
    let url = demo.server.url();
    println!("casebook demo: API on {url} with {customers} seeded customers (data in {}).", demo.dir.path().display());
    println!();
    println!("  agent `anna`: export CASEBOOK_SERVER={url} CASEBOOK_TOKEN={}", demo.agent_token);
    println!("  lead `lena`:  CASEBOOK_TOKEN={}", demo.lead_token);
    println!();
    println!("Try:");
    println!("  curl -s -H \"Authorization: Bearer $CASEBOOK_TOKEN\" \"$CASEBOOK_SERVER/api/v1/customers?q=anna\"");
    println!("  curl -s \"$CASEBOOK_SERVER/api/v1/openapi.json\"");
    println!();
    println!("Ctrl-C stops the demo and removes its data.");
    shutdown.await;
    demo.server.stop().await;
    demo.store.close().await;
    Ok(())
}

/// Who the demo's console signs in as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoUser {
    /// `anna`, an agent.
    Agent,
    /// `lena`, lead of support and billing.
    Lead,
}

/// The demo in a terminal: the console, signed in as `anna` (or the lead `lena`), on the
/// embedded server. Quitting the console stops the server and removes the data.
pub async fn run_console(
    listen: &str,
    customers: usize,
    events_per_customer: usize,
    user: DemoUser,
) -> anyhow::Result<()> {
    eprintln!("casebook demo: seeding {customers} customers…");
    let demo = start(listen, customers, events_per_customer).await?;
    let result = crate::console::run::run(crate::console::run::ConsoleOptions {
        server: demo.server.url(),
        token: match user {
            DemoUser::Agent => demo.agent_token.clone(),
            DemoUser::Lead => demo.lead_token.clone(),
        },
        theme: std::env::var("CASEBOOK_THEME").unwrap_or_else(|_| "default".into()),
        language: std::env::var("CASEBOOK_LANGUAGE").unwrap_or_else(|_| "en".into()),
        data_dir: demo.dir.path().join("console"),
        themes_dir: Some(crate::paths::config_dir().join("themes")),
        log_file: Some(demo.dir.path().join("console.log")),
        views: Vec::new(),
        keys: Default::default(),
    })
    .await;
    demo.server.stop().await;
    demo.store.close().await;
    result
}
