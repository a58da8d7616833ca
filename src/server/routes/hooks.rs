//! Webhooks from systems that send their own JSON (`POST /api/v1/hooks/{name}`): signed by the
//! sender with the hook's secret instead of a bearer token, read through the hook's mapping
//! (`integrations`), stored as timeline events.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::events::{result_for, single_answer, IngestResult};
use super::meta::admin_error;
use crate::domain::agent::may_manage_agents;
use crate::integrations::intake::{receive, replay, Refused};
use crate::integrations::mapping::PRESETS;
use crate::server::extract::{AgentAuth, ApiJson, Body};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::store::events::IngestOutcome;

/// The most a delivery may carry.
pub const MAX_DELIVERY_BYTES: usize = 1024 * 1024;

#[utoipa::path(post, path = "/api/v1/hooks/{name}", tag = "events", security(()),
    params(("name" = String, Path, description = "The hook, as an admin named it (`stripe`, `shop`)")),
    request_body(description = "The other system's own JSON, signed as the hook's scheme says (Stripe-Signature, X-Shopify-Hmac-Sha256, X-Zendesk-Webhook-Signature, or a generic HMAC header). No bearer token.",
        content((Object = "application/json"))),
    responses(
        (status = 201, description = "The delivery's event, stored", body = IngestResult),
        (status = 200, description = "Stored before (a retry or a replay): nothing changed", body = IngestResult),
        (status = "4XX", description = "A problem: no such hook (404), a bad signature (401), a payload the mapping cannot read (422: kept for an admin, `kept` names it)", body = Problem, content_type = "application/problem+json")))]
pub async fn deliver(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult<Response> {
    let headers: Vec<(String, String)> =
        headers.iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string()))).collect();
    let now = chrono::Utc::now().timestamp();
    let answer = receive(&state.store, &name, &headers, &body, now).await;
    let outcome = match &answer {
        Ok((_, IngestOutcome::Created { .. })) => "stored",
        Ok((_, IngestOutcome::Duplicate { .. })) => "duplicate",
        Ok(_) => "refused",
        Err(Refused::Unreadable { .. }) => "unreadable",
        Err(Refused::Signature(e)) => {
            tracing::warn!(hook = %name, problem = %e, "a webhook delivery's signature was refused");
            "bad_signature"
        }
        Err(Refused::NoHook(_) | Refused::NotKept(_)) => "unknown_hook",
        Err(Refused::Store(_)) => "failed",
    };
    // An unknown hook's name is the caller's text: counted under one label, not its own.
    state.metrics.hook(if outcome == "unknown_hook" { "(unknown)" } else { &name }, outcome);
    let (event, outcome) = answer?;
    single_answer(result_for(0, &event, outcome))
}

/// Why a delivery or a replay was refused, as the problem the caller gets.
impl From<Refused> for ApiError {
    fn from(r: Refused) -> ApiError {
        match r {
            Refused::NoHook(_) | Refused::NotKept(_) => ApiError::not_found(r.to_string()),
            Refused::Signature(e) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid-signature", "Invalid signature", e.to_string())
            }
            Refused::Unreadable { problem, kept } => {
                let mut p: ApiError = problem.into();
                p.0.detail = format!("{} Kept as {kept}.", p.0.detail);
                p
            }
            Refused::Store(e) => e.into(),
        }
    }
}

/// A hook to set: a shipped mapping or one's own, and the sender's signing secret.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutHookRequest {
    /// A shipped mapping: `stripe`, `shopify` or `zendesk`.
    pub preset: Option<String>,
    /// A mapping in TOML (see README.md), instead of a preset.
    pub mapping: Option<String>,
    /// The signing secret the other system shows (stored sealed, never shown again).
    #[schema(min_length = 8)]
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct HookSummary {
    pub name: String,
    /// The source its events get on the timeline.
    pub source: String,
}

#[utoipa::path(put, path = "/api/v1/hooks/{name}", tag = "events",
    params(("name" = String, Path, description = "The hook's name: lower-case letters, digits, `_`, `-`")),
    request_body = PutHookRequest,
    responses(
        (status = 200, description = "The hook, set", body = HookSummary),
        (status = "4XX", description = "A problem (admins only; a mapping that does not parse says where)", body = Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<PutHookRequest>,
) -> ApiResult<Json<HookSummary>> {
    may_manage_agents(&admin)?;
    let src = match (&req.preset, &req.mapping) {
        (Some(p), None) => PRESETS.iter().find(|(n, _)| n == p).map(|(_, src)| src.to_string()).ok_or_else(|| {
            crate::domain::Invalid::field("preset", format!("no preset `{p}`: use stripe, shopify or zendesk"))
        })?,
        (None, Some(m)) => m.clone(),
        _ => return Err(crate::domain::Invalid::general("give `preset` or `mapping`, one of them").into()),
    };
    let mapping = state.store.put_hook(&name, &src, req.secret.as_bytes()).await.map_err(admin_error)?;
    let name = name.trim().to_lowercase();
    tracing::info!(hook = %name, by = %admin.name, "hook set");
    Ok(Json(HookSummary { name, source: mapping.source }))
}

#[utoipa::path(get, path = "/api/v1/hooks", tag = "events",
    responses(
        (status = 200, description = "Every hook", body = Vec<HookSummary>),
        (status = "4XX", description = "A problem (admins only)", body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, AgentAuth(admin): AgentAuth) -> ApiResult<Json<Vec<HookSummary>>> {
    may_manage_agents(&admin)?;
    let hooks = state.store.hooks().await?;
    Ok(Json(hooks.into_iter().map(|(name, source)| HookSummary { name, source }).collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FailuresQuery {
    /// Only this hook's.
    pub hook: Option<String>,
    /// Replayed ones too.
    pub all: Option<bool>,
}

/// A delivery its mapping could not read, kept.
#[derive(Serialize, ToSchema)]
pub struct HookFailureView {
    pub id: uuid::Uuid,
    pub hook: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// Why it could not be read.
    pub problem: String,
    /// The delivery as received.
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub replayed_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[utoipa::path(get, path = "/api/v1/hook-failures", tag = "events", params(FailuresQuery),
    responses(
        (status = 200, description = "Kept deliveries, newest first (at most 1000)", body = Vec<HookFailureView>),
        (status = "4XX", description = "A problem (admins only)", body = Problem, content_type = "application/problem+json")))]
pub async fn failures(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Query(q): Query<FailuresQuery>,
) -> ApiResult<Json<Vec<HookFailureView>>> {
    may_manage_agents(&admin)?;
    if let Some(h) = q.hook.as_deref().filter(|h| !crate::domain::event::is_valid_name(h)) {
        return Err(ApiError::bad_request(
            "invalid-parameter",
            format!("`hook` = `{}` is not a hook name: lower-case letters, digits, `_`, `-`, `.`", h.escape_debug()),
        ));
    }
    let kept = state.store.hook_failures(q.hook.as_deref(), q.all.unwrap_or(false)).await?;
    Ok(Json(
        kept.into_iter()
            .map(|f| HookFailureView {
                id: f.id,
                hook: f.hook,
                received_at: f.received_at,
                problem: f.problem,
                body: f.body,
                headers: f.headers,
                replayed_at: f.replayed_at,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/hook-failures/{id}/replay", tag = "events",
    params(("id" = uuid::Uuid, Path, description = "A kept delivery")),
    responses(
        (status = 201, description = "Read with the hook's mapping as it is now; its event stored", body = IngestResult),
        (status = 200, description = "Its event was stored before", body = IngestResult),
        (status = "4XX", description = "A problem: not kept (404), still unreadable (422)", body = Problem, content_type = "application/problem+json")))]
pub async fn replay_failure(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(id): Path<uuid::Uuid>,
) -> ApiResult<Response> {
    may_manage_agents(&admin)?;
    let (event, outcome) = replay(&state.store, id).await?;
    single_answer(result_for(0, &event, outcome))
}
