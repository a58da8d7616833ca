//! Drawing: every view is a function of the state and the theme, nothing else — no I/O, and
//! only the rows that fit on screen are looked at, so the cost of a frame does not grow with
//! the timeline's length.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{App, Row};
use super::keymap::{bindings, Binding, View, FORM, PICKER, TYPING};
use super::theme::Theme;
use crate::domain::event::Event;
use crate::sync::engine::Connection;

/// A text area: the editor with its cursor while `typing`, else its text (or, empty, its hint
/// muted), wrapped.
pub(crate) fn draw_text_area(
    frame: &mut Frame,
    area: Rect,
    text: &tui_textarea::TextArea,
    typing: bool,
    theme: &Theme,
) {
    if typing {
        frame.render_widget(text, area);
        return;
    }
    let lines: Vec<Line> = if text.lines().iter().all(|l| l.is_empty()) {
        vec![Line::styled(text.placeholder_text().to_string(), theme.fg("ui.text_muted"))]
    } else {
        text.lines().iter().map(|l| Line::styled(l.clone(), theme.fg("ui.text"))).collect()
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// "just now", "5m ago", "3h ago", "2d ago", "in 10m".
pub fn relative(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    let (n, ago) = (secs.unsigned_abs(), secs >= 0);
    let span = match n {
        0..=44 => return "just now".into(),
        45..=3_599 => format!("{}m", n.div_ceil(60)),
        3_600..=86_399 => format!("{}h", n / 3_600),
        86_400..=2_591_999 => format!("{}d", n / 86_400),
        _ => format!("{}mo", n / 2_592_000),
    };
    if ago {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// A symbol for the kind of event, so a glance tells orders from payments from calls.
pub fn kind_symbol(kind: &str) -> &'static str {
    let k = kind.to_ascii_lowercase();
    let has = |w: &str| k.contains(w);
    if has("nps") || has("csat") || has("survey") {
        "★"
    } else if has("payment") || has("invoice") || has("refund") || has("charge") {
        "$"
    } else if has("order") || has("ship") || has("return") || has("deliver") {
        "▸"
    } else if has("call") {
        "☏"
    } else if has("chat") || has("message") || has("email") || has("ticket") {
        "✉"
    } else if has("note") {
        "✎"
    } else if has("case") || has("followup") || has("rasa") {
        "■"
    } else {
        "·"
    }
}

/// A survey answer that must stand out: an NPS detractor (0–6) or CSAT 1–2.
pub fn unhappy_survey(e: &Event) -> bool {
    let score = || serde_json::from_str::<serde_json::Value>(e.data.get()).ok()?.get("score")?.as_i64();
    match e.kind.as_str() {
        k if k.contains("nps") => score().is_some_and(|s| s <= 6),
        k if k.contains("csat") => score().is_some_and(|s| s <= 2),
        _ => false,
    }
}

pub(crate) fn block(title: &str, theme: &Theme, focused: bool) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.fg(if focused { "ui.border_focused" } else { "ui.border" }))
        .title(Span::styled(format!(" {title} "), theme.fg("ui.title").add_modifier(Modifier::BOLD)))
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas::<2>(frame.area());
    match app.view() {
        View::Home => home(frame, main, app, theme),
        View::Search => search(frame, main, app, theme),
        View::Timeline => timeline(frame, main, app, theme),
        View::Case => super::case_view::draw_case(frame, main, app, theme),
        View::FollowUps => super::followups_view::draw_followups(frame, main, app, theme),
        View::Conflicts => super::conflicts_view::draw_conflicts(frame, main, app, theme),
        View::Queues => super::lead_view::draw_queues(frame, main, app, theme),
        View::QueueCases => super::lead_view::draw_queue_cases(frame, main, app, theme),
        View::Report => super::lead_view::draw_report(frame, main, app, theme),
        View::Closed => super::lead_view::draw_closed(frame, main, app, theme),
    }
    status_bar(frame, status, app, theme);
    if let Some(form) = &app.form {
        super::form_view::draw_form(frame, main, form, theme);
    }
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
                Connection::Starting => ("connecting…", "ui.info"),
                Connection::Online => ("● online", "ui.success"),
                Connection::Offline => ("○ OFFLINE: working from this computer", "ui.warn"),
                Connection::SignedOut => ("✗ signed out: the token was refused", "ui.error"),
            };
            spans.push(Span::styled(format!(" {label} "), bar.fg(theme.color(slot)).add_modifier(Modifier::BOLD)));
            spans.push(sep());
            spans.push(Span::styled(format!(" {} waiting ", s.counts.pending), bar));
            if s.counts.conflicts > 0 {
                spans.push(sep());
                spans
                    .push(Span::styled(format!(" {} conflicts ", s.counts.conflicts), bar.fg(theme.color("ui.error"))));
            }
            if s.counts.rejected > 0 {
                spans.push(sep());
                spans.push(Span::styled(format!(" {} refused ", s.counts.rejected), bar.fg(theme.color("ui.error"))));
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
        spans.push(Span::styled(text, bar.fg(theme.color("ui.warn")).add_modifier(Modifier::BOLD)));
    }
    spans.push(Span::styled(" ? help ", bar.add_modifier(Modifier::DIM)));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}

fn home(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
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
        lines.push(Line::styled(text, theme.fg("ui.text_muted")));
    }
    for (i, c) in app.home.cases.iter().enumerate().skip(start).take(inner_h) {
        let v = &c.value;
        let style = if i == app.home.selected { theme.selection() } else { theme.fg("ui.text") };
        let mut spans = vec![
            Span::styled(format!("{:<8}", v.status.as_str()), theme.fg(&format!("status.{}", v.status.as_str()))),
            Span::styled(format!("{:<7}", v.priority.as_str()), theme.fg(&format!("priority.{}", v.priority.as_str()))),
            Span::styled(format!("{:<10}", relative(app.now, v.created_at)), theme.fg("ui.text_muted")),
            Span::styled(v.subject.clone(), style),
        ];
        if c.waiting {
            spans.push(Span::styled("  ⟳ waiting to sync", theme.fg("ui.warn")));
        }
        lines.push(Line::from(spans));
    }
    let title = format!("My open cases ({}) · Enter opens · n new case · / find · F follow-ups", app.home.cases.len());
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), cases);

    let mut lines: Vec<Line> = Vec::new();
    if app.home.followups.is_empty() {
        lines.push(Line::styled("No follow-ups waiting.", theme.fg("ui.text_muted")));
    }
    for f in app.home.followups.iter().take(follow.height.saturating_sub(2) as usize) {
        let v = &f.value;
        let overdue = v.due_at < app.now;
        let when = Span::styled(
            format!("{:<12}", relative(app.now, v.due_at)),
            theme.fg(if overdue { "ui.error" } else { "ui.text_muted" }),
        );
        let note = if v.note.is_empty() { "(no note)".to_string() } else { v.note.clone() };
        lines.push(Line::from(vec![
            when,
            Span::styled(format!("{:<7}", v.channel.as_str()), theme.fg("ui.info")),
            Span::styled(note, theme.fg("ui.text")),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(block("Follow-ups due", theme, false)), follow);
}

fn search(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [input, results] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas::<2>(area);
    let s = &app.search;
    let query = Line::from(vec![
        Span::styled(s.query.clone(), Style::default().fg(theme.color("ui.input_fg"))),
        Span::styled("▏", theme.fg("ui.border_focused")),
    ]);
    frame.render_widget(
        Paragraph::new(query).style(Style::default().bg(theme.color("ui.input_bg"))).block(block(
            "Find a customer: name, email, phone or an id from any system",
            theme,
            true,
        )),
        input,
    );
    let mut lines: Vec<Line> = Vec::new();
    for e in s.notice.iter().chain(&s.error) {
        lines.push(Line::styled(e.clone(), theme.fg("ui.error")));
    }
    if s.offline {
        lines.push(Line::styled("offline: customers seen before on this computer", theme.fg("ui.warn")));
    }
    if s.query.trim().is_empty() {
        lines.push(Line::styled("Type to search; Enter opens the timeline, Esc goes back.", theme.fg("ui.text_muted")));
    } else if s.results.is_empty() && s.results_for == s.query {
        lines.push(Line::styled(format!("No customer matches “{}”.", s.query), theme.fg("ui.text_muted")));
    }
    let h = results.height.saturating_sub(2) as usize;
    for (i, c) in s.results.iter().enumerate().skip(window_start(s.selected, h)).take(h) {
        let style = if i == s.selected { theme.selection() } else { theme.fg("ui.text") };
        let ids: Vec<String> = c.external_ids.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<28}", c.display_name), style),
            Span::styled(format!("{:<32}", c.emails.first().cloned().unwrap_or_default()), theme.fg("ui.text_muted")),
            Span::styled(format!("{:<16}", c.phones.first().cloned().unwrap_or_default()), theme.fg("ui.text_muted")),
            Span::styled(ids.join(" "), theme.fg("ui.info")),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block(&format!("Customers ({})", s.results.len()), theme, false)),
        results,
    );
}

/// The first row of the window that shows `selected` in `height` rows: whole pages, so the
/// list does not jitter while moving.
pub(crate) fn window_start(selected: usize, height: usize) -> usize {
    selected.checked_div(height).map_or(0, |page| page * height)
}

fn timeline(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let t = &app.timeline;
    let (list, detail) = if t.detail {
        if area.width >= 120 {
            let [l, d] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas::<2>(area);
            (l, Some(d))
        } else {
            let [l, d] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas::<2>(area);
            (l, Some(d))
        }
    } else {
        (area, None)
    };
    let name = t.customer.as_ref().map(|c| c.display_name.as_str()).unwrap_or("");
    let mut filter = t.source.as_ref().map(|s| format!(" · only {s}")).unwrap_or_default();
    if let Some(k) = &t.kind {
        filter.push_str(&format!(" · only {k}"));
    }
    if t.typing || !t.query.is_empty() {
        filter.push_str(&format!(" · /{}{}", t.query, if t.typing { "▏" } else { "" }));
    }
    let loading = if t.loading {
        " · loading…"
    } else if t.next_cursor.is_none() && !t.events.is_empty() {
        " · all loaded"
    } else {
        ""
    };
    let offline = if t.offline { " · OFFLINE: what this computer has" } else { "" };
    let title = format!("{name} · {} events{filter}{loading}{offline}", t.events.len());
    let h = list.height.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::with_capacity(h);
    if let Some(e) = &t.error {
        lines.push(Line::styled(e.clone(), theme.fg("ui.error")));
    }
    if t.rows.is_empty() && !t.loading {
        lines.push(Line::styled("No events for this customer yet.", theme.fg("ui.text_muted")));
    }
    let width = list.width.saturating_sub(2) as usize;
    for (i, row) in t.rows.iter().enumerate().skip(window_start(t.selected, h)).take(h.saturating_sub(lines.len())) {
        match row {
            Row::Day(d) => {
                let head = format!("── {} ", d.format("%A %-d %B %Y"));
                let rule = "─".repeat(width.saturating_sub(head.chars().count()));
                lines.push(Line::styled(format!("{head}{rule}"), theme.fg("ui.text_muted")));
            }
            Row::Event(k) => lines.push(timeline_line(&t.events[*k], i == t.selected, app, theme, false)),
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), list);
    if let Some(area) = detail {
        let lines = match t.selected_event().map(|k| &t.events[k]) {
            Some(e) => event_detail(e, &t.tz.0, theme),
            None => vec![Line::styled("Select an event.", theme.fg("ui.text_muted"))],
        };
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block("Event", theme, false)), area);
    }
}

/// One event of a timeline list: clock, relative time, source badge, kind symbol, title; an
/// unhappy survey marked `!`; `compact` leaves out the relative time and the case marker.
pub(crate) fn timeline_line<'a>(e: &Event, selected: bool, app: &App, theme: &Theme, compact: bool) -> Line<'a> {
    let t = &app.timeline;
    let unhappy = unhappy_survey(e);
    let title_style = if selected {
        theme.selection()
    } else if unhappy {
        theme.fg("ui.error").add_modifier(Modifier::BOLD)
    } else {
        theme.fg("ui.text")
    };
    let mut spans = vec![Span::styled(
        format!("{} ", e.occurred_at.with_timezone(&t.tz.0).format("%H:%M")),
        theme.fg("ui.text_muted"),
    )];
    if !compact {
        spans.push(Span::styled(format!("{:<9}", relative(app.now, e.occurred_at)), theme.fg("ui.text_muted")));
    }
    spans
        .push(Span::styled(format!("{:<11}", format!("[{}]", e.source)), Style::default().fg(theme.source(&e.source))));
    spans.push(Span::styled(format!("{} ", kind_symbol(&e.kind)), Style::default().fg(theme.source(&e.source))));
    spans.push(Span::styled(if unhappy { format!("! {}", e.title) } else { e.title.clone() }, title_style));
    if !compact && e.case_id.is_some() {
        spans.push(Span::styled("  ⧉ case", theme.fg("ui.info")));
    }
    Line::from(spans)
}

fn event_detail<'a>(e: &'a Event, tz: &chrono::FixedOffset, theme: &Theme) -> Vec<Line<'a>> {
    let field = |k: &'a str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<10}"), theme.fg("ui.text_muted")),
            Span::styled(v, theme.fg("ui.text")),
        ])
    };
    let mut lines = vec![
        Line::styled(e.title.clone(), theme.fg("ui.title").add_modifier(Modifier::BOLD)),
        field(
            "when",
            format!(
                "{} (UTC {})",
                e.occurred_at.with_timezone(tz).format("%a %-d %b %Y %H:%M:%S"),
                e.occurred_at.format("%H:%M")
            ),
        ),
        field("source", format!("{} · {}", e.source, e.source_event_id)),
        field("kind", format!("{} ({})", e.kind, e.ce_type)),
    ];
    if let Some(a) = &e.actor {
        lines.push(field("by", a.clone()));
    }
    if let Some(c) = e.case_id {
        lines.push(field("case", c.to_string()));
    }
    if let Some(b) = &e.body {
        lines.push(Line::raw(""));
        lines.extend(b.lines().map(|l| Line::styled(l.to_string(), theme.fg("ui.text"))));
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(e.data.get()) {
        if !v.is_null() && v != serde_json::json!({}) {
            lines.push(Line::raw(""));
            let pretty = serde_json::to_string_pretty(&v).unwrap_or_default();
            lines.extend(pretty.lines().map(|l| Line::styled(l.to_string(), theme.fg("ui.info"))));
        }
    }
    lines
}

fn help(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let view = app.view();
    let mut lines = vec![Line::raw("")];
    let typing = app.work.as_ref().is_some_and(|w| w.typing.is_some()) && view == View::Case;
    let (table, title): (Vec<&Binding>, String) = if app.form.is_some() {
        (FORM.iter().collect(), "Keys: a form".into())
    } else if typing {
        (TYPING.iter().collect(), "Keys: typing".into())
    } else if app.lead.picker.is_some() && view == View::QueueCases {
        (PICKER.iter().collect(), "Keys: choosing".into())
    } else {
        (bindings(view, app.lead_mode), format!("Keys: {}", view.title()))
    };
    for b in table {
        let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<20}", keys.join(" / ")), theme.fg("ui.help_key").add_modifier(Modifier::BOLD)),
            Span::styled(b.help, theme.fg("ui.help_desc")),
        ]));
    }
    if view == View::Search && app.form.is_none() {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<20}", "any other key"), theme.fg("ui.help_key").add_modifier(Modifier::BOLD)),
            Span::styled("types into the search", theme.fg("ui.help_desc")),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("  any key closes this help", theme.fg("ui.text_muted")));
    let w = area.width.min(84);
    let h = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), popup);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::{update, Msg};
    use crate::console::theme::BUILT_IN;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use serde_json::value::RawValue;
    use uuid::Uuid;

    fn screen(app: &App, theme: &Theme, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| draw(f, app, theme)).unwrap();
        let buf = t.backend().buffer();
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>().trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn timeline_app(n: usize) -> App {
        let mut app = App::new("anna", "http://127.0.0.1:7878", Utc::now(), crate::console::app::Tz::default());
        let customer = Uuid::now_v7();
        app.timeline.customer = Some(crate::domain::customer::Customer::named(customer, "Anna Rossi", Utc::now()));
        app.stack.push(View::Timeline);
        let now = Utc::now();
        let events = (0..n)
            .map(|i| {
                let (source, kind, data) = match i % 3 {
                    0 => ("shop", "order_placed", r#"{"total": 42.5}"#),
                    1 => ("survey", "nps_response", r#"{"score": 3}"#),
                    _ => ("billing", "payment_failed", r#"{"amount": 10}"#),
                };
                Event {
                    id: Uuid::now_v7(),
                    customer_id: customer,
                    source: source.into(),
                    source_event_id: format!("e-{i}"),
                    kind: kind.into(),
                    ce_type: format!("com.example.{kind}"),
                    occurred_at: now - chrono::Duration::minutes(i as i64 * 90),
                    title: format!("{kind} #{i}"),
                    body: None,
                    actor: None,
                    data: RawValue::from_string(data.into()).unwrap(),
                    case_id: None,
                    ingested_at: now,
                }
            })
            .collect();
        app.timeline.loading = true;
        update(&mut app, Msg::TimelinePage { customer, result: Ok((events, None)), offline: false });
        app
    }

    #[test]
    fn the_timeline_shows_days_sources_symbols_and_unhappy_surveys() {
        let app = timeline_app(30);
        let (theme, _) = Theme::load("default", None, false);
        let s = screen(&app, &theme, 80, 24);
        assert!(s.contains("Anna Rossi · 30 events · all loaded"), "{s}");
        assert!(s.contains("[shop]     ▸ order_placed #0"), "{s}");
        assert!(s.contains("[survey]   ★ ! nps_response #1"), "detractors stand out: {s}");
        assert!(s.contains("── "), "day separators: {s}");
        assert!(s.contains("anna @ http://127.0.0.1:7878"), "status bar: {s}");
        let wide = screen(&app, &theme, 160, 48);
        assert!(wide.lines().count() == 48 && wide.contains("payment_failed #2"));
    }

    #[test]
    fn details_help_and_tiny_terminals() {
        let mut app = timeline_app(5);
        let (theme, _) = Theme::load("colorblind", None, false);
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        let s = screen(&app, &theme, 160, 48);
        assert!(s.contains("\"total\": 42.5") && s.contains("com.example.order_placed"), "{s}");
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE)));
        let s = screen(&app, &theme, 80, 24);
        assert!(s.contains("Keys: Timeline") && s.contains("show one source at a time"), "{s}");
        for (name, _) in BUILT_IN {
            let (theme, _) = Theme::load(name, None, true);
            for (w, h) in [(40, 12), (20, 5), (1, 1), (160, 48)] {
                screen(&app, &theme, w, h);
            }
        }
    }

    #[test]
    fn a_frame_looks_at_the_visible_rows_only() {
        // 100,000 events: drawing is as quick as with 1,000 (measured in the bench); here it
        // must simply work and show the selection's page.
        let app = timeline_app(100_000);
        let (theme, _) = Theme::load("default", None, false);
        let s = screen(&app, &theme, 160, 48);
        assert!(s.contains("100000 events") && s.contains("order_placed #0"), "{s}");
    }

    #[test]
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(relative(now, now), "just now");
        assert_eq!(relative(now, now - chrono::Duration::minutes(5)), "5m ago");
        assert_eq!(relative(now, now - chrono::Duration::hours(3)), "3h ago");
        assert_eq!(relative(now, now - chrono::Duration::days(2)), "2d ago");
        assert_eq!(relative(now, now + chrono::Duration::minutes(10)), "in 10m");
    }

    /// A fixed scene: a fixed "now", fixed ids, UTC, so that snapshots are the same anywhere.
    fn scene() -> App {
        use crate::domain::case::{Case, CaseStatus, Channel, Priority};
        use crate::domain::followup::{FollowUp, FollowUpStatus};
        use crate::local::overlay::Synced;
        let now: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
        let id = |n: u128| Uuid::from_u128(n);
        let mut app = App::new("anna", "http://127.0.0.1:7878", now, crate::console::app::Tz::default());
        let customer = crate::domain::customer::Customer {
            id: id(1),
            display_name: "Zoe Quintero".into(),
            emails: vec!["zoe.q@example.com".into()],
            phones: vec!["+393331234567".into()],
            external_ids: [("shop".to_string(), "C-77".to_string())].into_iter().collect(),
            identities: vec![],
            tier: None,
            tags: vec![],
            created_at: now,
            updated_at: now,
        };
        let case = |n: u128, subject: &str, status, priority, hours: i64, waiting| Synced {
            value: Case {
                id: id(n),
                customer_id: id(1),
                subject: subject.into(),
                channel: Channel::Phone,
                status,
                priority,
                queue: "general".into(),
                team: "support".into(),
                assignee_id: Some(id(9)),
                first_response_due: None,
                resolution_due: None,
                revision: 1,
                created_by: id(9),
                created_at: now - chrono::Duration::hours(hours),
                updated_at: now,
                resolution: None,
                first_response_at: None,
            },
            waiting,
        };
        app.home.cases = vec![
            case(10, "Parcel never arrived", CaseStatus::Open, Priority::Urgent, 2, true),
            case(11, "Charged twice for one order", CaseStatus::Pending, Priority::High, 30, false),
        ];
        app.home.followups = vec![Synced {
            value: FollowUp {
                id: id(20),
                customer_id: id(1),
                case_id: Some(id(10)),
                assignee_id: id(9),
                due_at: now - chrono::Duration::minutes(5),
                channel: Channel::Phone,
                note: "Call back about the parcel".into(),
                status: FollowUpStatus::Open,
                revision: 1,
                created_by: id(9),
                created_at: now,
                updated_at: now,
                done_at: None,
            },
            waiting: false,
        }];
        app.sync = Some(crate::sync::engine::SyncStatus {
            connection: crate::sync::engine::Connection::Offline,
            counts: crate::local::view::OutboxCounts { pending: 3, conflicts: 1, rejected: 0 },
            last_success: Some(now - chrono::Duration::minutes(12)),
            last_error: None,
            retry_at: None,
        });
        app.search.query = "zoe".into();
        app.search.results_for = "zoe".into();
        app.search.results = vec![customer.clone()];
        let events: Vec<Event> = [
            ("shop", "order_shipped", "Order #1042 shipped", r#"{"carrier": "DHL"}"#, 3),
            ("survey", "nps_response", "NPS 4/10", r#"{"score": 4}"#, 20),
            ("billing", "payment_failed", "Payment of €42.50 failed", r#"{"amount": 42.5}"#, 26),
            ("phone", "call_inbound", "Inbound call, 4m 10s", "{}", 50),
        ]
        .iter()
        .enumerate()
        .map(|(i, (source, kind, title, data, hours))| Event {
            id: id(100 + i as u128),
            customer_id: id(1),
            source: source.to_string(),
            source_event_id: format!("{source}-{i}"),
            kind: kind.to_string(),
            ce_type: format!("com.example.{source}.{kind}"),
            occurred_at: now - chrono::Duration::hours(*hours),
            title: title.to_string(),
            body: None,
            actor: None,
            data: RawValue::from_string(data.to_string()).unwrap(),
            case_id: if i == 0 { Some(id(10)) } else { None },
            ingested_at: now,
        })
        .collect();
        app.timeline.customer = Some(customer);
        app.timeline.loading = true;
        update(&mut app, Msg::TimelinePage { customer: id(1), result: Ok((events, None)), offline: false });
        app
    }

    #[test]
    fn snapshots_of_every_view_at_two_sizes() {
        let (theme, _) = Theme::load("default", None, false);
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let mut app = scene();
            insta::assert_snapshot!(format!("home_{w}x{h}"), screen(&app, &theme, w, h));
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
                case: app.home.cases[0].clone(),
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
        let app = scene();
        for (name, _) in BUILT_IN {
            let (theme, _) = Theme::load(name, None, false);
            let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
            t.draw(|f| draw(f, &app, &theme)).unwrap();
            let buf = t.backend().buffer();
            // The selected case (first row inside the border) and the status bar.
            assert_eq!(buf[(30, 1)].bg, theme.color("ui.selection_bg"), "{name}: selection");
            assert_eq!(buf[(0, 23)].bg, theme.color("ui.statusbar_bg"), "{name}: status bar");
            assert_eq!(buf[(1, 1)].fg, theme.color("status.open"), "{name}: status colour");
        }
        let (plain, _) = Theme::load("default", None, true);
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| draw(f, &app, &plain)).unwrap();
        let cell = &t.backend().buffer()[(30, 1)];
        assert!(cell.modifier.contains(Modifier::REVERSED), "NO_COLOR: the selection is reversed");
    }
}
