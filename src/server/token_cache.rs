//! Recently verified bearer tokens, so that a busy client costs one database lookup per
//! token every few seconds rather than one per request. Keyed by the token's hash; unknown
//! tokens are never cached. A revoked token (or a changed role) takes effect on every node
//! within [`TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::agent::Principal;

pub const TTL: Duration = Duration::from_secs(10);
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (Principal, Instant)>>,
}

impl TokenCache {
    pub fn get(&self, hash: &str, now: Instant) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(hash).filter(|(_, at)| now.duration_since(*at) < TTL).map(|(p, _)| p.clone())
    }

    /// Forgets a token at once (revoked on this node).
    pub fn forget(&self, hash: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(hash);
    }

    /// Forgets every token of an agent at once.
    pub fn forget_agent(&self, agent_id: uuid::Uuid) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (p, _)| !matches!(p, Principal::Agent(a) if a.id == agent_id));
    }

    pub fn put(&self, hash: String, principal: Principal, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, at)| now.duration_since(*at) < TTL);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(hash, (principal, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn entries_expire() {
        let cache = TokenCache::default();
        let t = Instant::now();
        let p = Principal::Ingest { token_id: Uuid::nil(), source: "shop".into() };
        cache.put("h".into(), p.clone(), t);
        assert_eq!(cache.get("h", t + Duration::from_secs(1)), Some(p));
        assert_eq!(cache.get("h", t + TTL), None);
        assert_eq!(cache.get("other", t), None);
    }
}
