//! The console's sync engine: push the outbox in batches, pull the change feed, and — run in
//! the background — keep doing it, backing off with jitter while the server is unreachable,
//! and publish how things stand for the status bar.
//!
//! [`sync_round`] is one round (what `casebook sync` runs); [`spawn`] starts the background
//! task and returns a [`SyncHandle`].

use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::client::{ApiClient, ClientError};
use crate::domain::time::{now, Timestamp};
use crate::local::outbox::AnswerCounts;
use crate::local::view::OutboxCounts;
use crate::local::{LocalError, LocalStore};
use crate::wire::sync::{OpStatus, PushRequest};

/// Operations per push (the server takes up to 1,000).
pub const PUSH_BATCH: u32 = 500;
/// Changes per pull (the server gives up to 1,000).
pub const PULL_BATCH: u32 = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Local(#[from] LocalError),
}

impl SyncError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Client(c) if c.is_transient())
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub pushed: AnswerCounts,
    /// Changes pulled into the local store.
    pub pulled: u64,
    /// The server no longer held the pull cursor: the confirmed state was pulled again from
    /// the start (the outbox kept).
    pub rebuilt: bool,
    /// Why some operations could not be applied yet (they stay queued), if so.
    pub held_back: Option<String>,
    /// The outbox after the round.
    pub counts: OutboxCounts,
}

impl RoundReport {
    /// Nothing waits and nothing needs the agent.
    pub fn is_clean(&self) -> bool {
        self.held_back.is_none() && self.counts == OutboxCounts::default()
    }
}

fn add(a: &mut AnswerCounts, b: AnswerCounts) {
    a.applied += b.applied;
    a.duplicate += b.duplicate;
    a.conflict += b.conflict;
    a.rejected += b.rejected;
    a.retry += b.retry;
}

/// Pushes every pending operation, in batches, filing the answers; stops at the first batch
/// the server holds back.
pub async fn push_all(local: &LocalStore, client: &ApiClient, report: &mut RoundReport) -> Result<(), SyncError> {
    loop {
        let (device_id, operations) = local.pending_batch(PUSH_BATCH).await?;
        if operations.is_empty() {
            report.held_back = None;
            return Ok(());
        }
        let answer = client.push(&PushRequest { device_id, operations }).await?;
        let counts = local.record_answers(&answer.results).await?;
        add(&mut report.pushed, counts);
        if counts.retry > 0 {
            let why = answer.results.iter().find(|r| r.status == OpStatus::Retry).and_then(|r| r.problem.clone());
            report.held_back = Some(why.map(|p| p.detail).unwrap_or_else(|| "the server asked to retry".into()));
            return Ok(());
        }
        if counts.applied + counts.duplicate + counts.conflict + counts.rejected == 0 {
            return Err(ClientError::Protocol("the server answered none of the operations sent".into()).into());
        }
    }
}

/// Pulls the change feed to its end; on 410, rebuilds the confirmed state once.
pub async fn pull_all(local: &LocalStore, client: &ApiClient, report: &mut RoundReport) -> Result<(), SyncError> {
    loop {
        let cursor = local.pull_cursor().await?;
        match client.pull(cursor.as_deref(), PULL_BATCH).await {
            Ok(page) => {
                local.apply_pulled(&page.changes, &page.next_cursor).await?;
                report.pulled += page.changes.len() as u64;
                if !page.has_more {
                    return Ok(());
                }
            }
            Err(ClientError::Gone(_)) if !report.rebuilt && cursor.is_some() => {
                local.reset_confirmed().await?;
                report.rebuilt = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// One round: push every waiting operation, then pull every change. After a rebuild the
/// outbox is pushed again (the device numbers its operations afresh).
pub async fn sync_round(local: &LocalStore, client: &ApiClient) -> Result<RoundReport, SyncError> {
    if local.me().await?.is_none() {
        local.set_me(&client.me().await?).await?;
    }
    let mut report = RoundReport::default();
    push_all(local, client, &mut report).await?;
    pull_all(local, client, &mut report).await?;
    if report.rebuilt {
        push_all(local, client, &mut report).await?;
    }
    // Naming customers is a nicety of lists: the round's work is done without it.
    if let Err(e) = fetch_customers(local, client).await {
        tracing::warn!(error = %e, "could not read the customers of the cases pulled; the next round tries again");
    }
    report.counts = local.counts().await?;
    Ok(report)
}

/// Reads the customers of the cases and follow-ups pulled whose names the local store lacks,
/// 100 to a request, so that home and the follow-ups say who each one is about, offline too.
pub async fn fetch_customers(local: &LocalStore, client: &ApiClient) -> Result<(), SyncError> {
    // A bound on the rounds: a customer the server does not know (deleted) stays missing.
    for _ in 0..20 {
        let ids = local.customers_to_fetch(100).await?;
        if ids.is_empty() {
            break;
        }
        let found = client.customers_by_ids(&ids).await?;
        if found.is_empty() {
            break;
        }
        local.cache_customers(&found).await?;
    }
    Ok(())
}

/// How the engine sees the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// No round finished yet.
    Starting,
    Online,
    /// Unreachable or failing: retrying with backoff.
    Offline,
    /// The token was refused: waiting for a new sign-in.
    SignedOut,
}

/// What the status bar shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncStatus {
    pub connection: Connection,
    pub counts: OutboxCounts,
    pub last_success: Option<Timestamp>,
    pub last_error: Option<String>,
    /// When the next attempt is due, while backing off.
    pub retry_at: Option<Timestamp>,
}

/// The wait before attempt `failures + 1`: exponential from `base`, capped at `max`, with
/// "equal jitter" (a random point in the upper half), so that consoles cut off together do
/// not all come back in the same instant.
pub fn backoff(failures: u32, base: Duration, max: Duration, rng: &mut impl Rng) -> Duration {
    let exp = base.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    let ceiling = exp.min(max);
    let half = ceiling / 2;
    half + rng.gen_range(Duration::ZERO..=half)
}

#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Between rounds while online and idle.
    pub poll: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            poll: Duration::from_secs(15),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
        }
    }
}

/// The running engine.
pub struct SyncHandle {
    status: watch::Receiver<SyncStatus>,
    work: Arc<Notify>,
    now: Arc<Notify>,
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

impl SyncHandle {
    /// Follows the engine's status.
    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// New work was recorded: push it now while online; while offline the backoff stands and
    /// only the published count of waiting operations is brought up to date.
    pub fn nudge(&self) {
        self.work.notify_one();
    }

    /// [`SyncHandle::nudge`] for another task.
    pub fn nudger(&self) -> impl Fn() + Send + Sync + 'static {
        let work = self.work.clone();
        move || work.notify_one()
    }

    /// Try now, whatever the backoff says (the agent asked, or signed in again).
    pub fn sync_now(&self) {
        self.now.notify_one();
    }

    /// Stops the engine; a round in progress is cut off (each local write is a transaction,
    /// so nothing is left half-done, and the server recognises a repeated push).
    pub async fn stop(self) {
        self.stop.notify_one();
        let _ = self.task.await;
    }
}

/// Starts the background engine.
pub fn spawn(local: LocalStore, client: ApiClient, opts: EngineOptions) -> SyncHandle {
    let initial = SyncStatus {
        connection: Connection::Starting,
        counts: OutboxCounts::default(),
        last_success: None,
        last_error: None,
        retry_at: None,
    };
    let (tx, rx) = watch::channel(initial);
    let (work, now_, stop) = (Arc::new(Notify::new()), Arc::new(Notify::new()), Arc::new(Notify::new()));
    let task = tokio::spawn(run(local, client, opts, tx, work.clone(), now_.clone(), stop.clone()));
    SyncHandle { status: rx, work, now: now_, stop, task }
}

async fn run(
    local: LocalStore,
    client: ApiClient,
    opts: EngineOptions,
    status: watch::Sender<SyncStatus>,
    work: Arc<Notify>,
    now_: Arc<Notify>,
    stop: Arc<Notify>,
) {
    let mut failures = 0u32;
    let mut rng = rand_chacha::ChaCha8Rng::from_entropy();
    loop {
        let round = tokio::select! {
            r = sync_round(&local, &client) => r,
            _ = stop.notified() => return,
        };
        let mut s = status.borrow().clone();
        let wait = match round {
            Ok(report) => {
                s.connection = Connection::Online;
                s.counts = report.counts;
                s.last_success = Some(now());
                match report.held_back {
                    None => {
                        failures = 0;
                        s.last_error = None;
                        Some(opts.poll)
                    }
                    Some(why) => {
                        failures += 1;
                        s.last_error = Some(why);
                        Some(backoff(failures, opts.backoff_base, opts.backoff_max, &mut rng))
                    }
                }
            }
            Err(SyncError::Client(ClientError::Unauthorized(why))) => {
                s.connection = Connection::SignedOut;
                s.last_error = Some(format!("the server refused the token ({why}): sign in again"));
                None
            }
            Err(e) => {
                failures += 1;
                if e.is_transient() {
                    s.connection = Connection::Offline;
                }
                s.last_error = Some(e.to_string());
                Some(backoff(failures, opts.backoff_base, opts.backoff_max, &mut rng))
            }
        };
        if let Ok(c) = local.counts().await {
            s.counts = c;
        }
        let online = s.connection == Connection::Online && failures == 0;
        s.retry_at =
            if online { None } else { wait.map(|w| now() + chrono::Duration::from_std(w).unwrap_or_default()) };
        status.send_replace(s);
        let deadline = wait.map(|w| tokio::time::Instant::now() + w);
        loop {
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => break,
                _ = work.notified() => {
                    // While online, new work starts a round at once; while offline it waits
                    // its turn, but the count of what waits is brought up to date.
                    if online {
                        break;
                    }
                    if let Ok(c) = local.counts().await {
                        status.send_modify(|s| s.counts = c);
                    }
                }
                _ = now_.notified() => break,
                _ = stop.notified() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_grows_to_the_cap_with_jitter_in_the_upper_half() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (base, max) = (Duration::from_millis(500), Duration::from_secs(60));
        for failures in 1..40 {
            let ceiling = (base * 2u32.pow((failures - 1).min(20))).min(max);
            for _ in 0..50 {
                let d = backoff(failures, base, max, &mut rng);
                assert!(d >= ceiling / 2 && d <= ceiling, "{failures}: {d:?} not in [{:?}, {ceiling:?}]", ceiling / 2);
            }
        }
        let spread: std::collections::BTreeSet<_> = (0..20).map(|_| backoff(3, base, max, &mut rng)).collect();
        assert!(spread.len() > 10, "jitter spreads the waits");
    }
}
