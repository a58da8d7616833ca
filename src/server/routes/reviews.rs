//! Quality reviews: a lead of the case's team scores a resolved case on the server's scorecard
//! (`domain::scorecard`), with coaching; every agent reads a case's reviews and their own; the
//! reviewed agent acknowledges a review or disputes one criterion with a reason.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::casework;
use crate::domain::new_id;
use crate::domain::scorecard::{Answer, Scorecard};
use crate::server::extract::{parse_id, parse_id_list, parse_limit, AgentAuth, ApiJson, ApiQuery};
use crate::server::problem::{ApiResult, Problem};
use crate::server::{in_transaction, AppState};
pub use crate::wire::reviews::{NewReviewRequest, Review, ReviewList};

pub use crate::domain::scorecard::MAX_COACHING_CHARS;

#[utoipa::path(get, path = "/api/v1/scorecard", tag = "reviews",
    responses(
        (status = 200, description = "The scorecard reviews are scored on: its criteria, weights, scales, auto-fail items", body = Scorecard),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn scorecard(State(state): State<AppState>, AgentAuth(_agent): AgentAuth) -> ApiResult<Json<Scorecard>> {
    Ok(Json((*state.store.scorecard()).clone()))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/reviews", tag = "reviews", request_body = NewReviewRequest,
    params(("id" = Uuid, Path, description = "The case")),
    responses(
        (status = 201, description = "The review, scored", body = Review),
        (status = "4XX", description = "A problem (leads of the case's team and admins; 409: the case is not resolved yet; 422: scores that do not fit the scorecard)", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    AgentAuth(lead): AgentAuth,
    Path(raw_id): Path<String>,
    ApiJson(req): ApiJson<NewReviewRequest>,
) -> ApiResult<(StatusCode, Json<Review>)> {
    let id = parse_id("case", &raw_id)?;
    let card = state.store.scorecard();
    let review =
        in_transaction!(state.store, tx => casework::reviews::add_review(&mut tx, &lead, &card, new_id(), id, req));
    Ok((StatusCode::CREATED, Json(review)))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/reviews", tag = "reviews",
    params(("id" = Uuid, Path, description = "The case")),
    responses(
        (status = 200, description = "The case's reviews, oldest first", body = ReviewList),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn of_case(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(raw_id): Path<String>,
) -> ApiResult<Json<ReviewList>> {
    let id = parse_id("case", &raw_id)?;
    Ok(Json(ReviewList { reviews: state.store.reviews_of(id).await? }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfCasesParams {
    /// Case ids, comma-separated, up to 200 (what a lead's list of closed cases needs to show
    /// each one's quality score). Cases without reviews are left out.
    pub case_ids: Option<String>,
}

/// Most cases one `case_ids` request names.
pub const MAX_CASE_IDS: usize = 200;

#[utoipa::path(get, path = "/api/v1/reviews", tag = "reviews", params(OfCasesParams),
    responses(
        (status = 200, description = "The reviews of these cases, oldest first", body = ReviewList),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn of_cases(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    ApiQuery(p): ApiQuery<OfCasesParams>,
) -> ApiResult<Json<ReviewList>> {
    let ids = match p.case_ids.as_deref().filter(|l| !l.trim().is_empty()) {
        Some(list) => parse_id_list("case_ids", "case", list, MAX_CASE_IDS)?,
        None => vec![],
    };
    Ok(Json(ReviewList { reviews: state.store.reviews_of_cases(&ids).await? }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MineParams {
    /// 1 to 200, default 50.
    pub limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reviews/mine", tag = "reviews", params(MineParams),
    responses(
        (status = 200, description = "The reviews of the agent's cases, newest first", body = ReviewList),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn mine(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiQuery(p): ApiQuery<MineParams>,
) -> ApiResult<Json<ReviewList>> {
    let limit = parse_limit(p.limit.as_deref(), 50, 200)?;
    Ok(Json(ReviewList { reviews: state.store.reviews_for(agent.id, limit).await? }))
}

#[utoipa::path(put, path = "/api/v1/reviews/{id}/answer", tag = "reviews", request_body = Answer,
    params(("id" = Uuid, Path, description = "The review")),
    responses(
        (status = 200, description = "The review, answered", body = Review),
        (status = "4XX", description = "A problem (the reviewed agent only; 409: answered already; 422: a dispute without a criterion of the scorecard or a reason)", body = Problem, content_type = "application/problem+json")))]
pub async fn answer(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(raw_id): Path<String>,
    ApiJson(next): ApiJson<Answer>,
) -> ApiResult<Json<Review>> {
    let id = parse_id("review", &raw_id)?;
    Ok(Json(in_transaction!(state.store, tx => casework::reviews::answer_review(&mut tx, &agent, id, next))))
}
