//! Liveness, who-am-I, and agent and token management.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::agent::{may_manage_agents, Agent, Principal, Role};
use crate::server::extract::{AgentAuth, ApiJson, Auth};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::store::agents::AdminError;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

#[utoipa::path(get, path = "/healthz", tag = "meta", security(),
    responses((status = 200, description = "The process is up", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    /// `agent` or `ingest`.
    pub kind: String,
    /// The agent, for agent tokens.
    pub agent: Option<Agent>,
    /// The only source an ingest token may post.
    pub source: Option<String>,
    /// This server's identity: the id of its database, the same on every node and under every
    /// address it is reached by. Consoles key their local copies by it.
    pub server_id: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "meta",
    responses(
        (status = 200, description = "Who the token belongs to", body = Me),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn me(State(state): State<AppState>, Auth(p): Auth) -> ApiResult<Json<Me>> {
    let server_id = state.store.feed_id().await?;
    Ok(Json(match p {
        Principal::Agent(a) => Me { kind: "agent".into(), agent: Some(a), source: None, server_id },
        Principal::Ingest { source, .. } => Me { kind: "ingest".into(), agent: None, source: Some(source), server_id },
    }))
}

#[derive(Serialize, ToSchema)]
pub struct AgentList {
    pub agents: Vec<Agent>,
}

#[utoipa::path(get, path = "/api/v1/agents", tag = "meta",
    responses(
        (status = 200, description = "Every agent, by name", body = AgentList),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn list_agents(State(state): State<AppState>, AgentAuth(_agent): AgentAuth) -> ApiResult<Json<AgentList>> {
    Ok(Json(AgentList { agents: state.store.agents().await? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgentRequest {
    /// 1–64 letters, digits, `.`, `_` or `-`.
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub teams: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NewAgentToken {
    pub agent: Agent,
    /// Shown once: it is stored only as a hash.
    pub token: String,
}

pub(crate) fn admin_error(e: AdminError) -> ApiError {
    match e {
        AdminError::Invalid(i) => i.into(),
        AdminError::Exists(name) => ApiError::new(
            StatusCode::CONFLICT,
            "already-exists",
            "Already exists",
            format!("an agent named `{name}` exists already: pick another name"),
        ),
        AdminError::Store(s) => s.into(),
    }
}

#[utoipa::path(post, path = "/api/v1/agents", tag = "meta", request_body = NewAgentRequest,
    responses(
        (status = 201, description = "The agent and its token, shown once", body = NewAgentToken),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn add_agent(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    ApiJson(req): ApiJson<NewAgentRequest>,
) -> ApiResult<(StatusCode, Json<NewAgentToken>)> {
    may_manage_agents(&admin)?;
    let (agent, token) = state.store.add_agent(&req.name, req.role, &req.teams).await.map_err(admin_error)?;
    tracing::info!(agent = %agent.name, by = %admin.name, "agent added");
    Ok((StatusCode::CREATED, Json(NewAgentToken { agent, token })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIngestTokenRequest {
    /// A source name: lower-case letters, digits, `_`, `-`, `.` (e.g. `shop`).
    #[schema(min_length = 1, pattern = r"\S")]
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct NewIngestToken {
    pub source: String,
    /// Shown once: it is stored only as a hash.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/ingest-tokens", tag = "meta", request_body = NewIngestTokenRequest,
    responses(
        (status = 201, description = "A token that may only post events of this source, shown once", body = NewIngestToken),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn add_ingest_token(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    ApiJson(req): ApiJson<NewIngestTokenRequest>,
) -> ApiResult<(StatusCode, Json<NewIngestToken>)> {
    may_manage_agents(&admin)?;
    let token = state.store.add_ingest_token(&req.source).await.map_err(admin_error)?;
    let source = req.source.trim().to_lowercase();
    tracing::info!(%source, by = %admin.name, "ingest token added");
    Ok((StatusCode::CREATED, Json(NewIngestToken { source, token })))
}

/// What to revoke: one token (in clear), or every token of an agent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// A token as it was handed out (`cba_…`, `cbi_…`).
    #[schema(min_length = 1)]
    pub token: Option<String>,
    /// An agent whose tokens are all revoked.
    pub agent_id: Option<uuid::Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct RevokeResult {
    /// How many live tokens were revoked (0: none was live).
    pub revoked: u64,
}

#[utoipa::path(post, path = "/api/v1/tokens/revoke", tag = "meta", request_body = RevokeRequest,
    responses(
        (status = 200, description = "Revoked: refused at once on this node, within 10 s on every other", body = RevokeResult),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> ApiResult<Json<RevokeResult>> {
    may_manage_agents(&admin)?;
    let revoked = match (req.token.as_deref().map(str::trim), req.agent_id) {
        (Some(""), _) => {
            return Err(crate::domain::Invalid::field("token", "is empty: send the token as handed out").into())
        }
        (Some(token), None) => {
            let n = u64::from(state.store.revoke_token(token).await?);
            state.tokens.forget(&crate::store::agents::hash_token(token));
            n
        }
        (None, Some(agent)) => {
            let n = state.store.revoke_agent_tokens(agent).await?;
            state.tokens.forget_agent(agent);
            n
        }
        _ => {
            return Err(crate::domain::Invalid::general(
                "send either `token` (one token, as handed out) or `agent_id` (every token of that agent)",
            )
            .into())
        }
    };
    tracing::info!(by = %admin.name, revoked, "tokens revoked");
    Ok(Json(RevokeResult { revoked }))
}
