//! A customer's unified timeline: every event from every source, newest first, a day heading
//! between days, paged from the server as the selection nears the end. One source or one kind
//! at a time, a search that narrows the list as it is typed, an event's details beside it.
//! The list holds what it shows ([`TimelineRow`]: no text or data); an event's details are read
//! when the agent opens them, and kept.
//! The rows shown are kept up to date as events arrive, so a frame looks at the visible rows
//! only, however long the timeline.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use uuid::Uuid;

use super::app::{App, Tz};
use super::keymap::Action;
use super::mode::View;
use super::msg::Cmd;
use super::theme::{Slot, Theme};
use super::widgets::{block, relative, window_start};
use crate::domain::customer::{Customer, MAX_QUERY_CHARS};
use crate::domain::event::{Event, TimelineRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Day(NaiveDate),
    Event(usize),
}

#[derive(Debug, Default, Clone)]
pub struct TimelineState {
    pub customer: Option<Customer>,
    /// The customer's card, when it has come.
    pub card: super::card::CardState,
    pub events: Vec<TimelineRow>,
    /// Events read whole (their text and data), for the details.
    pub details: std::collections::HashMap<Uuid, Event>,
    /// The events whose details are being read.
    pub reading: std::collections::HashSet<Uuid>,
    /// Why the details of this event could not be read.
    pub detail_error: Option<(Uuid, String)>,
    /// The lines shown, day headings included, for the current filter; kept up to date when
    /// events arrive or the filter changes, so drawing never walks the whole timeline.
    pub rows: Vec<Row>,
    pub selected: usize,
    pub next_cursor: Option<String>,
    pub loading: bool,
    pub error: Option<String>,
    pub offline: bool,
    /// Only this source, when set.
    pub source: Option<String>,
    pub sources: BTreeSet<String>,
    /// Only this kind, when set.
    pub kind: Option<String>,
    pub kinds: BTreeSet<String>,
    /// Only events whose text contains this (any case).
    pub query: String,
    /// Keys go into `query`.
    pub typing: bool,
    pub detail: bool,
    pub tz: Tz,
}

impl TimelineState {
    pub(crate) fn rebuild_rows(&mut self) {
        let keep = self.selected_event();
        self.rows.clear();
        let query = self.query.trim().to_lowercase();
        let shown: Vec<(usize, NaiveDate)> = self
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                self.source.as_deref().is_none_or(|s| s == e.source)
                    && self.kind.as_deref().is_none_or(|k| k == e.kind)
                    && (query.is_empty() || matches_text(e, &query))
            })
            .map(|(i, e)| (i, e.occurred_at.with_timezone(&self.tz.0).date_naive()))
            .collect();
        // A day heading only over a day with several events; an event alone on its day
        // carries its date in its row.
        for (n, (i, d)) in shown.iter().enumerate() {
            let first_of_day = n == 0 || shown[n - 1].1 != *d;
            let several = shown.get(n + 1).is_some_and(|next| next.1 == *d);
            if first_of_day && several {
                self.rows.push(Row::Day(*d));
            }
            self.rows.push(Row::Event(*i));
        }
        self.selected = keep
            .and_then(|k| self.rows.iter().position(|r| *r == Row::Event(k)))
            .unwrap_or_else(|| self.rows.iter().position(|r| matches!(r, Row::Event(_))).unwrap_or(0));
    }

    /// Whether the row at `i` is an event alone on its day (no heading above it: the row
    /// shows its date).
    pub fn dated(&self, i: usize) -> bool {
        let Some(Row::Event(k)) = self.rows.get(i) else { return false };
        match i.checked_sub(1).and_then(|p| self.rows.get(p)) {
            None => true,
            Some(Row::Day(_)) => false,
            Some(Row::Event(j)) => {
                let day = |e: &TimelineRow| e.occurred_at.with_timezone(&self.tz.0).date_naive();
                day(&self.events[*j]) != day(&self.events[*k])
            }
        }
    }

    pub fn selected_event(&self) -> Option<usize> {
        match self.rows.get(self.selected) {
            Some(Row::Event(i)) => Some(*i),
            _ => None,
        }
    }

    /// Moves the selection by `delta` events (day headings are skipped).
    pub(crate) fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let step = delta.signum();
        let mut left = delta.abs();
        let mut i = self.selected as isize;
        while left > 0 {
            let next = i + step;
            if next < 0 || next >= self.rows.len() as isize {
                break;
            }
            i = next;
            if matches!(self.rows[i as usize], Row::Event(_)) {
                left -= 1;
                self.selected = i as usize;
            }
        }
    }
}

/// Whether an event's title, kind, source or actor contains `q` (already lower-case).
fn matches_text(e: &TimelineRow, q: &str) -> bool {
    [Some(e.title.as_str()), Some(e.kind.as_str()), Some(e.source.as_str()), e.actor.as_deref()]
        .into_iter()
        .flatten()
        .any(|s| s.to_lowercase().contains(q))
}

fn cycle(all: &BTreeSet<String>, current: &Option<String>) -> Option<String> {
    match current {
        None => all.iter().next().cloned(),
        Some(c) => {
            all.range::<String, _>((std::ops::Bound::Excluded(c.clone()), std::ops::Bound::Unbounded)).next().cloned()
        }
    }
}

/// Opens a customer's timeline from its first page.
pub fn open(app: &mut App, customer: Customer) -> Vec<Cmd> {
    let id = customer.id;
    app.timeline = TimelineState { customer: Some(customer), loading: true, tz: app.tz, ..TimelineState::default() };
    app.go(View::Timeline);
    vec![Cmd::LoadTimeline { customer: id, cursor: None }]
}

/// More of the timeline when the selection nears the end of what is loaded.
fn maybe_more(app: &mut App) -> Vec<Cmd> {
    let t = &mut app.timeline;
    let near_end = t.selected + app.page_rows >= t.rows.len();
    match (&t.customer, &t.next_cursor) {
        (Some(c), Some(cursor)) if near_end && !t.loading => {
            t.loading = true;
            vec![Cmd::LoadTimeline { customer: c.id, cursor: Some(cursor.clone()) }]
        }
        _ => vec![],
    }
}

/// A page of events came (or the reason it did not): new ones are added, the rows rebuilt.
pub fn page(
    app: &mut App,
    customer: Uuid,
    result: Result<(Vec<TimelineRow>, Option<String>), String>,
    offline: bool,
) -> Vec<Cmd> {
    let t = &mut app.timeline;
    if t.customer.as_ref().map(|c| c.id) != Some(customer) {
        return vec![];
    }
    t.loading = false;
    t.offline = offline;
    match result {
        Ok((events, next)) => {
            let known: std::collections::HashSet<Uuid> = t.events.iter().map(|e| e.id).collect();
            for e in events {
                if !known.contains(&e.id) {
                    t.sources.insert(e.source.clone());
                    t.kinds.insert(e.kind.clone());
                    t.events.push(e);
                }
            }
            t.next_cursor = next;
            t.error = None;
            t.rebuild_rows();
        }
        Err(e) => t.error = Some(e),
    }
    wanted_detail(app)
}

/// Reads the selected event whole when its details are shown and not read yet.
fn wanted_detail(app: &mut App) -> Vec<Cmd> {
    let t = &mut app.timeline;
    if !t.detail {
        return vec![];
    }
    let Some(id) = t.selected_event().map(|i| t.events[i].id) else { return vec![] };
    if t.details.contains_key(&id) || t.reading.contains(&id) || t.detail_error.as_ref().is_some_and(|(e, _)| *e == id)
    {
        return vec![];
    }
    t.reading.insert(id);
    vec![Cmd::LoadEvent(id)]
}

/// An event read whole (or why it could not be).
pub fn detail(app: &mut App, id: Uuid, result: Result<Event, String>) -> Vec<Cmd> {
    let t = &mut app.timeline;
    t.reading.remove(&id);
    match result {
        Ok(e) => {
            t.details.insert(id, e);
        }
        Err(e) => t.detail_error = Some((id, e)),
    }
    // The selection may have moved on while it was read.
    wanted_detail(app)
}

/// A key of the timeline view.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let page = app.page() as isize;
    if a == Action::ToggleCard {
        app.hide_card = !app.hide_card;
        return vec![];
    }
    let t = &mut app.timeline;
    match a {
        Action::Down | Action::PageDown | Action::Bottom => {
            t.move_by(match a {
                Action::Down => 1,
                Action::PageDown => page,
                _ => t.rows.len() as isize,
            });
            let mut cmds = maybe_more(app);
            cmds.extend(wanted_detail(app));
            return cmds;
        }
        Action::Up | Action::PageUp | Action::Top => {
            t.move_by(match a {
                Action::Up => -1,
                Action::PageUp => -page,
                _ => -(t.rows.len() as isize),
            });
            return wanted_detail(app);
        }
        Action::ToggleDetail => {
            t.detail = !t.detail;
            return wanted_detail(app);
        }
        Action::NextSource => {
            t.source = cycle(&t.sources, &t.source);
            t.rebuild_rows();
        }
        Action::NextKind => {
            t.kind = cycle(&t.kinds, &t.kind);
            t.rebuild_rows();
        }
        Action::Filter => t.typing = true,
        Action::OpenCase => {
            if let Some(id) = t.selected_event().and_then(|i| t.events[i].case_id) {
                return app.open_case(id);
            }
        }
        Action::NewCase => {
            if let Some(c) = t.customer.clone() {
                return super::home::new_case(app, &c);
            }
        }
        _ => {}
    }
    vec![]
}

/// A key while typing a search in the timeline: the list narrows with each key.
pub fn search_key(app: &mut App, a: Option<Action>, k: KeyEvent) -> Vec<Cmd> {
    let t = &mut app.timeline;
    match a {
        Some(Action::Quit) => app.quit = true,
        Some(Action::KeepSearch) => t.typing = false,
        Some(Action::ClearSearch) => {
            t.typing = false;
            t.query.clear();
            t.rebuild_rows();
        }
        Some(_) => {}
        None => match k.code {
            KeyCode::Backspace => {
                t.query.pop();
                t.rebuild_rows();
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                t.query.push(c);
                t.rebuild_rows();
            }
            _ => {}
        },
    }
    vec![]
}

/// A paste into the timeline's search, on one line, up to what a search takes.
pub fn paste(app: &mut App, text: &str) -> Vec<Cmd> {
    let t = &mut app.timeline;
    let room =
        super::paste::capped(&super::paste::clean(text, true), MAX_QUERY_CHARS.saturating_sub(t.query.chars().count()))
            .0;
    t.query.push_str(&room);
    t.rebuild_rows();
    vec![]
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
pub fn unhappy_survey(e: &TimelineRow) -> bool {
    match e.kind.as_str() {
        k if k.contains("nps") => e.score.is_some_and(|s| s <= 6),
        k if k.contains("csat") => e.score.is_some_and(|s| s <= 2),
        _ => false,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let t = &app.timeline;
    let show_card = !app.hide_card && t.customer.is_some();
    let wide = area.width >= 120;
    // Wide: the card and the details share a column on the right. Narrow: the card on top.
    let (area, side) = if wide && (t.detail || show_card) {
        let [l, d] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas::<2>(area);
        (l, Some(d))
    } else {
        (area, None)
    };
    let (card_area, list, detail) = match side {
        Some(side) => {
            let card_h = if show_card { super::card::height(app, side.width).min(side.height) } else { 0 };
            let [c, d] = Layout::vertical([Constraint::Length(card_h), Constraint::Min(0)]).areas::<2>(side);
            let card = show_card.then_some(c);
            (card, area, if t.detail { Some(d) } else { None })
        }
        None => {
            let card_h = if show_card { super::card::height(app, area.width).min(area.height / 2) } else { 0 };
            let [c, rest] = Layout::vertical([Constraint::Length(card_h), Constraint::Min(0)]).areas::<2>(area);
            let card = show_card.then_some(c);
            if t.detail {
                let [l, d] =
                    Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas::<2>(rest);
                (card, l, Some(d))
            } else {
                (card, rest, None)
            }
        }
    };
    if let Some(c) = card_area {
        super::card::draw(frame, c, app, theme);
    }
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
        lines.push(Line::styled(e.clone(), theme.fg(Slot::Error)));
    }
    if t.rows.is_empty() && !t.loading {
        lines.push(Line::styled("No events for this customer yet.", theme.fg(Slot::TextMuted)));
    }
    let width = list.width.saturating_sub(2) as usize;
    for (i, row) in t.rows.iter().enumerate().skip(window_start(t.selected, h)).take(h.saturating_sub(lines.len())) {
        match row {
            Row::Day(d) => {
                let head = format!("── {} ", d.format("%A %-d %B %Y"));
                let rule = "─".repeat(width.saturating_sub(head.chars().count()));
                lines.push(Line::styled(format!("{head}{rule}"), theme.fg(Slot::TextMuted)));
            }
            Row::Event(k) => lines.push(timeline_line(&t.events[*k], i == t.selected, t.dated(i), app, theme, false)),
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), list);
    if let Some(area) = detail {
        let lines = match t.selected_event().map(|k| &t.events[k]) {
            Some(e) => {
                let problem = t.detail_error.as_ref().filter(|(id, _)| *id == e.id).map(|(_, p)| p.as_str());
                event_detail(e, t.details.get(&e.id), problem, &t.tz.0, theme)
            }
            None => vec![Line::styled("Select an event.", theme.fg(Slot::TextMuted))],
        };
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block("Event", theme, false)), area);
    }
}

/// One event of a timeline list: its date when `dated` (alone on its day, no heading above),
/// clock, relative time, source badge, kind symbol, title; an unhappy survey marked `!`;
/// `compact` leaves out the relative time and the case marker.
pub(crate) fn timeline_line<'a>(
    e: &TimelineRow,
    selected: bool,
    dated: bool,
    app: &App,
    theme: &Theme,
    compact: bool,
) -> Line<'a> {
    let t = &app.timeline;
    let unhappy = unhappy_survey(e);
    let title_style = if selected {
        theme.selection()
    } else if unhappy {
        theme.fg(Slot::Error).add_modifier(Modifier::BOLD)
    } else {
        theme.fg(Slot::Text)
    };
    let at = e.occurred_at.with_timezone(&t.tz.0);
    let when = if dated { at.format("%d %b %H:%M").to_string() } else { format!("{:>12}", at.format("%H:%M")) };
    let mut spans = vec![Span::styled(format!("{when} "), theme.fg(Slot::TextMuted))];
    if !compact {
        spans.push(Span::styled(format!("{:<9}", relative(app.now, e.occurred_at)), theme.fg(Slot::TextMuted)));
    }
    spans
        .push(Span::styled(format!("{:<11}", format!("[{}]", e.source)), Style::default().fg(theme.source(&e.source))));
    spans.push(Span::styled(format!("{} ", kind_symbol(&e.kind)), Style::default().fg(theme.source(&e.source))));
    spans.push(Span::styled(if unhappy { format!("! {}", e.title) } else { e.title.clone() }, title_style));
    if !compact && e.case_id.is_some() {
        spans.push(Span::styled("  ⧉ case", theme.fg(Slot::Info)));
    }
    Line::from(spans)
}

/// An event's details: what the list knows of it, then — once read whole — where it came
/// from, its text and its data.
fn event_detail<'a>(
    e: &'a TimelineRow,
    whole: Option<&'a Event>,
    problem: Option<&str>,
    tz: &chrono::FixedOffset,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let field = |k: &'a str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<10}"), theme.fg(Slot::TextMuted)),
            Span::styled(v, theme.fg(Slot::Text)),
        ])
    };
    let mut lines = vec![
        Line::styled(e.title.clone(), theme.fg(Slot::Title).add_modifier(Modifier::BOLD)),
        field(
            "when",
            format!(
                "{} (UTC {})",
                e.occurred_at.with_timezone(tz).format("%a %-d %b %Y %H:%M:%S"),
                e.occurred_at.format("%H:%M")
            ),
        ),
    ];
    match whole {
        Some(w) => {
            lines.push(field("source", format!("{} · {}", w.source, w.source_event_id)));
            lines.push(field("kind", format!("{} ({})", w.kind, w.ce_type)));
        }
        None => {
            lines.push(field("source", e.source.clone()));
            lines.push(field("kind", e.kind.clone()));
        }
    }
    if let Some(a) = &e.actor {
        lines.push(field("by", a.clone()));
    }
    if let Some(c) = e.case_id {
        lines.push(field("case", c.to_string()));
    }
    let Some(w) = whole else {
        lines.push(Line::raw(""));
        lines.push(match problem {
            Some(p) => Line::styled(p.to_string(), theme.fg(Slot::Warn)),
            None => Line::styled("Reading its text and data…", theme.fg(Slot::TextMuted)),
        });
        return lines;
    };
    if let Some(b) = &w.body {
        lines.push(Line::raw(""));
        lines.extend(b.lines().map(|l| Line::styled(l.to_string(), theme.fg(Slot::Text))));
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(w.data.get()) {
        if !v.is_null() && v != serde_json::json!({}) {
            lines.push(Line::raw(""));
            let pretty = serde_json::to_string_pretty(&v).unwrap_or_default();
            lines.extend(pretty.lines().map(|l| Line::styled(l.to_string(), theme.fg(Slot::Info))));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::update;
    use crate::console::msg::Msg;
    use crate::console::testing::screen;
    use crate::console::theme::BUILT_IN;
    use chrono::Utc;
    use ratatui::crossterm::event::KeyModifiers;
    use serde_json::value::RawValue;

    fn timeline_app(n: usize) -> App {
        let mut app = App::new("anna", "http://127.0.0.1:7878", Utc::now(), Tz::default());
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
            .map(|e| TimelineRow::from(&e))
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
        // Enter shows what the list knows at once, and reads the event whole.
        let cmds = update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        let row = app.timeline.events[0].clone();
        assert_eq!(cmds, vec![Cmd::LoadEvent(row.id)]);
        let s = screen(&app, &theme, 160, 48);
        assert!(s.contains("Reading its text and data…") && s.contains("source    shop"), "{s}");
        // Moving on while it is read asks for nothing twice.
        assert_eq!(update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE))).len(), 1);
        assert!(update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE))).is_empty());
        let whole = Event {
            id: row.id,
            customer_id: Uuid::nil(),
            source: row.source.clone(),
            source_event_id: "e-0".into(),
            kind: row.kind.clone(),
            ce_type: "com.example.order_placed".into(),
            occurred_at: row.occurred_at,
            title: row.title.clone(),
            body: Some("Two items, express".into()),
            actor: None,
            data: RawValue::from_string(r#"{"total": 42.5}"#.into()).unwrap(),
            case_id: None,
            ingested_at: row.occurred_at,
        };
        update(&mut app, Msg::EventDetail { id: row.id, result: Ok(whole) });
        let s = screen(&app, &theme, 160, 48);
        assert!(
            s.contains("\"total\": 42.5") && s.contains("com.example.order_placed") && s.contains("Two items"),
            "{s}"
        );
        // Offline and never read here: said in the details.
        let second = app.timeline.events[1].id;
        app.timeline.move_by(1);
        update(&mut app, Msg::EventDetail { id: second, result: Err("Offline: not read here".into()) });
        assert!(screen(&app, &theme, 160, 48).contains("Offline: not read here"));
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
}
