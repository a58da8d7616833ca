//! Follow-up tasks: create, list, read, change (with the revision read).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::agent::{may_assign_followup, may_change_followup};
use crate::domain::case::Channel;
use crate::domain::cursor::TimeCursor;
use crate::domain::followup::{FollowUp, FollowUpStatus, MAX_FOLLOWUP_NOTE_CHARS};
use crate::domain::time::parse_rfc3339;
use crate::domain::{optional_text, Invalid};
use crate::server::extract::{parse_id, parse_limit, AgentAuth, ApiJson, ApiQuery};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::routes::cases::check_agent_exists;
use crate::server::AppState;
use crate::store::cases::Cas;
use crate::store::followups::{FollowUpChanges, FollowUpFilter, NewFollowUp};

const FOLLOWUPS_CURSOR: &str = "followups";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFollowUpRequest {
    /// The case it follows up; its customer is the follow-up's customer.
    pub case_id: Option<Uuid>,
    /// Needed when there is no case.
    pub customer_id: Option<Uuid>,
    /// Default: the creator.
    pub assignee_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    /// Default `phone`.
    pub channel: Option<Channel>,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/followups", tag = "followups", request_body = NewFollowUpRequest,
    responses(
        (status = 201, description = "The new follow-up", body = FollowUp),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(req): ApiJson<NewFollowUpRequest>,
) -> ApiResult<(StatusCode, Json<FollowUp>)> {
    let customer_id = match (req.case_id, req.customer_id) {
        (Some(case_id), given) => {
            let case = state
                .store
                .case(case_id)
                .await?
                .ok_or_else(|| Invalid::field("case_id", format!("no case with id {case_id}")))?;
            if given.is_some_and(|c| c != case.customer_id) {
                return Err(Invalid::field("customer_id", "is not the customer of that case: leave it out").into());
            }
            case.customer_id
        }
        (None, Some(c)) => {
            state
                .store
                .customer(c)
                .await?
                .ok_or_else(|| Invalid::field("customer_id", format!("no customer with id {c}")))?;
            c
        }
        (None, None) => return Err(Invalid::general("a follow-up needs a case_id or a customer_id").into()),
    };
    let assignee_id = req.assignee_id.unwrap_or(agent.id);
    may_assign_followup(&agent, assignee_id)?;
    check_agent_exists(&state, "assignee_id", assignee_id).await?;
    let note = optional_text("note", &req.note, MAX_FOLLOWUP_NOTE_CHARS)?.unwrap_or_default();
    let f = state
        .store
        .create_followup(
            NewFollowUp {
                customer_id,
                case_id: req.case_id,
                assignee_id,
                due_at: crate::domain::time::from_micros(req.due_at.timestamp_micros()),
                channel: req.channel.unwrap_or(Channel::Phone),
                note,
            },
            &agent,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

#[derive(Deserialize, IntoParams)]
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

fn param_id(name: &str, raw: Option<&str>) -> ApiResult<Option<Uuid>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            s.parse().map(Some).map_err(|_| ApiError::invalid_parameter(name, format!("`{s}` is not a casebook id")))
        }
    }
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
    let assignee = match p.assignee.as_deref().map(str::trim) {
        Some("me") => Some(agent.id),
        other => param_id("assignee", other)?,
    };
    let statuses = p
        .status
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<FollowUpStatus>().map_err(|e| ApiError::invalid_parameter("status", e.message)))
        .collect::<ApiResult<Vec<_>>>()?;
    let due_before = match p.due_before.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            parse_rfc3339(s)
                .ok_or_else(|| ApiError::invalid_parameter("due_before", format!("`{s}` is not an RFC 3339 time")))?,
        ),
    };
    let filter = FollowUpFilter {
        assignee,
        statuses,
        customer_id: param_id("customer_id", p.customer_id.as_deref())?,
        case_id: param_id("case_id", p.case_id.as_deref())?,
        due_before,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchFollowUpRequest {
    /// The revision you read; a stale one gets 409 with the current follow-up.
    pub revision: i64,
    pub status: Option<FollowUpStatus>,
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub channel: Option<Channel>,
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
    let f = load(&state, &raw).await?;
    let stale = |current: &FollowUp| {
        ApiError::conflict(
            format!(
                "the follow-up changed since you read it (you sent revision {}, it is now at {}): `current` holds it as it is now; reapply your change and send its revision",
                req.revision, current.revision
            ),
            current,
        )
    };
    if req.revision != f.revision {
        return Err(stale(&f));
    }
    may_change_followup(&agent, f.assignee_id, f.created_by)?;
    if let Some(a) = req.assignee_id {
        may_assign_followup(&agent, a)?;
        check_agent_exists(&state, "assignee_id", a).await?;
    }
    let note = match &req.note {
        Some(n) => Some(optional_text("note", n, MAX_FOLLOWUP_NOTE_CHARS)?.unwrap_or_default()),
        None => None,
    };
    let changes = FollowUpChanges {
        status: req.status,
        due_at: req.due_at.map(|d| crate::domain::time::from_micros(d.timestamp_micros())),
        note,
        assignee_id: req.assignee_id,
        channel: req.channel,
    };
    if changes.status.is_none()
        && changes.due_at.is_none()
        && changes.note.is_none()
        && changes.assignee_id.is_none()
        && changes.channel.is_none()
    {
        return Err(Invalid::general(
            "nothing to change: send status, due_at, note, assignee_id or channel with the revision",
        )
        .into());
    }
    match state.store.update_followup(&f, &changes, &agent).await? {
        Cas::Applied(x) => Ok(Json(x)),
        Cas::Stale(current) => Err(stale(&current)),
        Cas::NotFound => Err(ApiError::not_found(format!("no follow-up with id {}", f.id))),
    }
}
