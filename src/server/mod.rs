//! The shared HTTP API (`casebook serve`): axum over the store, stateless, so that several
//! processes on one PostgreSQL database behave as one.

pub mod contract;
pub mod extract;
pub mod listen;
pub mod metrics;
pub mod overview_cache;
pub mod problem;
pub mod routes;
pub mod token_cache;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::integrations::outbound::{Deliverer, DeliveryOptions};
use crate::store::Store;
use problem::{ApiError, Problem};
use routes::{
    articles, cases, customers, events, followups, hooks, leads, macros, merges, meta, reviews, rules, schedules, sync,
    webhooks,
};

/// Runs a case-work command in a write transaction of its own, committed when it succeeds
/// (dropped, so rolled back, when it fails): `in_transaction!(state.store, tx => cmd(&mut tx, …))`.
macro_rules! in_transaction {
    ($store:expr, $tx:ident => $body:expr) => {{
        let mut $tx = $store.begin_write().await?;
        let out = $body.await?;
        $tx.commit().await?;
        out
    }};
}
pub(crate) use in_transaction;

/// The largest JSON body outside event ingestion.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub tokens: std::sync::Arc<token_cache::TokenCache>,
    pub metrics: std::sync::Arc<metrics::Metrics>,
    /// Who may read `/metrics` from elsewhere than loopback (`CASEBOOK_METRICS_TOKEN`).
    pub metrics_token: Option<std::sync::Arc<str>>,
    /// This node's outbound webhook tries, by outcome.
    pub deliveries: std::sync::Arc<crate::integrations::outbound::DeliveryCounters>,
    /// What the customer card sums up (`casebook serve --card FILE`; the built-in list else).
    pub card: std::sync::Arc<crate::domain::card::CardRules>,
    /// The queues overview as this node last counted it.
    pub overview: std::sync::Arc<overview_cache::OverviewCache>,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        let metrics_token = std::env::var("CASEBOOK_METRICS_TOKEN").ok().filter(|t| !t.is_empty()).map(Into::into);
        AppState {
            store,
            tokens: Default::default(),
            metrics: Default::default(),
            metrics_token,
            deliveries: Default::default(),
            card: Default::default(),
            overview: Default::default(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "casebook API",
        version = "1",
        description = "The shared API behind the casebook console: customers and their unified timeline, CloudEvents ingestion, cases, RASA checklists, resolutions and follow-ups. Every /api/v1 route but this document needs `Authorization: Bearer <token>`. Errors are RFC 9457 problem documents (application/problem+json) with a stable `code`."
    ),
    modifiers(&BearerAuth),
    components(schemas(
        Problem,
        crate::wire::sync::OpenCasePayload,
        crate::wire::sync::ChangeCasePayload,
        crate::wire::sync::ResolveCasePayload,
        crate::wire::sync::AddNotePayload,
        crate::wire::sync::SetRasaPayload,
        crate::wire::sync::CreateFollowUpPayload,
        crate::wire::sync::ChangeFollowUpPayload,
        crate::wire::sync::AddReviewPayload,
        crate::wire::sync::AnswerReviewPayload
    )),
    tags(
        (name = "meta", description = "Liveness, identity, agents and tokens"),
        (name = "customers", description = "Customers and their unified timeline"),
        (name = "events", description = "CloudEvents 1.0 ingestion"),
        (name = "cases", description = "Cases and the work on them"),
        (name = "followups", description = "Follow-up tasks"),
        (name = "sync", description = "Offline sync"),
        (name = "leads", description = "Queues, SLA, workload, bulk changes and reports"),
        (name = "webhooks", description = "Outbound webhooks: subscriptions, the delivery log, redelivery"),
        (name = "rules", description = "Rules that act on events: set, turn on or off, the log of firings, dry runs over past events"),
        (name = "macros", description = "Team macros: canned texts with variables, read by every agent, set by admins"),
        (name = "articles", description = "The knowledge base: articles in Markdown, searched and suggested for a case by every agent, set by admins"),
        (name = "schedules", description = "Business hours: schedules (time zone, weekly hours, holidays) that teams and queues keep; SLA clocks count in them"),
        (name = "reviews", description = "Quality reviews: leads score resolved cases on a scorecard built on RASA; agents acknowledge or dispute")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security =
            Some(vec![utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    let bulk = OpenApiRouter::new()
        .routes(routes!(events::post_events))
        .routes(routes!(sync::push))
        .layer(DefaultBodyLimit::max(events::MAX_BATCH_BYTES + 1));
    let hooks = OpenApiRouter::new()
        .routes(routes!(hooks::deliver, hooks::put))
        .routes(routes!(hooks::list))
        .routes(routes!(hooks::failures))
        .routes(routes!(hooks::replay_failure))
        .layer(DefaultBodyLimit::max(hooks::MAX_DELIVERY_BYTES));
    let rest = OpenApiRouter::new()
        .routes(routes!(meta::healthz))
        .routes(routes!(openapi_document))
        .routes(routes!(meta::me))
        .routes(routes!(meta::list_agents, meta::add_agent))
        .routes(routes!(meta::add_ingest_token))
        .routes(routes!(meta::revoke))
        .routes(routes!(customers::search))
        .routes(routes!(customers::get))
        .routes(routes!(customers::timeline))
        .routes(routes!(customers::timeline_rows))
        .routes(routes!(customers::event))
        .routes(routes!(customers::card))
        .routes(routes!(merges::duplicates))
        .routes(routes!(merges::merge))
        .routes(routes!(merges::merges_of))
        .routes(routes!(merges::undo))
        .routes(routes!(cases::list, cases::create))
        .routes(routes!(cases::get, cases::patch))
        .routes(routes!(cases::add_note))
        .routes(routes!(cases::put_rasa_step))
        .routes(routes!(cases::put_resolution))
        .routes(routes!(cases::put_presence, cases::delete_presence))
        .routes(routes!(followups::list, followups::create))
        .routes(routes!(followups::get, followups::patch))
        .routes(routes!(sync::pull))
        .routes(routes!(leads::list))
        .routes(routes!(leads::cases))
        .routes(routes!(leads::bulk))
        .routes(routes!(leads::summary))
        .routes(routes!(leads::drill))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::patch, webhooks::remove))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::delivery))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(rules::list))
        .routes(routes!(rules::get, rules::put, rules::patch, rules::remove))
        .routes(routes!(rules::firings))
        .routes(routes!(rules::test))
        .routes(routes!(macros::list, macros::put))
        .routes(routes!(macros::remove))
        .routes(routes!(articles::search, articles::put))
        .routes(routes!(articles::get, articles::remove))
        .routes(routes!(articles::suggest))
        .routes(routes!(reviews::scorecard))
        .routes(routes!(reviews::create, reviews::of_case))
        .routes(routes!(reviews::mine))
        .routes(routes!(reviews::of_cases))
        .routes(routes!(reviews::answer))
        .routes(routes!(schedules::list, schedules::put))
        .routes(routes!(schedules::team))
        .routes(routes!(schedules::queue))
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(bulk).merge(hooks).merge(rest)
}

/// The OpenAPI 3.1 document of this API, generated from the handlers and their types, with
/// the rules they do not carry added by [`contract::tighten`].
pub fn openapi() -> serde_json::Value {
    let mut doc = serde_json::to_value(api_router().into_openapi()).expect("the OpenAPI document serialises");
    contract::tighten(&mut doc);
    doc
}

/// [`openapi`] as pretty JSON, built once.
pub fn openapi_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut s = serde_json::to_string_pretty(&openapi()).expect("the OpenAPI document serialises");
        s.push('\n');
        s
    })
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", security(),
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)))]
async fn openapi_document() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}

async fn not_found(req: Request) -> ApiError {
    ApiError::not_found(format!(
        "there is no route {} {}: GET /api/v1/openapi.json lists them",
        req.method(),
        req.uri().path()
    ))
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("{} is not supported on {}: GET /api/v1/openapi.json lists what is", req.method(), req.uri().path()),
    )
}

/// Logs each request's method, route (never headers or tokens), status and time.
/// `GET /metrics`: the Prometheus text format, from loopback or with the metrics token.
async fn read_metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    peer: Option<axum::Extension<metrics::Peer>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !metrics::may_read(peer.map(|p| p.0 .0), bearer, state.metrics_token.as_deref()) {
        return problem::ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "the metrics are read from loopback, or with `Authorization: Bearer <CASEBOOK_METRICS_TOKEN>`",
        )
        .into_response();
    }
    let pool = state.store.reader();
    let pending = state.store.pending_deliveries().await.ok();
    let text = state.metrics.render((pool.size(), pool.num_idle()), &state.deliveries.read(), pending);
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

async fn log_requests(
    axum::extract::State(metrics): axum::extract::State<std::sync::Arc<metrics::Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "(unmatched)".into());
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let took = start.elapsed();
    if route != "/metrics" {
        metrics.request(&route, method.as_str(), status, took);
    }
    let ms = took.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %route, status, ms, "request");
    } else {
        tracing::debug!(%method, %route, status, ms, "request");
    }
    res
}

/// Runs each request in a task of its own, so that a client hanging up (a console quitting, a
/// train entering a tunnel) does not cancel the handler halfway through a database transaction:
/// what was started finishes or rolls back cleanly, and the next request finds the connection
/// as it should be.
async fn run_to_completion(req: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    match tokio::spawn(next.run(req)).await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(error = %e, "a request's task failed");
            problem::ApiError::internal("the server failed to complete the request; it was logged").into_response()
        }
    }
}

/// The API as an axum router, with the default limits.
pub fn router(state: AppState) -> Router {
    router_with(state, &listen::Limits::default())
}

/// The API as an axum router: requests over `limits.max_in_flight` are answered 503.
pub fn router_with(state: AppState, limits: &listen::Limits) -> Router {
    let (router, _) = api_router().split_for_parts();
    let slots = (std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_in_flight)), limits.body_timeout);
    router
        .route("/metrics", axum::routing::get(read_metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.metrics.clone(), log_requests))
        .layer(middleware::from_fn(run_to_completion))
        .layer(middleware::from_fn(problems_only))
        .layer(middleware::from_fn_with_state(slots, listen::limit_requests))
        .with_state(state)
}

/// Every error is a problem document: an error answered by the framework itself (a path that
/// is not UTF-8, say) is rewritten as one, keeping its status.
async fn problems_only(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(problem::PROBLEM_CONTENT_TYPE.as_bytes()));
    if is_problem {
        return res;
    }
    let (parts, body) = res.into_parts();
    let said = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let said = String::from_utf8_lossy(&said).trim().to_string();
    let detail = match (status, said.is_empty()) {
        (StatusCode::BAD_REQUEST, _) => format!(
            "the request could not be read{}: check the path and parameters (ids are UUIDs; text is UTF-8, percent-encoded)",
            if said.is_empty() { String::new() } else { format!(" ({said})") }
        ),
        (_, false) => said,
        (_, true) => format!("{} on {path}", status.canonical_reason().unwrap_or("error")),
    };
    let code = match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::NOT_FOUND => "not-found",
        s if s.is_server_error() => "internal",
        _ => "bad-request",
    };
    let mut out = ApiError::new(status, code, status.canonical_reason().unwrap_or("Error"), detail).into_response();
    for (k, v) in parts.headers.iter() {
        if k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// Serves the API on `listener` until `shutdown` completes, then finishes open requests.
pub async fn run(
    listener: TcpListener,
    store: Store,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, store, listen::Limits::default(), shutdown).await
}

/// [`run`] within `limits`.
pub async fn run_with(
    listener: TcpListener,
    store: Store,
    limits: listen::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let options = ServeOptions { limits, deliveries: Some(DeliveryOptions::default()), card: None };
    run_configured(listener, store, options, shutdown).await
}

/// How a node serves: its request limits, and how it delivers outbound webhooks (`None`: this
/// node leaves deliveries to the others).
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    pub limits: listen::Limits,
    pub deliveries: Option<DeliveryOptions>,
    /// The customer card's facts; the built-in list when `None`.
    pub card: Option<std::sync::Arc<crate::domain::card::CardRules>>,
}

/// [`run`] as `options` say: the API, and this node's webhook deliverer beside it.
pub async fn run_configured(
    listener: TcpListener,
    store: Store,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut state = AppState::new(store.clone());
    if let Some(card) = options.card {
        state.card = card;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let deliverer =
        options.deliveries.map(|o| tokio::spawn(Deliverer::new(store, o, state.deliveries.clone()).run(stopped)));
    let router = router_with(state, &options.limits);
    let served = listen::serve(listener, router, options.limits, shutdown).await;
    let _ = stop.send(true);
    if let Some(d) = deliverer {
        // The tries under way finish (each has its timeout); then the node is gone.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), d).await;
    }
    served
}

/// A server running in this process (demo, tests, benchmarks).
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets open requests finish, and waits.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.stop.is_some() {
            self.task.abort();
        }
    }
}

/// Starts the API on `addr` (`127.0.0.1:0` picks a free port) in a background task.
pub async fn spawn(store: Store, addr: &str) -> std::io::Result<Running> {
    spawn_with(store, addr, listen::Limits::default()).await
}

/// [`spawn`] within `limits`.
pub async fn spawn_with(store: Store, addr: &str, limits: listen::Limits) -> std::io::Result<Running> {
    spawn_configured(store, addr, ServeOptions { limits, deliveries: Some(DeliveryOptions::default()), card: None })
        .await
}

/// [`spawn`] as `options` say.
pub async fn spawn_configured(store: Store, addr: &str, options: ServeOptions) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(run_configured(listener, store, options, async {
        let _ = rx.await;
    }));
    Ok(Running { addr, stop: Some(tx), task })
}
