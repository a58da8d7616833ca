//! Webhooks from systems that send their own JSON (`POST /api/v1/hooks/{name}`): signed by the
//! sender with the hook's secret instead of a bearer token, read through the hook's mapping
//! (`integrations`), stored as timeline events.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::events::{result_for, IngestResult, IngestStatus};
use crate::integrations::intake::{receive, Refused};
use crate::server::extract::Body;
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;

/// The most a delivery may carry.
pub const MAX_DELIVERY_BYTES: usize = 1024 * 1024;

#[utoipa::path(post, path = "/api/v1/hooks/{name}", tag = "events", security(()),
    params(("name" = String, Path, description = "The hook, as an admin named it (`stripe`, `shop`)")),
    request_body(description = "The other system's own JSON, signed as the hook's scheme says (Stripe-Signature, X-Shopify-Hmac-Sha256, X-Zendesk-Webhook-Signature, or a generic HMAC header). No bearer token.",
        content((Object = "application/json"))),
    responses(
        (status = 201, description = "The delivery's event, stored", body = IngestResult),
        (status = 200, description = "Stored before (a retry or a replay): nothing changed", body = IngestResult),
        (status = "4XX", description = "A problem: no such hook (404), a bad signature (401), a payload the mapping cannot read (422: kept for an admin, `kept` names it)", body = Problem, content_type = "application/problem+json")))]
pub async fn deliver(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult<Response> {
    let headers: Vec<(String, String)> =
        headers.iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string()))).collect();
    let now = chrono::Utc::now().timestamp();
    match receive(&state.store, &name, &headers, &body, now).await {
        Ok((event, outcome)) => {
            let result = result_for(0, &event, outcome);
            match result.status {
                IngestStatus::Created => Ok((StatusCode::CREATED, Json(result)).into_response()),
                IngestStatus::Duplicate => Ok((StatusCode::OK, Json(result)).into_response()),
                IngestStatus::Rejected => Err(ApiError(Box::new(result.problem.expect("a rejection has a problem")))),
            }
        }
        Err(Refused::NoHook(_) | Refused::NotKept(_)) => Err(ApiError::not_found(format!(
            "no hook named `{name}`: an admin sets it up with `casebook admin hook add`"
        ))),
        Err(Refused::Signature(e)) => {
            tracing::warn!(hook = %name, problem = %e, "a webhook delivery's signature was refused");
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid-signature", "Invalid signature", e.to_string()))
        }
        Err(Refused::Unreadable { problem, kept }) => {
            let mut p: ApiError = problem.into();
            p.0.detail = format!("{} The delivery is kept as {kept}.", p.0.detail);
            Err(p)
        }
        Err(Refused::Store(e)) => Err(e.into()),
    }
}
