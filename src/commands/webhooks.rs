//! `casebook admin webhook …`: subscriptions to casebook's events, their delivery log and
//! redelivery, and the networks an operator opens to deliveries (only here, with the database
//! in hand: the API cannot open the server's own network to itself).

use anyhow::Context;
use clap::Subcommand;

use super::cli::DatabaseArg;
use crate::integrations::outbound::policy::parse_network;
use crate::integrations::outbound::{subscribe, SubscribeError};
use crate::store::webhooks::{ACTIVE, PAUSED};
use crate::wire::webhooks::NewSubscription;

#[derive(Subcommand)]
pub(super) enum WebhookCommand {
    /// Subscribe URL to kinds of events; prints the signing secret (shown once)
    Add {
        url: String,
        /// A kind to send (repeatable): case.opened, case.assigned, case.resolved,
        /// case.customer_note_added, followup.due, followup.done, survey.requested, or * for all
        #[arg(long = "kind", required = true)]
        kinds: Vec<String>,
        /// What it is for
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// List subscriptions
    List {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Stop sending to a subscription (its deliveries wait)
    Pause {
        id: uuid::Uuid,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Send to a subscription again (what waited goes first)
    Resume {
        id: uuid::Uuid,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Remove a subscription with its deliveries and their log
    Remove {
        id: uuid::Uuid,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// A subscription's deliveries, newest first
    Deliveries {
        id: uuid::Uuid,
        /// Only pending, delivered or failed ones
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// One delivery: its body and every try
    Show {
        delivery: uuid::Uuid,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Queue a delivery again, at once, with a fresh round of retries
    Redeliver {
        delivery: uuid::Uuid,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Let deliveries reach a network beyond the public internet (CIDR: 10.1.0.0/16,
    /// 127.0.0.1 for a receiver on this machine)
    AllowNetwork {
        network: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Close a network opened with allow-network
    DisallowNetwork {
        network: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// The networks opened to deliveries
    Networks {
        #[command(flatten)]
        db: DatabaseArg,
    },
}

pub(super) async fn run(command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Add { url, kinds, description, db } => {
            let store = db.open_with_key().await?;
            let made = subscribe(&store, &NewSubscription { url, kinds, description }).await.map_err(|e| match e {
                SubscribeError::Invalid(i) => anyhow::anyhow!("{}", i.message),
                SubscribeError::Store(s) => s.into(),
            })?;
            let s = &made.subscription;
            eprintln!("Subscribed {} to {} (id {}).", s.url, s.kinds.join(", "), s.id);
            eprintln!("Its signing secret, shown once (receivers verify webhook-signature with it):");
            println!("{}", made.secret);
        }
        WebhookCommand::List { db } => {
            for s in db.open().await?.subscriptions().await? {
                println!("{}  {:<8} {}  [{}]  {}", s.id, s.state, s.url, s.kinds.join(","), s.description);
            }
        }
        WebhookCommand::Pause { id, db } => set_state(db, id, PAUSED).await?,
        WebhookCommand::Resume { id, db } => set_state(db, id, ACTIVE).await?,
        WebhookCommand::Remove { id, db } => {
            if !db.open().await?.remove_subscription(id).await? {
                anyhow::bail!("no subscription with id {id}: `casebook admin webhook list` shows them");
            }
            eprintln!("Removed {id}.");
        }
        WebhookCommand::Deliveries { id, state, limit, db } => {
            if let Some(s) = state.as_deref().filter(|s| !["pending", "delivered", "failed"].contains(s)) {
                anyhow::bail!("--state {s}: use pending, delivered or failed");
            }
            for d in db.open().await?.deliveries(Some(id), state.as_deref(), limit.clamp(1, 1000)).await? {
                let last = match (&d.last_status, &d.last_error) {
                    (_, Some(e)) => e.clone(),
                    (Some(s), None) => format!("answered {s}"),
                    (None, None) => String::new(),
                };
                println!(
                    "{}  {}  {:<24} {:<9} tries {:<2} {last}",
                    d.id,
                    d.created_at.format("%Y-%m-%d %H:%M:%S"),
                    d.kind,
                    d.state,
                    d.attempts
                );
            }
        }
        WebhookCommand::Show { delivery, db } => {
            let log =
                db.open().await?.delivery_log(delivery).await?.with_context(|| format!("no delivery {delivery}"))?;
            println!("{}", serde_json::to_string_pretty(&log)?);
        }
        WebhookCommand::Redeliver { delivery, db } => {
            let d = db.open().await?.redeliver(delivery).await?.with_context(|| format!("no delivery {delivery}"))?;
            eprintln!("Queued {} ({}) again; a running `casebook serve` sends it within seconds.", d.id, d.kind);
        }
        WebhookCommand::AllowNetwork { network, db } => {
            let net = parse_network(&network).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            db.open().await?.set_network_allowed(&net.to_string(), true).await?;
            eprintln!("Deliveries may now reach {net} (every node, within seconds).");
        }
        WebhookCommand::DisallowNetwork { network, db } => {
            let net = parse_network(&network).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            if !db.open().await?.set_network_allowed(&net.to_string(), false).await? {
                anyhow::bail!("{net} was not open: `casebook admin webhook networks` lists those that are");
            }
            eprintln!("Closed {net} to deliveries.");
        }
        WebhookCommand::Networks { db } => {
            for n in db.open().await?.allowed_networks().await? {
                println!("{n}");
            }
        }
    }
    Ok(())
}

async fn set_state(db: DatabaseArg, id: uuid::Uuid, state: &str) -> anyhow::Result<()> {
    let s = db
        .open()
        .await?
        .set_subscription_state(id, state)
        .await?
        .with_context(|| format!("no subscription with id {id}: `casebook admin webhook list` shows them"))?;
    eprintln!("{} is {}.", s.url, s.state);
    Ok(())
}
