//! The console's state and how it changes: one `App`, messages in ([`Msg`]: keys, results of
//! tasks, sync status, ticks), commands out ([`Cmd`]: search, load, record a write, sync).
//! Plain functions: tests drive them without a terminal. Each view's state, keys and drawing
//! live in the view's own module; this one holds them together and routes the answers of
//! tasks to them. Keys are routed by the mode ([`super::mode`]).

use chrono::{DateTime, FixedOffset, Utc};
use uuid::Uuid;

use super::case::workspace::Workspace;
use super::conflicts::UnsettledState;
use super::forms::{Form, FormWrite};
use super::guidance::Guidance;
use super::home::HomeState;
use super::lead::LeadState;
use super::mode::View;
pub use super::msg::{Cmd, Msg, Settle, Write, PAGE};
use super::search::SearchState;
use super::timeline::TimelineState;
use crate::client::sync::SyncStatus;
use crate::domain::case::proposed_followup_delay;
use crate::domain::followup::FollowUpStatus;
use crate::domain::Invalid;

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

/// How often presence is told to the server while a case is open.
pub const PRESENCE_EVERY: chrono::Duration = chrono::Duration::seconds(10);

#[derive(Debug, Clone)]
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
    /// The team (for hand-overs), as last read.
    pub agents: Vec<crate::domain::agent::Agent>,
    /// The agent's id (whose cases "mine" means).
    pub me_id: Uuid,
    /// Home's sections (the agent's, or the defaults).
    pub views: Vec<crate::domain::views::HomeView>,
    /// The agent's own keys (`[keys]` in config.toml).
    pub keys: super::keymap::Rebound,
    /// The command palette, when open.
    pub palette: Option<super::palette::PaletteState>,
    /// The knowledge base, when open.
    pub knowledge: Option<super::knowledge::KnowledgeState>,
    /// The agent's quality reviews, when open.
    pub reviews: Option<super::reviews::ReviewsState>,
    /// The agent's reviews not answered yet, as last read (the status bar says so).
    pub reviews_to_answer: usize,
    /// A lead's review being scored, when open.
    pub scoring: Option<super::lead::scoring::Scoring>,
    /// Reviews begun and closed before recording, by case: `S` brings them back.
    pub scoring_drafts: std::collections::HashMap<Uuid, super::lead::scoring::Scoring>,
    /// The agent's language (`en`, `it`, `hu`): the guidance's and the macros offered.
    pub language: String,
    /// The team's and the agent's own macros.
    pub macros: super::macros::MacroSet,
    /// The business hours cases are due in (the server's schedules).
    pub hours: super::hours::Hours,
    /// The server's scorecard, for scoring and disputes (the built-in one until it answers).
    pub scorecard: crate::domain::scorecard::Scorecard,
    /// The agent hid the customer card (`i`), in the timeline and the case.
    pub hide_card: bool,
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
            agents: Vec::new(),
            me_id: Uuid::nil(),
            views: crate::domain::views::HomeView::defaults(),
            keys: Default::default(),
            palette: None,
            hours: Default::default(),
            scorecard: Default::default(),
            reviews: None,
            scoring: None,
            reviews_to_answer: 0,
            scoring_drafts: Default::default(),
            knowledge: None,
            language: "en".into(),
            macros: Default::default(),
            hide_card: false,
            quit: false,
        }
    }

    pub fn view(&self) -> View {
        *self.stack.last().unwrap_or(&View::Home)
    }

    pub(crate) fn go(&mut self, v: View) {
        if self.view() != v {
            self.stack.push(v);
        }
    }

    /// Rows a page key moves.
    pub fn page(&self) -> usize {
        self.page_rows.max(1)
    }
}

/// Applies a message; returns what to run.
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    let tick = matches!(msg, Msg::Tick(_));
    if !tick {
        app.dirty = true;
    }
    match msg {
        Msg::Key(k) => super::mode::key(app, k),
        Msg::Paste(text) => super::mode::paste(app, &text),
        Msg::Resize => vec![],
        Msg::Tick(now) => tick_to(app, now),
        Msg::Sync(s) => synced(app, s),
        Msg::Home(data) => super::home::loaded(app, *data),
        Msg::SearchResults { query, result, offline } => super::search::results(app, query, result, offline),
        Msg::Customer(c) => {
            if let Some(open) = app.timeline.customer.as_mut().filter(|open| open.id == c.id) {
                *open = *c;
            }
            vec![]
        }
        Msg::Card { card, offline } => {
            let t = &mut app.timeline;
            if t.customer.as_ref().is_some_and(|open| open.id == card.customer.id) {
                t.customer = Some(card.customer.clone());
                t.card = super::card::CardState { card: Some(*card), offline };
            }
            vec![]
        }
        Msg::TimelinePage { customer, result, offline } => super::timeline::page(app, customer, result, offline),
        Msg::EventDetail { id, result } => super::timeline::detail(app, id, result),
        Msg::Case { id, case, drafts } => super::case::loaded(app, id, case, drafts),
        Msg::Drafts { scope, drafts } => {
            if let Some(f) = app.form.as_mut().filter(|f| f.scope == scope && !f.dirty) {
                f.fill(&drafts);
            }
            vec![]
        }
        Msg::Written { write, result } => written(app, write, result),
        Msg::Unsettled(ops) => super::conflicts::loaded(app, ops),
        Msg::Presence { case, others } => super::case::presence(app, case, others),
        Msg::Agents(agents) => {
            app.agents = agents;
            vec![]
        }
        Msg::Macros(team) => {
            app.macros.team = team;
            vec![]
        }
        Msg::Overview(r) => super::lead::queues::loaded(app, r),
        Msg::QueueCases { queue, result } => super::lead::queue::loaded(app, queue, result),
        Msg::Bulk(r) => super::lead::picker::applied(app, r),
        Msg::Report(r) => super::lead::report::loaded(app, r),
        Msg::Closed(r) => super::lead::review::loaded(app, r),
        Msg::CustomerNames(customers) => super::lead::review::named(app, customers),
        Msg::CaseReviews(reviews) => super::lead::review::scored(app, reviews),
        Msg::Articles { query, terms, result, offline } => {
            super::knowledge::loaded(app, query, terms, result, offline);
            vec![]
        }
        Msg::Reviews { result, offline } => {
            if let Ok(list) = &result {
                app.reviews_to_answer =
                    list.iter().filter(|r| r.answer == crate::domain::scorecard::Answer::Open).count();
            }
            super::reviews::loaded(app, result, offline);
            vec![]
        }
        Msg::Schedules(list) => {
            app.hours = super::hours::Hours::from_list(&list);
            vec![]
        }
        Msg::Scorecard(card) => {
            // A card that does not check (none of the server's do) leaves the one in use.
            if card.check().is_ok() {
                app.scorecard = *card;
            }
            vec![]
        }
        Msg::Article { result, offline } => {
            super::knowledge::article(app, result, offline);
            vec![]
        }
    }
}

/// The sync engine's status: what is shown from the local store is read again when a sync
/// brought something (or the conflicts changed).
fn synced(app: &mut App, s: SyncStatus) -> Vec<Cmd> {
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
                    let busy = app.form.is_some() || super::case::typing(app);
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
                    app.say(false, format!("Follow-up due {}.", super::widgets::relative(app.now, f.due_at)));
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
                Write::Case { said, .. } | Write::CaseAndFollowUp { said, .. } => {
                    app.say(false, said);
                    reload_case(app, &mut cmds);
                }
                Write::Settle { .. } => {
                    cmds.push(Cmd::LoadUnsettled);
                    reload_case(app, &mut cmds);
                }
                Write::Review { case, scores, .. } => {
                    let o = app.scorecard.outcome(&scores);
                    let percent = if o.failed { "failed".to_string() } else { format!("{:.0} %", o.percent) };
                    super::lead::review::scored_here(app, case, o);
                    super::lead::scoring::written(app, case, percent, Ok(()));
                }
                Write::ReviewAnswer { review, answer } => super::reviews::answered(app, review, answer, Ok(())),
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
            let kept = super::case::note_refused(app, *case, body, *visibility);
            app.say(true, format!("The note was not added: {e}; {kept}"));
        }
        (Write::Review { case, .. }, _) => super::lead::scoring::written(app, *case, String::new(), Err(e.to_string())),
        (Write::ReviewAnswer { review, answer }, _) => {
            super::reviews::answered(app, *review, answer.clone(), Err(e.to_string()))
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

    /// A line for the agent in the case view. An error stays until the agent has pressed a
    /// key with it on screen: a later success does not replace it unread.
    pub(crate) fn say(&mut self, error: bool, text: String) {
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

    pub(crate) fn open_form(&mut self, form: Form) -> Vec<Cmd> {
        let scope = form.scope.clone();
        self.form = Some(form);
        vec![Cmd::LoadDrafts(scope)]
    }

    pub(crate) fn back(&mut self) -> Vec<Cmd> {
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
