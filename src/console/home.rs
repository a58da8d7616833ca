//! Home: the agent's open cases and the follow-ups waiting, as the local store has them (so it
//! works offline). Enter opens a case, `t` its customer's timeline, `n` starts a case.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::App;
use super::forms::Form;
use super::keymap::Action;
use super::list::move_in;
use super::mode::View;
use super::msg::Cmd;
use super::theme::{Slot, Theme};
use super::widgets::{block, relative, window_start};
use crate::domain::case::Case;
use crate::domain::customer::Customer;
use crate::domain::followup::FollowUp;
use crate::local::overlay::Synced;

#[derive(Debug, Default, Clone)]
pub struct HomeState {
    /// The local store has answered at least once.
    pub loaded: bool,
    pub cases: Vec<Synced<Case>>,
    pub followups: Vec<Synced<FollowUp>>,
    pub selected: usize,
}

/// The local store's answer: the open cases and follow-ups (soonest due first).
pub fn loaded(app: &mut App, cases: Vec<Synced<Case>>, followups: Vec<Synced<FollowUp>>) -> Vec<Cmd> {
    app.home.cases = cases;
    app.home.followups = followups;
    app.home.followups.sort_by_key(|f| f.value.due_at);
    app.home.loaded = true;
    app.home.selected = app.home.selected.min(app.home.cases.len().saturating_sub(1));
    app.followup_selected = app.followup_selected.min(app.home.followups.len().saturating_sub(1));
    vec![]
}

/// A key of the home view.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let page = app.page();
    match a {
        Action::Open => {
            if let Some(id) = app.home.cases.get(app.home.selected).map(|c| c.value.id) {
                return app.open_case(id);
            }
        }
        Action::OpenTimeline => {
            if let Some(c) = app.home.cases.get(app.home.selected) {
                let id = c.value.customer_id;
                // Named properly once the customer arrives (Msg::Customer).
                let stub = Customer::named(id, &format!("customer of “{}”", c.value.subject), c.value.created_at);
                return super::timeline::open(app, stub);
            }
        }
        Action::NewCase => {
            app.search_for_new_case = true;
            app.go(View::Search);
        }
        Action::Queues => return super::lead::queues::open(app),
        Action::Report => return super::lead::report::open(app),
        a => move_in(&mut app.home.selected, app.home.cases.len(), a, page),
    }
    vec![]
}

/// Opens the new-case form for a customer.
pub fn new_case(app: &mut App, customer: &Customer) -> Vec<Cmd> {
    app.open_form(Form::new_case(customer.id, &customer.display_name, &Default::default()))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [cases, follow] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas::<2>(area);
    let inner_h = cases.height.saturating_sub(2) as usize;
    let start = window_start(app.home.selected, inner_h);
    let mut lines: Vec<Line> = Vec::new();
    if app.home.cases.is_empty() {
        let text = if app.home.loaded {
            "No open cases assigned to you. Press / to find a customer."
        } else {
            "Loading your cases…"
        };
        lines.push(Line::styled(text, theme.fg(Slot::TextMuted)));
    }
    for (i, c) in app.home.cases.iter().enumerate().skip(start).take(inner_h) {
        let v = &c.value;
        let style = if i == app.home.selected { theme.selection() } else { theme.fg(Slot::Text) };
        let mut spans = vec![
            Span::styled(format!("{:<8}", v.status.as_str()), theme.fg(Slot::Status(v.status))),
            Span::styled(format!("{:<7}", v.priority.as_str()), theme.fg(Slot::Priority(v.priority))),
            Span::styled(format!("{:<10}", relative(app.now, v.created_at)), theme.fg(Slot::TextMuted)),
            Span::styled(v.subject.clone(), style),
        ];
        if c.waiting {
            spans.push(Span::styled("  ⟳ waiting to sync", theme.fg(Slot::Warn)));
        }
        lines.push(Line::from(spans));
    }
    let title = format!("My open cases ({}) · Enter opens · n new case · / find · F follow-ups", app.home.cases.len());
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), cases);

    let mut lines: Vec<Line> = Vec::new();
    if app.home.followups.is_empty() {
        lines.push(Line::styled("No follow-ups waiting.", theme.fg(Slot::TextMuted)));
    }
    for f in app.home.followups.iter().take(follow.height.saturating_sub(2) as usize) {
        let v = &f.value;
        let overdue = v.due_at < app.now;
        let when = Span::styled(
            format!("{:<12}", relative(app.now, v.due_at)),
            theme.fg(if overdue { Slot::Error } else { Slot::TextMuted }),
        );
        let note = if v.note.is_empty() { "(no note)".to_string() } else { v.note.clone() };
        lines.push(Line::from(vec![
            when,
            Span::styled(format!("{:<7}", v.channel.as_str()), theme.fg(Slot::Info)),
            Span::styled(note, theme.fg(Slot::Text)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(block("Follow-ups due", theme, false)), follow);
}
