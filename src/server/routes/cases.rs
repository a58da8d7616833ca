//! Cases: create, list, read, change fields (with the revision read), notes, RASA steps and
//! the resolution.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::agent::{may_assign, may_open_case_for, may_reprioritise, may_work_case, Agent};
use crate::domain::case::{
    check_transition, validate_resolution, Case, CaseDetail, CaseStatus, Channel, Note, NoteVisibility, Priority,
    Resolution, ResolutionInput, MAX_NOTE_CHARS, MAX_SUBJECT_CHARS,
};
use crate::domain::cursor::TimeCursor;
use crate::domain::event::is_valid_name;
use crate::domain::rasa::{Checklist, RasaStep, MAX_STEP_NOTES_CHARS};
use crate::domain::time::now;
use crate::domain::{optional_text, required_text, Invalid};
use crate::server::extract::{parse_id, parse_limit, AgentAuth, ApiJson, ApiQuery};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::store::cases::{Cas, CaseChanges, CaseFilter, NewCase};

const CASES_CURSOR: &str = "cases";

/// Distinguishes a field left out (`None`) from one set to null (`Some(None)`).
pub(crate) fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub(crate) async fn load_case(state: &AppState, raw_id: &str) -> ApiResult<Case> {
    let id = parse_id("case", raw_id)?;
    state
        .store
        .case(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no case with id {id}: list cases with GET /api/v1/cases")))
}

pub(crate) async fn check_agent_exists(state: &AppState, field: &'static str, id: Uuid) -> ApiResult<Agent> {
    state
        .store
        .agent(id)
        .await?
        .ok_or_else(|| Invalid::field(field, format!("no agent with id {id}: GET /api/v1/agents lists them")).into())
}

fn stale(what: &str, read: i64, current: &impl Serialize, current_revision: i64) -> ApiError {
    ApiError::conflict(
        format!(
            "the {what} changed since you read it (you sent revision {read}, it is now at {current_revision}): `current` holds it as it is now; reapply your change to it and send its revision"
        ),
        current,
    )
}

fn parse_list<T: std::str::FromStr<Err = Invalid>>(name: &str, raw: Option<&str>) -> ApiResult<Vec<T>> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|e| ApiError::invalid_parameter(name, e.message)))
        .collect()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseRequest {
    pub customer_id: Uuid,
    pub subject: String,
    /// Default `phone`.
    pub channel: Option<Channel>,
    /// Default `normal`.
    pub priority: Option<Priority>,
    /// Default `general`.
    pub queue: Option<String>,
    /// Default: the creator's first team, else `support`.
    pub team: Option<String>,
    /// Default: the creator. `null` leaves the case unassigned.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// `new` (default), `open` or `pending`.
    pub status: Option<CaseStatus>,
}

#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCaseRequest,
    responses(
        (status = 201, description = "The new case", body = Case),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(req): ApiJson<NewCaseRequest>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    let subject = required_text("subject", &req.subject, MAX_SUBJECT_CHARS)?;
    let name = |field: &'static str, v: Option<String>, default: String| -> ApiResult<String> {
        let v = v.map(|s| s.trim().to_lowercase()).unwrap_or(default);
        if is_valid_name(&v) {
            Ok(v)
        } else {
            Err(Invalid::field(field, format!("`{v}` is not a valid name: use lower-case letters, digits, `_`, `-`"))
                .into())
        }
    };
    let queue = name("queue", req.queue, "general".into())?;
    let team = name("team", req.team, agent.teams.first().cloned().unwrap_or_else(|| "support".into()))?;
    let status = req.status.unwrap_or(CaseStatus::New);
    if !status.is_active() {
        return Err(Invalid::field("status", "a new case is `new`, `open` or `pending`; resolve it afterwards").into());
    }
    let assignee_id = req.assignee_id.unwrap_or(Some(agent.id));
    may_open_case_for(&agent, assignee_id)?;
    if let Some(a) = assignee_id {
        check_agent_exists(&state, "assignee_id", a).await?;
    }
    let customer = state
        .store
        .customer(req.customer_id)
        .await?
        .ok_or_else(|| Invalid::field("customer_id", format!("no customer with id {}", req.customer_id)))?;
    let case = state
        .store
        .create_case(
            NewCase {
                customer_id: customer.id,
                subject,
                channel: req.channel.unwrap_or(Channel::Phone),
                priority: req.priority.unwrap_or(Priority::Normal),
                queue,
                team,
                assignee_id,
                status,
            },
            &agent,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(case)))
}

#[derive(Deserialize, IntoParams)]
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
    let assignee = match p.assignee.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("me") => Some(Some(agent.id)),
        Some("none") => Some(None),
        Some(other) => Some(Some(other.parse::<Uuid>().map_err(|_| {
            ApiError::invalid_parameter("assignee", format!("`{other}` is not an agent id, `me` or `none`"))
        })?)),
    };
    let customer_id = match p.customer_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse::<Uuid>()
                .map_err(|_| ApiError::invalid_parameter("customer_id", format!("`{c}` is not a customer id")))?,
        ),
    };
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCaseRequest {
    /// The revision you read; a stale one gets 409 with the current case.
    pub revision: i64,
    pub status: Option<CaseStatus>,
    pub priority: Option<Priority>,
    /// An agent id, or `null` to unassign.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
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
    let case = load_case(&state, &raw).await?;
    if req.revision != case.revision {
        return Err(stale("case", req.revision, &case, case.revision));
    }
    if req.status.is_none() && req.priority.is_none() && req.assignee_id.is_none() {
        return Err(
            Invalid::general("nothing to change: send status, priority or assignee_id with the revision").into()
        );
    }
    if let Some(s) = req.status {
        may_work_case(&agent, &case)?;
        check_transition(case.status, s, case.resolution.is_some())?;
    }
    if req.priority.is_some_and(|p| p != case.priority) {
        may_reprioritise(&agent, &case)?;
    }
    if let Some(a) = req.assignee_id {
        may_assign(&agent, &case, a)?;
        if let Some(a) = a {
            check_agent_exists(&state, "assignee_id", a).await?;
        }
    }
    let changes = CaseChanges { status: req.status, priority: req.priority, assignee_id: req.assignee_id };
    match state.store.update_case(&case, &changes, &agent).await? {
        Cas::Applied(c) => Ok(Json(c)),
        Cas::Stale(current) => Err(stale("case", req.revision, &current, current.revision)),
        Cas::NotFound => Err(ApiError::not_found(format!("no case with id {}", case.id))),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNoteRequest {
    pub body: String,
    /// Default `internal`.
    pub visibility: Option<NoteVisibility>,
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
    let case = load_case(&state, &raw).await?;
    let body = required_text("body", &req.body, MAX_NOTE_CHARS)?;
    let note = state.store.add_note(&case, body, req.visibility.unwrap_or_default(), &agent).await?;
    Ok((StatusCode::CREATED, Json(note)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RasaStepRequest {
    /// The step's notes as they now stand.
    #[serde(default)]
    pub notes: String,
    /// Whether the step is done.
    #[serde(default)]
    pub done: bool,
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
    let case = load_case(&state, &raw).await?;
    let step: RasaStep = step.parse().map_err(|e: Invalid| ApiError::not_found(e.message))?;
    may_work_case(&agent, &case)?;
    let notes = optional_text("notes", &req.notes, MAX_STEP_NOTES_CHARS)?.unwrap_or_default();
    Ok(Json(state.store.add_rasa_entry(&case, step, notes, req.done, &agent).await?))
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
    let case = load_case(&state, &raw).await?;
    if req.revision != case.revision {
        return Err(stale("case", req.revision, &case, case.revision));
    }
    may_work_case(&agent, &case)?;
    let checklist = state.store.checklist(case.id).await?;
    let (summary, root_cause, reason, status) = validate_resolution(&req, &checklist)?;
    if case.status != status {
        check_transition(case.status, status, true)?;
    }
    let resolution = Resolution {
        summary,
        root_cause,
        outcome: req.outcome,
        rasa_incomplete_reason: reason,
        resolved_by: agent.id,
        resolved_at: now(),
    };
    match state.store.resolve_case(&case, resolution, status, &agent).await? {
        Cas::Applied(c) => Ok(Json(c)),
        Cas::Stale(current) => Err(stale("case", req.revision, &current, current.revision)),
        Cas::NotFound => Err(ApiError::not_found(format!("no case with id {}", case.id))),
    }
}
