//! Errors as RFC 9457 problem details (`application/problem+json`): what the server answers
//! for a refused request or a refused pushed operation, and what the console reads back.

use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One field that failed validation.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    pub field: Option<String>,
    pub message: String,
}

/// A problem document (RFC 9457).
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:casebook:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short, fixed summary of the kind of problem.
    pub title: String,
    pub status: u16,
    /// What went wrong this time, and what to do about it.
    pub detail: String,
    /// The stable machine-readable code (the last part of `type`).
    pub code: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For conflicts: the current state of what the request tried to change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
}
