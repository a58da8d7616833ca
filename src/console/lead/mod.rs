//! Lead mode: the queues overview with each agent's load ([`queues`]), a queue's cases with
//! their SLA state and marks for changes to many ([`queue`]), reassigning and reprioritising
//! with a picker ([`picker`]), the report ([`report`]), and the latest closed cases to review
//! ([`review`]). Read from the server (leads work online); changes go through the bulk API,
//! each with the revision the lead saw. Plain state and functions, like the rest of the console.

pub mod picker;
pub mod queue;
pub mod queues;
pub mod report;
pub mod review;
pub mod scoring;

use std::collections::BTreeSet;

use ratatui::text::Line;
use uuid::Uuid;

use self::picker::Picker;
use super::theme::{Slot, Theme};
use crate::domain::case::Case;
use crate::domain::sla::SlaState;
use crate::wire::leads::{QueueCase, QueuesResponse, SummaryReport};

#[derive(Debug, Default, Clone)]
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
    /// What the listed cases are when they are a figure's of the report (else the latest closed).
    pub closed_title: Option<String>,
    /// The figure or row of the report whose cases Enter opens.
    pub report_selected: usize,
    /// The names of the listed cases' customers, as the server gave them.
    pub closed_customers: std::collections::HashMap<Uuid, String>,
    /// The listed cases' quality scores, as their reviews give them.
    pub closed_quality: std::collections::HashMap<Uuid, Quality>,
    /// The listed cases' reviews as the server gave them, oldest first (the scoring view shows
    /// them, with the agent's answers).
    pub closed_reviews: std::collections::HashMap<Uuid, Vec<crate::wire::reviews::Review>>,
}

/// A case's quality: the average of its reviews' scores, how many, whether one failed, and
/// whether one is recorded here and not synced yet.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Quality {
    pub average: f64,
    pub reviews: usize,
    pub failed: bool,
    pub waiting: bool,
    /// The agent disputed one of them.
    pub disputed: bool,
}

impl Quality {
    /// Adds a review's score.
    pub fn add(&mut self, percent: f64, failed: bool) {
        self.average = (self.average * self.reviews as f64 + percent) / (self.reviews + 1) as f64;
        self.reviews += 1;
        self.failed |= failed;
    }

    /// `92 %`, `88 % ×2`, `0 % ✗` (one failed), with `⇡` while one waits to sync.
    pub fn label(&self) -> String {
        let mut s = format!("{:.0} %", self.average);
        if self.failed {
            s.push_str(" ✗");
        }
        if self.reviews > 1 {
            s.push_str(&format!(" ×{}", self.reviews));
        }
        if self.disputed {
            s.push_str(" ⚑");
        }
        if self.waiting {
            s.push_str(" ⇡");
        }
        s
    }
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
}

/// What the last change did, or what went wrong.
pub(crate) fn message_line(msg: &Option<(bool, String)>, theme: &Theme) -> Option<Line<'static>> {
    msg.as_ref().map(|(err, text)| Line::styled(text.clone(), theme.fg(if *err { Slot::Error } else { Slot::Success })))
}

/// A bar of `value` out of `max` in `width` cells.
pub(crate) fn bar(value: i64, max: i64, width: usize) -> String {
    let cells = if max <= 0 { 0 } else { ((value.max(0) as f64 / max as f64) * width as f64).round() as usize };
    "█".repeat(cells.min(width))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::{update, App};
    use crate::console::mode::View;
    use crate::console::msg::{Cmd, Msg};
    use crate::console::testing::id;
    use crate::domain::case::CaseStatus;
    use crate::wire::leads::{AgentLoad, QueueSort, QueueSummary};

    use crate::wire::leads::{Queue, QueueCounts};
    use chrono::Duration;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use uuid::Uuid;

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

    fn screen(app: &App, w: u16, h: u16) -> String {
        let (theme, _) = Theme::load("default", None, false);
        crate::console::testing::screen(app, &theme, w, h)
    }

    #[test]
    fn snapshots_of_the_lead_views() {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let mut app = crate::console::testing::lead_scene();
            app.stack.push(View::Queues);
            insta::assert_snapshot!(format!("lead_queues_{w}x{h}"), screen(&app, w, h));
            app.stack.push(View::QueueCases);
            insta::assert_snapshot!(format!("lead_queue_cases_{w}x{h}"), screen(&app, w, h));
            app.lead.marked.insert(id(10));
            app.lead.picker = Some(Picker::Assign { selected: 0 });
            insta::assert_snapshot!(format!("lead_assign_picker_{w}x{h}"), screen(&app, w, h));
            app.lead.picker = None;
            app.stack.push(View::Report);
            insta::assert_snapshot!(format!("lead_report_{w}x{h}"), screen(&app, w, h));
            let mut closed = app.lead.cases[0].case.clone();
            closed.status = CaseStatus::Resolved;
            closed.resolution = Some(crate::domain::case::Resolution {
                summary: "Refunded".into(),
                root_cause: vec![],
                outcome: crate::domain::case::Outcome::Negative,
                rasa_incomplete_reason: Some("customer left".into()),
                resolved_by: id(1),
                resolved_at: app.now - Duration::hours(3),
            });
            let customer = closed.customer_id;
            let cmds = update(&mut app, Msg::Closed(Ok(vec![closed])));
            let case_id = app.lead.cases[0].case.id;
            assert_eq!(
                cmds,
                vec![Cmd::LoadCustomerNames(vec![customer]), Cmd::LoadCaseReviews(vec![case_id])],
                "who the customers are and how the cases scored, asked once"
            );
            let zoe = crate::domain::customer::Customer::named(customer, "Zoë Müller", app.now);
            update(&mut app, Msg::CustomerNames(vec![zoe]));
            let now = app.now;
            let review = |n: u128, percent: f64| crate::console::testing::review(600 + n, case_id, percent, now);
            let mut disputed = review(2, 80.0);
            disputed.answer = crate::domain::scorecard::Answer::Disputed {
                criterion: "ask".into(),
                reason: "I asked three questions".into(),
            };
            update(&mut app, Msg::CaseReviews(vec![review(1, 90.0), disputed]));
            assert_eq!(app.lead.closed_quality[&case_id].label(), "85 % ×2 ⚑");
            assert_eq!(app.lead.closed_reviews[&case_id].len(), 2);
            app.agents = vec![crate::domain::agent::Agent {
                id: app.lead.cases[0].case.assignee_id.unwrap_or(id(1)),
                name: "anna".into(),
                role: crate::domain::agent::Role::Agent,
                teams: vec!["billing".into()],
                created_at: app.now,
            }];
            app.stack.push(View::Closed);
            insta::assert_snapshot!(format!("lead_closed_{w}x{h}"), screen(&app, w, h));
        }
    }

    #[test]
    fn a_lead_reassigns_the_breached_case_to_the_least_loaded_agent() {
        let mut app = crate::console::testing::lead_scene();
        let key = |app: &mut App, c: KeyCode| update(app, Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        app.stack.clear();
        app.stack.push(View::Home);
        assert_eq!(key(&mut app, KeyCode::Char('Q')), vec![Cmd::LoadOverview]);
        // Billing has the breaches: it comes first; Enter lists it.
        let cmds = key(&mut app, KeyCode::Enter);
        assert!(matches!(&cmds[0], Cmd::LoadQueueCases { queue, .. } if queue == "billing"));
        key(&mut app, KeyCode::Char('a'));
        // bruno (2 waiting) is offered before anna (8).
        let cmds = key(&mut app, KeyCode::Enter);
        let Cmd::Bulk(changes) = &cmds[0] else { panic!("{cmds:?}") };
        assert_eq!(changes.len(), 1);
        assert_eq!((changes[0].id, changes[0].revision, changes[0].assignee_id), (id(10), 3, Some(Some(id(2)))));
        // An agent has no lead keys.
        let mut agent = crate::console::testing::lead_scene();
        agent.lead_mode = false;
        agent.stack = vec![View::Home];
        assert!(key(&mut agent, KeyCode::Char('Q')).is_empty());
        assert_eq!(agent.view(), View::Home);
    }
}
