//! Errors as RFC 9457 problem details (`application/problem+json`): a stable `type` and
//! `code`, and a `detail` a person can act on.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::agent::Denied;
use crate::domain::Invalid;
use crate::store::StoreError;

pub use crate::wire::problem::{FieldError, Problem, PROBLEM_CONTENT_TYPE};

#[derive(Debug, Clone)]
pub struct ApiError(pub Box<Problem>);

impl ApiError {
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        ApiError(Box::new(Problem {
            type_uri: format!("urn:casebook:problem:{code}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_string(),
            errors: Vec::new(),
            current: None,
        }))
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    pub fn invalid_parameter(name: &str, detail: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid-parameter", "Invalid query parameter", format!("{name}: {detail}"))
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Not signed in", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn conflict(detail: impl Into<String>, current: &impl Serialize) -> Self {
        let mut e = Self::new(StatusCode::CONFLICT, "stale-revision", "Changed by someone else", detail);
        e.0.current = serde_json::to_value(current).ok();
        e
    }

    /// Text with the NUL character at `path` (a field, or a JSON path such as `data.items[1]`).
    pub fn nul_in(path: &str) -> Self {
        let message = crate::domain::text::NUL_ADVICE;
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "Invalid input",
            format!("{path}: {message}"),
        );
        err.0.errors.push(FieldError { field: Some(path.to_string()), message: message.to_string() });
        err
    }

    /// The request is well formed, but what is stored does not allow it now (409).
    pub fn state_conflict(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, "state-conflict", "Not possible now", detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", detail)
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        let mut err =
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed", "Invalid input", e.to_string());
        err.0.errors.push(FieldError { field: e.field.map(str::to_string), message: e.message });
        err
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", d.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let incident = crate::domain::new_id();
        if e.is_bad_value() {
            // Input the rules let through but the database cannot hold: the caller's to fix.
            tracing::warn!(%incident, error = %e, "a value the database refused");
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Invalid input",
                format!("the database cannot store a value of this request (incident {incident}): check its text and numbers"),
            );
        }
        tracing::error!(%incident, error = %e, "storage error");
        if e.is_read_only() {
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
                format!("the server's database is read-only (incident {incident}): an admin must give casebook write access to it; nothing was changed"),
            );
        }
        if e.is_transient() {
            // Busy or locked, worth retrying: 503, not 500.
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
                format!("the database is busy or unreachable (incident {incident}); retry in a moment"),
            )
        } else {
            ApiError::internal(format!(
                "the server failed to complete the request (incident {incident}); it was logged"
            ))
        }
    }
}

impl From<crate::casework::WorkError> for ApiError {
    fn from(e: crate::casework::WorkError) -> Self {
        use crate::casework::WorkError;
        match e {
            WorkError::Invalid(i) => i.into(),
            WorkError::State(i) => {
                let mut err = ApiError::new(StatusCode::CONFLICT, "state-conflict", "Not possible now", i.to_string());
                err.0.errors.push(FieldError { field: i.field.map(str::to_string), message: i.message });
                err
            }
            WorkError::Denied(d) => d.into(),
            WorkError::NotFound(detail) => ApiError::not_found(detail),
            WorkError::Stale { what, sent, revision, current } => ApiError::conflict(
                format!(
                    "the {what} changed since you read it (you sent revision {sent}, it is now at {revision}): `current` holds it as it is now; reapply your change to it and send its revision"
                ),
                &*current,
            ),
            WorkError::Store(s) => s.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut res = (status, axum::Json(&*self.0)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"casebook\""));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
