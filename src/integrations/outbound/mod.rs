//! Events out: what happened in casebook, told to the systems that subscribed to it.
//!
//! Case work queues deliveries in its own transaction (`store/webhooks.rs`); each API node runs
//! one [`Deliverer`], which takes due deliveries for a lease, sends each as a CloudEvent
//! (structured JSON) signed as Standard Webhooks says ([`signing`]), to addresses the
//! [`policy`] permits, with a timeout on every call, and records how it went: delivered, a
//! retry later ([`retry`]), or failed after the last retry (the subscription is then marked
//! failing until a delivery succeeds). Admins read the log and redeliver on demand.

pub mod policy;
pub mod retry;
pub mod signing;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::watch;

use crate::domain::time::now;
use crate::domain::Invalid;
use crate::store::webhooks::{Claimed, TryResult, QUEUED};
use crate::store::{Store, StoreError};
use crate::wire::webhooks::{parse_kinds, CreatedSubscription, NewSubscription};
use policy::{check_url, GuardedResolver, NetworkPolicy};
use retry::Backoff;

/// How a node delivers.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    pub backoff: Backoff,
    /// The most one call may take, connecting included.
    pub timeout: Duration,
    /// How long a node holds the deliveries it took before another may take them.
    pub lease: Duration,
    /// How often to look for work queued by other nodes, due retries and due follow-ups.
    pub poll: Duration,
    /// Deliveries taken at a time (and sent at once).
    pub batch: i64,
    /// This node's name in the delivery log.
    pub node: String,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            backoff: Backoff::default(),
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(2),
            batch: 16,
            node: node_name(),
        }
    }
}

/// `host:pid:random`: unique per running process.
pub fn node_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!("{host}:{}:{:04x}", std::process::id(), rand::thread_rng().gen::<u16>())
}

/// Deliveries counted by how each try ended, for `/metrics`.
#[derive(Debug, Default)]
pub struct DeliveryCounters {
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
}

impl DeliveryCounters {
    /// (outcome, count) for each outcome.
    pub fn read(&self) -> [(&'static str, u64); 3] {
        [
            ("delivered", self.delivered.load(Ordering::Relaxed)),
            ("retry", self.retried.load(Ordering::Relaxed)),
            ("failed", self.failed.load(Ordering::Relaxed)),
        ]
    }
}

/// Why a subscription was not made.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("{}", .0.message)]
    Invalid(Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The policy as the database holds it now.
pub async fn current_policy(store: &Store) -> Result<NetworkPolicy, StoreError> {
    Ok(NetworkPolicy::from_texts(&store.allowed_networks().await?))
}

/// Makes a subscription: the URL and kinds checked, a new secret made (shown once).
pub async fn subscribe(store: &Store, req: &NewSubscription) -> Result<CreatedSubscription, SubscribeError> {
    let url = check_url(&req.url, &current_policy(store).await?).map_err(SubscribeError::Invalid)?;
    let kinds = parse_kinds(&req.kinds).map_err(SubscribeError::Invalid)?;
    let description = req.description.trim();
    if description.chars().count() > 500 {
        return Err(SubscribeError::Invalid(Invalid::field("description", "is longer than 500 characters")));
    }
    let secret = signing::new_secret();
    let subscription = store.add_subscription(url.as_str(), &kinds, description, &secret).await?;
    Ok(CreatedSubscription { subscription, secret })
}

/// One node's delivery loop.
pub struct Deliverer {
    store: Store,
    client: reqwest::Client,
    policy: Arc<RwLock<NetworkPolicy>>,
    options: DeliveryOptions,
    counters: Arc<DeliveryCounters>,
}

impl Deliverer {
    pub fn new(store: Store, options: DeliveryOptions, counters: Arc<DeliveryCounters>) -> Deliverer {
        let policy = Arc::new(RwLock::new(NetworkPolicy::default()));
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("casebook-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { policy: policy.clone() }))
            .build()
            .expect("a plain HTTP client builds");
        Deliverer { store, client, policy, options, counters }
    }

    /// Runs until `stop` turns true; the tries under way finish first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut last_scan = None::<Instant>;
        loop {
            if *stop.borrow() {
                return;
            }
            let wait = match self.round(&mut last_scan).await {
                Ok(true) => continue,
                Ok(false) => self.idle_wait().await,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook deliveries: a round failed; trying again shortly");
                    self.options.poll
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = QUEUED.notified() => {}
                // Stopped, or the server that owns this loop is gone.
                changed = stop.changed() => if changed.is_err() { return },
            }
        }
    }

    /// One round: follow-ups that came due, then the deliveries due now. Whether it found
    /// deliveries (then there may be more at once).
    async fn round(&self, last_scan: &mut Option<Instant>) -> Result<bool, StoreError> {
        if last_scan.is_none_or(|t| t.elapsed() >= self.options.poll) {
            *last_scan = Some(Instant::now());
            self.store.announce_due_followups(500).await?;
        }
        let lease_until = now() + chrono::Duration::from_std(self.options.lease).unwrap_or_default();
        let batch = self.store.claim_deliveries(&self.options.node, self.options.batch, lease_until).await?;
        if batch.is_empty() {
            return Ok(false);
        }
        // The networks as they are now, before sending (one small read per batch): a network
        // opened a moment ago counts at once.
        let p = current_policy(&self.store).await?;
        if let Ok(mut w) = self.policy.write() {
            *w = p;
        }
        let mut tries = tokio::task::JoinSet::new();
        for d in batch {
            let me = self.clone_parts();
            tries.spawn(async move {
                let result = me.try_one(&d).await;
                if let Err(e) = me.store.finish_try(&me.options.node, &d, &result).await {
                    tracing::warn!(delivery = %d.id, error = %e, "a delivery's try could not be recorded; it will be tried again after its lease");
                }
            });
        }
        while tries.join_next().await.is_some() {}
        Ok(true)
    }

    /// How long to sleep when nothing is due: until the next retry, at most one poll.
    async fn idle_wait(&self) -> Duration {
        match self.store.next_delivery_due().await {
            Ok(Some(at)) => {
                (at - now()).to_std().unwrap_or(Duration::ZERO).clamp(Duration::from_millis(5), self.options.poll)
            }
            _ => self.options.poll,
        }
    }

    fn clone_parts(&self) -> Deliverer {
        Deliverer {
            store: self.store.clone(),
            client: self.client.clone(),
            policy: self.policy.clone(),
            options: self.options.clone(),
            counters: self.counters.clone(),
        }
    }

    /// Sends one delivery and says how it went and what follows.
    async fn try_one(&self, d: &Claimed) -> TryResult {
        let start = Instant::now();
        let (status, error) = match self.send(d).await {
            Ok(status) if (200..300).contains(&status) => (Some(i64::from(status)), None),
            Ok(status) => (Some(i64::from(status)), Some(format!("the receiver answered {status}"))),
            Err(e) => (None, Some(e)),
        };
        let took_ms = start.elapsed().as_millis() as i64;
        let delivered = error.is_none();
        let failed = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
        let retry_at = if delivered {
            None
        } else {
            let r: f64 = rand::thread_rng().gen();
            self.options.backoff.wait(failed, r).map(|w| now() + chrono::Duration::from_std(w).unwrap_or_default())
        };
        let counter = match (delivered, retry_at.is_some()) {
            (true, _) => &self.counters.delivered,
            (false, true) => &self.counters.retried,
            (false, false) => &self.counters.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Some(e) = &error {
            tracing::info!(delivery = %d.id, url = %d.url, attempt = failed, error = %e, retry = retry_at.is_some(), "a webhook delivery failed");
        }
        TryResult { status, error, took_ms, delivered, retry_at }
    }

    async fn send(&self, d: &Claimed) -> Result<u16, String> {
        let policy = self.policy.read().map(|p| p.clone()).unwrap_or_default();
        let url = check_url(&d.url, &policy).map_err(|e| e.message)?;
        let timestamp = chrono::Utc::now().timestamp();
        let msg_id = d.event_id.to_string();
        let signature = signing::sign(&d.secret, &msg_id, timestamp, d.payload.as_bytes())?;
        let res = self
            .client
            .post(url)
            .header("content-type", "application/cloudevents+json; charset=utf-8")
            .header("webhook-id", &msg_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(d.payload.clone())
            .send()
            .await
            .map_err(describe)?;
        Ok(res.status().as_u16())
    }
}

/// A failed call in a sentence, with the cause that says most.
fn describe(e: reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        format!("the call {what}")
    } else {
        format!("the call {what}: {cause}")
    }
}
