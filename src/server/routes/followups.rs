//! Follow-up tasks: create, list, read, change (with the revision read).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::casework::{self, NewFollowUpRequest, PatchFollowUpRequest};
use crate::domain::cursor::TimeCursor;
use crate::domain::followup::{FollowUp, FollowUpStatus};
use crate::domain::new_id;
use crate::server::extract::{
    parse_id, parse_limit, parse_list, parse_optional_id, parse_time, spaced, AgentAuth, ApiJson, ApiQuery,
};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::{in_transaction, AppState};
use crate::store::followups::FollowUpFilter;

const FOLLOWUPS_CURSOR: &str = "followups";

#[utoipa::path(post, path = "/api/v1/followups", tag = "followups", request_body = NewFollowUpRequest,
    responses(
        (status = 201, description = "The new follow-up", body = FollowUp),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(req): ApiJson<NewFollowUpRequest>,
) -> ApiResult<(StatusCode, Json<FollowUp>)> {
    let f = in_transaction!(state.store, tx => casework::create_followup(&mut tx, &agent, new_id(), req));
    Ok((StatusCode::CREATED, Json(f)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpListParams {
    /// An agent id or `me`; default: everyone's.
    pub assignee: Option<String>,
    /// Comma-separated: `open`, `done`, `cancelled`.
    pub status: Option<String>,
    pub customer_id: Option<String>,
    pub case_id: Option<String>,
    /// Only those due before this RFC 3339 time.
    pub due_before: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FollowUpPage {
    /// Soonest due first.
    pub followups: Vec<FollowUp>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/followups", tag = "followups", params(FollowUpListParams),
    responses(
        (status = 200, description = "Follow-ups, soonest due first", body = FollowUpPage),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiQuery(p): ApiQuery<FollowUpListParams>,
) -> ApiResult<Json<FollowUpPage>> {
    let limit = parse_limit(p.limit.as_deref(), 50, 200)?;
    let assignee = match p.assignee.as_deref().map(spaced) {
        Some("me") => Some(agent.id),
        other => parse_optional_id("assignee", other)?,
    };
    let filter = FollowUpFilter {
        assignee,
        statuses: parse_list::<FollowUpStatus>("status", p.status.as_deref())?,
        customer_id: parse_optional_id("customer_id", p.customer_id.as_deref())?,
        case_id: parse_optional_id("case_id", p.case_id.as_deref())?,
        due_before: parse_time("due_before", p.due_before.as_deref())?,
    };
    let after = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            Some(TimeCursor::decode(FOLLOWUPS_CURSOR, c).map_err(|e| ApiError::bad_request("invalid-cursor", e.0))?)
        }
        None => None,
    };
    let (followups, next) = state.store.list_followups(&filter, limit, after.as_ref()).await?;
    Ok(Json(FollowUpPage { followups, next_cursor: next.map(|c| c.encode(FOLLOWUPS_CURSOR)) }))
}

async fn load(state: &AppState, raw: &str) -> ApiResult<FollowUp> {
    let id = parse_id("follow-up", raw)?;
    state.store.followup(id).await?.ok_or_else(|| ApiError::not_found(format!("no follow-up with id {id}")))
}

#[utoipa::path(get, path = "/api/v1/followups/{id}", tag = "followups",
    params(("id" = Uuid, Path, description = "The follow-up id")),
    responses(
        (status = 200, description = "The follow-up", body = FollowUp),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(raw): Path<String>,
) -> ApiResult<Json<FollowUp>> {
    Ok(Json(load(&state, &raw).await?))
}

#[utoipa::path(patch, path = "/api/v1/followups/{id}", tag = "followups", request_body = PatchFollowUpRequest,
    params(("id" = Uuid, Path, description = "The follow-up id")),
    responses(
        (status = 200, description = "The follow-up as changed", body = FollowUp),
        (status = 409, description = "Stale revision: `current` holds the follow-up as it is now", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(raw): Path<String>,
    ApiJson(req): ApiJson<PatchFollowUpRequest>,
) -> ApiResult<Json<FollowUp>> {
    let id = parse_id("follow-up", &raw)?;
    Ok(Json(in_transaction!(state.store, tx => casework::change_followup(&mut tx, &agent, id, req))))
}
