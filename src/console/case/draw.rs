//! Drawing the case workspace: the case header with its clocks and who else is here, the RASA
//! stepper with the step's guidance and notes, the case's notes, resolution and follow-ups,
//! and the customer's timeline beside it. From the state alone, like every view.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::workspace::{Typing, Workspace};
use crate::console::app::App;
use crate::console::theme::{RasaMark, Slot, Theme};
use crate::console::timeline::{timeline_line, Row};
use crate::console::widgets::{block, draw_text_area, relative, window_start};
use crate::domain::case::NoteVisibility;
use crate::domain::rasa::RasaStep;

/// "04:12", "1:02:07": how long something has been going.
pub fn clock(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - since).num_seconds().max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(w) = app.work.as_ref() else { return };
    let show_card = !app.hide_card && app.timeline.customer.is_some();
    let (panel, beside) = if area.width >= 110 {
        let [p, t] = Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas::<2>(area);
        (p, Some(t))
    } else if area.height >= 22 {
        let [p, t] = Layout::vertical([Constraint::Min(10), Constraint::Length(6)]).areas::<2>(area);
        (p, Some(t))
    } else {
        (area, None)
    };
    match &w.data {
        Some(_) => panel_of(frame, panel, app, w, theme),
        None => {
            let text = if w.loaded {
                "This case is not on this computer yet: it arrives with the next sync (r syncs now)."
            } else {
                "Loading the case…"
            };
            let p = Paragraph::new(Line::styled(text, theme.fg(Slot::TextMuted))).block(block("Case", theme, true));
            frame.render_widget(p.wrap(Wrap { trim: false }), panel);
        }
    }
    match beside {
        // Beside the case: the card on top, the timeline under it.
        Some(area) if show_card && area.width < 110 && area.height < 12 => {
            crate::console::card::draw(frame, area, app, theme);
        }
        Some(area) if show_card => {
            let card_h = crate::console::card::height(app, area.width).min(area.height / 2);
            let [c, t] = Layout::vertical([Constraint::Length(card_h), Constraint::Min(0)]).areas::<2>(area);
            crate::console::card::draw(frame, c, app, theme);
            timeline_beside(frame, t, app, theme);
        }
        Some(area) => timeline_beside(frame, area, app, theme),
        None => {}
    }
    super::actions::draw(frame, panel, app, theme);
}

fn panel_of(frame: &mut Frame, area: Rect, app: &App, w: &Workspace, theme: &Theme) {
    let Some(data) = w.data.as_ref() else { return };
    let case = &data.case.value;
    let outer = block(&format!("Case: {}", case.subject), theme, w.typing.is_none());
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let guide = app.guidance.step(w.step);
    let note_rows = if w.typing == Some(Typing::Note) { 5.max(inner.height / 4) } else { 3.max(inner.height / 4) };
    let guidance_rows = if inner.width < 100 { 4 } else { 3 };
    let [head, stepper, guidance, notes_area, case_notes, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(guidance_rows),
        Constraint::Min(3),
        Constraint::Length(note_rows),
        Constraint::Length(3),
    ])
    .areas::<6>(inner);

    // Header: status, priority, channel, clocks; who else is here.
    let mut spans = vec![
        Span::styled(case.status.as_str(), theme.fg(Slot::Status(case.status))),
        Span::styled(" · ", theme.fg(Slot::TextMuted)),
        Span::styled(case.priority.as_str(), theme.fg(Slot::Priority(case.priority))),
        Span::styled(format!(" · {} · {}/{}", case.channel, case.queue, case.team), theme.fg(Slot::TextMuted)),
        Span::styled(
            format!("  ⏱ {} · {} {}", clock(w.opened_at, app.now), guide.name, clock(w.step_since, app.now)),
            theme.fg(Slot::Info),
        ),
    ];
    if data.case.waiting {
        spans.push(Span::styled("  ⟳ waiting to sync", theme.fg(Slot::Warn)));
    }
    let mut head_lines = vec![Line::from(spans)];
    if !w.others.is_empty() {
        head_lines.push(Line::styled(
            format!("⚑ also here now: {} — agree who answers the customer", w.others.join(", ")),
            theme.fg(Slot::Warn).add_modifier(Modifier::BOLD),
        ));
    } else if !data.unsettled.is_empty() {
        head_lines.push(Line::styled(
            format!("⚠ {} change(s) on this case need you: C settles them", data.unsettled.len()),
            theme.fg(Slot::Error).add_modifier(Modifier::BOLD),
        ));
    } else if !case.tags.is_empty() {
        let tags: Vec<String> = case.tags.iter().map(|t| format!("#{t}")).collect();
        head_lines.push(Line::styled(format!("{}  · t changes them", tags.join(" ")), theme.fg(Slot::Info)));
    }
    frame.render_widget(Paragraph::new(head_lines), head);

    // The stepper: done ✓, the first not done ●, the others ○; the step in view stands out.
    let done_count = data.rasa.steps.iter().filter(|s| s.done_at.is_some()).count();
    let mut steps =
        vec![Span::styled(format!("RASA {done_count}/4  "), theme.fg(Slot::Title).add_modifier(Modifier::BOLD))];
    for (i, s) in RasaStep::ALL.iter().enumerate() {
        let (mark, slot) = if w.done(*s) {
            ("✓", Slot::Rasa(RasaMark::Done))
        } else if data.rasa.current == Some(*s) {
            ("●", Slot::Rasa(RasaMark::Current))
        } else {
            ("○", Slot::Rasa(RasaMark::Todo))
        };
        let label = format!(" {mark} {} ", app.guidance.step(*s).name);
        let style = if *s == w.step { theme.selection() } else { theme.fg(slot) };
        steps.push(Span::styled(label, style));
        if i < 3 {
            steps.push(Span::styled("→", theme.fg(Slot::TextMuted)));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(steps)), stepper);

    // Guidance and example phrases for the step in view.
    let examples: Vec<String> = guide.examples.iter().map(|e| format!("“{e}”")).collect();
    let guidance_lines = vec![
        Line::styled(guide.guidance.clone(), theme.fg(Slot::Text)),
        Line::styled(examples.join("  "), theme.fg(Slot::TextMuted).add_modifier(Modifier::ITALIC)),
    ];
    frame.render_widget(Paragraph::new(guidance_lines).wrap(Wrap { trim: true }), guidance);

    // The step's notes: the text area while typing, the text otherwise.
    let typing_step = w.typing == Some(Typing::Step);
    let title = if typing_step {
        format!("{} notes · typing: Ctrl-s done → next step · Esc stop", guide.name)
    } else if w.done(w.step) {
        format!("{} notes ✓ · Enter to type · x marks not done", guide.name)
    } else {
        format!("{} notes · Enter to type · x marks done", guide.name)
    };
    let b = block(&title, theme, typing_step);
    let text_area = b.inner(notes_area);
    frame.render_widget(b, notes_area);
    let area_widget = &w.steps[w.step.index()];
    draw_text_area(frame, text_area, area_widget, typing_step, theme);

    // The case's notes (newest last), or the note being written.
    if w.typing == Some(Typing::Note) {
        let vis = match w.note_visibility {
            NoteVisibility::Internal => "internal",
            NoteVisibility::Customer => "VISIBLE TO THE CUSTOMER",
        };
        let b = block(&format!("New note ({vis}) · Ctrl-s add · Ctrl-t internal/customer · Esc stop"), theme, true);
        let inner = b.inner(case_notes);
        frame.render_widget(b, case_notes);
        frame.render_widget(&w.note, inner);
    } else {
        let rows = case_notes.height as usize;
        let mut lines = vec![Line::styled(
            format!("Notes ({}) · n writes one", data.notes.len()),
            theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
        )];
        for n in data.notes.iter().rev().take(rows.saturating_sub(1)).rev() {
            let wait = if n.waiting { " ⟳" } else { "" };
            let vis = if n.value.visibility == NoteVisibility::Customer { " [customer]" } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{:<9}", relative(app.now, n.value.created_at)), theme.fg(Slot::TextMuted)),
                Span::styled(format!("{}{vis}{wait}", n.value.body.lines().next().unwrap_or("")), theme.fg(Slot::Text)),
            ]));
        }
        frame.render_widget(Paragraph::new(lines), case_notes);
    }

    // The last word for the agent first (an error is never pushed out of sight by a long
    // line below it), then the resolution and the follow-ups.
    let mut lines = Vec::new();
    if let Some((error, text)) = &w.message {
        let style = if *error { theme.fg(Slot::Error).add_modifier(Modifier::BOLD) } else { theme.fg(Slot::Success) };
        lines.push(Line::styled(if *error { format!("✗ {text}") } else { text.clone() }, style));
    }
    match &case.resolution {
        Some(r) => {
            let why = if r.root_cause.is_empty() {
                String::new()
            } else {
                format!(" · why: {}", r.root_cause.join(" → "))
            };
            lines.push(Line::styled(
                format!("Resolved · {} · {}{why}", r.outcome, r.summary),
                theme.fg(Slot::Outcome(r.outcome)),
            ));
        }
        None => lines.push(Line::styled("Not resolved · R resolves", theme.fg(Slot::TextMuted))),
    }
    let open: Vec<String> = data
        .followups
        .iter()
        .filter(|f| f.value.status == crate::domain::followup::FollowUpStatus::Open)
        .map(|f| format!("{} ({})", relative(app.now, f.value.due_at), f.value.channel))
        .collect();
    lines.push(Line::styled(
        if open.is_empty() {
            "No follow-up · f adds one".to_string()
        } else {
            format!("Follow-up due {} · f adds one", open.join(", "))
        },
        theme.fg(Slot::Info),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), footer);
}

/// The customer's timeline, compact, beside the case: only the rows that fit.
fn timeline_beside(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let t = &app.timeline;
    let name = t.customer.as_ref().map(|c| c.display_name.as_str()).unwrap_or("Customer");
    let state = if t.loading {
        " · loading…"
    } else if t.offline {
        " · OFFLINE"
    } else {
        ""
    };
    let title = format!("{name} · {} events{state} · j/k", t.events.len());
    let b = block(&title, theme, false);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let h = inner.height as usize;
    let mut lines: Vec<Line> = Vec::with_capacity(h);
    if t.rows.is_empty() && !t.loading {
        lines.push(Line::styled("No events for this customer yet.", theme.fg(Slot::TextMuted)));
    }
    for (i, row) in t.rows.iter().enumerate().skip(window_start(t.selected, h)).take(h) {
        match row {
            Row::Day(d) => lines.push(Line::styled(format!("── {}", d.format("%a %-d %b")), theme.fg(Slot::TextMuted))),
            Row::Event(k) => lines.push(timeline_line(&t.events[*k], i == t.selected, t.dated(i), app, theme, true)),
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_count_minutes_then_hours() {
        let t = Utc::now();
        assert_eq!(clock(t, t + chrono::Duration::seconds(252)), "04:12");
        assert_eq!(clock(t, t + chrono::Duration::seconds(3727)), "1:02:07");
        assert_eq!(clock(t, t - chrono::Duration::seconds(5)), "00:00");
    }
}
