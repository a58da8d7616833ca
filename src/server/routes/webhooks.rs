//! Outbound webhooks, for admins: subscribe a URL to kinds of casebook events, pause or remove
//! it, read the delivery log, redeliver. The deliveries themselves are `integrations::outbound`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::agent::may_manage_agents;
use crate::integrations::outbound::{subscribe, SubscribeError};
use crate::server::extract::{parse_id, AgentAuth, ApiJson};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::wire::webhooks::{
    CreatedSubscription, Delivery, DeliveryLog, DeliveryState, NewSubscription, PatchSubscription, Subscription,
};

fn no_subscription(id: uuid::Uuid) -> ApiError {
    ApiError::not_found(format!("no webhook subscription with id {id}: GET /api/v1/webhooks lists them"))
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewSubscription,
    responses(
        (status = 201, description = "The subscription, with its signing secret (shown this once)", body = CreatedSubscription),
        (status = "4XX", description = "A problem (admins only; a URL deliveries may not reach says why)", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    ApiJson(req): ApiJson<NewSubscription>,
) -> ApiResult<Response> {
    may_manage_agents(&admin)?;
    let made = subscribe(&state.store, &req).await.map_err(|e| match e {
        SubscribeError::Invalid(i) => ApiError::from(i),
        SubscribeError::Store(s) => s.into(),
    })?;
    tracing::info!(subscription = %made.subscription.id, url = %made.subscription.url, by = %admin.name, "webhook subscription made");
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses(
        (status = 200, description = "Every subscription (never their secrets)", body = Vec<Subscription>),
        (status = "4XX", description = "A problem (admins only)", body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, AgentAuth(admin): AgentAuth) -> ApiResult<Json<Vec<Subscription>>> {
    may_manage_agents(&admin)?;
    Ok(Json(state.store.subscriptions().await?))
}

#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = PatchSubscription,
    params(("id" = uuid::Uuid, Path, description = "The subscription")),
    responses(
        (status = 200, description = "The subscription, paused or resumed", body = Subscription),
        (status = "4XX", description = "A problem (admins only)", body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(raw): Path<String>,
    ApiJson(req): ApiJson<PatchSubscription>,
) -> ApiResult<Json<Subscription>> {
    may_manage_agents(&admin)?;
    let id = parse_id("subscription", &raw)?;
    state.store.set_subscription_state(id, req.state.as_str()).await?.map(Json).ok_or_else(|| no_subscription(id))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = uuid::Uuid, Path, description = "The subscription")),
    responses(
        (status = 204, description = "Removed, with its deliveries and their log"),
        (status = "4XX", description = "A problem (admins only)", body = Problem, content_type = "application/problem+json")))]
pub async fn remove(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    may_manage_agents(&admin)?;
    let id = parse_id("subscription", &raw)?;
    if state.store.remove_subscription(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_subscription(id))
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only those in this state.
    pub state: Option<DeliveryState>,
    /// At most this many, newest first (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = uuid::Uuid, Path, description = "The subscription"), DeliveriesQuery),
    responses(
        (status = 200, description = "Its deliveries, newest first", body = Vec<Delivery>),
        (status = "4XX", description = "A problem (admins only)", body = Problem, content_type = "application/problem+json")))]
pub async fn deliveries(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(raw): Path<String>,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<Json<Vec<Delivery>>> {
    may_manage_agents(&admin)?;
    let id = parse_id("subscription", &raw)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid-parameter",
            format!("`limit` = {limit} is out of range: 1 to 1000"),
        ));
    }
    if state.store.subscription(id).await?.is_none() {
        return Err(no_subscription(id));
    }
    Ok(Json(state.store.deliveries(Some(id), q.state.map(|s| s.as_str()), limit).await?))
}

#[utoipa::path(get, path = "/api/v1/webhook-deliveries/{id}", tag = "webhooks",
    params(("id" = uuid::Uuid, Path, description = "The delivery")),
    responses(
        (status = 200, description = "The delivery and every try of it", body = DeliveryLog),
        (status = "4XX", description = "A problem (admins only)", body = Problem, content_type = "application/problem+json")))]
pub async fn delivery(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(raw): Path<String>,
) -> ApiResult<Json<DeliveryLog>> {
    may_manage_agents(&admin)?;
    let id = parse_id("delivery", &raw)?;
    state
        .store
        .delivery_log(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no delivery with id {id}")))
}

#[utoipa::path(post, path = "/api/v1/webhook-deliveries/{id}/redeliver", tag = "webhooks",
    params(("id" = uuid::Uuid, Path, description = "The delivery")),
    responses(
        (status = 202, description = "Queued again at once, with a fresh round of retries", body = Delivery),
        (status = "4XX", description = "A problem (admins only)", body = Problem, content_type = "application/problem+json")))]
pub async fn redeliver(
    State(state): State<AppState>,
    AgentAuth(admin): AgentAuth,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    may_manage_agents(&admin)?;
    let id = parse_id("delivery", &raw)?;
    let d = state.store.redeliver(id).await?.ok_or_else(|| ApiError::not_found(format!("no delivery with id {id}")))?;
    Ok((StatusCode::ACCEPTED, Json(d)).into_response())
}
