//! Cases: create, list, read, change fields (with the revision read), notes, RASA steps and
//! the resolution.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::casework::{self, NewCaseRequest, NewNoteRequest, PatchCaseRequest, RasaStepRequest};
use crate::domain::case::{Case, CaseDetail, Note, ResolutionInput};
use crate::domain::cursor::TimeCursor;
use crate::domain::new_id;
use crate::domain::rasa::{Checklist, RasaStep};
use crate::domain::Invalid;
use crate::server::extract::{
    parse_assignee, parse_id, parse_limit, parse_list, parse_optional_id, AgentAuth, ApiJson, ApiQuery,
};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::{in_transaction, AppState};
use crate::store::cases::CaseFilter;
pub use crate::wire::presence::PresenceResponse;

const CASES_CURSOR: &str = "cases";

#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCaseRequest,
    responses(
        (status = 201, description = "The new case", body = Case),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(req): ApiJson<NewCaseRequest>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    let case = in_transaction!(state.store, tx => casework::open_case(&mut tx, &agent, new_id(), req));
    Ok((StatusCode::CREATED, Json(case)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseListParams {
    /// Comma-separated statuses, e.g. `new,open`.
    pub status: Option<String>,
    /// Comma-separated priorities.
    pub priority: Option<String>,
    /// An agent id, `me`, or `none` for unassigned cases.
    pub assignee: Option<String>,
    pub customer_id: Option<String>,
    pub queue: Option<String>,
    pub team: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CasePage {
    /// Newest first.
    pub cases: Vec<Case>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseListParams),
    responses(
        (status = 200, description = "Cases, newest first", body = CasePage),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiQuery(p): ApiQuery<CaseListParams>,
) -> ApiResult<Json<CasePage>> {
    let limit = parse_limit(p.limit.as_deref(), 50, 200)?;
    let assignee = parse_assignee(p.assignee.as_deref(), agent.id)?;
    let customer_id = parse_optional_id("customer_id", p.customer_id.as_deref())?;
    let filter = CaseFilter {
        statuses: parse_list("status", p.status.as_deref())?,
        priorities: parse_list("priority", p.priority.as_deref())?,
        assignee,
        customer_id,
        queue: p.queue.filter(|s| !s.is_empty()),
        team: p.team.filter(|s| !s.is_empty()),
    };
    let after = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(TimeCursor::decode(CASES_CURSOR, c).map_err(|e| ApiError::bad_request("invalid-cursor", e.0))?),
        None => None,
    };
    let (cases, next) = state.store.list_cases(&filter, limit, after.as_ref()).await?;
    Ok(Json(CasePage { cases, next_cursor: next.map(|c| c.encode(CASES_CURSOR)) }))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = Uuid, Path, description = "The case id")),
    responses(
        (status = 200, description = "The case with its notes, RASA checklist and follow-ups", body = CaseDetail),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(raw): Path<String>,
) -> ApiResult<Json<CaseDetail>> {
    let id = parse_id("case", &raw)?;
    state
        .store
        .case_detail(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no case with id {id}: list cases with GET /api/v1/cases")))
}

#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "cases", request_body = PatchCaseRequest,
    params(("id" = Uuid, Path, description = "The case id")),
    responses(
        (status = 200, description = "The case as changed", body = Case),
        (status = 409, description = "Stale revision: `current` holds the case as it is now", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(raw): Path<String>,
    ApiJson(req): ApiJson<PatchCaseRequest>,
) -> ApiResult<Json<Case>> {
    let id = parse_id("case", &raw)?;
    Ok(Json(in_transaction!(state.store, tx => casework::change_case(&mut tx, &agent, id, req))))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "cases", request_body = NewNoteRequest,
    params(("id" = Uuid, Path, description = "The case id")),
    responses(
        (status = 201, description = "The note, appended", body = Note),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn add_note(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(raw): Path<String>,
    ApiJson(req): ApiJson<NewNoteRequest>,
) -> ApiResult<(StatusCode, Json<Note>)> {
    let id = parse_id("case", &raw)?;
    let note = in_transaction!(state.store, tx => casework::add_note(&mut tx, &agent, id, new_id(), req));
    Ok((StatusCode::CREATED, Json(note)))
}

#[utoipa::path(put, path = "/api/v1/cases/{id}/rasa/{step}", tag = "cases", request_body = RasaStepRequest,
    params(("id" = Uuid, Path, description = "The case id"), ("step" = RasaStep, Path, description = "receive, appreciate, summarize or ask")),
    responses(
        (status = 200, description = "The checklist after the change", body = Checklist),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn put_rasa_step(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path((raw, step)): Path<(String, String)>,
    ApiJson(req): ApiJson<RasaStepRequest>,
) -> ApiResult<Json<Checklist>> {
    let id = parse_id("case", &raw)?;
    let step: RasaStep = step.parse().map_err(|e: Invalid| ApiError::not_found(e.message))?;
    Ok(Json(in_transaction!(state.store, tx => casework::set_rasa_step(&mut tx, &agent, id, new_id(), step, req))))
}

#[utoipa::path(put, path = "/api/v1/cases/{id}/resolution", tag = "cases", request_body = ResolutionInput,
    params(("id" = Uuid, Path, description = "The case id")),
    responses(
        (status = 200, description = "The case, resolved", body = Case),
        (status = 409, description = "Stale revision: `current` holds the case as it is now", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn put_resolution(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(raw): Path<String>,
    ApiJson(req): ApiJson<ResolutionInput>,
) -> ApiResult<Json<Case>> {
    let id = parse_id("case", &raw)?;
    Ok(Json(in_transaction!(state.store, tx => casework::resolve_case(&mut tx, &agent, id, req))))
}

#[utoipa::path(put, path = "/api/v1/cases/{id}/presence", tag = "cases",
    params(("id" = Uuid, Path, description = "The case id")),
    responses(
        (status = 200, description = "Recorded that the caller has the case open (send every ~10 s while it is); the others who have it open", body = PresenceResponse),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn put_presence(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(raw): Path<String>,
) -> ApiResult<Json<PresenceResponse>> {
    let id = parse_id("case", &raw)?;
    if state.store.case(id).await?.is_none() {
        return Err(ApiError::not_found(format!("no case with id {id} (a case opened offline is here once synced)")));
    }
    Ok(Json(PresenceResponse { present: state.store.heartbeat(id, agent.id).await? }))
}

#[utoipa::path(delete, path = "/api/v1/cases/{id}/presence", tag = "cases",
    params(("id" = Uuid, Path, description = "The case id")),
    responses(
        (status = 204, description = "The caller no longer has the case open"),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_presence(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id("case", &raw)?;
    state.store.leave(id, agent.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
