//! Finding a customer: search as you type (name, email, phone, an id from any system); Enter
//! opens the timeline, or, when a case is being started, the new-case form too.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::App;
use super::keymap::Action;
use super::list::move_in;
use super::msg::Cmd;
use super::theme::{Slot, Theme};
use super::widgets::{block, window_start};
use crate::domain::customer::{Customer, MAX_QUERY_CHARS};

#[derive(Debug, Default, Clone)]
pub struct SearchState {
    pub query: String,
    pub results: Vec<Customer>,
    pub selected: usize,
    /// The query the results are for.
    pub results_for: String,
    pub error: Option<String>,
    /// Said of the query itself (cut to the longest search), until it is edited again.
    pub notice: Option<String>,
    pub offline: bool,
}

/// The server's (or, offline, the local store's) answer to a search.
pub fn results(app: &mut App, query: String, result: Result<Vec<Customer>, String>, offline: bool) -> Vec<Cmd> {
    if query != app.search.query {
        return vec![]; // an answer to an older query
    }
    match result {
        Ok(r) => {
            app.search.results = r;
            app.search.error = None;
        }
        Err(e) => app.search.error = Some(e),
    }
    app.search.results_for = query;
    app.search.offline = offline;
    app.search.selected = 0;
    vec![]
}

/// A key of the search view that its table binds.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    match a {
        Action::Open => {
            if let Some(c) = app.search.results.get(app.search.selected).cloned() {
                let mut cmds = super::timeline::open(app, c.clone());
                if std::mem::take(&mut app.search_for_new_case) {
                    cmds.extend(super::home::new_case(app, &c));
                }
                return cmds;
            }
        }
        a => {
            let (n, page) = (app.search.results.len(), app.page());
            move_in(&mut app.search.selected, n, a, page)
        }
    }
    vec![]
}

/// Any other key: typed into the query (Backspace deletes).
pub fn edit(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
    let mut q = app.search.query.clone();
    match k.code {
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => q.push(c),
        KeyCode::Backspace => {
            q.pop();
        }
        _ => return vec![],
    }
    set_query(app, q)
}

fn set_query(app: &mut App, q: String) -> Vec<Cmd> {
    let (q, cut) = super::paste::capped(&q, MAX_QUERY_CHARS);
    app.search.query = q;
    app.search.notice =
        cut.then(|| format!("A search takes up to {MAX_QUERY_CHARS} characters: the rest was left out."));
    let q = &app.search.query;
    if q.trim().is_empty() {
        app.search.results.clear();
        app.search.results_for.clear();
        return vec![];
    }
    vec![Cmd::Search(q.clone())]
}

/// A paste: onto the query, on one line.
pub fn paste(app: &mut App, text: &str) -> Vec<Cmd> {
    let q = format!("{}{}", app.search.query, super::paste::clean(text, true));
    set_query(app, q)
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [input, results] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas::<2>(area);
    let s = &app.search;
    let query = Line::from(vec![
        Span::styled(s.query.clone(), Style::default().fg(theme.color(Slot::InputFg))),
        Span::styled("▏", theme.fg(Slot::BorderFocused)),
    ]);
    frame.render_widget(
        Paragraph::new(query).style(Style::default().bg(theme.color(Slot::InputBg))).block(block(
            "Find a customer: name, email, phone or an id from any system",
            theme,
            true,
        )),
        input,
    );
    let mut lines: Vec<Line> = Vec::new();
    for e in s.notice.iter().chain(&s.error) {
        lines.push(Line::styled(e.clone(), theme.fg(Slot::Error)));
    }
    if s.offline {
        lines.push(Line::styled("offline: customers seen before on this computer", theme.fg(Slot::Warn)));
    }
    if s.query.trim().is_empty() {
        lines.push(Line::styled("Type to search; Enter opens the timeline, Esc goes back.", theme.fg(Slot::TextMuted)));
    } else if s.results.is_empty() && s.results_for == s.query {
        lines.push(Line::styled(format!("No customer matches “{}”.", s.query), theme.fg(Slot::TextMuted)));
    }
    let h = results.height.saturating_sub(2) as usize;
    for (i, c) in s.results.iter().enumerate().skip(window_start(s.selected, h)).take(h) {
        let style = if i == s.selected { theme.selection() } else { theme.fg(Slot::Text) };
        let ids: Vec<String> = c.external_ids.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<28}", c.display_name), style),
            Span::styled(format!("{:<32}", c.emails.first().cloned().unwrap_or_default()), theme.fg(Slot::TextMuted)),
            Span::styled(format!("{:<16}", c.phones.first().cloned().unwrap_or_default()), theme.fg(Slot::TextMuted)),
            Span::styled(ids.join(" "), theme.fg(Slot::Info)),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block(&format!("Customers ({})", s.results.len()), theme, false)),
        results,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::{update, Tz};
    use crate::console::mode::View;
    use crate::console::msg::Msg;
    use crate::console::timeline::Row;
    use crate::domain::event::{Event, TimelineRow};
    use chrono::Utc;
    use serde_json::value::RawValue;
    use uuid::Uuid;

    fn key(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }
    fn code(c: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn customer(name: &str) -> Customer {
        Customer::named(Uuid::now_v7(), name, Utc::now())
    }

    fn event(customer: Uuid, source: &str, hours_ago: i64) -> Event {
        let at = Utc::now() - chrono::Duration::hours(hours_ago);
        Event {
            id: Uuid::now_v7(),
            customer_id: customer,
            source: source.into(),
            source_event_id: Uuid::now_v7().to_string(),
            kind: "order_placed".into(),
            ce_type: "x".into(),
            occurred_at: at,
            title: format!("{source} {hours_ago}h"),
            body: None,
            actor: None,
            data: RawValue::from_string("{}".into()).unwrap(),
            case_id: None,
            ingested_at: at,
        }
    }

    #[test]
    fn search_as_you_type_then_open_a_timeline_and_page_through_it() {
        let mut app = App::new("anna", "http://x", Utc::now(), Tz::default());
        assert!(update(&mut app, key('/')).is_empty());
        assert_eq!(app.view(), View::Search);
        assert_eq!(update(&mut app, key('a')), vec![Cmd::Search("a".into())]);
        assert_eq!(update(&mut app, key('n')), vec![Cmd::Search("an".into())]);
        // An answer to an older query is dropped.
        update(&mut app, Msg::SearchResults { query: "a".into(), result: Ok(vec![customer("Old")]), offline: false });
        assert!(app.search.results.is_empty());
        let anna = customer("Anna Rossi");
        update(&mut app, Msg::SearchResults { query: "an".into(), result: Ok(vec![anna.clone()]), offline: false });
        let cmds = update(&mut app, code(KeyCode::Enter));
        assert_eq!(cmds, vec![Cmd::LoadTimeline { customer: anna.id, cursor: None }]);
        assert_eq!(app.view(), View::Timeline);

        let page: Vec<Event> =
            (0..150).map(|h| event(anna.id, if h % 2 == 0 { "shop" } else { "billing" }, h)).collect();
        update(
            &mut app,
            Msg::TimelinePage {
                customer: anna.id,
                result: Ok((page[..100].iter().map(TimelineRow::from).collect(), Some("c1".into()))),
                offline: false,
            },
        );
        assert_eq!(app.timeline.selected_event(), Some(0));
        assert!(matches!(app.timeline.rows[0], Row::Day(_)), "a day heading first");
        // Paging down near the end asks for the next page, once.
        let cmds = update(&mut app, code(KeyCode::PageDown));
        let more = vec![Cmd::LoadTimeline { customer: anna.id, cursor: Some("c1".into()) }];
        let cmds = if cmds.is_empty() { update(&mut app, code(KeyCode::End)) } else { cmds };
        assert_eq!(cmds, more);
        assert!(update(&mut app, key('j')).is_empty(), "not while a page is loading");
        update(
            &mut app,
            Msg::TimelinePage {
                customer: anna.id,
                result: Ok((page[100..].iter().map(TimelineRow::from).collect(), None)),
                offline: false,
            },
        );
        assert_eq!(app.timeline.events.len(), 150);

        // One source at a time, then all again.
        update(&mut app, key('s'));
        assert_eq!(app.timeline.source.as_deref(), Some("billing"));
        assert!(app.timeline.rows.iter().all(|r| match r {
            Row::Event(i) => app.timeline.events[*i].source == "billing",
            Row::Day(_) => true,
        }));
        update(&mut app, key('s'));
        update(&mut app, key('s'));
        assert_eq!(app.timeline.source, None);

        // Searching in the timeline narrows it as one types; Esc clears it.
        update(&mut app, key('/'));
        for c in "shop 14".chars() {
            update(&mut app, key(c));
        }
        let shown: Vec<&str> = app
            .timeline
            .rows
            .iter()
            .filter_map(|r| match r {
                Row::Event(i) => Some(app.timeline.events[*i].title.as_str()),
                Row::Day(_) => None,
            })
            .collect();
        assert_eq!(shown, ["shop 14h", "shop 140h", "shop 142h", "shop 144h", "shop 146h", "shop 148h"]);
        update(&mut app, code(KeyCode::Enter));
        assert!(!app.timeline.typing);
        update(&mut app, key('/'));
        update(&mut app, code(KeyCode::Esc));
        assert_eq!(app.timeline.rows.iter().filter(|r| matches!(r, Row::Event(_))).count(), 150);
        update(&mut app, key('t'));
        assert_eq!(app.timeline.kind.as_deref(), Some("order_placed"));
        update(&mut app, key('t'));
        assert_eq!(app.timeline.kind, None);
        update(&mut app, code(KeyCode::Esc));
        assert_eq!(app.view(), View::Search);
        update(&mut app, key('?'));
        assert!(!app.help, "? is typed into the search");
        update(&mut app, code(KeyCode::F(1)));
        assert!(app.help);
        update(&mut app, key('x'));
        assert!(!app.help && !app.quit, "any key closes the help");
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(app.quit);
    }
}
