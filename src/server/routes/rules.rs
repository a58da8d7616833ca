//! Rules, for admins: list them, set one (its TOML checked first), turn it on or off, remove
//! it, read the log of its firings, and try it over past events without acting (a dry run).
//! The rules themselves are `domain::rules`; firing them is `casework::rules`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::meta::admin_error;
use crate::casework::rules::dry_run;
use crate::domain::agent::may_manage_agents;
use crate::domain::time::{now, parse_span};
use crate::server::extract::{AgentAuth, ApiJson};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::wire::rules::{DryRun, PatchRule, PutRule, RuleFiring, RuleView};

/// A rule, named in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RuleName {
    /// The rule's name: up to 64 lower-case letters, digits, `_`, `-`, `.`
    #[param(pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    pub name: String,
}

fn no_rule(name: &str) -> ApiError {
    ApiError::not_found(format!("no rule named `{}`: GET /api/v1/rules lists them", name.escape_debug()))
}

#[utoipa::path(get, path = "/api/v1/rules", tag = "rules",
    responses(
        (status = 200, description = "Every rule: the stored ones and the built-in ones nobody stored, by name", body = Vec<RuleView>),
        (status = "4XX", description = "A problem (admins only)", body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, AgentAuth(admin): AgentAuth) -> ApiResult<Json<Vec<RuleView>>> {
    may_manage_agents(&admin)?;
    Ok(Json(state.store.rules().await?.iter().map(|r| r.view()).collect()))
}

#[utoipa::path(get, path = "/api/v1/rules/{name}", tag = "rules",
    params(RuleName),
    responses(
        (status = 200, description = "The rule", body = RuleView),
        (status = "4XX", description = "A problem (admins only; 404: no such rule)", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(RuleName { name }): Path<RuleName>,
) -> ApiResult<Json<RuleView>> {
    may_manage_agents(&admin)?;
    state.store.rule(&name).await?.map(|r| Json(r.view())).ok_or_else(|| no_rule(&name))
}

#[utoipa::path(put, path = "/api/v1/rules/{name}", tag = "rules", request_body = PutRule,
    params(RuleName),
    responses(
        (status = 200, description = "The rule, set (a new rule is off unless `enabled` says otherwise)", body = RuleView),
        (status = "4XX", description = "A problem (admins only; a definition that does not check says what to fix)", body = Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(RuleName { name }): Path<RuleName>,
    ApiJson(req): ApiJson<PutRule>,
) -> ApiResult<Json<RuleView>> {
    may_manage_agents(&admin)?;
    let rule = state.store.put_rule(&name, &req.definition, req.enabled).await.map_err(admin_error)?;
    tracing::info!(rule = %rule.name, enabled = rule.enabled, by = %admin.name, "rule set");
    Ok(Json(rule.view()))
}

#[utoipa::path(patch, path = "/api/v1/rules/{name}", tag = "rules", request_body = PatchRule,
    params(RuleName),
    responses(
        (status = 200, description = "The rule, on or off (a built-in rule is stored the first time)", body = RuleView),
        (status = "4XX", description = "A problem (admins only; 404: no such rule)", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(RuleName { name }): Path<RuleName>,
    ApiJson(req): ApiJson<PatchRule>,
) -> ApiResult<Json<RuleView>> {
    may_manage_agents(&admin)?;
    let rule =
        state.store.set_rule_enabled(&name, req.enabled).await.map_err(admin_error)?.ok_or_else(|| no_rule(&name))?;
    tracing::info!(rule = %rule.name, enabled = rule.enabled, by = %admin.name, "rule turned {}", if rule.enabled { "on" } else { "off" });
    Ok(Json(rule.view()))
}

#[utoipa::path(delete, path = "/api/v1/rules/{name}", tag = "rules",
    params(RuleName),
    responses(
        (status = 204, description = "Removed (a built-in rule goes back to off); its firings stay in the log"),
        (status = "4XX", description = "A problem (admins only; 404: not stored)", body = Problem, content_type = "application/problem+json")))]
pub async fn remove(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(RuleName { name }): Path<RuleName>,
) -> ApiResult<StatusCode> {
    may_manage_agents(&admin)?;
    if state.store.remove_rule(&name).await? {
        tracing::info!(rule = %name, by = %admin.name, "rule removed");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_rule(&name))
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiringsQuery {
    /// How many, newest first (1–1000; 50 unless given).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/rules/{name}/firings", tag = "rules",
    params(RuleName, FiringsQuery),
    responses(
        (status = 200, description = "The times it fired and what it did, newest first", body = Vec<RuleFiring>),
        (status = "4XX", description = "A problem (admins only; 404: no such rule, and no log of one)", body = Problem, content_type = "application/problem+json")))]
pub async fn firings(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(RuleName { name }): Path<RuleName>,
    Query(q): Query<FiringsQuery>,
) -> ApiResult<Json<Vec<RuleFiring>>> {
    may_manage_agents(&admin)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("invalid-parameter", format!("`limit` = {limit}: give 1 to 1000")));
    }
    let log = state.store.rule_firings(&name, limit).await?;
    // A removed rule's log stays readable; a name that never was a rule is not found.
    if log.is_empty() && state.store.rule(&name).await?.is_none() {
        return Err(no_rule(&name));
    }
    Ok(Json(log))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TestQuery {
    /// How far back to look: `90s`, `30m`, `1h`, `7d`, `2w` (30d unless given; at most ten years).
    #[param(pattern = r"^\s*([1-9][0-9]{0,5}[sm]|[1-9][0-9]{0,3}h|[1-9][0-9]{0,2}d|[1-9][0-9]?w)\s*$")]
    pub since: Option<String>,
    /// How many of the events that would fire it to list (0–500; 20 unless given). All are counted.
    #[param(minimum = 0, maximum = 500)]
    pub show: Option<u32>,
}

#[utoipa::path(post, path = "/api/v1/rules/{name}/test", tag = "rules",
    params(RuleName, TestQuery),
    responses(
        (status = 200, description = "Which past events would have fired it and what it would have done; nothing written", body = DryRun),
        (status = "4XX", description = "A problem (admins only; 404: no such rule; 400: a span it cannot read)", body = Problem, content_type = "application/problem+json")))]
pub async fn test(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(RuleName { name }): Path<RuleName>,
    Query(q): Query<TestQuery>,
) -> ApiResult<Json<DryRun>> {
    may_manage_agents(&admin)?;
    let span = parse_span(q.since.as_deref().unwrap_or("30d"))
        .map_err(|e| ApiError::bad_request("invalid-parameter", format!("`since`: {e}")))?;
    let show = q.show.unwrap_or(20);
    if show > 500 {
        return Err(ApiError::bad_request("invalid-parameter", format!("`show` = {show}: give 0 to 500")));
    }
    let stored = state.store.rule(&name).await?.ok_or_else(|| no_rule(&name))?;
    let rule = stored.rule.as_ref().map_err(|e| {
        ApiError::new(
            StatusCode::CONFLICT,
            "state-conflict",
            "Not possible now",
            format!("rule `{}` does not read: {e}; set it again with PUT /api/v1/rules/{}", stored.name, stored.name),
        )
    })?;
    Ok(Json(dry_run(&state.store, &stored.name, rule, now() - span, show as usize).await?))
}
