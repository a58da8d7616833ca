//! Customer search, one customer, their card, and the unified timeline (whole, or as its list
//! shows it, with one event read whole on demand).

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::cursor::{TextCursor, TimeCursor};
use crate::domain::customer::{query_term, Customer};
use crate::domain::event::{parse_name_list, Event, TimelineFilter, TimelineRow};
use crate::server::extract::{parse_id, parse_limit, AgentAuth, ApiQuery};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::wire::card::CustomerCard;

const SEARCH_CURSOR: &str = "customers";
const TIMELINE_CURSOR: &str = "timeline";

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Start of a name (or of any word in it), an email, a phone number (digits; with or
    /// without the country code) or an id in a source system. Empty lists all by name.
    pub q: Option<String>,
    /// 1 to 100, default 20.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// These customers instead of a search: casebook ids, comma-separated, up to 100 (what a
    /// console needs to name the customers of its cases). Unknown ids are left out.
    pub ids: Option<String>,
}

/// Most customers one `ids` request names.
const MAX_IDS: usize = 100;

#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    pub customers: Vec<Customer>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(SearchParams),
    responses(
        (status = 200, description = "Matching customers", body = CustomerPage),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn search(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<CustomerPage>> {
    let limit = parse_limit(p.limit.as_deref(), 20, 100)?;
    if let Some(list) = p.ids.as_deref().filter(|l| !l.trim().is_empty()) {
        let ids = crate::server::extract::parse_id_list("ids", "customer", list, MAX_IDS)?;
        let customers = state.store.customers_by_ids(&ids).await?;
        return Ok(Json(CustomerPage { customers, next_cursor: None }));
    }
    let max = crate::domain::customer::MAX_QUERY_CHARS;
    if let Some(n) = p.q.as_deref().map(|q| q.chars().count()).filter(|n| *n > max) {
        return Err(ApiError::invalid_parameter(
            "q",
            format!("is {n} characters long; a search takes up to {max}: search by a name, an email, a phone or an id"),
        ));
    }
    let term = p.q.as_deref().and_then(query_term);
    let after = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            Some(TextCursor::decode(SEARCH_CURSOR, c).map_err(|e| ApiError::bad_request("invalid-cursor", e.0))?)
        }
        None => None,
    };
    let (customers, next) = state.store.search_customers(term.as_deref(), limit, after.as_ref()).await?;
    Ok(Json(CustomerPage { customers, next_cursor: next.map(|c| c.encode(SEARCH_CURSOR)) }))
}

pub(crate) async fn load_customer(state: &AppState, raw_id: &str) -> ApiResult<Customer> {
    let id = parse_id("customer", raw_id)?;
    state.store.customer(id).await?.ok_or_else(|| {
        ApiError::not_found(format!("no customer with id {id}: search for them with GET /api/v1/customers?q="))
    })
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer's casebook id")),
    responses(
        (status = 200, description = "The customer", body = Customer),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(load_customer(&state, &id).await?))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/card", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer's casebook id")),
    responses(
        (status = 200, description = "Who the customer is at a glance: identities, tier, tags, open cases, the latest case and event, and what each source says (the server's card rules)", body = CustomerCard),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn card(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(raw_id): Path<String>,
) -> ApiResult<Json<CustomerCard>> {
    let id = parse_id("customer", &raw_id)?;
    let card = state.store.customer_card(id, &state.card).await?.ok_or_else(|| {
        ApiError::not_found(format!("no customer with id {id}: search for them with GET /api/v1/customers?q="))
    })?;
    Ok(Json(card))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// 1 to 200, default 50.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only these sources, comma-separated (`shop,billing`).
    pub source: Option<String>,
    /// Only these kinds, comma-separated (`order_placed,payment_failed`).
    pub kind: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TimelinePage {
    pub customer_id: Uuid,
    /// Newest first.
    pub events: Vec<Event>,
    /// Pass as `cursor` for older events; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// What a timeline request asks for: whose, which events, how many, from where.
fn timeline_query(
    raw_id: &str,
    p: &TimelineParams,
) -> Result<(Uuid, TimelineFilter, u32, Option<TimeCursor>), ApiError> {
    let id = parse_id("customer", raw_id)?;
    let limit = parse_limit(p.limit.as_deref(), 50, 200)?;
    let filter = TimelineFilter {
        sources: parse_name_list("source", p.source.as_deref())
            .map_err(|e| ApiError::invalid_parameter("source", e.message))?,
        kinds: parse_name_list("kind", p.kind.as_deref())
            .map_err(|e| ApiError::invalid_parameter("kind", e.message))?,
    };
    let before = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            Some(TimeCursor::decode(TIMELINE_CURSOR, c).map_err(|e| ApiError::bad_request("invalid-cursor", e.0))?)
        }
        None => None,
    };
    Ok((id, filter, limit, before))
}

/// An empty page of a customer that does not exist is a 404.
async fn must_exist(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    if state.store.customer(id).await?.is_none() {
        return Err(ApiError::not_found(format!(
            "no customer with id {id}: search for them with GET /api/v1/customers?q="
        )));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/timeline", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer's casebook id"), TimelineParams),
    responses(
        (status = 200, description = "One page of the customer's events from every source, newest first", body = TimelinePage),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn timeline(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(raw_id): Path<String>,
    ApiQuery(p): ApiQuery<TimelineParams>,
) -> ApiResult<Json<TimelinePage>> {
    let (id, filter, limit, before) = timeline_query(&raw_id, &p)?;
    let (events, next) = state.store.timeline(id, &filter, limit, before.as_ref()).await?;
    if events.is_empty() {
        must_exist(&state, id).await?;
    }
    Ok(Json(TimelinePage { customer_id: id, events, next_cursor: next.map(|c| c.encode(TIMELINE_CURSOR)) }))
}

#[derive(Serialize, ToSchema)]
pub struct TimelineRows {
    pub customer_id: Uuid,
    /// Newest first.
    pub rows: Vec<TimelineRow>,
    /// Pass as `cursor` for older rows; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/timeline/rows", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer's casebook id"), TimelineParams),
    responses(
        (status = 200, description = "One page of the customer's timeline as a list shows it, newest first: each event without its text and data (GET /api/v1/events/{id} reads one whole)", body = TimelineRows),
        (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub async fn timeline_rows(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(raw_id): Path<String>,
    ApiQuery(p): ApiQuery<TimelineParams>,
) -> ApiResult<Json<TimelineRows>> {
    let (id, filter, limit, before) = timeline_query(&raw_id, &p)?;
    let (rows, next) = state.store.timeline_rows(id, &filter, limit, before.as_ref()).await?;
    if rows.is_empty() {
        must_exist(&state, id).await?;
    }
    Ok(Json(TimelineRows { customer_id: id, rows, next_cursor: next.map(|c| c.encode(TIMELINE_CURSOR)) }))
}

#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = Uuid, Path, description = "The event's casebook id")),
    responses(
        (status = 200, description = "The event, whole: its text and data as sent", body = Event),
        (status = "4XX", description = "A problem (404: no such event)", body = Problem, content_type = "application/problem+json")))]
pub async fn event(
    State(state): State<AppState>,
    AgentAuth(_agent): AgentAuth,
    Path(raw_id): Path<String>,
) -> ApiResult<Json<Event>> {
    let id = parse_id("event", &raw_id)?;
    match state.store.event(id).await? {
        Some(e) => Ok(Json(e)),
        None => Err(ApiError::not_found(format!(
            "no event with id {id}: GET /api/v1/customers/{{id}}/timeline/rows lists a customer's"
        ))),
    }
}
