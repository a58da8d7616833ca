//! Rules as admins manage them over the API (`/api/v1/rules`): a rule's definition and state,
//! the log of its firings, and what a dry run over past events found. The rules themselves are
//! `domain::rules`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A rule: its definition (TOML) and whether it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RuleView {
    pub name: String,
    pub enabled: bool,
    /// Shipped with casebook (it may have been changed since it was stored).
    pub built_in: bool,
    /// Not stored yet: a built-in rule nobody enabled.
    pub stored: bool,
    pub description: String,
    /// The rule's TOML (README.md, "Rules").
    pub definition: String,
}

/// A rule to set: new, or replacing one's definition.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutRule {
    /// The rule in TOML; it is checked before it is stored.
    #[schema(min_length = 1)]
    pub definition: String,
    /// Turn it on (or off) at once. A new rule is off unless this says so; a replaced one keeps
    /// its state.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A rule turned on or off.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRule {
    pub enabled: bool,
}

/// One time a rule fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RuleFiring {
    pub rule: String,
    /// The event's id, or `case.opened:<case>` / `case.resolved:<case>:<revision>`.
    pub trigger_key: String,
    pub customer_id: Uuid,
    pub fired_at: DateTime<Utc>,
    /// What it did, in words (an action it could not take says why).
    pub actions: Vec<String>,
}

/// One past event (or case) that would have fired a rule, and what the rule would have done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WouldFire {
    pub at: DateTime<Utc>,
    pub trigger_key: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub title: String,
    /// The rule fired on it already (it will not again).
    pub fired: bool,
    pub actions: Vec<String>,
}

/// What a dry run found: nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DryRun {
    pub rule: String,
    pub since: DateTime<Utc>,
    /// Events (or cases) looked at.
    pub examined: u64,
    /// How many would have fired it; `fires` lists the first of them.
    pub matched: u64,
    pub fires: Vec<WouldFire>,
}
