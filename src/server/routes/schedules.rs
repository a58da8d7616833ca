//! Business-hours schedules: every agent reads them (the console counts time left in them);
//! admins set them and say which team or queue keeps which. The arithmetic is
//! `domain::schedule`, the clocks `domain::sla`.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::meta::admin_error;
use crate::domain::agent::may_manage_agents;
use crate::domain::schedule::ScheduleSpec;
use crate::server::extract::{AgentAuth, ApiJson};
use crate::server::problem::{ApiResult, Problem};
use crate::server::AppState;
use crate::store::schedules::Scope;
pub use crate::wire::schedules::ScheduleList;

/// Which schedule a team's (or a queue's) cases keep.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleChoice {
    /// A schedule's name; `null`: none (the calendar).
    #[schema(pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    pub schedule: Option<String>,
}

/// A team or a queue, named in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ScopeName {
    /// Lower-case letters, digits, `_`, `-`, `.`
    #[param(pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    pub name: String,
}

#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules",
    responses(
        (status = 200, description = "The business-hours schedules, with the teams and queues that keep each", body = ScheduleList),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, AgentAuth(_agent): AgentAuth) -> ApiResult<Json<ScheduleList>> {
    Ok(Json(ScheduleList { schedules: state.store.schedules().await? }))
}

#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules", request_body = ScheduleSpec,
    responses(
        (status = 200, description = "The schedule, set (replacing the one of the same name: the teams and queues that keep it keep the new hours, their waiting cases the business time already used)", body = ScheduleSpec),
        (status = "4XX", description = "A problem (admins only; a schedule that does not check says what to fix)", body = Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    ApiJson(spec): ApiJson<ScheduleSpec>,
) -> ApiResult<Json<ScheduleSpec>> {
    may_manage_agents(&admin)?;
    let moved = state.store.put_schedule(&spec).await.map_err(admin_error)?;
    tracing::info!(schedule = %spec.name, by = %admin.name, cases_moved = moved, "schedule set");
    Ok(Json(spec))
}

async fn assign(
    state: &AppState,
    admin: &crate::domain::agent::Agent,
    scope: Scope,
    name: &str,
    choice: ScheduleChoice,
) -> ApiResult<Json<ScheduleChoice>> {
    may_manage_agents(admin)?;
    if let Some(s) = choice.schedule.as_deref() {
        if !state.store.has_schedule(s).await? {
            return Err(crate::server::problem::ApiError::not_found(format!(
                "no schedule named `{}`: POST /api/v1/schedules sets one",
                s.escape_debug()
            )));
        }
    }
    let moved = state.store.assign_schedule(scope, name, choice.schedule.as_deref()).await.map_err(admin_error)?;
    tracing::info!(scope = scope.as_str(), %name, schedule = ?choice.schedule, by = %admin.name, cases_moved = moved, "schedule assigned");
    Ok(Json(choice))
}

#[utoipa::path(put, path = "/api/v1/teams/{name}/schedule", tag = "schedules", params(ScopeName), request_body = ScheduleChoice,
    responses(
        (status = 200, description = "The team's cases are due in these hours from now on; its waiting cases keep the business time already used", body = ScheduleChoice),
        (status = "4XX", description = "A problem (admins only; 404: no such schedule)", body = Problem, content_type = "application/problem+json")))]
pub async fn team(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(ScopeName { name }): Path<ScopeName>,
    ApiJson(choice): ApiJson<ScheduleChoice>,
) -> ApiResult<Json<ScheduleChoice>> {
    assign(&state, &admin, Scope::Team, &name, choice).await
}

/// A queue, named in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct QueueId {
    /// Lower-case letters, digits, `_`, `-`, `.`
    #[param(pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    pub id: String,
}

#[utoipa::path(put, path = "/api/v1/queues/{id}/schedule", tag = "schedules", params(QueueId), request_body = ScheduleChoice,
    responses(
        (status = 200, description = "The queue's cases are due in these hours (over its team's) from now on; its waiting cases keep the business time already used", body = ScheduleChoice),
        (status = "4XX", description = "A problem (admins only; 404: no such schedule)", body = Problem, content_type = "application/problem+json")))]
pub async fn queue(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(QueueId { id }): Path<QueueId>,
    ApiJson(choice): ApiJson<ScheduleChoice>,
) -> ApiResult<Json<ScheduleChoice>> {
    assign(&state, &admin, Scope::Queue, &id, choice).await
}
