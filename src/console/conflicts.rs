//! The conflicts view: changes the server did not take as they were. A conflict shows both
//! sides (mine, and the server's current state) for the agent to keep one; a refusal shows the
//! server's reason until dismissed. Never hidden, never settled silently.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::app::App;
use super::keymap::Action;
use super::list::move_in;
use super::msg::{Cmd, Settle, Write};
use super::theme::{Slot, Theme};
use super::widgets::{block, relative, window_start};
use crate::local::overlay::{LocalOp, OpState};

/// The outbox's conflicts and refusals, as last read.
#[derive(Debug, Default, Clone)]
pub struct UnsettledState {
    pub loaded: bool,
    pub ops: Vec<LocalOp>,
    pub selected: usize,
}

/// The local store's answer.
pub fn loaded(app: &mut App, ops: Vec<LocalOp>) -> Vec<Cmd> {
    let u = &mut app.unsettled;
    u.ops = ops;
    u.loaded = true;
    u.selected = u.selected.min(u.ops.len().saturating_sub(1));
    vec![]
}

/// A key of the conflicts view.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let page = app.page();
    let u = &mut app.unsettled;
    match a {
        Action::Open => {
            if let Some(case) = u.ops.get(u.selected).and_then(|o| o.body.case_id()) {
                return app.open_case(case);
            }
        }
        Action::KeepMine | Action::TakeTheirs | Action::Dismiss => {
            let Some(op) = u.ops.get(u.selected) else { return vec![] };
            let how = match (a, op.state) {
                (Action::KeepMine, OpState::Conflict) => Settle::KeepMine,
                (Action::TakeTheirs, OpState::Conflict) => Settle::TakeTheirs,
                (Action::Dismiss, OpState::Rejected) => Settle::Dismiss,
                _ => return vec![],
            };
            return vec![Cmd::Write { write: Write::Settle { op: op.id, how }, clear: vec![] }];
        }
        a => move_in(&mut u.selected, u.ops.len(), a, page),
    }
    vec![]
}

/// What the server said, in a line.
pub fn reason(op: &LocalOp) -> String {
    let answer = op.answer.as_ref();
    match answer.and_then(|a| a.problem.as_ref()) {
        Some(p) => p.detail.clone(),
        None if op.state == OpState::Conflict => "changed on the server since you read it".into(),
        None => "refused".into(),
    }
}

fn pretty(v: &serde_json::Value) -> Vec<String> {
    serde_json::to_string_pretty(v).unwrap_or_default().lines().map(String::from).collect()
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let u = &app.unsettled;
    let [list, detail] = Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas::<2>(area);
    let b =
        block(&format!("To settle ({}) · m keep mine · t take theirs · x dismiss a refusal", u.ops.len()), theme, true);
    let inner = b.inner(list);
    frame.render_widget(b, list);
    let h = inner.height as usize;
    let mut lines = Vec::new();
    if u.ops.is_empty() {
        let text = if u.loaded { "Nothing to settle: every change reached the server as made." } else { "Loading…" };
        lines.push(Line::styled(text, theme.fg(Slot::TextMuted)));
    }
    for (i, op) in u.ops.iter().enumerate().skip(window_start(u.selected, h)).take(h) {
        let (label, slot) = match op.state {
            OpState::Conflict => ("conflict", Slot::Warn),
            _ => ("refused ", Slot::Error),
        };
        let style = if i == u.selected { theme.selection() } else { theme.fg(Slot::Text) };
        lines.push(Line::from(vec![
            Span::styled(format!("{label} "), theme.fg(slot).add_modifier(Modifier::BOLD)),
            Span::styled(format!("{:<10}", relative(app.now, op.created_at)), theme.fg(Slot::TextMuted)),
            Span::styled(format!("{:<16}", op.body.kind().as_str()), theme.fg(Slot::Info)),
            Span::styled(reason(op), style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    let Some(op) = u.ops.get(u.selected) else {
        frame.render_widget(block("Both sides", theme, false), detail);
        return;
    };
    let [mine, theirs] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas::<2>(detail);
    let mine_json: serde_json::Value = serde_json::from_str(&op.body.payload_json()).unwrap_or_default();
    let mine_lines: Vec<Line> = pretty(&mine_json).into_iter().map(|l| Line::styled(l, theme.fg(Slot::Text))).collect();
    frame.render_widget(
        Paragraph::new(mine_lines).wrap(Wrap { trim: false }).block(block("Mine (m keeps it)", theme, false)),
        mine,
    );
    let theirs_lines: Vec<Line> = match op.answer.as_ref().and_then(|a| a.current.as_ref()) {
        Some(v) => pretty(v).into_iter().map(|l| Line::styled(l, theme.fg(Slot::Text))).collect(),
        None => vec![Line::styled(reason(op), theme.fg(Slot::Error))],
    };
    let title = if op.state == OpState::Conflict {
        "Theirs, now on the server (t takes it)"
    } else {
        "The server's answer (x dismisses)"
    };
    frame.render_widget(
        Paragraph::new(theirs_lines).wrap(Wrap { trim: false }).block(block(title, theme, false)),
        theirs,
    );
}
