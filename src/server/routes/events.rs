//! CloudEvents ingestion: one event or a batch, a result for each.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::agent::{may_post_events, Principal};
use crate::domain::Invalid;
use crate::server::extract::{parse_json, Auth, Body};
use crate::server::problem::{ApiError, ApiResult, Problem};
use crate::server::AppState;
use crate::store::events::IngestOutcome;
use crate::wire::cloudevents::{binary_event, parse_event, IncomingEvent, MAX_BATCH_EVENTS, MAX_EVENT_BYTES};

pub const SINGLE: &str = "application/cloudevents+json";
pub const BATCH: &str = "application/cloudevents-batch+json";
/// The most a batch request may carry.
pub const MAX_BATCH_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IngestStatus {
    /// Stored now.
    Created,
    /// Stored before (same `source` and `id`): nothing changed.
    Duplicate,
    /// Refused; `problem` says why.
    Rejected,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResult {
    /// The event's position in the request (0 for a single event).
    pub index: usize,
    /// The event's CloudEvents `id`, when it had one.
    pub id: Option<String>,
    /// The casebook source name, when it could be read.
    pub source: Option<String>,
    pub status: IngestStatus,
    pub event_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IngestBatchResult {
    pub created: usize,
    pub duplicates: usize,
    pub rejected: usize,
    /// One result per event, in the order sent.
    pub results: Vec<IngestResult>,
}

fn rejected(index: usize, raw: Option<&Value>, problem: ApiError) -> IngestResult {
    let field = |name: &str| raw.and_then(|v| v.get(name)).and_then(Value::as_str).map(str::to_string);
    IngestResult {
        index,
        id: field("id"),
        source: field("source").and_then(|s| crate::wire::cloudevents::source_name(&s)),
        status: IngestStatus::Rejected,
        event_id: None,
        customer_id: None,
        problem: Some(*problem.0),
    }
}

fn event_too_large(bytes: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Event too large",
        format!("the event is {bytes} bytes; one event may be at most {MAX_EVENT_BYTES} bytes: move large content out of `data`"),
    )
}

/// Checks one parsed JSON value as an event the caller may post.
fn check(p: &Principal, v: &Value) -> Result<IncomingEvent, ApiError> {
    let e = parse_event(v).map_err(ApiError::from)?;
    may_post_events(p, &e.source)?;
    Ok(e)
}

#[utoipa::path(post, path = "/api/v1/events", tag = "events",
    request_body(
        description = "One CloudEvent (`application/cloudevents+json`) or a JSON array of them (`application/cloudevents-batch+json`, at most 1000 events and 10 MiB); or one CloudEvent in binary content mode: its attributes in `ce-*` headers (`ce-specversion`, `ce-id`, `ce-source`, `ce-type`, …, percent-encoded), its data as the body with any `Content-Type`. Each event may be up to 256 KiB.",
        content((Object = "application/cloudevents+json"), (Vec<Object> = "application/cloudevents-batch+json"))),
    responses(
        (status = 201, description = "A single event, stored", body = IngestResult),
        (status = 200, description = "A single event stored before (`duplicate`), or a batch: a result per event", body = IngestResponse),
        (status = "4XX", description = "A problem; for a single event, also a refused event", body = Problem, content_type = "application/problem+json")))]
pub async fn post_events(
    State(state): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult<Response> {
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let base = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    // Binary content mode: the attributes in `ce-*` headers, the body is the data (whatever
    // its type). A CloudEvents media type means structured mode, whatever the headers say.
    if !base.starts_with("application/cloudevents") && headers.contains_key("ce-specversion") {
        if body.len() > MAX_EVENT_BYTES {
            return Err(event_too_large(body.len()));
        }
        let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
        let v = binary_event(pairs, (!ct.is_empty()).then_some(ct), &body)?;
        return ingest_one(&state, &p, &v).await;
    }
    let batch = match base.as_str() {
        BATCH => true,
        SINGLE => false,
        // Plain JSON: an array is a batch, an object one event.
        "application/json" => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'['),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                format!(
                    "send CloudEvents in structured JSON mode (`Content-Type: {SINGLE}` for one event, `{BATCH}` for an array) or in binary mode (the attributes in `ce-*` headers, at least `ce-specversion`); got `{ct}` without `ce-specversion`"
                ),
            ))
        }
    };
    if batch {
        let results = ingest_batch(&state, &p, &body).await?;
        for r in &results {
            count(&state, r);
        }
        let count = |s| results.iter().filter(|r| r.status == s).count();
        let out = IngestBatchResult {
            created: count(IngestStatus::Created),
            duplicates: count(IngestStatus::Duplicate),
            rejected: count(IngestStatus::Rejected),
            results,
        };
        return Ok((StatusCode::OK, Json(out)).into_response());
    }
    if body.len() > MAX_EVENT_BYTES {
        return Err(event_too_large(body.len()));
    }
    let v: Value = parse_json(&body)?;
    ingest_one(&state, &p, &v).await
}

/// Counts an event's outcome by its source.
fn count(state: &AppState, r: &IngestResult) {
    let outcome = match r.status {
        IngestStatus::Created => "created",
        IngestStatus::Duplicate => "duplicate",
        IngestStatus::Rejected => "rejected",
    };
    state.metrics.event(r.source.as_deref().unwrap_or("(unreadable)"), outcome);
}

/// One event, in the JSON format: 201 stored, 200 stored before, else the problem.
async fn ingest_one(state: &AppState, p: &Principal, v: &Value) -> ApiResult<Response> {
    let event = match check(p, v) {
        Ok(e) => e,
        Err(problem) => {
            let source = v.get("source").and_then(Value::as_str).and_then(crate::wire::cloudevents::source_name);
            state.metrics.event(source.as_deref().unwrap_or("(unreadable)"), "rejected");
            return Err(problem);
        }
    };
    let outcome = state.store.ingest(std::slice::from_ref(&event)).await?.pop().expect("one outcome per event");
    let result = result_for(0, &event, outcome);
    count(state, &result);
    single_answer(result)
}

/// The answer for one event: 201 stored now, 200 stored before, else its problem.
pub(crate) fn single_answer(result: IngestResult) -> ApiResult<Response> {
    match result.status {
        IngestStatus::Created => Ok((StatusCode::CREATED, Json(result)).into_response()),
        IngestStatus::Duplicate => Ok((StatusCode::OK, Json(result)).into_response()),
        IngestStatus::Rejected => Err(ApiError(Box::new(result.problem.expect("a rejection has a problem")))),
    }
}

/// The 200 answer: a single duplicate event or a batch.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum IngestResponse {
    Single(Box<IngestResult>),
    Batch(IngestBatchResult),
}

pub(crate) fn result_for(index: usize, e: &IncomingEvent, outcome: IngestOutcome) -> IngestResult {
    let (status, event_id, customer_id, problem) = match outcome {
        IngestOutcome::Created { event_id, customer_id } => {
            (IngestStatus::Created, Some(event_id), Some(customer_id), None)
        }
        IngestOutcome::Duplicate { event_id, customer_id } => {
            (IngestStatus::Duplicate, Some(event_id), Some(customer_id), None)
        }
        IngestOutcome::Rejected(invalid) => (IngestStatus::Rejected, None, None, Some(*ApiError::from(invalid).0)),
        IngestOutcome::Unknown(detail) => (IngestStatus::Rejected, None, None, Some(*ApiError::not_found(detail).0)),
    };
    IngestResult {
        index,
        id: Some(e.id.clone()),
        source: Some(e.source.clone()),
        status,
        event_id,
        customer_id,
        problem,
    }
}

/// Stores a batch in one transaction; if the database refuses it in a way that will recur,
/// each event is stored on its own, so that one bad event fails alone and the rest are kept.
/// A transient failure (busy, unreachable) fails the request with 503: nothing was stored,
/// and the sender retries the whole batch.
async fn ingest_each_alone(
    state: &AppState,
    events: &[IncomingEvent],
) -> ApiResult<Vec<Result<IngestOutcome, ApiError>>> {
    match state.store.ingest(events).await {
        Ok(outcomes) => Ok(outcomes.into_iter().map(Ok).collect()),
        Err(e) if e.is_transient() => Err(e.into()),
        Err(e) if events.len() == 1 => Ok(vec![Err(e.into())]),
        Err(e) => {
            tracing::warn!(error = %e, events = events.len(), "a batch failed as a whole; storing its events one by one");
            let mut out = Vec::with_capacity(events.len());
            for event in events {
                out.push(match state.store.ingest(std::slice::from_ref(event)).await {
                    Ok(mut o) => Ok(o.pop().expect("one outcome per event")),
                    Err(e) => Err(ApiError::from(e)),
                });
            }
            Ok(out)
        }
    }
}

async fn ingest_batch(state: &AppState, p: &Principal, body: &[u8]) -> ApiResult<Vec<IngestResult>> {
    if body.len() > MAX_BATCH_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Request too large",
            format!("the batch is {} bytes; a batch may be at most {MAX_BATCH_BYTES} bytes: split it", body.len()),
        ));
    }
    let raw: Vec<Box<RawValue>> = parse_json(body).map_err(|e| {
        if e.status() == StatusCode::BAD_REQUEST {
            return e;
        }
        Invalid::general(format!("a batch ({BATCH}) is a JSON array of events; send a single event as {SINGLE}")).into()
    })?;
    if raw.len() > MAX_BATCH_EVENTS {
        return Err(Invalid::general(format!(
            "the batch has {} events; send at most {MAX_BATCH_EVENTS} per request",
            raw.len()
        ))
        .into());
    }
    let mut results: Vec<Option<IngestResult>> = Vec::with_capacity(raw.len());
    let mut accepted: Vec<(usize, IncomingEvent)> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let text = r.get();
        if text.len() > MAX_EVENT_BYTES {
            results.push(Some(rejected(i, None, event_too_large(text.len()))));
            continue;
        }
        let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        match check(p, &v) {
            Ok(e) => {
                accepted.push((i, e));
                results.push(None);
            }
            Err(problem) => results.push(Some(rejected(i, Some(&v), problem))),
        }
    }
    let events: Vec<IncomingEvent> = accepted.iter().map(|(_, e)| e.clone()).collect();
    let outcomes = if events.is_empty() { Vec::new() } else { ingest_each_alone(state, &events).await? };
    for ((i, e), outcome) in accepted.iter().zip(outcomes) {
        results[*i] = Some(match outcome {
            Ok(outcome) => result_for(*i, e, outcome),
            Err(problem) => IngestResult {
                index: *i,
                id: Some(e.id.clone()),
                source: Some(e.source.clone()),
                status: IngestStatus::Rejected,
                event_id: None,
                customer_id: None,
                problem: Some(*problem.0),
            },
        });
    }
    Ok(results.into_iter().map(|r| r.expect("every event has a result")).collect())
}
