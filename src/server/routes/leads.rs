//! What team leads use: queues with their figures and each agent's load, a queue's cases with
//! their SLA state, changes to many cases at once (reassign, reprioritise), and the summary
//! report.

use axum::extract::{Path, State};
use axum::Json;
use chrono::Duration;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::casework::{self, PatchCaseRequest};
use crate::domain::agent::may_read_report;
use crate::domain::case::CaseStatus;
use crate::domain::cursor::TimeCursor;
use crate::domain::sla::SlaState;
use crate::domain::time::now;
use crate::domain::Invalid;
use crate::server::extract::{
    parse_assignee, parse_limit, parse_list, parse_time, spaced, AgentAuth, ApiJson, ApiQuery,
};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::store::queues::{QueueCaseFilter, QueueSort};
use crate::store::reports::SummaryReport;
pub use crate::wire::leads::{
    BulkChange, BulkRequest, BulkResponse, BulkResult, BulkStatus, QueueCasePage, QueuesResponse, ReportCases,
    ReportFigure,
};

/// The most cases one bulk request may change.
pub const MAX_BULK: usize = 500;

#[utoipa::path(get, path = "/api/v1/queues", tag = "leads",
    responses(
        (status = 200, description = "Every queue with its waiting cases by status and age, breaches and cases at risk; each agent's load; the SLA policies", body = QueuesResponse),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, AgentAuth(_agent): AgentAuth) -> ApiResult<Json<QueuesResponse>> {
    // Counted once for many readers while nothing changes (`overview_cache`).
    Ok(Json(QueuesResponse::clone(&*state.overview.get(&state.store).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueCasesParams {
    /// Comma-separated statuses, of those the queue shows.
    pub status: Option<String>,
    /// `ok`, `at_risk` or `breached`.
    pub sla: Option<String>,
    /// An agent id, `me`, or `none` for unassigned cases.
    pub assignee: Option<String>,
    /// `age` (oldest first), `due` (nearest resolution due first) or `priority` (most urgent,
    /// then oldest); default: the queue's own.
    pub sort: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

fn bad(name: &str) -> impl Fn(Invalid) -> ApiError + '_ {
    move |e| ApiError::invalid_parameter(name, e.message)
}

#[utoipa::path(get, path = "/api/v1/queues/{id}/cases", tag = "leads", params(("id" = String, Path, description = "The queue id"), QueueCasesParams),
    responses(
        (status = 200, description = "One page of the queue's waiting cases, each with its SLA state", body = QueueCasePage),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn cases(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<QueueCasesParams>,
) -> ApiResult<Json<QueueCasePage>> {
    let queue = state
        .store
        .queue(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no queue `{id}`: GET /api/v1/queues lists them")))?;
    let limit = parse_limit(p.limit.as_deref(), 50, 200)?;
    let statuses: Vec<CaseStatus> = parse_list("status", p.status.as_deref())?;
    let sla = match p.sla.as_deref().map(spaced).filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<SlaState>().map_err(bad("sla"))?),
        None => None,
    };
    let assignee = parse_assignee(p.assignee.as_deref(), agent.id)?;
    let sort = match p.sort.as_deref().map(spaced).filter(|s| !s.is_empty()) {
        Some(s) => s.parse::<QueueSort>().map_err(bad("sort"))?,
        None => queue.sort,
    };
    // A cursor belongs to one queue and one order.
    let tag = format!("queue:{}:{}", queue.id, sort);
    let after = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(TimeCursor::decode(&tag, c).map_err(|e| ApiError::bad_request("invalid-cursor", e.0))?),
        None => None,
    };
    let filter = QueueCaseFilter { statuses, sla, assignee, sort };
    let (cases, next) = state.store.queue_cases(&queue, &filter, limit, after.as_ref(), now()).await?;
    Ok(Json(QueueCasePage { cases, next_cursor: next.map(|c| c.encode(&tag)) }))
}

#[utoipa::path(post, path = "/api/v1/cases/bulk", tag = "leads", request_body = BulkRequest,
    responses(
        (status = 200, description = "Each change on its own: applied, a conflict (with the case as it is now) or rejected (with the reason)", body = BulkResponse),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn bulk(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(req): ApiJson<BulkRequest>,
) -> ApiResult<Json<BulkResponse>> {
    if req.changes.is_empty() || req.changes.len() > MAX_BULK {
        return Err(Invalid::field(
            "changes",
            format!("send 1 to {MAX_BULK} changes (got {}); split a larger batch", req.changes.len()),
        )
        .into());
    }
    let mut results = Vec::with_capacity(req.changes.len());
    for c in req.changes {
        let patch = PatchCaseRequest {
            revision: c.revision,
            status: None,
            priority: c.priority,
            assignee_id: c.assignee_id,
            tags: None,
            queue: None,
        };
        let mut tx = state.store.begin_write().await?;
        let out = casework::change_case(&mut tx, &agent, c.id, patch).await;
        let result = match out {
            Ok(case) => {
                tx.commit().await?;
                BulkResult { id: c.id, status: BulkStatus::Applied, case: Some(case), current: None, problem: None }
            }
            Err(e) => {
                drop(tx);
                let problem = *ApiError::from(e).0;
                let current = problem.current.clone().and_then(|v| serde_json::from_value(v).ok());
                let status = if problem.status == 409 { BulkStatus::Conflict } else { BulkStatus::Rejected };
                BulkResult { id: c.id, status, case: None, current, problem: Some(problem) }
            }
        };
        results.push(result);
    }
    Ok(Json(BulkResponse { results }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// RFC 3339; default: 7 days before `to`.
    pub from: Option<String>,
    /// RFC 3339, exclusive; default: now.
    pub to: Option<String>,
    /// One team; default: the lead's teams (every team for an admin).
    pub team: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "leads", params(ReportParams),
    responses(
        (status = 200, description = "The period's figures: in total, per queue, per agent", body = SummaryReport),
        (status = 403, description = "Agents, and leads asking for another team", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn summary(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Json<SummaryReport>> {
    let Period { teams, from, to, at } = report_period(&agent, &p)?;
    Ok(Json(state.store.summary_report(from, to, &teams, at).await?))
}

/// A report's teams, its period (`from`, `to`) and when it is read.
struct Period {
    teams: Vec<String>,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    at: chrono::DateTime<chrono::Utc>,
}

/// Who may read which report, and its period.
fn report_period(agent: &crate::domain::agent::Agent, p: &ReportParams) -> Result<Period, ApiError> {
    let teams = may_read_report(agent, p.team.as_deref().map(str::trim).filter(|t| !t.is_empty()))?;
    let at = now();
    let to = parse_time("to", p.to.as_deref())?.unwrap_or(at);
    let from = parse_time("from", p.from.as_deref())?.unwrap_or(to - Duration::days(7));
    if from >= to {
        return Err(ApiError::invalid_parameter("from", "must be before `to`"));
    }
    if to - from > Duration::days(366) {
        return Err(ApiError::invalid_parameter("from", "a report covers at most 366 days: ask for a shorter period"));
    }
    Ok(Period { teams, from, to, at })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillParams {
    /// RFC 3339; default: 7 days before `to`.
    pub from: Option<String>,
    /// RFC 3339, exclusive; default: now.
    pub to: Option<String>,
    /// One team; default: the lead's teams (every team for an admin).
    pub team: Option<String>,
    /// `opened`, `resolved`, `breached`, `root_cause`, `contact_reason` or `outcome`.
    pub figure: String,
    /// The root cause, contact reason or outcome, for those figures (as the report names it);
    /// left out, all of them.
    pub key: Option<String>,
    /// Only this queue's cases (a row of the report's queues).
    pub queue: Option<String>,
    /// Only this agent's cases (a row of the report's agents); `none`: nobody's.
    pub agent: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/cases", tag = "leads", params(DrillParams),
    responses(
        (status = 200, description = "The cases behind a figure of the report: exactly those it counts, newest first (up to 500)", body = ReportCases),
        (status = 403, description = "Agents, and leads asking for another team", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn drill(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiQuery(p): ApiQuery<DrillParams>,
) -> ApiResult<Json<ReportCases>> {
    let period = ReportParams { from: p.from.clone(), to: p.to.clone(), team: p.team.clone() };
    let Period { teams, from, to, at } = report_period(&agent, &period)?;
    let figure =
        p.figure.trim().parse::<ReportFigure>().map_err(|e| ApiError::invalid_parameter("figure", e.message))?;
    // Without a key, a ranking's figure is all its cases (every root cause, reason, outcome).
    let key = p.key.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let agent_id = match p.agent.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some("none") => Some(String::new()),
        Some(a) => Some(crate::server::extract::parse_id("agent", a)?.to_string()),
        None => None,
    };
    let queue = p.queue.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let (cases, total) =
        state.store.report_cases(from, to, &teams, figure, key, queue, agent_id.as_deref(), at).await?;
    Ok(Json(ReportCases { cases, total }))
}
