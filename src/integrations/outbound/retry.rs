//! When to try a failed delivery again: exponential backoff (×4 from 5 seconds, at most 10
//! hours apart) with jitter, for long enough that a receiver down for a whole day still gets
//! everything once it is back.

use std::time::Duration;

/// The backoff's shape.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// The wait after the first failure.
    pub first: Duration,
    /// The longest wait between two tries.
    pub cap: Duration,
    /// Tries after the first; once all have failed the delivery fails.
    pub retries: u32,
}

impl Default for Backoff {
    /// 5 s, 20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h, then 10 h four times: 11 tries over
    /// 37.6 hours (at least 32 with the jitter).
    fn default() -> Self {
        Backoff { first: Duration::from_secs(5), cap: Duration::from_secs(10 * 3600), retries: 10 }
    }
}

/// Each wait is scaled by a factor drawn from this range, so that deliveries failing together
/// (a receiver that went down) do not all come back at the same moment.
pub const JITTER: (f64, f64) = (0.85, 1.15);

impl Backoff {
    /// The wait after the `failed`-th failed try (1 for the first), before jitter; `None` when
    /// there are no retries left.
    pub fn base_wait(&self, failed: u32) -> Option<Duration> {
        if failed == 0 || failed > self.retries {
            return None;
        }
        let factor = 4u32.saturating_pow(failed - 1);
        Some(self.first.saturating_mul(factor).min(self.cap))
    }

    /// The wait after the `failed`-th failure with jitter `r` (in 0..1).
    pub fn wait(&self, failed: u32, r: f64) -> Option<Duration> {
        let scale = JITTER.0 + (JITTER.1 - JITTER.0) * r.clamp(0.0, 1.0);
        self.base_wait(failed).map(|d| d.mul_f64(scale))
    }

    /// The shortest time from the first try to the last, jitter included.
    pub fn shortest_span(&self) -> Duration {
        (1..=self.retries).filter_map(|n| self.wait(n, 0.0)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_capped_and_over_a_day() {
        let b = Backoff::default();
        let waits: Vec<u64> = (1..=b.retries).map(|n| b.base_wait(n).unwrap().as_secs()).collect();
        assert_eq!(waits, [5, 20, 80, 320, 1280, 5120, 20480, 36000, 36000, 36000]);
        assert_eq!(b.base_wait(0), None);
        assert_eq!(b.base_wait(b.retries + 1), None, "out of retries");
        assert!(b.shortest_span() >= Duration::from_secs(24 * 3600), "{:?}", b.shortest_span());
        let lo = b.wait(3, 0.0).unwrap();
        let hi = b.wait(3, 1.0).unwrap();
        assert!(lo < Duration::from_secs(80) && hi > Duration::from_secs(80));
        assert_eq!(Backoff { retries: 40, ..b }.base_wait(40), Some(Duration::from_secs(36000)), "no overflow");
    }
}
