//! The follow-ups view: the agent's open follow-ups by due time, overdue ones highlighted,
//! each with a countdown, who it is for and how to reach them on its channel (the number to
//! call back), and its case; done, snoozed for an hour or cancelled with one key (a write like
//! any other: recorded locally, synced later).

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::App;
use super::home::contact_for;
use super::keymap::Action;
use super::list::move_in;
use super::msg::{Cmd, Write};
use super::theme::{Slot, Theme};
use super::widgets::{block, fit, relative, window_start};
use crate::domain::followup::FollowUpStatus;
use crate::wire::requests::PatchFollowUpRequest;

/// A key of the follow-ups view.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let sel = app.followup_selected;
    match a {
        Action::Open => {
            if let Some(case) = app.home.followups.get(sel).and_then(|f| f.value.case_id) {
                return app.open_case(case);
            }
        }
        Action::Done | Action::Snooze | Action::Cancel => {
            let Some(f) = app.home.followups.get(sel).map(|f| f.value.clone()) else { return vec![] };
            let mut change = PatchFollowUpRequest {
                revision: f.revision,
                status: None,
                due_at: None,
                note: None,
                assignee_id: None,
                channel: None,
            };
            match a {
                Action::Done => change.status = Some(FollowUpStatus::Done),
                Action::Cancel => change.status = Some(FollowUpStatus::Cancelled),
                _ => change.due_at = Some(app.now.max(f.due_at) + chrono::Duration::hours(1)),
            }
            return vec![Cmd::Write { write: Write::FollowUp { id: f.id, change }, clear: vec![] }];
        }
        a => {
            let (n, page) = (app.home.followups.len(), app.page());
            move_in(&mut app.followup_selected, n, a, page)
        }
    }
    vec![]
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let list = &app.home.followups;
    let overdue = list.iter().filter(|f| f.value.due_at <= app.now).count();
    let title = format!("My follow-ups ({}, {overdue} due) · d done · z snooze 1h · x cancel · Enter case", list.len());
    let b = block(&title, theme, true);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let h = inner.height as usize;
    let mut lines = Vec::with_capacity(h);
    if list.is_empty() {
        let text = if app.home.loaded { "No open follow-ups. They are added from a case (f)." } else { "Loading…" };
        lines.push(Line::styled(text, theme.fg(Slot::TextMuted)));
    }
    for (i, f) in list.iter().enumerate().skip(window_start(app.followup_selected, h)).take(h) {
        let v = &f.value;
        let late = v.due_at <= app.now;
        let soon = !late && v.due_at - app.now <= chrono::Duration::hours(1);
        let (label, slot) = if late {
            ("OVERDUE ", Slot::Error)
        } else if soon {
            ("due soon", Slot::Warn)
        } else {
            ("upcoming", Slot::TextMuted)
        };
        let countdown = if late {
            relative(app.now, v.due_at).replace(" ago", " late").replace("just now", "due now")
        } else {
            relative(app.now, v.due_at)
        };
        let selected = i == app.followup_selected;
        let note_style = if selected { theme.selection() } else { theme.fg(Slot::Text) };
        let home = &app.home;
        let who = home.customer_name(v.customer_id);
        let contact = home.customers.get(&v.customer_id).and_then(|c| contact_for(c, v.channel)).unwrap_or_default();
        let case = v.case_id.and_then(|c| home.subjects.get(&c)).map(|s| format!("  ⧉ {s}")).unwrap_or_default();
        let mut spans = vec![
            Span::styled(
                format!("{label} "),
                theme.fg(slot).add_modifier(if late { Modifier::BOLD } else { Modifier::empty() }),
            ),
            Span::styled(format!("{:<11}", countdown), theme.fg(slot)),
            Span::styled(
                format!("{} ", v.due_at.with_timezone(&app.tz.0).format("%a %H:%M")),
                theme.fg(Slot::TextMuted),
            ),
            Span::styled(fit(v.channel.as_str(), 7), theme.fg(Slot::Info)),
            Span::styled(fit(who, 20), note_style.add_modifier(Modifier::BOLD)),
            Span::styled(fit(&contact, 20), theme.fg(Slot::TextMuted)),
            Span::styled(if v.note.is_empty() { "(no note)".to_string() } else { v.note.clone() }, note_style),
            Span::styled(case, theme.fg(Slot::Info)),
        ];
        if f.waiting {
            spans.push(Span::styled("  ⟳", theme.fg(Slot::Warn)));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
