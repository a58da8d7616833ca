//! Lead mode's overview: the queues, those in trouble first (breaches, then at risk, then
//! waiting), with each agent's load; Enter lists a queue's cases, `L` its team's closed cases.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::bar;
use crate::console::app::App;
use crate::console::keymap::Action;
use crate::console::list::move_in;
use crate::console::mode::View;
use crate::console::msg::Cmd;
use crate::console::theme::{Slot, Theme};
use crate::console::widgets::{block, window_start};
use crate::domain::sla::SlaState;
use crate::wire::leads::QueuesResponse;

/// Opens the overview.
pub fn open(app: &mut App) -> Vec<Cmd> {
    app.go(View::Queues);
    vec![Cmd::LoadOverview]
}

/// The server's answer.
pub fn loaded(app: &mut App, r: Result<Box<QueuesResponse>, String>) -> Vec<Cmd> {
    let l = &mut app.lead;
    match r {
        Ok(o) => {
            l.overview = Some(*o);
            l.overview_error = None;
        }
        Err(e) => l.overview_error = Some(e),
    }
    let n = l.sorted_queues().len();
    l.queue_selected = l.queue_selected.min(n.saturating_sub(1));
    vec![]
}

/// A key of the overview.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let page = app.page();
    let l = &mut app.lead;
    match a {
        Action::Open => {
            let Some(q) = l.sorted_queues().get(l.queue_selected).map(|q| q.queue.id.clone()) else { return vec![] };
            return super::queue::open(app, q);
        }
        Action::Closed => {
            let team = l.sorted_queues().get(l.queue_selected).map(|q| q.queue.team.clone());
            if let Some(team) = team {
                return super::review::open(app, team);
            }
        }
        Action::Report => return super::report::open(app),
        Action::Refresh => return vec![Cmd::LoadOverview],
        a => {
            let n = l.sorted_queues().len();
            move_in(&mut l.queue_selected, n, a, page);
        }
    }
    vec![]
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let l = &app.lead;
    let [top, bottom] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas::<2>(area);
    let b = block("Queues · trouble first · Enter opens · L closed cases · P report · r recount", theme, true);
    let inner = b.inner(top);
    frame.render_widget(b, top);
    let mut lines = Vec::new();
    if let Some(e) = &l.overview_error {
        lines.push(Line::styled(format!("Could not count the queues: {e}"), theme.fg(Slot::Error)));
    } else if l.overview.is_none() {
        lines.push(Line::styled("Counting…", theme.fg(Slot::TextMuted)));
    }
    if l.overview.is_some() {
        lines.push(Line::styled(
            format!(
                "{:<18}{:<10}{:>8}{:>10}{:>9}{:>8}   {:>5} {:>5} {:>5} {:>5} {:>5}",
                "queue", "team", "waiting", "BREACHED", "at risk", "nobody", "<1h", "1-4h", "4-24h", "1-3d", ">3d"
            ),
            theme.fg(Slot::TextMuted),
        ));
    }
    let queues = l.sorted_queues();
    let h = inner.height.saturating_sub(1) as usize;
    for (i, q) in queues.iter().enumerate().skip(window_start(l.queue_selected, h.max(1))).take(h) {
        let c = &q.counts;
        let name_style = if i == l.queue_selected { theme.selection() } else { theme.fg(Slot::Text) };
        let age = |k: &str| c.by_age.get(k).copied().unwrap_or(0);
        lines.push(Line::from(vec![
            Span::styled(format!("{:<18}", q.queue.name), name_style),
            Span::styled(format!("{:<10}", q.queue.team), theme.fg(Slot::TextMuted)),
            Span::styled(format!("{:>8}", c.waiting), theme.fg(Slot::Text)),
            Span::styled(
                format!("{:>10}", c.breached),
                if c.breached > 0 {
                    theme.fg(Slot::Sla(SlaState::Breached)).add_modifier(Modifier::BOLD)
                } else {
                    theme.fg(Slot::TextMuted)
                },
            ),
            Span::styled(
                format!("{:>9}", c.at_risk),
                if c.at_risk > 0 { theme.fg(Slot::Sla(SlaState::AtRisk)) } else { theme.fg(Slot::TextMuted) },
            ),
            Span::styled(format!("{:>8}", c.unassigned), theme.fg(Slot::TextMuted)),
            Span::styled(
                format!(
                    "   {:>5} {:>5} {:>5} {:>5} {:>5}",
                    age("under_1h"),
                    age("1h_4h"),
                    age("4h_24h"),
                    age("1d_3d"),
                    age("over_3d")
                ),
                theme.fg(Slot::TextMuted),
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    // Workload: each agent's waiting cases, breached in red.
    let b = block("Workload · waiting cases per agent (breached · at risk)", theme, false);
    let inner = b.inner(bottom);
    frame.render_widget(b, bottom);
    let loads: Vec<_> = l.overview.iter().flat_map(|o| o.workload.iter()).collect();
    let max = loads.iter().map(|w| w.waiting).max().unwrap_or(0);
    let width = (inner.width as usize).saturating_sub(44).clamp(5, 40);
    let lines: Vec<Line> = loads
        .iter()
        .take(inner.height as usize)
        .map(|w| {
            Line::from(vec![
                Span::styled(format!("{:<14}", w.name), theme.fg(Slot::Text)),
                Span::styled(format!("{:>4} ", w.waiting), theme.fg(Slot::Text)),
                Span::styled(format!("{:<width$}", bar(w.waiting, max, width)), Style::default().fg(theme.chart(0))),
                Span::styled(
                    format!("  {} breached", w.breached),
                    if w.breached > 0 { theme.fg(Slot::Sla(SlaState::Breached)) } else { theme.fg(Slot::TextMuted) },
                ),
                Span::styled(format!(" · {} at risk", w.at_risk), theme.fg(Slot::TextMuted)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
