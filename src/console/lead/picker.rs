//! The picker over a queue: give the marked cases (or the selected one) to an agent of the
//! queue's team, least loaded first, or change their priority. Applied through the bulk API,
//! each case with the revision the lead saw; what was not applied is said, case by case.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::LeadState;
use crate::console::app::App;
use crate::console::keymap::Action;
use crate::console::msg::Cmd;
use crate::console::theme::{Slot, Theme};
use crate::console::widgets::block;
use crate::domain::case::Priority;
use crate::wire::leads::{AgentLoad, BulkChange, BulkResponse, BulkStatus, QueueCase};

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

impl LeadState {
    /// The agents a case of the open queue may go to, least loaded first: the queue team's.
    pub fn assignable(&self) -> Vec<&AgentLoad> {
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

/// A key while the picker is open: move, apply, or cancel.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let l = &mut app.lead;
    let Some(picker) = l.picker.clone() else { return vec![] };
    let n = match picker {
        Picker::Assign { .. } => l.assignable().len(),
        Picker::Priority { .. } => Priority::ALL.len(),
    };
    let sel = match &picker {
        Picker::Assign { selected } | Picker::Priority { selected } => *selected,
    };
    let moved = match a {
        Action::Down => (sel + 1).min(n.saturating_sub(1)),
        Action::Up => sel.saturating_sub(1),
        Action::Close => {
            l.picker = None;
            return vec![];
        }
        Action::Apply => {
            let changes = l.changes(&picker);
            l.picker = None;
            if changes.is_empty() {
                return vec![];
            }
            l.message = Some((false, format!("Changing {} case(s)…", changes.len())));
            return vec![Cmd::Bulk(changes)];
        }
        _ => sel,
    };
    l.picker = Some(match picker {
        Picker::Assign { .. } => Picker::Assign { selected: moved },
        Picker::Priority { .. } => Picker::Priority { selected: moved },
    });
    vec![]
}

/// The server's answer to a change to many: said, and the lists counted again.
pub fn applied(app: &mut App, r: Result<BulkResponse, String>) -> Vec<Cmd> {
    let l = &mut app.lead;
    match r {
        Ok(r) => l.bulk_done(&r),
        Err(e) => l.message = Some((true, format!("Nothing changed: {e}"))),
    }
    let mut cmds = vec![Cmd::LoadOverview, Cmd::SyncNow];
    if let Some(q) = l.queue.clone() {
        cmds.push(Cmd::LoadQueueCases { queue: q, sla: l.sla });
    }
    cmds
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, p: &Picker, theme: &Theme) {
    let l = &app.lead;
    let n = l.targets().len();
    let (title, rows): (String, Vec<(String, String)>) = match p {
        Picker::Assign { .. } => (
            format!("Give {n} case(s) to… (least loaded first)"),
            l.assignable()
                .iter()
                .map(|w| {
                    (w.name.clone(), format!("{} waiting · {} breached · {} at risk", w.waiting, w.breached, w.at_risk))
                })
                .collect(),
        ),
        Picker::Priority { .. } => (
            format!("Priority for {n} case(s)"),
            Priority::ALL.iter().rev().map(|p| (p.as_str().to_string(), String::new())).collect(),
        ),
    };
    let selected = match p {
        Picker::Assign { selected } | Picker::Priority { selected } => *selected,
    };
    let w = area.width.min(64);
    let h = (rows.len() as u16 + 4).min(area.height);
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    frame.render_widget(Clear, popup);
    let mut lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .map(|(i, (name, detail))| {
            let style = if i == selected { theme.selection() } else { theme.fg(Slot::Text) };
            Line::from(vec![
                Span::styled(format!("{name:<16}"), style),
                Span::styled(detail.clone(), theme.fg(Slot::TextMuted)),
            ])
        })
        .collect();
    if rows.is_empty() {
        lines.push(Line::styled("Nobody in the queue's team.", theme.fg(Slot::TextMuted)));
    }
    lines.push(Line::styled("Enter applies · Esc cancels", theme.fg(Slot::TextMuted)));
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), popup);
}
