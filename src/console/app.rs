//! The console's state and how it changes: one `App`, messages in (keys, results of tasks,
//! sync status, ticks), commands out (search, load a timeline page, sync). Plain functions:
//! tests drive them without a terminal. Views draw from this state alone.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;

use super::keymap::{action, Action, View};
use crate::domain::case::Case;
use crate::domain::customer::Customer;
use crate::domain::event::Event;
use crate::domain::followup::FollowUp;
use crate::local::overlay::Synced;
use crate::local::view::LocalCase;
use crate::sync::engine::SyncStatus;

/// A timeline page's size.
pub const PAGE: u32 = 100;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal changed size: redraw.
    Resize,
    /// Time passed (relative times, clocks).
    Tick(DateTime<Utc>),
    Sync(SyncStatus),
    Home {
        cases: Vec<Synced<Case>>,
        followups: Vec<Synced<FollowUp>>,
    },
    SearchResults {
        query: String,
        result: Result<Vec<Customer>, String>,
        offline: bool,
    },
    TimelinePage {
        customer: Uuid,
        result: Result<(Vec<Event>, Option<String>), String>,
        offline: bool,
    },
    /// The customer whose timeline is open, as the server (or the local store) has it.
    Customer(Box<Customer>),
    /// A case from the local store (`None`: not there yet; it comes with the next sync).
    Case {
        id: Uuid,
        case: Option<Box<LocalCase>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Search(String),
    /// The first page (`cursor` none) or the next one.
    LoadTimeline {
        customer: Uuid,
        cursor: Option<String>,
    },
    LoadHome,
    LoadCase(Uuid),
    SyncNow,
}

#[derive(Debug, Default)]
pub struct SearchState {
    pub query: String,
    pub results: Vec<Customer>,
    pub selected: usize,
    /// The query the results are for.
    pub results_for: String,
    pub error: Option<String>,
    pub offline: bool,
}

/// The agent's time zone, for day headings and clock times (part of the state, so that what
/// is drawn does not depend on the machine the tests run on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tz(pub FixedOffset);

impl Default for Tz {
    fn default() -> Self {
        Tz(FixedOffset::east_opt(0).expect("UTC"))
    }
}

impl Tz {
    /// The machine's current offset.
    pub fn local() -> Tz {
        Tz(*chrono::Local::now().offset())
    }
}

/// A line of the timeline list: a day heading or an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Day(NaiveDate),
    Event(usize),
}

#[derive(Debug, Default)]
pub struct TimelineState {
    pub customer: Option<Customer>,
    pub events: Vec<Event>,
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
    fn rebuild_rows(&mut self) {
        let keep = self.selected_event();
        self.rows.clear();
        let mut day: Option<NaiveDate> = None;
        let query = self.query.trim().to_lowercase();
        for (i, e) in self.events.iter().enumerate() {
            if self.source.as_deref().is_some_and(|s| s != e.source)
                || self.kind.as_deref().is_some_and(|k| k != e.kind)
            {
                continue;
            }
            if !query.is_empty() && !matches_text(e, &query) {
                continue;
            }
            let d = e.occurred_at.with_timezone(&self.tz.0).date_naive();
            if day != Some(d) {
                self.rows.push(Row::Day(d));
                day = Some(d);
            }
            self.rows.push(Row::Event(i));
        }
        self.selected = keep
            .and_then(|k| self.rows.iter().position(|r| *r == Row::Event(k)))
            .unwrap_or_else(|| self.rows.iter().position(|r| matches!(r, Row::Event(_))).unwrap_or(0));
    }

    pub fn selected_event(&self) -> Option<usize> {
        match self.rows.get(self.selected) {
            Some(Row::Event(i)) => Some(*i),
            _ => None,
        }
    }

    /// Moves the selection by `delta` events (day headings are skipped).
    fn move_by(&mut self, delta: isize) {
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

/// Whether an event's title, body, kind, source or actor contains `q` (already lower-case).
fn matches_text(e: &Event, q: &str) -> bool {
    [Some(e.title.as_str()), e.body.as_deref(), Some(e.kind.as_str()), Some(e.source.as_str()), e.actor.as_deref()]
        .into_iter()
        .flatten()
        .any(|t| t.to_lowercase().contains(q))
}

/// The next value after `current` in `all`, or none after the last: one at a time, then all.
fn cycle(all: &BTreeSet<String>, current: &Option<String>) -> Option<String> {
    match current {
        None => all.iter().next().cloned(),
        Some(c) => {
            all.range::<String, _>((std::ops::Bound::Excluded(c.clone()), std::ops::Bound::Unbounded)).next().cloned()
        }
    }
}

#[derive(Debug, Default)]
pub struct HomeState {
    /// The local store has answered at least once.
    pub loaded: bool,
    pub cases: Vec<Synced<Case>>,
    pub followups: Vec<Synced<FollowUp>>,
    pub selected: usize,
}

#[derive(Debug)]
pub struct App {
    pub agent: String,
    pub server: String,
    /// Back goes to the view before.
    pub stack: Vec<View>,
    pub help: bool,
    pub home: HomeState,
    pub search: SearchState,
    pub timeline: TimelineState,
    pub sync: Option<SyncStatus>,
    /// The case open in the case view: its id, and the case once loaded.
    pub case: Option<(Uuid, Option<Box<LocalCase>>)>,
    pub now: DateTime<Utc>,
    pub tz: Tz,
    /// Rows a page key moves (the list's height, set by the view).
    pub page_rows: usize,
    pub quit: bool,
}

impl App {
    pub fn new(agent: &str, server: &str, now: DateTime<Utc>, tz: Tz) -> App {
        App {
            agent: agent.to_string(),
            server: server.to_string(),
            stack: vec![View::Home],
            help: false,
            home: HomeState::default(),
            search: SearchState::default(),
            timeline: TimelineState::default(),
            sync: None,
            case: None,
            now,
            tz,
            page_rows: 20,
            quit: false,
        }
    }

    pub fn view(&self) -> View {
        *self.stack.last().unwrap_or(&View::Home)
    }

    fn go(&mut self, v: View) {
        if self.view() != v {
            self.stack.push(v);
        }
    }

    /// Opens a customer's timeline from its first page.
    fn open_timeline(&mut self, customer: Customer) -> Vec<Cmd> {
        let id = customer.id;
        self.timeline =
            TimelineState { customer: Some(customer), loading: true, tz: self.tz, ..TimelineState::default() };
        self.go(View::Timeline);
        vec![Cmd::LoadTimeline { customer: id, cursor: None }]
    }

    /// More of the timeline when the selection nears the end of what is loaded.
    fn maybe_more(&mut self) -> Vec<Cmd> {
        let t = &mut self.timeline;
        let near_end = t.selected + self.page_rows >= t.rows.len();
        match (&t.customer, &t.next_cursor) {
            (Some(c), Some(cursor)) if near_end && !t.loading => {
                t.loading = true;
                vec![Cmd::LoadTimeline { customer: c.id, cursor: Some(cursor.clone()) }]
            }
            _ => vec![],
        }
    }
}

/// Applies a message; returns what to run.
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(k) => key(app, k),
        Msg::Resize => vec![],
        Msg::Tick(now) => {
            app.now = now;
            vec![]
        }
        Msg::Sync(s) => {
            let reload = app.sync.as_ref().is_none_or(|old| old.last_success != s.last_success);
            app.sync = Some(s);
            if reload {
                vec![Cmd::LoadHome]
            } else {
                vec![]
            }
        }
        Msg::Home { cases, followups } => {
            app.home.cases = cases;
            app.home.followups = followups;
            app.home.loaded = true;
            app.home.selected = app.home.selected.min(app.home.cases.len().saturating_sub(1));
            vec![]
        }
        Msg::SearchResults { query, result, offline } => {
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
        Msg::Customer(c) => {
            if let Some(open) = app.timeline.customer.as_mut().filter(|open| open.id == c.id) {
                *open = *c;
            }
            vec![]
        }
        Msg::Case { id, case } => {
            if app.case.as_ref().is_some_and(|(open, _)| *open == id) {
                app.case = Some((id, case));
            }
            vec![]
        }
        Msg::TimelinePage { customer, result, offline } => {
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
            vec![]
        }
    }
}

fn key(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
    let view = app.view();
    if view == View::Timeline && app.timeline.typing {
        return timeline_query(app, k);
    }
    if app.help {
        // Any key closes the help; Ctrl-c still quits.
        app.help = false;
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
            app.quit = true;
        }
        return vec![];
    }
    let Some(a) = action(view, &k) else {
        if view == View::Search {
            return edit_query(app, k);
        }
        return vec![];
    };
    let page = app.page_rows.max(1) as isize;
    match (view, a) {
        (_, Action::Quit) => app.quit = true,
        (_, Action::Help) => app.help = true,
        (_, Action::Back) if app.stack.len() > 1 => {
            app.stack.pop();
        }
        (_, Action::Search) => {
            app.go(View::Search);
        }
        (_, Action::SyncNow) => return vec![Cmd::SyncNow],
        (View::Search, Action::Down) => {
            app.search.selected = (app.search.selected + 1).min(app.search.results.len().saturating_sub(1))
        }
        (View::Search, Action::Up) => app.search.selected = app.search.selected.saturating_sub(1),
        (View::Search, Action::Open) => {
            if let Some(c) = app.search.results.get(app.search.selected).cloned() {
                return app.open_timeline(c);
            }
        }
        (View::Home, Action::Down) => {
            app.home.selected = (app.home.selected + 1).min(app.home.cases.len().saturating_sub(1))
        }
        (View::Home, Action::Up) => app.home.selected = app.home.selected.saturating_sub(1),
        (View::Home, Action::Top) => app.home.selected = 0,
        (View::Home, Action::Bottom) => app.home.selected = app.home.cases.len().saturating_sub(1),
        (View::Home, Action::PageDown) => {
            app.home.selected = (app.home.selected + page as usize).min(app.home.cases.len().saturating_sub(1))
        }
        (View::Home, Action::PageUp) => app.home.selected = app.home.selected.saturating_sub(page as usize),
        (View::Home, Action::Open) => {
            if let Some(c) = app.home.cases.get(app.home.selected) {
                let id = c.value.customer_id;
                // Named properly once the customer arrives (Msg::Customer).
                let stub = Customer::named(id, &format!("customer of “{}”", c.value.subject), c.value.created_at);
                return app.open_timeline(stub);
            }
        }
        (View::Timeline, Action::Down) => {
            app.timeline.move_by(1);
            return app.maybe_more();
        }
        (View::Timeline, Action::Up) => app.timeline.move_by(-1),
        (View::Timeline, Action::PageDown) => {
            app.timeline.move_by(page);
            return app.maybe_more();
        }
        (View::Timeline, Action::PageUp) => app.timeline.move_by(-page),
        (View::Timeline, Action::Top) => app.timeline.move_by(-(app.timeline.rows.len() as isize)),
        (View::Timeline, Action::Bottom) => {
            app.timeline.move_by(app.timeline.rows.len() as isize);
            return app.maybe_more();
        }
        (View::Timeline, Action::ToggleDetail) => app.timeline.detail = !app.timeline.detail,
        (View::Timeline, Action::NextSource) => {
            let t = &mut app.timeline;
            t.source = cycle(&t.sources, &t.source);
            t.rebuild_rows();
        }
        (View::Timeline, Action::NextKind) => {
            let t = &mut app.timeline;
            t.kind = cycle(&t.kinds, &t.kind);
            t.rebuild_rows();
        }
        (View::Timeline, Action::Filter) => app.timeline.typing = true,
        (View::Timeline, Action::OpenCase) => {
            let case = app.timeline.selected_event().and_then(|i| app.timeline.events[i].case_id);
            if let Some(id) = case {
                app.case = Some((id, None));
                app.go(View::Case);
                return vec![Cmd::LoadCase(id)];
            }
        }
        _ => {}
    }
    vec![]
}

/// Typing a search in the timeline: the list narrows with each key.
fn timeline_query(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
    let t = &mut app.timeline;
    match k.code {
        KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => app.quit = true,
        KeyCode::Enter => t.typing = false,
        KeyCode::Esc => {
            t.typing = false;
            t.query.clear();
            t.rebuild_rows();
        }
        KeyCode::Backspace => {
            t.query.pop();
            t.rebuild_rows();
        }
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
            t.query.push(c);
            t.rebuild_rows();
        }
        _ => {}
    }
    vec![]
}

fn edit_query(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
    let q = &mut app.search.query;
    match k.code {
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => q.push(c),
        KeyCode::Backspace => {
            q.pop();
        }
        _ => return vec![],
    }
    if q.trim().is_empty() {
        app.search.results.clear();
        app.search.results_for.clear();
        return vec![];
    }
    vec![Cmd::Search(q.clone())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn key(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }
    fn code(c: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    pub(crate) fn customer(name: &str) -> Customer {
        Customer::named(Uuid::now_v7(), name, Utc::now())
    }

    pub(crate) fn event(customer: Uuid, source: &str, hours_ago: i64) -> Event {
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
                result: Ok((page[..100].to_vec(), Some("c1".into()))),
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
            Msg::TimelinePage { customer: anna.id, result: Ok((page[100..].to_vec(), None)), offline: false },
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
