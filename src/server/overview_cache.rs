//! The queues overview, counted once for many readers: the overview counts every waiting case,
//! so a node keeps its last count and answers from it while nothing was written (the change
//! feed's last number is the same) and it is under [`FRESH_FOR`] old — the time-driven part
//! (a case going at risk or breached as the clock runs) may lag by that much, and the answer's
//! `at` says when it was counted. Readers that come while it is counted wait for that count
//! instead of counting again, so 32 leads cost one count, not 32.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::domain::time::now;
use crate::store::{Result, Store};
use crate::wire::leads::QueuesResponse;

/// How long a count serves when nothing was written.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

struct Counted {
    when: Instant,
    last_change: i64,
    overview: Arc<QueuesResponse>,
}

#[derive(Default)]
pub struct OverviewCache {
    last: tokio::sync::Mutex<Option<Counted>>,
}

impl OverviewCache {
    /// The overview: the last count while it is fresh and nothing was written since, else a
    /// new one.
    pub async fn get(&self, store: &Store) -> Result<Arc<QueuesResponse>> {
        let last_change = store.last_change().await?;
        let mut last = self.last.lock().await;
        if let Some(c) = last.as_ref().filter(|c| c.last_change == last_change && c.when.elapsed() < FRESH_FOR) {
            return Ok(c.overview.clone());
        }
        let at = now();
        let overview = Arc::new(QueuesResponse {
            at,
            queues: store.queue_summaries(at).await?,
            workload: store.agent_loads(at, &[]).await?,
            sla_policies: store.sla_policies().await?,
        });
        *last = Some(Counted { when: Instant::now(), last_change, overview: overview.clone() });
        Ok(overview)
    }
}
