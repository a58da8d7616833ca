//! The `casebook` command line.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::commands::seed::{default_anchor, SeedOptions};
use crate::domain::agent::Role;
use crate::domain::time::parse_rfc3339;
use crate::store::agents::AdminError;
use crate::store::{redact, Store};

#[derive(Parser)]
#[command(
    name = "casebook",
    version,
    about = "A terminal console for customer-support teams, and the shared API behind it"
)]
pub struct Cli {
    /// Without a command: the console, signed in as `casebook login` left it
    #[command(subcommand)]
    command: Option<Command>,
    /// The console's options, also without a command (`casebook --theme light`)
    #[command(flatten)]
    console: ConsoleArgs,
}

#[derive(Args, Clone)]
pub(super) struct DatabaseArg {
    /// sqlite://PATH or postgres://USER@HOST/DB [default: server.db in the data dir]
    #[arg(long, env = "CASEBOOK_DATABASE_URL")]
    database: Option<String>,
    /// The key that seals secrets kept in the database (hooks' signing secrets): made, readable
    /// by its owner only, when absent; every node of one database needs the same file
    /// [default: secret.key in the data dir]
    #[arg(long, env = "CASEBOOK_SECRET_KEY_FILE")]
    secret_key_file: Option<std::path::PathBuf>,
}

impl DatabaseArg {
    fn url(&self) -> String {
        self.database.clone().unwrap_or_else(crate::paths::default_database_url)
    }

    pub(super) async fn open(&self) -> anyhow::Result<Store> {
        let url = self.url();
        Store::open(&url).await.with_context(|| format!("opening the database {}", redact(&url)))
    }

    /// The store with the secret key, for what seals or opens secrets (serving, hooks).
    pub(super) async fn open_with_key(&self) -> anyhow::Result<Store> {
        let path = self.secret_key_file.clone().unwrap_or_else(|| crate::paths::data_dir().join("secret.key"));
        let key = crate::store::secrets::SecretKey::load_or_create(&path)?;
        Ok(self.open().await?.with_secret_key(key))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Print shell completions: `casebook completions bash > ~/.local/share/bash-completion/completions/casebook`
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Run the shared API (migrates the database on start)
    Serve {
        /// Address to listen on
        #[arg(long, env = "CASEBOOK_LISTEN", default_value = "127.0.0.1:7878")]
        listen: String,
        #[command(flatten)]
        db: DatabaseArg,
        /// Connections open at once; more are answered 503 with Retry-After
        #[arg(long, env = "CASEBOOK_MAX_CONNECTIONS", default_value_t = 512)]
        max_connections: usize,
        /// Requests handled at once; more are answered 503 with Retry-After
        #[arg(long, env = "CASEBOOK_MAX_IN_FLIGHT", default_value_t = 256)]
        max_in_flight: usize,
        /// The customer card's facts (TOML, `[[fact]]` tables); the built-in list if left out.
        /// Give every node of a team the same file
        #[arg(long, env = "CASEBOOK_CARD", value_name = "FILE")]
        card: Option<std::path::PathBuf>,
        /// The scorecard quality reviews are scored on (TOML: `name`, `title`, `[[criterion]]`
        /// tables with id, title, weight, scale, auto_fail, evidence); the built-in RASA one if
        /// left out. Give every node of a team the same file
        #[arg(long, env = "CASEBOOK_SCORECARD", value_name = "FILE")]
        scorecard: Option<std::path::PathBuf>,
    },
    /// Manage agents and tokens
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Fill a database with realistic, deterministic demo data
    Seed {
        #[arg(long, default_value_t = 200)]
        customers: usize,
        #[arg(long, default_value_t = 60)]
        events_per_customer: usize,
        /// Random seed: the same seed and anchor give the same data
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// "Now" for the data, RFC 3339 [default: the current minute]
        #[arg(long)]
        anchor: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// The console on an embedded server with seeded demo data (nothing to configure)
    Demo {
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        #[arg(long, default_value_t = 300)]
        customers: usize,
        #[arg(long, default_value_t = 60)]
        events_per_customer: usize,
        /// Only the server, even in a terminal: print its address and tokens and wait
        #[arg(long)]
        headless: bool,
        /// Who the console signs in as: the agent `anna`, or the lead `lena` (queues, reassignment, report)
        #[arg(long = "as", value_enum, default_value = "agent")]
        as_: crate::commands::demo::DemoUser,
    },
    /// Open the console
    Console(ConsoleArgs),
    /// Sign in: check a server and token and keep them in config.toml for the console
    Login {
        /// The server, e.g. http://127.0.0.1:7878 (asked when left out)
        #[arg(long)]
        server: Option<String>,
        /// Your agent token (asked when left out)
        #[arg(long)]
        token: Option<String>,
    },
    /// Sync this console's offline work once: push what waits, pull what changed, report
    Sync(crate::commands::sync::SyncArgs),
    /// Export a handover: `casebook export case ID --format md|json`
    Export(crate::commands::export::ExportArgs),
    /// Import history: CloudEvents as JSON Lines, checked line by line, nothing added twice
    Import(crate::commands::import::ImportArgs),
    /// The knowledge base: list or search the articles, load a folder of Markdown, remove one
    Articles {
        #[command(subcommand)]
        command: super::articles::ArticlesCommand,
    },
    /// The leads' report of a period for a spreadsheet: every table as CSV (or JSON)
    Report(super::report::ReportArgs),
    /// Business hours that SLA clocks count in: list, load a TOML file for teams or queues, unassign
    Schedules {
        #[command(subcommand)]
        command: super::schedules::SchedulesCommand,
    },
    /// Team macros (canned texts agents insert): list, load a TOML file, remove
    Macros {
        #[command(subcommand)]
        command: super::macros::MacrosCommand,
    },
    /// Rules that act on events: list, add, enable, test over past events without acting
    Rules {
        #[command(subcommand)]
        command: super::rules::RulesCommand,
    },
    /// Measure: `casebook bench api|console|leads|sync` (the figures README.md reports)
    #[command(subcommand)]
    Bench(crate::commands::bench::BenchCommand),
}

#[derive(Args)]
struct ConsoleArgs {
    /// The server [default: from config.toml]
    #[arg(long, env = "CASEBOOK_SERVER")]
    server: Option<String>,
    /// Your agent token [default: from config.toml]
    #[arg(long, env = "CASEBOOK_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// default, light, high-contrast, colorblind, or one of yours in the config dir's themes/
    #[arg(long, env = "CASEBOOK_THEME")]
    theme: Option<String>,
    /// The language of the RASA guidance: en, it or hu [default: from config.toml, else en]
    #[arg(long, env = "CASEBOOK_LANGUAGE")]
    language: Option<String>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Agents
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Tokens for systems that post events
    IngestToken {
        #[command(subcommand)]
        command: IngestTokenCommand,
    },
    /// Webhooks from other systems (Stripe, Shopify, Zendesk, or any that signs with HMAC)
    Hook {
        #[command(subcommand)]
        command: HookCommand,
    },
    /// Webhooks to other systems: subscriptions, the delivery log, redelivery, and the networks
    /// deliveries may reach
    Webhook {
        #[command(subcommand)]
        command: super::webhooks::WebhookCommand,
    },
    /// Revoke tokens: refused at once by `casebook serve` nodes (within 10 s)
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Drop the change feed's superseded entries (each entity's latest change stays, so every
    /// console's cursor stays valid)
    CompactFeed {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Count the report's daily rollups afresh from the cases (after cases were written around
    /// casebook, or by an older version beside this one); safe at any time
    RecountReport {
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Add an agent and print its token (shown once)
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A team the agent works in (repeatable)
        #[arg(long = "team")]
        teams: Vec<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Print a new token for an existing agent (shown once)
    Token {
        name: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// List agents
    List {
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Revoke one token (read from standard input when TOKEN is left out or `-`), or every
    /// token of an agent with --agent
    Revoke {
        token: Option<String>,
        /// Revoke every token of this agent instead
        #[arg(long, conflicts_with = "token")]
        agent: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum HookCommand {
    /// Set up (or replace) a hook: deliveries to /api/v1/hooks/NAME, read by a mapping, checked
    /// with the signing secret read from standard input (the other system shows it)
    Add {
        name: String,
        /// A shipped mapping: stripe, shopify or zendesk
        #[arg(long, conflicts_with = "mapping", required_unless_present = "mapping")]
        preset: Option<String>,
        /// A mapping file (TOML; `casebook admin hook preset stripe` prints one to start from)
        #[arg(long)]
        mapping: Option<std::path::PathBuf>,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Print a shipped mapping, to adapt
    Preset { name: String },
    /// List hooks
    List {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Deliveries a mapping could not read, kept (newest first)
    Failures {
        /// Only this hook's
        hook: Option<String>,
        /// Replayed ones too
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Read a kept delivery again with its hook's mapping as it is now, and store its event
    Replay {
        id: uuid::Uuid,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum IngestTokenCommand {
    /// Make a token that may only post events of SOURCE (shown once)
    Add {
        source: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

async fn hook_command(command: HookCommand) -> anyhow::Result<()> {
    use crate::integrations::mapping::{Mapping, PRESETS};
    let presets = || PRESETS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    match command {
        HookCommand::Add { name, preset, mapping, db } => {
            let src = match (preset, mapping) {
                (Some(p), _) => PRESETS
                    .iter()
                    .find(|(n, _)| *n == p)
                    .map(|(_, src)| src.to_string())
                    .with_context(|| format!("no preset `{p}`: use one of {}", presets()))?,
                (None, Some(path)) => {
                    std::fs::read_to_string(&path).with_context(|| format!("reading the mapping {}", path.display()))?
                }
                (None, None) => bail!("give --preset or --mapping"),
            };
            eprintln!("The hook's signing secret (one line, not shown again):");
            let mut secret = String::new();
            std::io::stdin().read_line(&mut secret)?;
            let store = db.open_with_key().await?;
            let m = store.put_hook(&name, &src, secret.trim().as_bytes()).await.map_err(admin_error)?;
            let name = name.trim().to_lowercase();
            eprintln!(
                "Hook `{name}` set: deliveries to /api/v1/hooks/{name} become `{}` events on the timeline.",
                m.source
            );
        }
        HookCommand::Preset { name } => {
            let (_, src) = PRESETS
                .iter()
                .find(|(n, _)| *n == name)
                .with_context(|| format!("no preset `{name}`: use one of {}", presets()))?;
            print!("{src}");
            Mapping::parse(src).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        HookCommand::List { db } => {
            for (name, source) in db.open().await?.hooks().await? {
                println!("{name:<20} {source}");
            }
        }
        HookCommand::Failures { hook, all, db } => {
            for f in db.open().await?.hook_failures(hook.as_deref(), all).await? {
                let replayed = f.replayed_at.map(|t| format!(" (replayed {t})")).unwrap_or_default();
                println!(
                    "{}  {}  {}  {}{replayed}",
                    f.id,
                    f.received_at.format("%Y-%m-%d %H:%M:%S"),
                    f.hook,
                    f.problem
                );
            }
        }
        HookCommand::Replay { id, db } => {
            let store = db.open_with_key().await?;
            let (event, outcome) =
                crate::integrations::intake::replay(&store, id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}: {outcome:?} ({} {})", id, event.source, event.id);
        }
    }
    Ok(())
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse::<Role>().map_err(|e| e.message)
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CASEBOOK_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).try_init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn admin_error(e: AdminError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        let nonempty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        let c = cli.console;
        let args = ConsoleArgs {
            server: nonempty(c.server),
            token: nonempty(c.token),
            theme: nonempty(c.theme),
            language: nonempty(c.language),
        };
        return console(args).await;
    };
    match command {
        Command::Serve { listen, db, max_connections, max_in_flight, card, scorecard } => {
            init_logging();
            let card = match card {
                Some(file) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading the card rules {}", file.display()))?;
                    let rules = crate::domain::card::CardRules::parse(&text)
                        .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.message))?;
                    Some(std::sync::Arc::new(rules))
                }
                None => None,
            };
            // The address first: a port in use is said before the database is touched.
            let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| {
                format!("cannot listen on {listen}: is another casebook running there? pick another with --listen")
            })?;
            let scorecard = match scorecard {
                Some(file) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading the scorecard {}", file.display()))?;
                    Some(
                        crate::domain::scorecard::parse_file(&text)
                            .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.message))?,
                    )
                }
                None => None,
            };
            let mut store = db.open_with_key().await?;
            if let Some(card) = scorecard {
                store = store.with_scorecard(card);
            }
            let addr = listener.local_addr()?;
            tracing::info!(%addr, database = %redact(&db.url()), "casebook API listening");
            println!("casebook API listening on http://{addr}");
            let limits = crate::server::listen::Limits {
                max_connections: max_connections.max(1),
                max_in_flight: max_in_flight.max(1),
                ..Default::default()
            };
            let options = crate::server::ServeOptions { limits, deliveries: Some(Default::default()), card };
            crate::server::run_configured(listener, store.clone(), options, shutdown_signal()).await?;
            store.close().await;
            tracing::info!("stopped");
        }
        Command::Admin { command } => match command {
            AdminCommand::Agent { command: AgentCommand::Add { name, role, teams, db } } => {
                let store = db.open().await?;
                let (agent, token) = store.add_agent(&name, role, &teams).await.map_err(admin_error)?;
                eprintln!(
                    "Added {} `{}` (id {}), teams: {}.",
                    agent.role,
                    agent.name,
                    agent.id,
                    agent.teams.join(", ")
                );
                eprintln!("Their token, shown once (it is stored only as a hash):");
                println!("{token}");
            }
            AdminCommand::Token { command: TokenCommand::Revoke { token, agent, db } } => {
                let store = db.open().await?;
                match agent {
                    Some(name) => {
                        let Some(agent) = store.agent_by_name(&name).await? else {
                            bail!("no agent named `{name}`: `casebook admin agent list` shows them");
                        };
                        let n = store.revoke_agent_tokens(agent.id).await?;
                        println!("Revoked {n} token(s) of `{name}`: refused by every node within 10 s.");
                    }
                    None => {
                        let token = match token.filter(|t| t != "-") {
                            Some(t) => t,
                            None => {
                                let mut line = String::new();
                                std::io::stdin().read_line(&mut line)?;
                                line.trim().to_string()
                            }
                        };
                        if token.is_empty() {
                            bail!("no token given: pass it as an argument or on standard input, or use --agent NAME");
                        }
                        if store.revoke_token(&token).await? {
                            println!("Revoked: refused by every node within 10 s.");
                        } else {
                            bail!("that token is not known or was revoked already: nothing changed");
                        }
                    }
                }
                store.close().await;
            }
            AdminCommand::Agent { command: AgentCommand::Token { name, db } } => {
                let store = db.open().await?;
                let Some(agent) = store.agent_by_name(&name).await? else {
                    bail!("no agent named `{name}`: `casebook admin agent list` shows them");
                };
                let token = store.add_agent_token(agent.id).await?;
                eprintln!("A new token for `{}`, shown once:", agent.name);
                println!("{token}");
            }
            AdminCommand::Agent { command: AgentCommand::List { db } } => {
                let store = db.open().await?;
                for a in store.agents().await? {
                    println!("{:<20} {:<6} {:<24} {}", a.name, a.role, a.teams.join(","), a.id);
                }
            }
            AdminCommand::IngestToken { command: IngestTokenCommand::Add { source, db } } => {
                let store = db.open().await?;
                let token = store.add_ingest_token(&source).await.map_err(admin_error)?;
                eprintln!(
                    "An ingest token for source `{}`, shown once (it may only post that source's events):",
                    source.trim().to_lowercase()
                );
                println!("{token}");
            }
            AdminCommand::Hook { command } => hook_command(command).await?,
            AdminCommand::Webhook { command } => super::webhooks::run(command).await?,
            AdminCommand::CompactFeed { db } => {
                let store = db.open().await?;
                let dropped = store.compact_changes(i64::MAX).await?;
                println!("Dropped {dropped} superseded changes from the feed.");
            }
            AdminCommand::RecountReport { db } => {
                let store = db.open().await?;
                let t = std::time::Instant::now();
                store.rebuild_report_days().await?;
                println!(
                    "Counted the report's daily rollups afresh from the cases in {:.1} s.",
                    t.elapsed().as_secs_f64()
                );
            }
        },
        Command::Seed { customers, events_per_customer, seed, anchor, db } => {
            let anchor = match anchor {
                Some(a) => parse_rfc3339(&a)
                    .with_context(|| format!("--anchor `{a}` is not an RFC 3339 time such as 2026-01-15T12:00:00Z"))?,
                None => default_anchor(),
            };
            let store = db.open().await?;
            let opts = SeedOptions { customers, events_per_customer, seed, anchor };
            let started = std::time::Instant::now();
            let report = crate::commands::seed::seed(&store, &opts, |done| {
                if done % 1000 == 0 || done == customers {
                    eprint!("\rseeding: {done}/{customers} customers");
                }
            })
            .await?;
            eprintln!();
            println!(
                "Seeded {} customers, {} events, {} cases, {} follow-ups into {} in {:.1}s (seed {seed}, anchor {}).",
                report.customers,
                report.events,
                report.cases,
                report.followups,
                redact(&db.url()),
                started.elapsed().as_secs_f64(),
                anchor.to_rfc3339()
            );
            println!(
                "Agents: {}. Get a token with `casebook admin agent token NAME`.",
                report.agents.iter().map(|a| format!("{} ({})", a.name, a.role)).collect::<Vec<_>>().join(", ")
            );
        }
        Command::Demo { listen, customers, events_per_customer, headless, as_ } => {
            let interactive = std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::io::IsTerminal::is_terminal(&std::io::stdin());
            if interactive && !headless {
                crate::commands::demo::run_console(&listen, customers, events_per_customer, as_).await?;
            } else {
                init_logging();
                crate::commands::demo::run(&listen, customers, events_per_customer, shutdown_signal()).await?;
            }
        }
        Command::Console(args) => return console(args).await,
        Command::Login { server, token } => login(server, token).await?,
        Command::Bench(which) => crate::commands::bench::run(which).await?,
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "casebook", &mut std::io::stdout());
        }
        Command::Sync(args) => return crate::commands::sync::run(args).await,
        Command::Export(args) => return crate::commands::export::run(args).await,
        Command::Import(args) => return crate::commands::import::run(args).await,
        Command::Rules { command } => super::rules::run(command).await?,
        Command::Macros { command } => super::macros::run(command).await?,
        Command::Articles { command } => super::articles::run(command).await?,
        Command::Schedules { command } => super::schedules::run(command).await?,
        Command::Report(args) => super::report::run(args).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the console with the server and token from the arguments, the environment or
/// config.toml (in that order).
async fn console(args: ConsoleArgs) -> anyhow::Result<ExitCode> {
    use crate::commands::config::{self, Config};
    let file = config::path();
    let saved = Config::load(&file).map_err(|e| anyhow::anyhow!(e))?;
    let (Some(server), Some(token)) = (args.server.or(saved.server), args.token.or(saved.token)) else {
        eprintln!("casebook: not signed in yet. Run `casebook login` (it asks for the server and your token),");
        eprintln!("or set CASEBOOK_SERVER and CASEBOOK_TOKEN. `casebook demo` needs neither. `casebook --help` lists all commands.");
        return Ok(ExitCode::from(2));
    };
    crate::console::run::run(crate::console::run::ConsoleOptions {
        server,
        token,
        theme: args.theme.or(saved.theme).unwrap_or_else(|| "default".into()),
        language: args.language.or(saved.language).unwrap_or_else(|| "en".into()),
        data_dir: crate::paths::data_dir(),
        themes_dir: Some(crate::paths::config_dir().join("themes")),
        log_file: Some(crate::paths::data_dir().join("console.log")),
        views: {
            crate::domain::views::HomeView::check_all(&saved.views)
                .map_err(|e| anyhow::anyhow!("{}: [[views]]: {}", file.display(), e.message))?;
            saved.views
        },
        keys: crate::console::keymap::Rebound::parse(&saved.keys)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?,
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

fn ask(question: &str) -> anyhow::Result<String> {
    use std::io::Write;
    eprint!("{question}: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

/// Asks for a secret without showing it: typed on a terminal with echo off, or read as one
/// line from standard input when that is not a terminal (`echo $TOKEN | casebook login`).
fn ask_secret(question: &str) -> anyhow::Result<String> {
    use ratatui::crossterm::event::{read, Event, KeyCode, KeyEventKind, KeyModifiers};
    use ratatui::crossterm::terminal::{disable_raw_mode, enable_raw_mode};
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok(line.trim().to_string());
    }
    eprint!("{question} (not shown as you type): ");
    std::io::stderr().flush()?;
    struct Cooked;
    impl Drop for Cooked {
        fn drop(&mut self) {
            let _ = disable_raw_mode();
            eprintln!();
        }
    }
    enable_raw_mode()?;
    let _cooked = Cooked;
    let mut secret = String::new();
    loop {
        if let Event::Key(k) = read()? {
            if k.kind == KeyEventKind::Release {
                continue;
            }
            match k.code {
                KeyCode::Enter => return Ok(secret.trim().to_string()),
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => bail!("cancelled"),
                KeyCode::Backspace => {
                    secret.pop();
                }
                KeyCode::Char(c) => secret.push(c),
                _ => {}
            }
        }
    }
}

/// Checks a server and token (GET /api/v1/me) and keeps them in config.toml.
async fn login(server: Option<String>, token: Option<String>) -> anyhow::Result<()> {
    use crate::commands::config::{self, Config};
    let file = config::path();
    let mut saved = Config::load(&file).unwrap_or_default();
    let server = match server {
        Some(s) => s,
        None => ask("Server (e.g. http://127.0.0.1:7878)")?,
    };
    let token = match token {
        Some(t) => t,
        None => ask_secret("Your agent token (cba_…)")?,
    };
    let client = crate::client::ApiClient::new(&server, &token)?;
    let me = client.me().await.with_context(|| format!("checking the token with {server}"))?;
    saved.server = Some(client.server().to_string());
    saved.token = Some(token);
    saved.save(&file).with_context(|| format!("writing {}", file.display()))?;
    println!(
        "Signed in as {} ({}) on {}. Saved in {}; run `casebook` to open the console.",
        me.name,
        me.role,
        client.server(),
        file.display()
    );
    Ok(())
}

/// Parses the command line and runs it; errors are printed as one readable message.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("casebook: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("casebook: {e:#}");
            ExitCode::FAILURE
        }
    }
}
