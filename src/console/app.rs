//! The console's state and how it changes: one `App`, messages in (keys, results of tasks,
//! sync status, ticks), commands out (search, load a timeline page, sync). Plain functions:
//! tests drive them without a terminal. Views draw from this state alone.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;

use super::forms::{Drafts, Form, FormKey, FormWrite};
use super::guidance::Guidance;
use super::keymap::{action, Action, View};
use super::lead::{LeadState, Picker, PERIODS};
use super::workspace::{step_field, Typing, Workspace, NOTE_PLACEHOLDER};
use crate::domain::case::{proposed_followup_delay, Case, NoteVisibility, Priority};
use crate::domain::customer::{Customer, MAX_QUERY_CHARS};
use crate::domain::event::Event;
use crate::domain::followup::{FollowUp, FollowUpStatus};
use crate::domain::rasa::RasaStep;
use crate::domain::sla::SlaState;
use crate::domain::Invalid;
use crate::local::overlay::{LocalOp, OpState, Synced};
use crate::local::view::LocalCase;
use crate::sync::engine::SyncStatus;
use crate::wire::leads::QueueCase;
use crate::wire::leads::SummaryReport;
use crate::wire::leads::{BulkChange, BulkResponse, QueuesResponse};
use crate::wire::requests::PatchFollowUpRequest;

/// A timeline page's size.
pub const PAGE: u32 = 100;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): text where text is being typed,
    /// never keys.
    Paste(String),
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
    /// A case from the local store (`None`: not there yet; it comes with the next sync), with
    /// its drafts.
    Case {
        id: Uuid,
        case: Option<Box<LocalCase>>,
        drafts: Drafts,
    },
    /// Drafts under a scope (for a form opened before they were read).
    Drafts {
        scope: String,
        drafts: Drafts,
    },
    /// A write was recorded in the outbox (with what it made), or refused with the reason.
    Written {
        write: Write,
        result: Result<Option<Uuid>, Invalid>,
    },
    /// The outbox's conflicts and refusals.
    Unsettled(Vec<LocalOp>),
    /// Who else has the case open.
    Presence {
        case: Uuid,
        others: Vec<String>,
    },
    /// Lead mode: the queues overview.
    Overview(Result<Box<QueuesResponse>, String>),
    QueueCases {
        queue: String,
        result: Result<Vec<QueueCase>, String>,
    },
    Bulk(Result<BulkResponse, String>),
    Report(Result<Box<SummaryReport>, String>),
    Closed(Result<Vec<Case>, String>),
}

/// How a conflict or refusal is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    KeepMine,
    TakeTheirs,
    Dismiss,
}

/// A write the agent made: recorded in the local store's outbox first, synced later.
#[derive(Debug, Clone)]
pub enum Write {
    Form(FormWrite),
    Step { case: Uuid, step: RasaStep, notes: String, done: bool },
    Note { case: Uuid, body: String, visibility: NoteVisibility },
    FollowUp { id: Uuid, change: PatchFollowUpRequest },
    Settle { op: Uuid, how: Settle },
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
    /// Record a write; then drop these drafts (what they drafted is recorded).
    Write {
        write: Write,
        clear: Vec<String>,
    },
    SaveDrafts(Vec<(String, String)>),
    LoadDrafts(String),
    LoadUnsettled,
    /// Tell the server the agent has the case open (and learn who else has).
    Presence(Uuid),
    /// The agent left the case.
    Leave(Uuid),
    LoadOverview,
    LoadQueueCases {
        queue: String,
        sla: Option<SlaState>,
    },
    Bulk(Vec<BulkChange>),
    LoadReport {
        days: i64,
        team: Option<String>,
    },
    LoadClosed(String),
}

impl PartialEq for Write {
    fn eq(&self, other: &Self) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}
impl Eq for Write {}

#[derive(Debug, Default)]
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

#[derive(Debug, Default)]
pub struct UnsettledState {
    pub loaded: bool,
    pub ops: Vec<LocalOp>,
    pub selected: usize,
}

/// How often presence is told to the server while a case is open.
pub const PRESENCE_EVERY: chrono::Duration = chrono::Duration::seconds(10);

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
    /// The case being worked in the case view.
    pub work: Option<Workspace>,
    /// A form over the view (new case, resolution, follow-up).
    pub form: Option<Form>,
    /// Forms submitted and closed, kept until the local store has recorded their writes (one
    /// comes back, with the reason, if its write is refused). The writer records in order,
    /// so answers come in the order of this queue.
    pub submitted: std::collections::VecDeque<Form>,
    pub unsettled: UnsettledState,
    /// The selected row of the follow-ups view.
    pub followup_selected: usize,
    /// Search picks the customer of a new case.
    pub search_for_new_case: bool,
    pub guidance: Guidance,
    /// Something changed that the screen shows (a tick alone may change nothing).
    pub dirty: bool,
    /// The agent is a lead or an admin: lead mode's keys and views.
    pub lead_mode: bool,
    /// The lead's teams (for the report's team choice).
    pub teams: Vec<String>,
    pub lead: LeadState,
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
            work: None,
            form: None,
            submitted: Default::default(),
            unsettled: UnsettledState::default(),
            followup_selected: 0,
            search_for_new_case: false,
            guidance: Guidance::load("en").0,
            dirty: true,
            lead_mode: false,
            teams: vec![],
            lead: LeadState::default(),
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
    let tick = matches!(msg, Msg::Tick(_));
    if !tick {
        app.dirty = true;
    }
    match msg {
        Msg::Key(k) => key(app, k),
        Msg::Paste(text) => paste(app, &text),
        Msg::Resize => vec![],
        Msg::Tick(now) => tick_to(app, now),
        Msg::Sync(s) => {
            let reload = app
                .sync
                .as_ref()
                .is_none_or(|old| old.last_success != s.last_success || old.counts.conflicts != s.counts.conflicts);
            app.sync = Some(s);
            if !reload {
                return vec![];
            }
            let mut cmds = vec![Cmd::LoadHome];
            if let Some(w) = &app.work {
                cmds.push(Cmd::LoadCase(w.id));
            }
            if app.view() == View::Conflicts {
                cmds.push(Cmd::LoadUnsettled);
            }
            cmds
        }
        Msg::Home { cases, followups } => {
            app.home.cases = cases;
            app.home.followups = followups;
            app.home.followups.sort_by_key(|f| f.value.due_at);
            app.home.loaded = true;
            app.home.selected = app.home.selected.min(app.home.cases.len().saturating_sub(1));
            app.followup_selected = app.followup_selected.min(app.home.followups.len().saturating_sub(1));
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
        Msg::Case { id, case, drafts } => {
            let now = app.now;
            let Some(w) = app.work.as_mut().filter(|w| w.id == id) else { return vec![] };
            let customer = case.as_ref().map(|c| c.case.value.customer_id);
            w.loaded(case, drafts, now);
            // The customer's timeline beside the case.
            match customer {
                Some(c) if app.timeline.customer.as_ref().map(|x| x.id) != Some(c) => {
                    let subject = w.data.as_ref().map(|d| d.case.value.subject.clone()).unwrap_or_default();
                    app.timeline = TimelineState {
                        customer: Some(Customer::named(c, &format!("customer of “{subject}”"), now)),
                        loading: true,
                        tz: app.tz,
                        ..TimelineState::default()
                    };
                    vec![Cmd::LoadTimeline { customer: c, cursor: None }]
                }
                _ => vec![],
            }
        }
        Msg::Drafts { scope, drafts } => {
            if let Some(f) = app.form.as_mut().filter(|f| f.scope == scope && !f.dirty) {
                f.fill(&drafts);
            }
            vec![]
        }
        Msg::Written { write, result } => written(app, write, result),
        Msg::Unsettled(ops) => {
            app.unsettled.ops = ops;
            app.unsettled.loaded = true;
            app.unsettled.selected = app.unsettled.selected.min(app.unsettled.ops.len().saturating_sub(1));
            vec![]
        }
        Msg::Presence { case, others } => {
            if let Some(w) = app.work.as_mut().filter(|w| w.id == case) {
                w.others = others;
            }
            vec![]
        }
        Msg::Overview(r) => {
            match r {
                Ok(o) => {
                    app.lead.overview = Some(*o);
                    app.lead.overview_error = None;
                }
                Err(e) => app.lead.overview_error = Some(e),
            }
            let n = app.lead.sorted_queues().len();
            app.lead.queue_selected = app.lead.queue_selected.min(n.saturating_sub(1));
            vec![]
        }
        Msg::QueueCases { queue, result } => {
            if app.lead.queue.as_deref() != Some(queue.as_str()) {
                return vec![];
            }
            app.lead.cases_loaded = true;
            match result {
                Ok(cases) => {
                    let ids: BTreeSet<Uuid> = cases.iter().map(|c| c.case.id).collect();
                    app.lead.marked.retain(|m| ids.contains(m));
                    app.lead.cases = cases;
                }
                Err(e) => app.lead.message = Some((true, e)),
            }
            app.lead.case_selected = app.lead.case_selected.min(app.lead.cases.len().saturating_sub(1));
            vec![]
        }
        Msg::Bulk(r) => {
            match r {
                Ok(r) => app.lead.bulk_done(&r),
                Err(e) => app.lead.message = Some((true, format!("Nothing changed: {e}"))),
            }
            let mut cmds = vec![Cmd::LoadOverview, Cmd::SyncNow];
            if let Some(q) = app.lead.queue.clone() {
                cmds.push(Cmd::LoadQueueCases { queue: q, sla: app.lead.sla });
            }
            cmds
        }
        Msg::Report(r) => {
            match r {
                Ok(r) => {
                    app.lead.report = Some(*r);
                    app.lead.report_error = None;
                }
                Err(e) => app.lead.report_error = Some(e),
            }
            vec![]
        }
        Msg::Closed(r) => {
            match r {
                Ok(c) => {
                    app.lead.closed = c;
                    app.lead.closed_error = None;
                }
                Err(e) => app.lead.closed_error = Some(e),
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

/// Time passed: save drafts typed since the last tick, keep presence alive, and redraw only
/// when something shown moved (the case clocks, a minute, a follow-up falling due).
fn tick_to(app: &mut App, now: DateTime<Utc>) -> Vec<Cmd> {
    let due_before = app.due_followups();
    let minute = |t: DateTime<Utc>| t.timestamp() / 60;
    let moved_minute = minute(app.now) != minute(now);
    app.now = now;
    if app.view() == View::Case || moved_minute || app.due_followups() != due_before {
        app.dirty = true;
    }
    let mut cmds = Vec::new();
    let mut drafts = Vec::new();
    if let Some(w) = app.work.as_mut() {
        drafts.extend(w.take_drafts());
        if w.presence_at.is_none_or(|at| now - at >= PRESENCE_EVERY) {
            w.presence_at = Some(now);
            cmds.push(Cmd::Presence(w.id));
        }
    }
    if let Some(f) = app.form.as_mut().filter(|f| f.dirty) {
        f.dirty = false;
        drafts.extend(f.drafts());
    }
    if !drafts.is_empty() {
        cmds.push(Cmd::SaveDrafts(drafts));
    }
    cmds
}

/// What follows a write the local store recorded, or refused.
fn written(app: &mut App, write: Write, result: Result<Option<Uuid>, Invalid>) -> Vec<Cmd> {
    let mut cmds = vec![Cmd::LoadHome];
    let reload_case = |app: &App, cmds: &mut Vec<Cmd>| {
        if let Some(w) = &app.work {
            cmds.push(Cmd::LoadCase(w.id));
        }
    };
    let e = match result {
        Ok(made) => {
            match write {
                Write::Form(FormWrite::OpenCase(_)) => {
                    app.submitted.pop_front();
                    if let Some(id) = made {
                        cmds.extend(app.open_case(id));
                    }
                }
                Write::Form(FormWrite::Resolve { input, .. }) => {
                    let case = app.work.as_ref().and_then(|w| w.data.as_ref()).map(|d| d.case.value.clone());
                    app.submitted.pop_front();
                    app.say(false, format!("Resolved: the experience was {}.", input.outcome));
                    // The proposed follow-up opens only where it takes no keys meant for
                    // something else: no other form open, nothing being typed.
                    let busy = app.form.is_some() || app.work.as_ref().is_some_and(|w| w.typing.is_some());
                    if let (Some(c), Some(_)) = (case, proposed_followup_delay(input.outcome)) {
                        if busy {
                            let why = format!(
                                "Resolved: the experience was {}; f adds the follow-up it calls for.",
                                input.outcome
                            );
                            app.say(false, why);
                        } else {
                            let drafts = app.work.as_ref().map(|w| w.drafts.clone()).unwrap_or_default();
                            let why = Some((input.outcome, input.summary.trim()));
                            app.form = Some(Form::followup(Some(c.id), c.customer_id, why, &drafts));
                        }
                    }
                    reload_case(app, &mut cmds);
                }
                Write::Form(FormWrite::CreateFollowUp(f)) => {
                    app.submitted.pop_front();
                    app.say(false, format!("Follow-up due {}.", super::view::relative(app.now, f.due_at)));
                    reload_case(app, &mut cmds);
                }
                Write::Step { step, done, .. } => {
                    let name = app.guidance.step(step).name.clone();
                    app.say(false, if done { format!("{name} ✓ done.") } else { format!("{name}: notes kept.") });
                    reload_case(app, &mut cmds);
                }
                Write::Note { .. } => {
                    // The editor was emptied when the note was saved; what is in it now is a
                    // note being typed, and stays as it is.
                    app.say(false, "Note added.".to_string());
                    reload_case(app, &mut cmds);
                }
                Write::FollowUp { .. } => reload_case(app, &mut cmds),
                Write::Settle { .. } => {
                    cmds.push(Cmd::LoadUnsettled);
                    reload_case(app, &mut cmds);
                }
            }
            return cmds;
        }
        Err(e) => e,
    };
    // Refused: say why where it was typed, keeping what was typed.
    let submitted = if matches!(write, Write::Form(_)) { app.submitted.pop_front() } else { None };
    match (&write, submitted) {
        (Write::Form(_), Some(mut f)) if app.form.is_none() => {
            f.fail(&e);
            f.dirty = true;
            app.form = Some(f);
        }
        (Write::Form(_), Some(f)) => {
            // Another form is open now: the refused one waits as its drafts.
            let drafts = f.drafts();
            app.say(true, format!("{} was not saved: {e}; what you typed is kept as a draft", f.title));
            cmds.push(Cmd::SaveDrafts(drafts));
        }
        (Write::Note { case, body, visibility }, _) => {
            // The text comes back into the editor if it is still empty; a note being typed
            // meanwhile is never touched: the refused one waits for the next `n`.
            let mut kept = "its text is back in the editor";
            if let Some(w) = app.work.as_mut().filter(|w| w.id == *case) {
                if super::forms::text_of(&w.note).is_empty() && w.typing != Some(Typing::Note) {
                    w.note = super::forms::text_area(body, NOTE_PLACEHOLDER);
                    w.note_visibility = *visibility;
                    w.dirty.insert("note".into());
                    w.typing = Some(Typing::Note);
                } else {
                    w.held_notes.push((body.clone(), *visibility));
                    kept = "its text comes back with the next n";
                }
            } else {
                kept = "its text is lost from the editor: the case was left";
            }
            app.say(true, format!("The note was not added: {e}; {kept}"));
        }
        _ => app.say(true, e.to_string()),
    }
    cmds
}

impl App {
    /// The follow-ups that are due now (open, due time passed).
    pub fn due_followups(&self) -> usize {
        self.home
            .followups
            .iter()
            .filter(|f| f.value.status == FollowUpStatus::Open && f.value.due_at <= self.now)
            .count()
    }

    /// A line for the agent in the case view.
    /// A line for the agent in the case view. An error stays until the agent has pressed a
    /// key with it on screen: a later success does not replace it unread.
    fn say(&mut self, error: bool, text: String) {
        if let Some(w) = self.work.as_mut() {
            let unread_error = w.message.as_ref().is_some_and(|(e, _)| *e) && !w.message_read;
            if error || !unread_error {
                w.message = Some((error, text));
                w.message_read = false;
            }
        }
    }

    /// Opens the case workspace for a case.
    pub fn open_case(&mut self, id: Uuid) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        if let Some(mut old) = self.work.take() {
            if old.id != id {
                let drafts = old.take_drafts();
                if !drafts.is_empty() {
                    cmds.push(Cmd::SaveDrafts(drafts));
                }
                cmds.push(Cmd::Leave(old.id));
            } else {
                self.work = Some(old);
            }
        }
        if self.work.is_none() {
            self.work = Some(Workspace::new(id, self.now));
        }
        if self.view() == View::Case {
            self.stack.pop();
        }
        self.go(View::Case);
        cmds.push(Cmd::LoadCase(id));
        cmds
    }

    fn open_form(&mut self, form: Form) -> Vec<Cmd> {
        let scope = form.scope.clone();
        self.form = Some(form);
        vec![Cmd::LoadDrafts(scope)]
    }

    fn back(&mut self) -> Vec<Cmd> {
        if self.stack.len() <= 1 {
            return vec![];
        }
        let left = self.stack.pop();
        let mut cmds = Vec::new();
        if left == Some(View::Case) && !self.stack.contains(&View::Case) {
            if let Some(mut w) = self.work.take() {
                let drafts = w.take_drafts();
                if !drafts.is_empty() {
                    cmds.push(Cmd::SaveDrafts(drafts));
                }
                cmds.push(Cmd::Leave(w.id));
            }
        }
        cmds
    }
}

fn key(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
    let view = app.view();
    if let Some(w) = app.work.as_mut().filter(|_| view == View::Case) {
        w.message_read = true;
    }
    if view == View::Timeline && app.timeline.typing {
        return timeline_query(app, k);
    }
    if app.help {
        // Any key closes the help; Ctrl-c still quits (unless typing, where it copies).
        app.help = false;
        let typing = app.form.is_some() || app.work.as_ref().is_some_and(|w| w.typing.is_some());
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) && !typing {
            app.quit = true;
        }
        return vec![];
    }
    if k.code == KeyCode::F(1) && (app.form.is_some() || app.work.as_ref().is_some_and(|w| w.typing.is_some())) {
        app.help = true;
        return vec![];
    }
    if app.form.is_some() {
        return form_key(app, k);
    }
    if view == View::Case && app.work.as_ref().is_some_and(|w| w.typing.is_some()) {
        return typing_key(app, k);
    }
    if app.lead.picker.is_some() && view == View::QueueCases {
        return picker_key(app, k);
    }
    let Some(a) = action(view, app.lead_mode, &k) else {
        if view == View::Search {
            return edit_query(app, k);
        }
        return vec![];
    };
    let page = app.page_rows.max(1) as isize;
    match (view, a) {
        (_, Action::Quit) => app.quit = true,
        (_, Action::Help) => app.help = true,
        (_, Action::Back) => return app.back(),
        (_, Action::Search) => {
            app.search_for_new_case = false;
            app.go(View::Search);
        }
        (_, Action::SyncNow) => return vec![Cmd::SyncNow],
        (_, Action::FollowUps) => app.go(View::FollowUps),
        (_, Action::Conflicts) => {
            app.go(View::Conflicts);
            return vec![Cmd::LoadUnsettled];
        }
        (View::Search, Action::Down) => {
            app.search.selected = (app.search.selected + 1).min(app.search.results.len().saturating_sub(1))
        }
        (View::Search, Action::Up) => app.search.selected = app.search.selected.saturating_sub(1),
        (View::Search, Action::Open) => {
            if let Some(c) = app.search.results.get(app.search.selected).cloned() {
                let mut cmds = app.open_timeline(c.clone());
                if std::mem::take(&mut app.search_for_new_case) {
                    cmds.extend(app.open_form(Form::new_case(c.id, &c.display_name, &Drafts::default())));
                }
                return cmds;
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
            if let Some(id) = app.home.cases.get(app.home.selected).map(|c| c.value.id) {
                return app.open_case(id);
            }
        }
        (View::Home, Action::OpenTimeline) => {
            if let Some(c) = app.home.cases.get(app.home.selected) {
                let id = c.value.customer_id;
                // Named properly once the customer arrives (Msg::Customer).
                let stub = Customer::named(id, &format!("customer of “{}”", c.value.subject), c.value.created_at);
                return app.open_timeline(stub);
            }
        }
        (View::Home, Action::NewCase) => {
            app.search_for_new_case = true;
            app.go(View::Search);
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
                return app.open_case(id);
            }
        }
        (View::Timeline, Action::NewCase) => {
            if let Some(c) = app.timeline.customer.clone() {
                return app.open_form(Form::new_case(c.id, &c.display_name, &Drafts::default()));
            }
        }
        (View::Home, Action::Queues) if app.lead_mode => {
            app.go(View::Queues);
            return vec![Cmd::LoadOverview];
        }
        (View::Home | View::Queues, Action::Report) if app.lead_mode => {
            app.go(View::Report);
            return vec![app.report_cmd()];
        }
        (View::Case, Action::Coach) if app.lead_mode => {
            if let Some(w) = app.work.as_mut().filter(|w| w.data.is_some()) {
                if super::forms::text_of(&w.note).trim().is_empty() {
                    w.note = super::forms::text_area("Coaching: ", "");
                }
                w.typing = Some(Typing::Note);
            }
        }
        (View::Queues | View::QueueCases | View::Report | View::Closed, a) => return lead_key(app, view, a, page),
        (View::Case, a) => return case_key(app, a),
        (View::FollowUps, a) => return followups_key(app, a, page),
        (View::Conflicts, a) => return unsettled_key(app, a, page),
        _ => {}
    }
    vec![]
}

impl App {
    fn report_cmd(&self) -> Cmd {
        Cmd::LoadReport { days: PERIODS[self.lead.period % PERIODS.len()], team: self.lead.report_team.clone() }
    }
}

/// Moves a selection in a list of `n`.
fn move_in(sel: &mut usize, n: usize, a: Action, page: isize) {
    let last = n.saturating_sub(1);
    match a {
        Action::Down => *sel = (*sel + 1).min(last),
        Action::Up => *sel = sel.saturating_sub(1),
        Action::PageDown => *sel = (*sel + page as usize).min(last),
        Action::PageUp => *sel = sel.saturating_sub(page as usize),
        Action::Top => *sel = 0,
        Action::Bottom => *sel = last,
        _ => {}
    }
}

/// A key of a lead view.
fn lead_key(app: &mut App, view: View, a: Action, page: isize) -> Vec<Cmd> {
    let l = &mut app.lead;
    match (view, a) {
        (View::Queues, Action::Open) => {
            let Some(q) = l.sorted_queues().get(l.queue_selected).map(|q| q.queue.id.clone()) else { return vec![] };
            if l.queue.as_ref() != Some(&q) {
                l.cases.clear();
                l.marked.clear();
                l.case_selected = 0;
                l.cases_loaded = false;
            }
            l.queue = Some(q.clone());
            l.message = None;
            let sla = l.sla;
            app.go(View::QueueCases);
            return vec![Cmd::LoadQueueCases { queue: q, sla }];
        }
        (View::Queues, Action::Closed) => {
            let team = l.sorted_queues().get(l.queue_selected).map(|q| q.queue.team.clone());
            if let Some(team) = team {
                l.closed.clear();
                l.closed_selected = 0;
                app.go(View::Closed);
                return vec![Cmd::LoadClosed(team)];
            }
        }
        (View::Queues, Action::Refresh) => return vec![Cmd::LoadOverview],
        (View::Queues, a) => {
            let n = l.sorted_queues().len();
            move_in(&mut l.queue_selected, n, a, page);
        }
        (View::QueueCases, Action::Mark) => {
            if let Some(c) = l.cases.get(l.case_selected) {
                let id = c.case.id;
                if !l.marked.remove(&id) {
                    l.marked.insert(id);
                }
                l.case_selected = (l.case_selected + 1).min(l.cases.len().saturating_sub(1));
            }
        }
        (View::QueueCases, Action::NextSla) => {
            l.sla = match l.sla {
                None => Some(SlaState::Breached),
                Some(SlaState::Breached) => Some(SlaState::AtRisk),
                Some(SlaState::AtRisk) => Some(SlaState::Ok),
                Some(SlaState::Ok) => None,
            };
            l.case_selected = 0;
            if let Some(q) = l.queue.clone() {
                return vec![Cmd::LoadQueueCases { queue: q, sla: l.sla }];
            }
        }
        (View::QueueCases, Action::Assign) if !l.targets().is_empty() => {
            l.picker = Some(Picker::Assign { selected: 0 })
        }
        (View::QueueCases, Action::Reprioritise) if !l.targets().is_empty() => {
            l.picker = Some(Picker::Priority { selected: 0 })
        }
        (View::QueueCases, Action::Open) => {
            if let Some(id) = l.cases.get(l.case_selected).map(|c| c.case.id) {
                return app.open_case(id);
            }
        }
        (View::QueueCases, Action::Refresh) => {
            if let Some(q) = l.queue.clone() {
                return vec![Cmd::LoadQueueCases { queue: q, sla: l.sla }, Cmd::LoadOverview];
            }
        }
        (View::QueueCases, a) => {
            let n = l.cases.len();
            move_in(&mut l.case_selected, n, a, page);
        }
        (View::Report, Action::NextPeriod) => {
            l.period = (l.period + 1) % PERIODS.len();
            return vec![app.report_cmd()];
        }
        (View::Report, Action::NextTeam) => {
            let teams = &app.teams;
            l.report_team = match &l.report_team {
                None => teams.first().cloned(),
                Some(t) => teams.iter().skip_while(|x| *x != t).nth(1).cloned(),
            };
            return vec![app.report_cmd()];
        }
        (View::Report, Action::Refresh) => return vec![app.report_cmd()],
        (View::Closed, Action::Open) => {
            if let Some(id) = l.closed.get(l.closed_selected).map(|c| c.id) {
                return app.open_case(id);
            }
        }
        (View::Closed, a) => {
            let n = l.closed.len();
            move_in(&mut l.closed_selected, n, a, page);
        }
        _ => {}
    }
    vec![]
}

/// A key while a picker is open: choose, apply, or cancel.
fn picker_key(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
    let l = &mut app.lead;
    let Some(picker) = l.picker.clone() else { return vec![] };
    let n = match picker {
        Picker::Assign { .. } => l.assignable().len(),
        Picker::Priority { .. } => Priority::ALL.len(),
    };
    let sel = match &picker {
        Picker::Assign { selected } | Picker::Priority { selected } => *selected,
    };
    let moved = match k.code {
        KeyCode::Down | KeyCode::Char('j') => (sel + 1).min(n.saturating_sub(1)),
        KeyCode::Up | KeyCode::Char('k') => sel.saturating_sub(1),
        KeyCode::Esc => {
            l.picker = None;
            return vec![];
        }
        KeyCode::Enter => {
            let changes = l.changes(&picker);
            l.picker = None;
            if changes.is_empty() {
                return vec![];
            }
            l.message = Some((false, format!("Changing {} case(s)…", changes.len())));
            return vec![Cmd::Bulk(changes)];
        }
        _ => sel,
    };
    l.picker = Some(match picker {
        Picker::Assign { .. } => Picker::Assign { selected: moved },
        Picker::Priority { .. } => Picker::Priority { selected: moved },
    });
    vec![]
}

/// A key of the case view (not typing).
fn case_key(app: &mut App, a: Action) -> Vec<Cmd> {
    let now = app.now;
    let Some(w) = app.work.as_mut() else { return vec![] };
    let Some(data) = w.data.as_ref() else {
        return vec![];
    };
    let case = data.case.value.clone();
    match a {
        Action::EditStep => w.typing = Some(Typing::Step),
        Action::WriteNote => {
            if super::forms::text_of(&w.note).is_empty() {
                if let Some((body, visibility)) = w.held_notes.pop() {
                    w.note = super::forms::text_area(&body, NOTE_PLACEHOLDER);
                    w.note_visibility = visibility;
                    w.dirty.insert("note".into());
                }
            }
            w.typing = Some(Typing::Note)
        }
        Action::NextStep => {
            if let Some(s) = w.step.next() {
                w.select(s, now);
            }
        }
        Action::PrevStep => {
            if let Some(s) = w.step.prev() {
                w.select(s, now);
            }
        }
        Action::ToggleDone => {
            let done = !w.done(w.step);
            return step_write(app, done);
        }
        Action::Down => app.timeline.move_by(1),
        Action::Up => app.timeline.move_by(-1),
        Action::Resolve => {
            if case.resolution.is_some() {
                w.message = Some((true, "This case is resolved already.".into()));
                return vec![];
            }
            let form = Form::resolve(case.id, case.revision, data.rasa.clone(), &w.drafts);
            return app.open_form(form);
        }
        Action::NewFollowUp => {
            let form = Form::followup(Some(case.id), case.customer_id, None, &w.drafts);
            return app.open_form(form);
        }
        _ => {}
    }
    vec![]
}

/// Records the step in view with its notes as typed; marking it done brings the next step not
/// done into view.
fn step_write(app: &mut App, done: bool) -> Vec<Cmd> {
    let now = app.now;
    let Some(w) = app.work.as_mut() else { return vec![] };
    let step = w.step;
    let notes = w.step_text(step);
    w.typing = None;
    if done {
        let next = RasaStep::ALL.iter().copied().find(|s| s.index() > step.index() && !w.done(*s));
        if let Some(next) = next {
            w.select(next, now);
        }
    }
    let clear = vec![format!("{}/{}", crate::local::drafts::case_scope(w.id), step_field(step))];
    w.dirty.remove(&step_field(step));
    vec![Cmd::Write { write: Write::Step { case: w.id, step, notes, done }, clear }]
}

/// A key while typing in the case view: into the text area, except Esc, Ctrl-s and Ctrl-t.
fn typing_key(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let Some(w) = app.work.as_mut() else { return vec![] };
    let Some(typing) = w.typing else { return vec![] };
    match (typing, k.code) {
        (Typing::Step, KeyCode::Esc) => {
            w.typing = None;
            if w.step_text(w.step).trim() != w.recorded_notes(w.step).trim() {
                let done = w.done(w.step);
                let step = w.step;
                let notes = w.step_text(step);
                let clear = vec![format!("{}/{}", crate::local::drafts::case_scope(w.id), step_field(step))];
                w.dirty.remove(&step_field(step));
                return vec![Cmd::Write { write: Write::Step { case: w.id, step, notes, done }, clear }];
            }
        }
        (Typing::Step, KeyCode::Char('s')) if ctrl => return step_write(app, true),
        (Typing::Note, KeyCode::Esc) => w.typing = None,
        (Typing::Note, KeyCode::Char('t')) if ctrl => {
            w.note_visibility = match w.note_visibility {
                NoteVisibility::Internal => NoteVisibility::Customer,
                NoteVisibility::Customer => NoteVisibility::Internal,
            }
        }
        (Typing::Note, KeyCode::Char('s')) if ctrl => {
            let body = super::forms::text_of(&w.note);
            if body.trim().is_empty() {
                w.message = Some((true, "The note is empty: type it first.".into()));
                return vec![];
            }
            // Checked here by the rule the local store applies, so that a refusal keeps the
            // text where it was typed.
            if let Err(e) = crate::domain::required_text("body", &body, crate::domain::case::MAX_NOTE_CHARS) {
                w.message = Some((true, format!("The note was not added: {e}")));
                return vec![];
            }
            // The write carries its own text and the editor is empty at once: a note typed
            // next, however soon, is a note of its own, and nothing that comes back later
            // touches it.
            w.typing = None;
            w.note = super::forms::text_area("", NOTE_PLACEHOLDER);
            let clear = vec![format!("{}/note", crate::local::drafts::case_scope(w.id))];
            w.dirty.remove("note");
            return vec![Cmd::Write { write: Write::Note { case: w.id, body, visibility: w.note_visibility }, clear }];
        }
        _ => {
            if let Some((area, field)) = w.typing_area() {
                if area.input(k) {
                    w.dirty.insert(field);
                }
            }
        }
    }
    vec![]
}

/// A key while a form is open.
fn form_key(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
    let Some(f) = app.form.as_mut() else { return vec![] };
    match f.key(k) {
        FormKey::Stay | FormKey::Edited => vec![],
        FormKey::Cancel => {
            let drafts = if f.dirty { f.drafts() } else { vec![] };
            app.form = None;
            if drafts.is_empty() {
                vec![]
            } else {
                vec![Cmd::SaveDrafts(drafts)]
            }
        }
        FormKey::Submit => {
            match f.submit(app.now, app.tz.0) {
                Ok(write) => {
                    // The form closes at once, so that the keys typed next go where the agent
                    // sees them going; it is kept aside and comes back if the local store
                    // refuses the write.
                    f.error = None;
                    let clear = f.drafts().into_iter().map(|(k, _)| k).collect();
                    f.dirty = false;
                    app.submitted.extend(app.form.take());
                    vec![Cmd::Write { write: Write::Form(write), clear }]
                }
                Err(e) => {
                    f.fail(&e);
                    vec![]
                }
            }
        }
    }
}

/// A key of the follow-ups view.
fn followups_key(app: &mut App, a: Action, page: isize) -> Vec<Cmd> {
    let n = app.home.followups.len();
    let sel = &mut app.followup_selected;
    match a {
        Action::Down => *sel = (*sel + 1).min(n.saturating_sub(1)),
        Action::Up => *sel = sel.saturating_sub(1),
        Action::PageDown => *sel = (*sel + page as usize).min(n.saturating_sub(1)),
        Action::PageUp => *sel = sel.saturating_sub(page as usize),
        Action::Top => *sel = 0,
        Action::Bottom => *sel = n.saturating_sub(1),
        Action::Open => {
            if let Some(case) = app.home.followups.get(*sel).and_then(|f| f.value.case_id) {
                return app.open_case(case);
            }
        }
        Action::Done | Action::Snooze | Action::Cancel => {
            let Some(f) = app.home.followups.get(*sel).map(|f| f.value.clone()) else { return vec![] };
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
        _ => {}
    }
    vec![]
}

/// A key of the conflicts view.
fn unsettled_key(app: &mut App, a: Action, page: isize) -> Vec<Cmd> {
    let u = &mut app.unsettled;
    let n = u.ops.len();
    match a {
        Action::Down => u.selected = (u.selected + 1).min(n.saturating_sub(1)),
        Action::Up => u.selected = u.selected.saturating_sub(1),
        Action::PageDown => u.selected = (u.selected + page as usize).min(n.saturating_sub(1)),
        Action::PageUp => u.selected = u.selected.saturating_sub(page as usize),
        Action::Top => u.selected = 0,
        Action::Bottom => u.selected = n.saturating_sub(1),
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

/// A paste goes where text is being typed — a form's field, a step's notes or a note, a
/// search — and nowhere else: outside text it does nothing, whatever keys it holds.
fn paste(app: &mut App, text: &str) -> Vec<Cmd> {
    let view = app.view();
    if app.help {
        return vec![];
    }
    if let Some(f) = app.form.as_mut() {
        f.paste(text);
        return vec![];
    }
    if view == View::Case {
        if let Some(w) = app.work.as_mut() {
            if let Some((area, field)) = w.typing_area() {
                if area.insert_str(super::paste::clean(text, false)) {
                    w.dirty.insert(field);
                }
            }
        }
        return vec![];
    }
    if view == View::Timeline && app.timeline.typing {
        let t = &mut app.timeline;
        let room = super::paste::capped(
            &super::paste::clean(text, true),
            MAX_QUERY_CHARS.saturating_sub(t.query.chars().count()),
        )
        .0;
        t.query.push_str(&room);
        t.rebuild_rows();
        return vec![];
    }
    if view == View::Search {
        let q = format!("{}{}", app.search.query, super::paste::clean(text, true));
        return set_query(app, q);
    }
    vec![]
}

/// The search as typed or pasted, capped at what a search takes (said when cut).
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

fn edit_query(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
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

#[cfg(test)]
mod case_flow {
    use super::*;
    use crate::console::forms::Input;
    use crate::domain::case::Outcome;
    use crate::domain::rasa::{fold, StepEntry};
    use crate::local::overlay::Synced;

    fn press(app: &mut App, code: KeyCode) -> Vec<Cmd> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }
    fn ctrl(app: &mut App, c: char) -> Vec<Cmd> {
        update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
    }
    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
    }
    fn writes(cmds: &[Cmd]) -> Vec<Write> {
        cmds.iter()
            .filter_map(|c| match c {
                Cmd::Write { write, .. } => Some(write.clone()),
                _ => None,
            })
            .collect()
    }

    fn loaded(app: &mut App, entries: &[StepEntry]) -> Uuid {
        let me = crate::domain::agent::Agent::new("anna", crate::domain::agent::Role::Agent, &["support"], app.now);
        let case = crate::wire::requests::new_case(
            &me,
            Uuid::now_v7(),
            &crate::wire::requests::NewCaseRequest::new(Uuid::now_v7(), "Parcel never arrived"),
            app.now,
        )
        .unwrap();
        let id = case.id;
        app.open_case(id);
        let local = LocalCase {
            case: Synced { value: case, waiting: true },
            notes: vec![],
            rasa: fold(entries),
            followups: vec![],
            unsettled: vec![],
        };
        update(app, Msg::Case { id, case: Some(Box::new(local)), drafts: Drafts::default() });
        id
    }

    #[test]
    fn a_whole_case_from_the_keyboard_turns_into_writes() {
        let mut app = App::new("anna", "http://x", Utc::now(), Tz::default());
        let case = Uuid::now_v7();
        let cmds = app.open_case(case);
        assert!(cmds.contains(&Cmd::LoadCase(case)));
        assert_eq!(app.view(), View::Case);
        // Keys before the case is loaded do nothing.
        assert!(press(&mut app, KeyCode::Char('x')).is_empty());
        let id = loaded(&mut app, &[]);
        assert!(app.stack.iter().filter(|v| **v == View::Case).count() == 1, "one case view at a time");

        // Receive: type the customer's words, Ctrl-s marks it done and brings Appreciate.
        press(&mut app, KeyCode::Enter);
        type_text(&mut app, "It never came");
        assert!(app.work.as_ref().unwrap().dirty.contains("rasa/receive"), "typing makes a draft");
        let later = app.now + chrono::Duration::milliseconds(500);
        let tick = update(&mut app, Msg::Tick(later));
        assert!(tick.iter().any(
            |c| matches!(c, Cmd::SaveDrafts(d) if d[0].0.ends_with("/rasa/receive") && d[0].1 == "It never came")
        ));
        let cmds = ctrl(&mut app, 's');
        assert_eq!(
            writes(&cmds),
            vec![Write::Step { case: id, step: RasaStep::Receive, notes: "It never came".into(), done: true }]
        );
        assert!(matches!(&cmds[0], Cmd::Write { clear, .. } if clear[0].ends_with("/rasa/receive")));
        assert_eq!(app.work.as_ref().unwrap().step, RasaStep::Appreciate);
        assert_eq!(app.work.as_ref().unwrap().typing, None);

        // Appreciate done with one key; Summarize starts from Receive's words.
        let cmds = press(&mut app, KeyCode::Char('x'));
        assert!(matches!(&writes(&cmds)[0], Write::Step { step: RasaStep::Appreciate, done: true, .. }));
        let w = app.work.as_ref().unwrap();
        assert_eq!(w.step, RasaStep::Summarize);
        assert_eq!(w.step_text(RasaStep::Summarize), "It never came");

        // Revisit a step: ← goes back, Esc after editing records the notes, done state kept.
        press(&mut app, KeyCode::Left);
        press(&mut app, KeyCode::Enter);
        type_text(&mut app, "Thanked her");
        let cmds = press(&mut app, KeyCode::Esc);
        assert!(
            matches!(&writes(&cmds)[0], Write::Step { step: RasaStep::Appreciate, done: false, notes, .. } if notes == "Thanked her")
        );

        // A note: Ctrl-t makes it visible to the customer, Ctrl-s adds it; a refusal keeps it.
        press(&mut app, KeyCode::Char('n'));
        type_text(&mut app, "We will reship today");
        ctrl(&mut app, 't');
        let cmds = ctrl(&mut app, 's');
        let write = writes(&cmds).remove(0);
        assert!(
            matches!(&write, Write::Note { visibility: NoteVisibility::Customer, body, .. } if body == "We will reship today")
        );
        update(
            &mut app,
            Msg::Written { write, result: Err(Invalid::field("body", "has 20001 characters; the limit is 20000")) },
        );
        let w = app.work.as_ref().unwrap();
        assert_eq!(w.typing, Some(Typing::Note), "back to typing the note");
        assert_eq!(crate::console::forms::text_of(&w.note), "We will reship today", "nothing typed is lost");
        assert!(w.message.as_ref().unwrap().1.contains("20000"));
        press(&mut app, KeyCode::Esc);

        // Resolve: an empty summary and no outcome are refused in place.
        press(&mut app, KeyCode::Char('R'));
        assert!(app.form.as_ref().unwrap().banner.as_ref().unwrap().contains("RASA is incomplete"));
        assert!(ctrl(&mut app, 's').is_empty());
        assert_eq!(app.form.as_ref().unwrap().error.as_ref().unwrap().0, "summary");
        type_text(&mut app, "Reshipped with express delivery");
        assert!(ctrl(&mut app, 's').is_empty());
        assert_eq!(app.form.as_ref().unwrap().error.as_ref().unwrap().0, "outcome");
        assert_eq!(app.form.as_ref().unwrap().fields[app.form.as_ref().unwrap().focus].name, "outcome");
        for _ in 0..3 {
            press(&mut app, KeyCode::Right); // memorable, positive, negative
        }
        assert!(ctrl(&mut app, 's').is_empty(), "RASA incomplete needs a reason");
        assert_eq!(app.form.as_ref().unwrap().error.as_ref().unwrap().0, "rasa_incomplete_reason");
        type_text(&mut app, "customer had to go");
        let cmds = ctrl(&mut app, 's');
        let write = writes(&cmds).remove(0);
        let Write::Form(FormWrite::Resolve { input, .. }) = &write else { panic!("{write:?}") };
        assert_eq!(input.outcome, Outcome::Negative);
        assert_eq!(input.summary, "Reshipped with express delivery");
        assert!(app.form.is_none(), "the form closes as it is saved");

        // Recorded: a negative outcome proposes a follow-up due within minutes.
        update(&mut app, Msg::Written { write, result: Ok(Some(id)) });
        let f = app.form.as_ref().expect("a follow-up is proposed");
        assert!(f.banner.as_ref().unwrap().contains("negative"));
        let Input::Choice { options, index } = &f.fields[0].input else { panic!() };
        assert_eq!(options[*index], "in 10 minutes");
        let now = app.now;
        let cmds = ctrl(&mut app, 's');
        let Write::Form(FormWrite::CreateFollowUp(req)) = writes(&cmds).remove(0) else { panic!() };
        assert_eq!(req.case_id, Some(id));
        assert_eq!(req.due_at, now + chrono::Duration::minutes(10));
        assert!(req.note.contains("Reshipped with express delivery"));
    }

    /// Notes saved one after another faster than the local store answers: each write carries
    /// exactly what was typed for it, and an answer arriving mid-typing changes nothing typed.
    #[test]
    fn quick_notes_are_each_recorded_as_typed_whenever_the_answers_come() {
        let mut app = App::new("anna", "http://x", Utc::now(), Tz::default());
        loaded(&mut app, &[]);
        let mut sent = Vec::new();
        press(&mut app, KeyCode::Char('n'));
        type_text(&mut app, "P1a");
        sent.extend(writes(&ctrl(&mut app, 's')));
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(crate::console::forms::text_of(&app.work.as_ref().unwrap().note), "", "a new note starts empty");
        type_text(&mut app, "Q1");
        // The first note's answer arrives while the second is being typed.
        update(&mut app, Msg::Written { write: sent[0].clone(), result: Ok(Some(Uuid::now_v7())) });
        type_text(&mut app, "b");
        sent.extend(writes(&ctrl(&mut app, 's')));
        let bodies: Vec<&str> = sent
            .iter()
            .map(|w| match w {
                Write::Note { body, .. } => body.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(bodies, ["P1a", "Q1b"]);
        update(&mut app, Msg::Written { write: sent[1].clone(), result: Ok(Some(Uuid::now_v7())) });
        assert_eq!(crate::console::forms::text_of(&app.work.as_ref().unwrap().note), "");

        // A late refusal while a third note is being typed leaves that one alone; the refused
        // text comes back with the next `n` once the editor is empty.
        press(&mut app, KeyCode::Char('n'));
        type_text(&mut app, "R3");
        update(&mut app, Msg::Written { write: sent[1].clone(), result: Err(Invalid::general("disk full")) });
        let w = app.work.as_ref().unwrap();
        assert_eq!(crate::console::forms::text_of(&w.note), "R3");
        assert!(w.message.as_ref().unwrap().1.contains("next n"), "{:?}", w.message);
        let third = writes(&ctrl(&mut app, 's'));
        assert!(matches!(&third[0], Write::Note { body, .. } if body == "R3"));
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(crate::console::forms::text_of(&app.work.as_ref().unwrap().note), "Q1b");

        // Too long for the rule is said at once, with the text kept where it was typed.
        press(&mut app, KeyCode::Esc);
        let w = app.work.as_mut().unwrap();
        w.note = crate::console::forms::text_area(&"x".repeat(20_001), "");
        w.typing = Some(Typing::Note);
        assert!(ctrl(&mut app, 's').is_empty());
        let w = app.work.as_ref().unwrap();
        assert_eq!(w.typing, Some(Typing::Note));
        assert!(w.message.as_ref().unwrap().1.contains("20000"));
    }

    #[test]
    fn a_follow_up_due_in_the_past_is_refused_in_the_form() {
        let mut app = App::new("anna", "http://x", Utc::now(), Tz::default());
        loaded(&mut app, &[]);
        press(&mut app, KeyCode::Char('f'));
        // "on a date…" shows the date field.
        for _ in 0..3 {
            press(&mut app, KeyCode::Right);
        }
        let f = app.form.as_ref().unwrap();
        assert!(!f.fields.iter().find(|x| x.name == "due_at").unwrap().hidden);
        press(&mut app, KeyCode::Tab);
        type_text(&mut app, "2020-01-01 10:00");
        assert!(ctrl(&mut app, 's').is_empty());
        let f = app.form.as_ref().unwrap();
        let (field, message) = f.error.as_ref().unwrap();
        assert_eq!(*field, "due_at");
        assert!(message.contains("in the past"), "{message}");
        assert_eq!(f.fields.iter().find(|x| x.name == "due_at").unwrap().text_value(), "2020-01-01 10:00");
        // Esc closes the form and keeps what was typed as a draft.
        let cmds = press(&mut app, KeyCode::Esc);
        assert!(app.form.is_none());
        assert!(cmds.iter().any(|c| matches!(c, Cmd::SaveDrafts(d) if d.iter().any(|(k, v)| k.ends_with("followup/due_at") && v == "2020-01-01 10:00"))));
    }

    #[test]
    fn conflicts_and_refusals_are_settled_with_the_keys_that_fit_them() {
        let mut app = App::new("anna", "http://x", Utc::now(), Tz::default());
        let case = Uuid::now_v7();
        let op = |state: OpState| LocalOp {
            seq: 1,
            id: Uuid::now_v7(),
            body: crate::wire::sync::OpBody::parse(
                "note.add",
                &serde_json::json!({"case_id": case, "note_id": Uuid::now_v7(), "fields": {"body": "hi"}}).to_string(),
            )
            .unwrap(),
            state,
            created_at: app.now,
            answer: None,
        };
        let (conflict, refused) = (op(OpState::Conflict), op(OpState::Rejected));
        assert_eq!(press(&mut app, KeyCode::Char('C')), vec![Cmd::LoadUnsettled]);
        assert_eq!(app.view(), View::Conflicts);
        update(&mut app, Msg::Unsettled(vec![conflict.clone(), refused.clone()]));
        assert!(press(&mut app, KeyCode::Char('x')).is_empty(), "a conflict is not dismissed");
        let w = writes(&press(&mut app, KeyCode::Char('m')));
        assert_eq!(w, vec![Write::Settle { op: conflict.id, how: Settle::KeepMine }]);
        press(&mut app, KeyCode::Char('j'));
        assert!(press(&mut app, KeyCode::Char('t')).is_empty(), "a refusal has no theirs to take");
        let w = writes(&press(&mut app, KeyCode::Char('x')));
        assert_eq!(w, vec![Write::Settle { op: refused.id, how: Settle::Dismiss }]);
        let cmds = update(&mut app, Msg::Written { write: w[0].clone(), result: Ok(None) });
        assert!(cmds.contains(&Cmd::LoadUnsettled), "the list is read again");
        assert!(press(&mut app, KeyCode::Enter).contains(&Cmd::LoadCase(case)), "Enter opens the case");
    }
}
