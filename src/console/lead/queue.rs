//! One queue's waiting cases with their SLA state: marks for a change to many, a filter by SLA
//! state, reassigning and reprioritising through the picker.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::message_line;
use super::picker::Picker;
use crate::console::app::App;
use crate::console::keymap::Action;
use crate::console::list::move_in;
use crate::console::mode::View;
use crate::console::msg::Cmd;
use crate::console::theme::{Slot, Theme};
use crate::console::widgets::{block, relative, window_start};
use crate::domain::sla::SlaState;
use crate::wire::leads::QueueCase;

/// Lists a queue's cases (another queue than the last starts afresh).
pub fn open(app: &mut App, queue: String) -> Vec<Cmd> {
    let l = &mut app.lead;
    if l.queue.as_ref() != Some(&queue) {
        l.cases.clear();
        l.marked.clear();
        l.case_selected = 0;
        l.cases_loaded = false;
    }
    l.queue = Some(queue.clone());
    l.message = None;
    let sla = l.sla;
    app.go(View::QueueCases);
    vec![Cmd::LoadQueueCases { queue, sla }]
}

/// The server's answer: marks stay on the cases still listed.
pub fn loaded(app: &mut App, queue: String, result: Result<Vec<QueueCase>, String>) -> Vec<Cmd> {
    let l = &mut app.lead;
    if l.queue.as_deref() != Some(queue.as_str()) {
        return vec![];
    }
    l.cases_loaded = true;
    match result {
        Ok(cases) => {
            let ids: std::collections::BTreeSet<uuid::Uuid> = cases.iter().map(|c| c.case.id).collect();
            l.marked.retain(|m| ids.contains(m));
            l.cases = cases;
        }
        Err(e) => l.message = Some((true, e)),
    }
    l.case_selected = l.case_selected.min(l.cases.len().saturating_sub(1));
    vec![]
}

/// A key of the queue's list.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let page = app.page();
    let l = &mut app.lead;
    match a {
        Action::Mark => {
            if let Some(c) = l.cases.get(l.case_selected) {
                let id = c.case.id;
                if !l.marked.remove(&id) {
                    l.marked.insert(id);
                }
                l.case_selected = (l.case_selected + 1).min(l.cases.len().saturating_sub(1));
            }
        }
        Action::NextSla => {
            l.sla = match l.sla {
                None => Some(SlaState::Breached),
                Some(SlaState::Breached) => Some(SlaState::AtRisk),
                Some(SlaState::AtRisk) => Some(SlaState::Ok),
                Some(SlaState::Ok) => None,
            };
            l.case_selected = 0;
            if let Some(q) = l.queue.clone() {
                return vec![Cmd::LoadQueueCases { queue: q, sla: l.sla }];
            }
        }
        Action::Assign if !l.targets().is_empty() => l.picker = Some(Picker::Assign { selected: 0 }),
        Action::Reprioritise if !l.targets().is_empty() => l.picker = Some(Picker::Priority { selected: 0 }),
        Action::Open => {
            if let Some(id) = l.cases.get(l.case_selected).map(|c| c.case.id) {
                return app.open_case(id);
            }
        }
        Action::Refresh => {
            if let Some(q) = l.queue.clone() {
                return vec![Cmd::LoadQueueCases { queue: q, sla: l.sla }, Cmd::LoadOverview];
            }
        }
        a => {
            let n = l.cases.len();
            move_in(&mut l.case_selected, n, a, page);
        }
    }
    vec![]
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let l = &app.lead;
    let name = l.queue.clone().unwrap_or_default();
    let filter = l.sla.map(|s| format!(" · only {s}")).unwrap_or_default();
    let marked = if l.marked.is_empty() { String::new() } else { format!(" · {} marked", l.marked.len()) };
    let title = format!(
        "Queue {name} · {} waiting{filter}{marked} · Space marks · a reassign · p priority · s SLA filter",
        l.cases.len()
    );
    let b = block(&title, theme, l.picker.is_none());
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let names: std::collections::HashMap<uuid::Uuid, &str> =
        l.overview.iter().flat_map(|o| o.workload.iter()).map(|w| (w.agent_id, w.name.as_str())).collect();
    let mut lines = Vec::new();
    if let Some(m) = message_line(&l.message, theme) {
        lines.push(m);
    }
    if l.cases.is_empty() {
        let text = if l.cases_loaded { "No waiting cases here." } else { "Listing…" };
        lines.push(Line::styled(text, theme.fg(Slot::TextMuted)));
    }
    let h = (inner.height as usize).saturating_sub(lines.len());
    for (i, qc) in l.cases.iter().enumerate().skip(window_start(l.case_selected, h.max(1))).take(h) {
        let c = &qc.case;
        let selected = i == l.case_selected;
        let mark = if l.marked.contains(&c.id) { "■ " } else { "  " };
        let who = c.assignee_id.map(|a| names.get(&a).copied().unwrap_or("someone")).unwrap_or("— nobody");
        // The resolution's time left in the case's business hours ("paused" while it waits on
        // the customer).
        let left = match c.resolution_due {
            _ if crate::console::hours::paused(c) => "paused".to_string(),
            Some(due) => {
                let l = crate::console::hours::left(app.hours.for_case(c), app.now, due);
                let span = crate::domain::sla::short_span(l);
                if l < chrono::Duration::zero() {
                    format!("late {span}")
                } else {
                    format!("due in {span}")
                }
            }
            None => String::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(mark, theme.fg(Slot::Warn)),
            Span::styled(
                format!("{:<9}", qc.sla.as_str()),
                theme.fg(Slot::Sla(qc.sla)).add_modifier(if qc.sla == SlaState::Breached {
                    Modifier::BOLD
                } else {
                    Modifier::empty()
                }),
            ),
            Span::styled(format!("{:<7}", c.priority.as_str()), theme.fg(Slot::Priority(c.priority))),
            Span::styled(format!("{:<8}", c.status.as_str()), theme.fg(Slot::Status(c.status))),
            Span::styled(format!("{:<10}", relative(app.now, c.created_at)), theme.fg(Slot::TextMuted)),
            Span::styled(format!("{left:<14}"), theme.fg(Slot::TextMuted)),
            Span::styled(format!("{:<12}", who), theme.fg(Slot::Info)),
            Span::styled(c.subject.clone(), if selected { theme.selection() } else { theme.fg(Slot::Text) }),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(p) = &l.picker {
        super::picker::draw(frame, area, app, p, theme);
    }
}
