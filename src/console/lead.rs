//! Lead mode: the queues overview with each agent's load, a queue's cases (SLA state, marks for
//! bulk changes, reassign and reprioritise with pickers), the report, and the latest closed
//! cases to review. Read from the server (leads work online); changes go through the bulk API,
//! each with the revision the lead saw. Plain state and functions, like the rest of the app.

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::domain::case::{Case, Priority};
use crate::domain::sla::SlaState;
use crate::wire::leads::QueueCase;
use crate::wire::leads::SummaryReport;
use crate::wire::leads::{BulkChange, BulkResponse, BulkStatus, QueuesResponse};

/// The report periods to cycle through, in days.
pub const PERIODS: [i64; 3] = [7, 30, 90];

/// A choice over the queue's cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picker {
    /// Give the marked (or selected) cases to an agent: the index into the agents offered.
    Assign {
        selected: usize,
    },
    Priority {
        selected: usize,
    },
}

#[derive(Debug, Default)]
pub struct LeadState {
    pub overview: Option<QueuesResponse>,
    pub overview_error: Option<String>,
    pub queue_selected: usize,
    /// The queue whose cases are listed.
    pub queue: Option<String>,
    pub cases: Vec<QueueCase>,
    pub cases_loaded: bool,
    pub case_selected: usize,
    /// Cases marked for a bulk change.
    pub marked: BTreeSet<Uuid>,
    pub sla: Option<SlaState>,
    pub picker: Option<Picker>,
    /// What the last change did, or what went wrong (`true`: an error).
    pub message: Option<(bool, String)>,
    pub report: Option<SummaryReport>,
    pub report_error: Option<String>,
    pub period: usize,
    /// One team, or the lead's teams when none.
    pub report_team: Option<String>,
    pub closed: Vec<Case>,
    pub closed_selected: usize,
    pub closed_error: Option<String>,
}

impl LeadState {
    /// Queues in trouble first: most breaches, then most at risk, then most waiting.
    pub fn sorted_queues(&self) -> Vec<&crate::wire::leads::QueueSummary> {
        let mut q: Vec<_> = self.overview.iter().flat_map(|o| o.queues.iter()).collect();
        q.sort_by_key(|s| {
            (
                std::cmp::Reverse(s.counts.breached),
                std::cmp::Reverse(s.counts.at_risk),
                std::cmp::Reverse(s.counts.waiting),
            )
        });
        q
    }

    /// The team of the open queue.
    pub fn queue_team(&self) -> Option<String> {
        let id = self.queue.as_ref()?;
        self.overview.as_ref()?.queues.iter().find(|q| &q.queue.id == id).map(|q| q.queue.team.clone())
    }

    /// The agents a case of the open queue may go to, least loaded first: the queue team's.
    pub fn assignable(&self) -> Vec<&crate::wire::leads::AgentLoad> {
        let team = self.queue_team();
        let mut a: Vec<_> = self
            .overview
            .iter()
            .flat_map(|o| o.workload.iter())
            .filter(|w| team.as_ref().is_none_or(|t| w.teams.contains(t)))
            .collect();
        a.sort_by_key(|w| (w.breached, w.waiting, w.name.clone()));
        a
    }

    /// The cases a change applies to: the marked ones, else the selected one.
    pub fn targets(&self) -> Vec<&QueueCase> {
        if self.marked.is_empty() {
            self.cases.get(self.case_selected).into_iter().collect()
        } else {
            self.cases.iter().filter(|c| self.marked.contains(&c.case.id)).collect()
        }
    }

    /// The bulk changes a picker's choice makes.
    pub fn changes(&self, picker: &Picker) -> Vec<BulkChange> {
        let assignee = match picker {
            Picker::Assign { selected } => self.assignable().get(*selected).map(|a| a.agent_id),
            Picker::Priority { .. } => None,
        };
        let priority = match picker {
            Picker::Priority { selected } => Priority::ALL.iter().rev().nth(*selected).copied(),
            Picker::Assign { .. } => None,
        };
        self.targets()
            .into_iter()
            .map(|c| BulkChange { id: c.case.id, revision: c.case.revision, assignee_id: assignee.map(Some), priority })
            .collect()
    }

    /// Says what a bulk change did: how many applied, and why the others did not.
    pub fn bulk_done(&mut self, r: &BulkResponse) {
        let applied = r.results.iter().filter(|x| x.status == BulkStatus::Applied).count();
        let others: Vec<String> = r
            .results
            .iter()
            .filter(|x| x.status != BulkStatus::Applied)
            .map(|x| {
                let why = x.problem.as_ref().map(|p| p.detail.clone()).unwrap_or_default();
                format!("{}: {why}", &x.id.to_string()[..8])
            })
            .collect();
        self.marked.clear();
        self.message = Some(if others.is_empty() {
            (false, format!("{applied} case(s) changed."))
        } else {
            (true, format!("{applied} changed; {} not: {}", others.len(), others.join("; ")))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::leads::{AgentLoad, Queue, QueueCounts, QueueSort, QueueSummary};

    fn load(name: &str, team: &str, waiting: i64, breached: i64) -> AgentLoad {
        AgentLoad {
            agent_id: Uuid::now_v7(),
            name: name.into(),
            teams: vec![team.into()],
            waiting,
            breached,
            at_risk: 0,
        }
    }

    fn summary(id: &str, team: &str, breached: i64, at_risk: i64) -> QueueSummary {
        QueueSummary {
            queue: Queue { id: id.into(), name: id.into(), team: team.into(), statuses: vec![], sort: QueueSort::Due },
            counts: QueueCounts { breached, at_risk, ..Default::default() },
        }
    }

    #[test]
    fn troubled_queues_first_and_the_least_loaded_agents_of_the_team_offered_first() {
        let mut s = LeadState {
            overview: Some(QueuesResponse {
                at: chrono::Utc::now(),
                queues: vec![
                    summary("calm", "support", 0, 1),
                    summary("fire", "billing", 3, 0),
                    summary("warm", "support", 0, 4),
                ],
                workload: vec![
                    load("busy", "support", 9, 2),
                    load("free", "support", 1, 0),
                    load("other", "billing", 0, 0),
                ],
                sla_policies: vec![],
            }),
            ..Default::default()
        };
        let order: Vec<&str> = s.sorted_queues().iter().map(|q| q.queue.id.as_str()).collect();
        assert_eq!(order, ["fire", "warm", "calm"]);
        s.queue = Some("warm".into());
        let names: Vec<&str> = s.assignable().iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["free", "busy"], "the queue's team only, least loaded first");
    }
}
