//! Team macros: every agent reads them (the console offers them in its macro picker); admins
//! set and remove them. A macro's text and checks are `domain::macros`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::meta::admin_error;
use crate::domain::agent::may_manage_agents;
use crate::domain::macros::Macro;
use crate::server::extract::{AgentAuth, ApiJson};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;

/// A macro, named in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MacroName {
    /// The macro's name: up to 64 lower-case letters, digits, `_`, `-`, `.`
    #[param(pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct MacroList {
    pub macros: Vec<Macro>,
}

#[utoipa::path(get, path = "/api/v1/macros", tag = "macros",
    responses(
        (status = 200, description = "The team's macros, by name", body = MacroList),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, AgentAuth(_agent): AgentAuth) -> ApiResult<Json<MacroList>> {
    Ok(Json(MacroList { macros: state.store.macros().await? }))
}

#[utoipa::path(post, path = "/api/v1/macros", tag = "macros", request_body = Macro,
    responses(
        (status = 200, description = "The macro, set (replacing the one of the same name, if any)", body = Macro),
        (status = "4XX", description = "A problem (admins only; a macro that does not check says what to fix)", body = Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    ApiJson(m): ApiJson<Macro>,
) -> ApiResult<Json<Macro>> {
    may_manage_agents(&admin)?;
    state.store.put_macro(&m).await.map_err(admin_error)?;
    tracing::info!(r#macro = %m.name, by = %admin.name, "macro set");
    Ok(Json(m))
}

#[utoipa::path(delete, path = "/api/v1/macros/{name}", tag = "macros",
    params(MacroName),
    responses(
        (status = 204, description = "Removed"),
        (status = "4XX", description = "A problem (admins only; 404: no such macro)", body = Problem, content_type = "application/problem+json")))]
pub async fn remove(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(MacroName { name }): Path<MacroName>,
) -> ApiResult<StatusCode> {
    may_manage_agents(&admin)?;
    if state.store.remove_macro(&name).await? {
        tracing::info!(r#macro = %name, by = %admin.name, "macro removed");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no macro named `{}`: GET /api/v1/macros lists them", name.escape_debug())))
    }
}
