//! `casebook bench <api|card|console|home|import|leads|sync>`: the speed figures README.md reports, each
//! measured beside a floor taken in the same run on the same machine.

pub mod api;
pub mod card;
pub mod console;
pub mod home;
pub mod import;
pub mod leads;
pub mod sync;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The API: timeline and search latency under concurrency, ingestion rate
    Api(api::BenchArgs),
    /// The customer card of a customer with 10,000 events: in the store and over HTTP
    Card(card::CardBenchArgs),
    /// The console: frame time with 1,000 and 100,000 events, keystroke to frame, memory
    Console(console::ConsoleBenchArgs),
    /// Home on screen with 1,000 cases in the local store, cold and warm
    Home(home::HomeBenchArgs),
    /// History import: JSON Lines and CSV into a fresh database, a rerun, beside the rows alone
    Import(import::ImportBenchArgs),
    /// The leads' API on 100,000 cases: the summary report, a queue's first page at 32 clients
    Leads(leads::LeadsBenchArgs),
    /// Offline sync: a durable local write, draining the outbox, pulling the feed
    Sync(sync::SyncBenchArgs),
}

pub async fn run(which: BenchCommand) -> anyhow::Result<()> {
    match which {
        BenchCommand::Api(args) => api::run(args).await,
        BenchCommand::Card(args) => card::run(args).await,
        BenchCommand::Console(args) => console::run(args),
        BenchCommand::Home(args) => home::run(args).await,
        BenchCommand::Import(args) => import::run(args).await,
        BenchCommand::Leads(args) => leads::run(args).await,
        BenchCommand::Sync(args) => sync::run(args).await,
    }
}
