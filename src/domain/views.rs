//! Views of one's own: home's sections as the agent defines them (`[[views]]` in
//! config.toml) — a name and a filter over status, priority, SLA state, queue and who the case
//! is assigned to (me, unassigned in my teams, anyone in my teams). Without any, the defaults:
//! my open cases, mine at risk, unassigned in my teams, mine waiting on the customer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::case::{Case, CaseStatus, Priority};
use super::sla::{sla_state, SlaState};
use super::Invalid;

/// Whose cases a view shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignee {
    #[default]
    Me,
    /// Nobody's yet, in one of my teams.
    Unassigned,
    /// Anyone's (or nobody's) in one of my teams.
    Team,
}

/// One section of home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeView {
    pub name: String,
    #[serde(default)]
    pub assignee: Assignee,
    /// Empty: new, open and pending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<CaseStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority: Vec<Priority>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sla: Vec<SlaState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<String>,
}

impl HomeView {
    fn named(name: &str, assignee: Assignee) -> HomeView {
        HomeView { name: name.into(), assignee, status: vec![], priority: vec![], sla: vec![], queue: vec![] }
    }

    /// The sections home has when the agent defined none.
    pub fn defaults() -> Vec<HomeView> {
        vec![
            HomeView::named("Mine", Assignee::Me),
            HomeView { sla: vec![SlaState::AtRisk, SlaState::Breached], ..HomeView::named("At risk", Assignee::Me) },
            HomeView::named("Unassigned", Assignee::Unassigned),
            HomeView { status: vec![CaseStatus::Pending], ..HomeView::named("Waiting on customer", Assignee::Me) },
        ]
    }

    /// Checks the agent's views; the error names the view.
    pub fn check_all(views: &[HomeView]) -> Result<(), Invalid> {
        if views.len() > 9 {
            return Err(Invalid::general(format!("{} views; home has up to 9 (keys 1–9)", views.len())));
        }
        for (i, v) in views.iter().enumerate() {
            let name = v.name.trim();
            if name.is_empty() || name.chars().count() > 24 || name.chars().any(char::is_control) {
                return Err(Invalid::general(format!("view {}: a name is 1 to 24 characters on one line", i + 1)));
            }
        }
        Ok(())
    }

    /// Whether the view shows `case`, for the agent `me` of `teams`, at `now`.
    pub fn shows(&self, case: &Case, me: Uuid, teams: &[String], now: DateTime<Utc>) -> bool {
        let in_my_teams = teams.contains(&case.team);
        let whose = match self.assignee {
            Assignee::Me => case.assignee_id == Some(me),
            Assignee::Unassigned => case.assignee_id.is_none() && in_my_teams,
            Assignee::Team => in_my_teams || case.assignee_id == Some(me),
        };
        let status = if self.status.is_empty() { case.status.is_active() } else { self.status.contains(&case.status) };
        whose
            && status
            && (self.priority.is_empty() || self.priority.contains(&case.priority))
            && (self.queue.is_empty() || self.queue.contains(&case.queue))
            && (self.sla.is_empty() || self.sla.contains(&sla_state(case, now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::tests::sample_case;

    #[test]
    fn the_default_views_split_the_work_as_a_desk_does() {
        let me = Uuid::now_v7();
        let teams = vec!["support".to_string()];
        let now = Utc::now();
        let mut mine = sample_case();
        (mine.team, mine.assignee_id, mine.status) = ("support".into(), Some(me), CaseStatus::Open);
        (mine.created_at, mine.resolution_due, mine.first_response_at) =
            (now - chrono::Duration::hours(10), Some(now - chrono::Duration::hours(1)), Some(now));
        let mut waiting = mine.clone();
        (waiting.status, waiting.resolution_due) = (CaseStatus::Pending, Some(now + chrono::Duration::days(3)));
        let mut free = mine.clone();
        free.assignee_id = None;
        let mut other_team = free.clone();
        other_team.team = "billing".into();
        let mut closed = mine.clone();
        closed.status = CaseStatus::Closed;
        let views = HomeView::defaults();
        let shown = |v: &HomeView| {
            [&mine, &waiting, &free, &other_team, &closed]
                .iter()
                .map(|c| v.shows(c, me, &teams, now))
                .collect::<Vec<_>>()
        };
        assert_eq!(shown(&views[0]), [true, true, false, false, false], "mine: my active cases");
        assert_eq!(shown(&views[1]), [true, false, false, false, false], "at risk: mine, late");
        assert_eq!(shown(&views[2]), [false, false, true, false, false], "unassigned in my teams only");
        assert_eq!(shown(&views[3]), [false, true, false, false, false], "waiting on the customer");
        // An agent's own view from config.toml: urgent cases of the general queue, anyone's in
        // my teams.
        let urgent: HomeView =
            toml::from_str("name = \"Urgent\"\nassignee = \"team\"\npriority = [\"urgent\"]\nqueue = [\"general\"]")
                .unwrap();
        let mut theirs = free.clone();
        (theirs.assignee_id, theirs.priority, theirs.queue) =
            (Some(Uuid::now_v7()), Priority::Urgent, "general".into());
        assert!(urgent.shows(&theirs, me, &teams, now), "a teammate's urgent case");
        theirs.priority = Priority::High;
        assert!(!urgent.shows(&theirs, me, &teams, now), "not urgent");
        (theirs.priority, theirs.queue) = (Priority::Urgent, "billing".into());
        assert!(!urgent.shows(&theirs, me, &teams, now), "another queue");
        assert!(HomeView::check_all(&[HomeView::named("", Assignee::Me)]).is_err());
        assert!(toml::from_str::<HomeView>("name = \"x\"\ncolour = \"red\"").is_err(), "unknown keys are refused");
    }
}
