//! Offline sync: operations pushed by offline consoles, and the change feed they pull to keep
//! their copy of case work current.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::casework::pushed::apply_all;
use crate::domain::cursor::FeedCursor;
use crate::server::extract::{parse_limit, AgentAuth, ApiJsonItems, ApiQuery};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::store::changes::PullError;
use crate::wire::sync::OpStatus;
use crate::wire::sync::{PullPage, PushRequest, PushResponse};

const CHANGES_CURSOR: &str = "changes";

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullParams {
    /// `next_cursor` of the previous pull; absent to start from the beginning.
    pub cursor: Option<String>,
    /// 1 to 1000, default 500.
    pub limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "sync", params(PullParams),
    responses(
        (status = 200, description = "The next changes to cases, notes, RASA entries and follow-ups, in commit order; a cursor never skips a change", body = PullPage),
        (status = 410, description = "The cursor is not from this server's feed (its database was replaced or restored from a backup): rebuild the local copy from the start, keeping the outbox", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn pull(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    ApiQuery(p): ApiQuery<PullParams>,
) -> ApiResult<Json<PullPage>> {
    let limit = parse_limit(p.limit.as_deref(), 500, 1000)?;
    let from = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            Some(FeedCursor::decode(CHANGES_CURSOR, c).map_err(|e| ApiError::bad_request("invalid-cursor", e.0))?)
        }
        None => None,
    };
    let page = state.store.changes_after(from.as_ref().map(|c| (c.feed.as_str(), c.seq)), limit).await.map_err(
        |e| match e {
            PullError::Gone(detail) => ApiError::new(StatusCode::GONE, "cursor-gone", "Cursor no longer valid", detail),
            PullError::Store(s) => s.into(),
        },
    )?;
    let next_cursor = FeedCursor { feed: page.feed, seq: page.next }.encode(CHANGES_CURSOR);
    Ok(Json(PullPage { changes: page.changes, next_cursor, has_more: page.more }))
}

/// The most operations one push may carry.
pub const MAX_PUSH_OPERATIONS: usize = 1_000;

#[utoipa::path(post, path = "/api/v1/sync/push", tag = "sync", request_body = PushRequest,
    responses(
        (status = 200, description = "One result per operation: applied, duplicate (applied before: the first result), conflict (with the current state), rejected (with the reason) or retry", body = PushResponse),
        (status = "4XX", description = "A problem with the request as a whole", body = Problem, content_type = "application/problem+json")))]
pub async fn push(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJsonItems(req): ApiJsonItems<PushRequest>,
) -> ApiResult<Json<PushResponse>> {
    if req.operations.len() > MAX_PUSH_OPERATIONS {
        return Err(crate::domain::Invalid::field(
            "operations",
            format!("{} operations in one push; send at most {MAX_PUSH_OPERATIONS}", req.operations.len()),
        )
        .into());
    }
    let results = apply_all(&state.store, &agent, req.device_id, &req.operations).await;
    for r in &results {
        state.metrics.pushed(match r.status {
            OpStatus::Applied => "applied",
            OpStatus::Duplicate => "duplicate",
            OpStatus::Conflict => "conflict",
            OpStatus::Rejected => "rejected",
            OpStatus::Retry => "retry",
        });
    }
    Ok(Json(PushResponse { results }))
}
