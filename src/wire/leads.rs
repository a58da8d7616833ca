//! What lead mode reads and sends: queues and their figures, a queue's cases, bulk changes,
//! the summary report.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::case::{Case, CaseStatus, Priority};
use crate::domain::sla::SlaPolicy;
use crate::wire::problem::Problem;

/// How a queue lists its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueSort {
    /// Oldest first.
    Age,
    /// The nearest resolution due time first.
    Due,
    /// Most urgent first, then oldest.
    Priority,
}
crate::domain::named_enum!(QueueSort, "sort", { Age => "age", Due => "due", Priority => "priority" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Queue {
    pub id: String,
    pub name: String,
    pub team: String,
    /// The statuses it shows.
    pub statuses: Vec<CaseStatus>,
    pub sort: QueueSort,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueCounts {
    /// Waiting cases by status (`new`, `open`, `pending`).
    pub by_status: std::collections::BTreeMap<String, i64>,
    /// Waiting cases by how long since they were opened.
    pub by_age: std::collections::BTreeMap<String, i64>,
    /// Waiting cases past a due time now.
    pub breached: i64,
    /// Waiting cases with less than a quarter of a window left, not yet breached.
    pub at_risk: i64,
    pub unassigned: i64,
    pub waiting: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueSummary {
    #[serde(flatten)]
    pub queue: Queue,
    pub counts: QueueCounts,
}

/// An agent's waiting cases: what a lead weighs before giving them another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgentLoad {
    pub agent_id: uuid::Uuid,
    pub name: String,
    pub teams: Vec<String>,
    pub waiting: i64,
    pub breached: i64,
    pub at_risk: i64,
}

/// A case in a queue, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueCase {
    #[serde(flatten)]
    pub case: crate::domain::case::Case,
    pub sla: crate::domain::sla::SlaState,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUpCompliance {
    /// Due in the period and done by the due time.
    pub on_time: i64,
    /// Due in the period and done after it.
    pub late: i64,
    /// Due in the period, still open, and the due time has passed.
    pub overdue: i64,
    /// Due in the period, still open, not due yet (a period that reaches into the future).
    pub upcoming: i64,
}

/// The figures of a period, for a queue, an agent or everything.
///
/// - `opened`: cases opened in the period. `resolved`: cases resolved in it.
/// - `median_handle_secs`: of the resolved ones, the median time from opening to resolution.
/// - `sla_breaches`: cases resolved in the period that missed a due time, plus cases opened in
///   the period still waiting and past a due time now.
/// - `rasa_completion_rate`: the share of resolved cases whose RASA checklist was complete when
///   resolved (no reason for an incomplete one was recorded).
/// - `outcomes`: resolved cases by experience outcome.
/// - `followups`: follow-ups on the cases, due in the period.
/// - `csat_average` (1–5) and `nps` (% promoters 9–10 − % detractors 0–6): survey answers in
///   the period, each counted for the case it names, else the customer's latest case resolved
///   up to 14 days before the answer; answers with neither are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    pub opened: i64,
    pub resolved: i64,
    pub median_handle_secs: Option<i64>,
    pub sla_breaches: i64,
    pub rasa_completion_rate: Option<f64>,
    pub outcomes: BTreeMap<String, i64>,
    pub followups: FollowUpCompliance,
    pub csat_average: Option<f64>,
    pub csat_responses: i64,
    pub nps: Option<f64>,
    pub nps_responses: i64,
    /// Quality reviews made in the period of these cases.
    #[serde(default)]
    pub reviews: i64,
    /// Their average score, 0 to 100.
    #[serde(default)]
    pub quality_average: Option<f64>,
    /// The average of the period before (the trend).
    #[serde(default)]
    pub quality_previous: Option<f64>,
    #[serde(skip)]
    pub(crate) quality_sum: i64,
    #[serde(skip)]
    pub(crate) quality_previous_sum: i64,
    #[serde(skip)]
    pub(crate) quality_previous_n: i64,
    #[serde(skip)]
    pub(crate) rasa_complete: i64,
    #[serde(skip)]
    pub(crate) csat_sum: i64,
    #[serde(skip)]
    pub(crate) promoters: i64,
    #[serde(skip)]
    pub(crate) detractors: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QueueFigures {
    pub queue: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentFigures {
    /// `null`: cases nobody was assigned.
    pub agent_id: Option<Uuid>,
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// One UTC day of the period: for charts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Day {
    pub day: chrono::NaiveDate,
    pub opened: i64,
    pub resolved: i64,
    pub csat_average: Option<f64>,
    pub csat_responses: i64,
    #[serde(skip)]
    pub(crate) csat_sum: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SummaryReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The teams counted (every team when empty).
    pub teams: Vec<String>,
    pub total: Figures,
    pub by_queue: Vec<QueueFigures>,
    pub by_agent: Vec<AgentFigures>,
    /// Every UTC day of the period, oldest first.
    pub daily: Vec<Day>,
    /// The root causes of the cases resolved in the period (each resolution's first why,
    /// normalised), most first, with their count in the period before (of the same length).
    #[serde(default)]
    pub root_causes: Vec<Ranked>,
    /// What the cases opened in the period were about (their subjects, numbers taken out),
    /// most first, with their count in the period before.
    #[serde(default)]
    pub contact_reasons: Vec<Ranked>,
    /// How often two reviewers of the same case agreed (0 to 1), over the cases reviewed twice
    /// or more in the period (the first two reviews of each).
    #[serde(default)]
    pub calibration: Option<f64>,
    /// How many cases that is.
    #[serde(default)]
    pub calibrated_cases: i64,
}

/// One row of a ranking: a key, how often in the period, and in the period before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ranked {
    pub key: String,
    pub count: i64,
    pub previous: i64,
}

/// A figure of the report whose cases a lead can open (`GET /api/v1/reports/cases`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFigure {
    /// Opened in the period.
    Opened,
    /// Resolved in the period.
    Resolved,
    /// Counted in `sla_breaches`: opened in the period and breached now, or resolved in the
    /// period late.
    Breached,
    /// Resolved in the period with this root cause (`key`).
    RootCause,
    /// Opened in the period with this contact reason (`key`).
    ContactReason,
    /// Resolved in the period with this outcome (`key`).
    Outcome,
}

crate::domain::named_enum!(ReportFigure, "report figure", {
    Opened => "opened",
    Resolved => "resolved",
    Breached => "breached",
    RootCause => "root_cause",
    ContactReason => "contact_reason",
    Outcome => "outcome",
});

/// What a client asks `GET /api/v1/reports/cases` for.
#[derive(Debug, Clone, Serialize)]
pub struct ReportCasesQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub figure: ReportFigure,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

/// The cases behind a figure of the report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportCases {
    /// Newest first, up to 500.
    pub cases: Vec<Case>,
    /// How many there are in all (more than `cases` holds when past 500).
    pub total: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueuesResponse {
    /// When the figures were counted.
    pub at: DateTime<Utc>,
    pub queues: Vec<QueueSummary>,
    /// Every agent's waiting cases (admins left out), by name.
    pub workload: Vec<AgentLoad>,
    pub sla_policies: Vec<SlaPolicy>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueCasePage {
    pub cases: Vec<QueueCase>,
    pub next_cursor: Option<String>,
}

/// One case to change, with the revision read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkChange {
    pub id: Uuid,
    #[serde(deserialize_with = "crate::domain::positive")]
    pub revision: i64,
    /// An agent id, or `null` to unassign; left out: unchanged.
    #[serde(
        default,
        deserialize_with = "crate::wire::requests::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    pub priority: Option<Priority>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// 1 to 500 changes.
    #[schema(min_items = 1, max_items = 500)]
    pub changes: Vec<BulkChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkStatus {
    Applied,
    /// Changed since the revision sent: `current` holds it; nothing was overwritten.
    Conflict,
    /// Not allowed or not valid: `problem` says why.
    Rejected,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkResult {
    pub id: Uuid,
    pub status: BulkStatus,
    /// The case as changed (applied).
    pub case: Option<Case>,
    /// The case as it is now (conflict).
    pub current: Option<Case>,
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkResponse {
    /// One per change, in the order sent.
    pub results: Vec<BulkResult>,
}
