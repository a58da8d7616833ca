//! A webhook delivery, from its bytes to the timeline: find the hook, check the signature, read
//! the payload through the hook's mapping, and store the event once per (source, id) — so a
//! provider's retry or a replayed delivery changes nothing. An authentic delivery the mapping
//! cannot read is kept, with why, and can be replayed once the mapping reads it.

use uuid::Uuid;

use super::mapping::Delivery;
use super::signature::{verify, SignatureError};
use crate::domain::Invalid;
use crate::store::events::IngestOutcome;
use crate::store::hooks::Hook;
use crate::store::{Store, StoreError};
use crate::wire::cloudevents::{parse_event, IncomingEvent};

/// Why a delivery was not stored.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("no hook named `{0}`: an admin sets it up with `casebook admin hook add`")]
    NoHook(String),
    #[error("no kept delivery {0}: `casebook admin hook failures` lists them")]
    NotKept(Uuid),
    #[error("{0}")]
    Signature(#[from] SignatureError),
    /// Authentic, but unreadable: kept as `kept` for an admin.
    #[error("{problem} (kept as {kept})")]
    Unreadable { problem: Invalid, kept: Uuid },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Headers worth keeping with a kept delivery (never credentials).
fn keepable(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| !["authorization", "cookie", "proxy-authorization"].contains(&k.as_str()))
        .cloned()
        .collect()
}

/// The event a delivery holds, by the hook's mapping and the CloudEvents checks.
pub fn read(hook: &Hook, headers: &[(String, String)], body: &[u8]) -> Result<IncomingEvent, Invalid> {
    let payload: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Invalid::general(format!("the delivery is not JSON ({e}): casebook reads JSON webhooks")))?;
    let event = hook.mapping.to_cloudevent(&hook.name, &Delivery { payload: &payload, headers })?;
    parse_event(&event)
}

/// Receives a delivery to hook `name`. `headers` have lower-case names.
pub async fn receive(
    store: &Store,
    name: &str,
    headers: &[(String, String)],
    body: &[u8],
    now_unix: i64,
) -> Result<(IncomingEvent, IngestOutcome), Refused> {
    let hook = store.hook(name).await?.ok_or_else(|| Refused::NoHook(name.to_string()))?;
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    verify(&hook.mapping.verify, &hook.secret, header, body, now_unix)?;
    let event = match read(&hook, headers, body) {
        Ok(e) => e,
        Err(problem) => {
            let text = String::from_utf8_lossy(body);
            let kept = store.keep_hook_failure(&hook.name, &keepable(headers), &text, &problem.to_string()).await?;
            tracing::warn!(hook = %hook.name, %kept, problem = %problem, "a webhook delivery could not be read; kept");
            return Err(Refused::Unreadable { problem, kept });
        }
    };
    let outcome = store.ingest(std::slice::from_ref(&event)).await?.pop().expect("one outcome per event");
    Ok((event, outcome))
}

/// Reads a kept delivery again with its hook's mapping as it is now, and stores its event.
pub async fn replay(store: &Store, id: Uuid) -> Result<(IncomingEvent, IngestOutcome), Refused> {
    let kept = store.hook_failure(id).await?.ok_or(Refused::NotKept(id))?;
    let hook = store.hook(&kept.hook).await?.ok_or_else(|| Refused::NoHook(kept.hook.clone()))?;
    let event = read(&hook, &kept.headers, kept.body.as_bytes())
        .map_err(|problem| Refused::Unreadable { problem, kept: id })?;
    let outcome = store.ingest(std::slice::from_ref(&event)).await?.pop().expect("one outcome per event");
    if !matches!(outcome, IngestOutcome::Rejected(_) | IngestOutcome::Unknown(_)) {
        store.mark_hook_failure_replayed(id).await?;
    }
    Ok((event, outcome))
}
