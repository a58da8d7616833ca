//! Request extractors whose rejections are problem documents: bearer auth, JSON bodies, query
//! strings and ids in paths.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::problem::ApiError;
use super::AppState;
use crate::domain::agent::{Agent, Principal};

/// Whoever the bearer token belongs to.
pub struct Auth(pub Principal);

/// An agent (of any role); ingest tokens are refused.
pub struct AgentAuth(pub Agent);

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers.get(AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("this request needs a token: send `Authorization: Bearer <token>` (casebook admin agent add NAME prints one)")
    })?;
    let value = value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is not readable text"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized("use `Authorization: Bearer <token>`"));
    }
    Ok(token.trim())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let hash = crate::store::agents::hash_token(bearer(&parts.headers)?);
        let now = std::time::Instant::now();
        if let Some(p) = state.tokens.get(&hash, now) {
            return Ok(Auth(p));
        }
        match state.store.principal_by_hash(&hash).await? {
            Some(p) => {
                state.tokens.put(hash, p.clone(), now);
                Ok(Auth(p))
            }
            None => Err(ApiError::unauthorized(
                "the token is not known or was revoked: check CASEBOOK_TOKEN, or ask an admin for a new one",
            )),
        }
    }
}

impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Auth::from_request_parts(parts, state).await?.0 {
            Principal::Agent(a) => Ok(AgentAuth(a)),
            Principal::Ingest { .. } => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                "an ingest token may only post events (POST /api/v1/events); use an agent's token for this",
            )),
        }
    }
}

/// The raw body, with size limits reported as problems.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let deadline = req.extensions().get::<super::listen::BodyDeadline>().map(|d| d.0);
        let deadline = deadline.unwrap_or(std::time::Duration::from_secs(30));
        let read = tokio::time::timeout(deadline, Bytes::from_request(req, state)).await.map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "Request timed out",
                format!("the request body did not arrive within {} s: send it whole, at once", deadline.as_secs()),
            )
        })?;
        read.map(Body).map_err(|e| match e {
            BytesRejection::FailedToBufferBody(inner) if inner.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    "Request too large",
                    "the request body is larger than this endpoint takes: send fewer or smaller items per request",
                )
            }
            other => ApiError::bad_request("unreadable-body", format!("the request body could not be read: {other}")),
        })
    }
}

/// Whether a content type is JSON (`application/json` or any `+json`).
pub fn is_json(content_type: &str) -> bool {
    let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    ct == "application/json" || ct.ends_with("+json")
}

/// Parses JSON, telling malformed JSON (400) from well-formed JSON of the wrong shape (422).
/// One pass when the body is good; a second only to classify a failure.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            return ApiError::bad_request("malformed-json", format!("the body is not valid JSON: {syntax}"));
        }
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "Invalid input",
            format!("the JSON body does not fit: {e}"),
        )
    })
}

/// A JSON request body.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_json_content_type(req.headers())?;
        let Body(bytes) = Body::from_request(req, state).await?;
        refuse_nul(&bytes)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Refuses a JSON body holding the NUL character anywhere in its text (the rule of
/// [`crate::domain::text`]), naming where.
pub fn refuse_nul(bytes: &[u8]) -> Result<(), ApiError> {
    if !crate::domain::text::raw_json_may_hold_nul(bytes) {
        return Ok(());
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else { return Ok(()) };
    match crate::domain::text::json_nul_path("", &v) {
        Some(path) => Err(ApiError::nul_in(if path.is_empty() { "body" } else { &path })),
        None => Ok(()),
    }
}

/// A JSON request body of items that stand or fall one by one (pushed operations): NUL in
/// one item's text refuses that item, not the request.
pub struct ApiJsonItems<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJsonItems<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_json_content_type(req.headers())?;
        let Body(bytes) = Body::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJsonItems)
    }
}

fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(ct) = headers.get(CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("");
        if !is_json(ct) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                format!("send JSON with `Content-Type: application/json`, not `{ct}`"),
            ));
        }
    }
    Ok(())
}

/// Query-string parameters, parsed by the handler for good messages.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        // Parameters are text too: NUL is refused, naming the parameter.
        if q.contains("%00") {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap_or_default();
            if let Some((name, _)) = pairs.iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
                return Err(ApiError::invalid_parameter(
                    &name.replace('\0', "\\u0000"),
                    crate::domain::text::NUL_ADVICE,
                ));
            }
        }
        serde_urlencoded::from_str(q)
            .map(ApiQuery)
            .map_err(|e| ApiError::bad_request("invalid-parameter", format!("the query string does not fit: {e}")))
    }
}

/// Parses an id from a path segment.
pub fn parse_id(what: &str, raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-id",
            "Invalid id",
            format!("`{raw}` is not a {what} id: casebook ids are UUIDs such as 0190c8a2-7b1e-7cc0-8d4e-3f2a1b0c9d8e"),
        )
    })
}

/// A query parameter naming ids, comma-separated, up to `max`: the error names the parameter
/// and says what it takes.
pub fn parse_id_list(param: &'static str, what: &str, raw: &str, max: usize) -> Result<Vec<Uuid>, ApiError> {
    let ids =
        raw.split(',').map(|i| parse_id(what, i.trim())).collect::<Result<Vec<Uuid>, ApiError>>().map_err(|_| {
            ApiError::invalid_parameter(param, format!("takes casebook {what} ids (UUIDs), comma-separated"))
        })?;
    if ids.len() > max {
        return Err(ApiError::invalid_parameter(
            param,
            format!("names {} {what}s; ask for up to {max} at a time", ids.len()),
        ));
    }
    Ok(ids)
}

/// A query parameter's value without the spaces around it (only spaces: the OpenAPI document
/// says ` *`, and a tab or another blank is refused like any other stray character).
pub fn spaced(raw: &str) -> &str {
    raw.trim_matches(' ')
}

/// Parses `limit`: 1 to `max`, `default` when absent.
pub fn parse_limit(raw: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    match raw {
        None => Ok(default),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid_parameter("limit", format!("`{s}` is not a whole number from 1 to {max}"))),
        },
    }
}

/// A comma-separated list of values (`new,open`); empty when left out.
pub fn parse_list<T: std::str::FromStr<Err = crate::domain::Invalid>>(
    name: &str,
    raw: Option<&str>,
) -> Result<Vec<T>, ApiError> {
    raw.unwrap_or("")
        .split(',')
        .map(spaced)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|e| ApiError::invalid_parameter(name, e.message)))
        .collect()
}

/// An `assignee` parameter: an agent id, `me` (the caller), or `none` (unassigned cases).
pub fn parse_assignee(raw: Option<&str>, me: Uuid) -> Result<Option<Option<Uuid>>, ApiError> {
    Ok(match raw.map(spaced) {
        None | Some("") => None,
        Some("me") => Some(Some(me)),
        Some("none") => Some(None),
        Some(other) => Some(Some(other.parse::<Uuid>().map_err(|_| {
            ApiError::invalid_parameter("assignee", format!("`{other}` is not an agent id, `me` or `none`"))
        })?)),
    })
}

/// An optional id parameter (`customer_id=…`); empty is the same as left out.
pub fn parse_optional_id(name: &str, raw: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    match raw.map(spaced).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            s.parse().map(Some).map_err(|_| ApiError::invalid_parameter(name, format!("`{s}` is not a casebook id")))
        }
    }
}

/// An optional RFC 3339 time parameter (`from=2026-11-01T00:00:00Z`), as the OpenAPI document's
/// `date-time` format: no spaces around it, and present means not empty.
pub fn parse_time(name: &str, raw: Option<&str>) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    match raw {
        None => Ok(None),
        Some(s) => crate::domain::time::parse_rfc3339(s).map(Some).ok_or_else(|| {
            ApiError::invalid_parameter(name, format!("`{s}` is not an RFC 3339 time, e.g. 2026-11-01T00:00:00Z"))
        }),
    }
}
