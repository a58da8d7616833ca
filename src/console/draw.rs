//! Drawing the screen: the view in the middle, the status bar (who, where, online or not,
//! what waits to sync, follow-ups due), and over them a form, the help. Every view draws from
//! the state and the theme alone — no I/O — and looks at the rows that fit on screen only, so
//! the cost of a frame does not grow with the timeline's length. Each view's drawing is in its
//! own module; this one only lays them out.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::app::App;
use super::keymap;
use super::mode::View;
use super::theme::{Slot, Theme};
use super::widgets::{block, relative};
use crate::client::sync::Connection;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas::<2>(frame.area());
    match app.view() {
        View::Home => super::home::draw(frame, main, app, theme),
        View::Search => super::search::draw(frame, main, app, theme),
        View::Timeline => super::timeline::draw(frame, main, app, theme),
        View::Case => super::case::draw::draw(frame, main, app, theme),
        View::FollowUps => super::followups::draw(frame, main, app, theme),
        View::Conflicts => super::conflicts::draw(frame, main, app, theme),
        View::Queues => super::lead::queues::draw(frame, main, app, theme),
        View::QueueCases => super::lead::queue::draw(frame, main, app, theme),
        View::Report => super::lead::report::draw(frame, main, app, theme),
        View::Closed => super::lead::review::draw(frame, main, app, theme),
    }
    status_bar(frame, status, app, theme);
    if let Some(form) = &app.form {
        super::forms::draw::draw(frame, main, form, theme);
    }
    super::knowledge::draw(frame, main, app, theme);
    super::lead::scoring::draw(frame, main, app, theme);
    super::reviews::draw(frame, main, app, theme);
    super::palette::draw(frame, main, app, theme);
    if app.help {
        help(frame, main, app, theme);
    }
}

fn status_bar(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let bar = theme.statusbar();
    let mut spans = vec![Span::styled(format!(" {} @ {} ", app.agent, app.server), bar)];
    let sep = || Span::styled("│", bar);
    match &app.sync {
        None => spans.push(Span::styled(" connecting… ", bar)),
        Some(s) => {
            let (label, slot) = match s.connection {
                Connection::Starting => ("connecting…", Slot::Info),
                Connection::Online => ("● online", Slot::Success),
                Connection::Offline => ("○ OFFLINE: working from this computer", Slot::Warn),
                Connection::SignedOut => ("✗ signed out: the token was refused", Slot::Error),
            };
            spans.push(Span::styled(format!(" {label} "), bar.fg(theme.color(slot)).add_modifier(Modifier::BOLD)));
            spans.push(sep());
            spans.push(Span::styled(format!(" {} waiting ", s.counts.pending), bar));
            if s.counts.conflicts > 0 {
                spans.push(sep());
                spans.push(Span::styled(
                    format!(" {} conflicts ", s.counts.conflicts),
                    bar.fg(theme.color(Slot::Error)),
                ));
            }
            if s.counts.rejected > 0 {
                spans.push(sep());
                spans.push(Span::styled(format!(" {} refused ", s.counts.rejected), bar.fg(theme.color(Slot::Error))));
            }
            spans.push(sep());
            let last =
                s.last_success.map(|t| format!(" synced {} ", relative(app.now, t))).unwrap_or(" never synced ".into());
            spans.push(Span::styled(last, bar));
        }
    }
    let due = app.due_followups();
    if due > 0 {
        let text =
            if due == 1 { " ⏰ 1 follow-up due (F) ".to_string() } else { format!(" ⏰ {due} follow-ups due (F) ") };
        spans.push(Span::styled("│", bar));
        spans.push(Span::styled(text, bar.fg(theme.color(Slot::Warn)).add_modifier(Modifier::BOLD)));
    }
    if app.reviews_to_answer > 0 {
        let n = app.reviews_to_answer;
        let text = if n == 1 { " 1 review to answer (V) ".to_string() } else { format!(" {n} reviews to answer (V) ") };
        spans.push(Span::styled("│", bar));
        spans.push(Span::styled(text, bar.fg(theme.color(Slot::Info)).add_modifier(Modifier::BOLD)));
    }
    spans.push(Span::styled(" ? help ", bar.add_modifier(Modifier::DIM)));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}

fn help(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = vec![Line::raw("")];
    let (title, table, other) = keymap::help_with(app.working_mode(), app.lead_mode, &app.keys);
    for b in table {
        let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<20}", keys.join(" / ")), theme.fg(Slot::HelpKey).add_modifier(Modifier::BOLD)),
            Span::styled(b.help, theme.fg(Slot::HelpDesc)),
        ]));
    }
    if let Some(other) = other {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<20}", "any other key"), theme.fg(Slot::HelpKey).add_modifier(Modifier::BOLD)),
            Span::styled(other, theme.fg(Slot::HelpDesc)),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("  any key closes this help", theme.fg(Slot::TextMuted)));
    let w = area.width.min(84);
    let h = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), popup);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::update;
    use crate::console::msg::Msg;
    use crate::console::testing::screen;
    use crate::console::theme::BUILT_IN;

    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;

    use uuid::Uuid;

    #[test]
    fn snapshots_of_every_view_at_two_sizes() {
        let (theme, _) = Theme::load("default", None, false);
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let mut app = crate::console::testing::agent_scene();
            insta::assert_snapshot!(format!("home_{w}x{h}"), screen(&app, &theme, w, h));
            // The command palette over home, narrowed to what was typed.
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE)));
            for c in "case".chars() {
                update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
            }
            insta::assert_snapshot!(format!("palette_{w}x{h}"), screen(&app, &theme, w, h));
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
            app.stack.push(View::Search);
            insta::assert_snapshot!(format!("search_{w}x{h}"), screen(&app, &theme, w, h));
            app.stack.push(View::Timeline);
            insta::assert_snapshot!(format!("timeline_{w}x{h}"), screen(&app, &theme, w, h));
            app.timeline.detail = true;
            insta::assert_snapshot!(format!("timeline_detail_{w}x{h}"), screen(&app, &theme, w, h));
            app.help = true;
            insta::assert_snapshot!(format!("timeline_help_{w}x{h}"), screen(&app, &theme, w, h));
            app.help = false;
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE)));
            assert_eq!(app.view(), View::Case, "the first event belongs to a case");
            insta::assert_snapshot!(format!("case_not_yet_{w}x{h}"), screen(&app, &theme, w, h));
            let loaded = crate::local::view::LocalCase {
                case: app.home.cases.iter().find(|c| c.value.id == crate::console::testing::id(10)).unwrap().clone(),
                notes: vec![crate::local::overlay::Synced {
                    value: crate::domain::case::Note {
                        id: Uuid::from_u128(30),
                        case_id: Uuid::from_u128(10),
                        author_id: Uuid::from_u128(9),
                        body: "Customer upset: third time asking".into(),
                        visibility: Default::default(),
                        created_at: app.now - chrono::Duration::minutes(90),
                    },
                    waiting: true,
                }],
                rasa: crate::domain::rasa::fold(&[crate::domain::rasa::StepEntry {
                    step: crate::domain::rasa::RasaStep::Receive,
                    notes: "\"It never came and nobody answers\"".into(),
                    done: true,
                    author_id: Uuid::from_u128(9),
                    at: app.now,
                }]),
                followups: app.home.followups.clone(),
                unsettled: vec![],
            };
            update(
                &mut app,
                Msg::Case { id: Uuid::from_u128(10), case: Some(Box::new(loaded)), drafts: Default::default() },
            );
            app.work.as_mut().unwrap().others = vec!["ben".into()];
            insta::assert_snapshot!(format!("case_{w}x{h}"), screen(&app, &theme, w, h));
            // A case action: snoozing, the times offered over the case.
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE)));
            insta::assert_snapshot!(format!("case_snooze_{w}x{h}"), screen(&app, &theme, w, h));
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
            // The macro picker: the step's phrases first, then the team's (filled from the case).
            update(
                &mut app,
                Msg::Macros(vec![crate::domain::macros::Macro {
                    name: "delay-sorry".into(),
                    title: "Sorry for the delay".into(),
                    text: "Hi {customer.first_name}, sorry about “{case.subject}”.".into(),
                    language: None,
                    step: None,
                    set_status: None,
                    follow_up: Some("1d".into()),
                }]),
            );
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('m'), KeyModifiers::NONE)));
            insta::assert_snapshot!(format!("case_macros_{w}x{h}"), screen(&app, &theme, w, h));
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
            // Typing the notes of the step in view (Appreciate: Receive is done).
            app.now += chrono::Duration::seconds(75);
            for k in [KeyCode::Enter, KeyCode::Char('T'), KeyCode::Char('h'), KeyCode::Char('x')] {
                update(&mut app, Msg::Key(KeyEvent::new(k, KeyModifiers::NONE)));
            }
            insta::assert_snapshot!(format!("case_typing_step_{w}x{h}"), screen(&app, &theme, w, h));
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
            // Summarize starts from what Receive captured.
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
            insta::assert_snapshot!(format!("case_summarize_{w}x{h}"), screen(&app, &theme, w, h));
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE)));
            for c in "Refund promised".chars() {
                update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
            }
            insta::assert_snapshot!(format!("case_typing_note_{w}x{h}"), screen(&app, &theme, w, h));
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
            // The resolution form, RASA incomplete, submitted without an outcome.
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('R'), KeyModifiers::NONE)));
            for c in "Reshipped".chars() {
                update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
            }
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
            insta::assert_snapshot!(format!("form_resolve_{w}x{h}"), screen(&app, &theme, w, h));
            app.form = Some(crate::console::forms::Form::followup(
                Some(Uuid::from_u128(10)),
                Uuid::from_u128(1),
                Some((crate::domain::case::Outcome::Negative, "Reshipped")),
                &Default::default(),
            ));
            insta::assert_snapshot!(format!("form_followup_proposed_{w}x{h}"), screen(&app, &theme, w, h));
            app.form =
                Some(crate::console::forms::Form::new_case(Uuid::from_u128(1), "Zoë Müller", &Default::default()));
            insta::assert_snapshot!(format!("form_new_case_{w}x{h}"), screen(&app, &theme, w, h));
            app.form = None;
            app.stack.push(View::FollowUps);
            insta::assert_snapshot!(format!("followups_{w}x{h}"), screen(&app, &theme, w, h));
            app.stack.pop();
            app.stack.push(View::Conflicts);
            app.unsettled.loaded = true;
            insta::assert_snapshot!(format!("conflicts_empty_{w}x{h}"), screen(&app, &theme, w, h));
        }
    }

    #[test]
    fn themes_colour_the_slots_they_name() {
        let app = crate::console::testing::agent_scene();
        for (name, _) in BUILT_IN {
            let (theme, _) = Theme::load(name, None, false);
            let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
            t.draw(|f| draw(f, &app, &theme)).unwrap();
            let buf = t.backend().buffer();
            // The selected case (the first row under the views and the headings), the status bar.
            assert_eq!(buf[(30, 3)].bg, theme.color(Slot::SelectionBg), "{name}: selection");
            assert_eq!(buf[(0, 23)].bg, theme.color(Slot::StatusbarBg), "{name}: status bar");
            assert_eq!(
                buf[(1, 3)].fg,
                theme.color(Slot::Sla(crate::domain::sla::SlaState::Breached)),
                "{name}: SLA colour"
            );
        }
        let (plain, _) = Theme::load("default", None, true);
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| draw(f, &app, &plain)).unwrap();
        let cell = &t.backend().buffer()[(30, 3)];
        assert!(cell.modifier.contains(Modifier::REVERSED), "NO_COLOR: the selection is reversed");
    }
}
