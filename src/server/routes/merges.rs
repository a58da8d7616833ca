//! One customer, many systems: the likely duplicates of a customer (for a person to confirm),
//! merging one customer into another, the merges a customer took part in, and undoing one.
//! The moves themselves are `store/merges.rs`; the likeness rules `domain/duplicates.rs`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::customers::load_customer;
use crate::domain::agent::may_merge_customers;
use crate::server::extract::{parse_id, parse_limit, AgentAuth, ApiJson, ApiQuery};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::store::merges::MergeError;
use crate::wire::merges::{DuplicateSuggestion, Merge, MergeRequest};

impl From<MergeError> for ApiError {
    fn from(e: MergeError) -> ApiError {
        match e {
            MergeError::NotFound(s) => ApiError::not_found(s),
            MergeError::Conflict(s) => ApiError::new(StatusCode::CONFLICT, "state-conflict", "Not possible now", s),
            MergeError::Store(s) => s.into(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DuplicatesParams {
    /// 1 to 50, default 10.
    pub limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/duplicates", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer"), DuplicatesParams),
    responses(
        (status = 200, description = "Customers who may be the same person, likeliest first, with why (the same email once normalised, the same phone, the same name); none is merged until a lead confirms", body = Vec<DuplicateSuggestion>),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn duplicates(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<DuplicatesParams>,
) -> ApiResult<Json<Vec<DuplicateSuggestion>>> {
    let limit = parse_limit(p.limit.as_deref(), 10, 50)?;
    let customer = load_customer(&state, &id).await?;
    Ok(Json(state.store.duplicates_of(&customer, limit as usize).await?))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", request_body = MergeRequest,
    params(("id" = Uuid, Path, description = "The customer kept: the other's identities, events, cases and follow-ups move here")),
    responses(
        (status = 201, description = "Merged; undo with POST /api/v1/merges/{id}/undo", body = Merge),
        (status = "4XX", description = "A problem (leads and admins only; 404: no such customer; 409: the same customer, or one merged away already)", body = Problem, content_type = "application/problem+json")))]
pub async fn merge(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Response> {
    may_merge_customers(&agent)?;
    let kept = parse_id("customer", &id)?;
    let m = state.store.merge_customers(kept, req.from, &agent).await?;
    tracing::info!(merge = %m.id, kept = %m.kept_id, merged = %m.merged_id, by = %agent.name, "customers merged");
    Ok((StatusCode::CREATED, Json(m)).into_response())
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/merges", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    responses(
        (status = 200, description = "The merges it took part in, kept or merged, newest first", body = Vec<Merge>),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn merges_of(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Merge>>> {
    let customer = load_customer(&state, &id).await?;
    Ok(Json(state.store.merges_of(customer.id).await?))
}

#[utoipa::path(post, path = "/api/v1/merges/{id}/undo", tag = "customers",
    params(("id" = Uuid, Path, description = "The merge")),
    responses(
        (status = 200, description = "Undone: what the merge moved is back (what arrived since stays with the kept customer)", body = Merge),
        (status = "4XX", description = "A problem (leads and admins only; 404: no such merge; 409: undone already)", body = Problem, content_type = "application/problem+json")))]
pub async fn undo(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Merge>> {
    may_merge_customers(&agent)?;
    let id: Uuid = parse_id("merge", &id)?;
    let m = state.store.undo_merge(id, &agent).await?;
    tracing::info!(merge = %m.id, by = %agent.name, "merge undone");
    Ok(Json(m))
}
