//! What goes into the console's state and what comes out: messages in (keys, pastes, ticks,
//! the answers of tasks), commands out (search, load, record a write, sync). The terminal loop
//! (`run`) turns commands into tasks and their answers into messages; nothing here does I/O.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyEvent;
use uuid::Uuid;

use super::forms::{Drafts, FormWrite};
use crate::client::sync::SyncStatus;
use crate::domain::case::{Case, NoteVisibility};
use crate::domain::customer::Customer;
use crate::domain::event::Event;
use crate::domain::rasa::RasaStep;
use crate::domain::sla::SlaState;
use crate::domain::Invalid;
use crate::local::overlay::LocalOp;
use crate::local::view::LocalCase;
use crate::wire::card::CustomerCard;
use crate::wire::leads::{BulkChange, BulkResponse, QueueCase, QueuesResponse, SummaryReport};
use crate::wire::requests::{NewFollowUpRequest, PatchCaseRequest, PatchFollowUpRequest};

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
    Home(Box<super::home::HomeData>),
    SearchResults {
        query: String,
        result: Result<Vec<Customer>, String>,
        offline: bool,
    },
    TimelinePage {
        customer: Uuid,
        result: Result<(Vec<crate::domain::event::TimelineRow>, Option<String>), String>,
        offline: bool,
    },
    /// An event read whole, for its details (or why it could not be).
    EventDetail {
        id: Uuid,
        result: Result<Event, String>,
    },
    /// The customer whose timeline is open, as the local store has it (offline, no card kept).
    Customer(Box<Customer>),
    /// The card of the customer whose timeline is open, from the server or (`offline`) as the
    /// local store kept it.
    Card {
        card: Box<CustomerCard>,
        offline: bool,
    },
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
    /// The team's macros as the server (or, offline, this computer) has them.
    Macros(Vec<crate::domain::macros::Macro>),
    /// The team as the server (or, offline, this computer) knows it.
    Agents(Vec<crate::domain::agent::Agent>),
    /// Lead mode: the queues overview.
    Overview(Result<Box<QueuesResponse>, String>),
    QueueCases {
        queue: String,
        result: Result<Vec<QueueCase>, String>,
    },
    Bulk(Result<BulkResponse, String>),
    Report(Result<Box<SummaryReport>, String>),
    Closed(Result<Vec<Case>, String>),
    /// Customers by id (their names for a list).
    CustomerNames(Vec<Customer>),
    /// The quality reviews of the listed closed cases.
    CaseReviews(Vec<crate::wire::reviews::Review>),
    /// Articles found for `query`, or (`None`) suggested for the case the knowledge base was
    /// opened over, with the words they fit by; `offline`: from what this computer kept.
    Articles {
        query: Option<String>,
        terms: Vec<String>,
        result: Result<Vec<crate::domain::articles::ArticleHit>, String>,
        offline: bool,
    },
    /// The agent's quality reviews (`offline`: as last read, with the answers not sent yet).
    Reviews {
        result: Result<Vec<crate::wire::reviews::Review>, String>,
        offline: bool,
    },
    /// The business-hours schedules as the server (or, offline, this computer) has them.
    Schedules(crate::wire::schedules::ScheduleList),
    Scorecard(Box<crate::domain::scorecard::Scorecard>),
    /// An article to read.
    Article {
        result: Result<crate::domain::articles::Article, String>,
        offline: bool,
    },
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
    Step {
        case: Uuid,
        step: RasaStep,
        notes: String,
        done: bool,
    },
    Note {
        case: Uuid,
        body: String,
        visibility: NoteVisibility,
    },
    FollowUp {
        id: Uuid,
        change: PatchFollowUpRequest,
    },
    /// A case action (status, priority, hand-over); `said` tells the agent once recorded.
    Case {
        case: Uuid,
        change: PatchCaseRequest,
        said: String,
    },
    /// A change to the case (when there is one), then a follow-up on it: a snooze (pending,
    /// and the follow-up that brings it back), a macro that sets a status and a follow-up.
    CaseAndFollowUp {
        case: Uuid,
        change: Option<PatchCaseRequest>,
        followup: NewFollowUpRequest,
        said: String,
    },
    Settle {
        op: Uuid,
        how: Settle,
    },
    /// A lead's review of a resolved case.
    Review {
        case: Uuid,
        scores: Vec<crate::domain::scorecard::Score>,
        coaching: Option<String>,
    },
    /// The agent's answer to a review of theirs.
    ReviewAnswer {
        review: Uuid,
        answer: crate::domain::scorecard::Answer,
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
    /// An event whole (its text and data), for its details.
    LoadEvent(Uuid),
    /// The team, for hand-overs: from the server, kept for offline.
    LoadAgents,
    /// The team's macros: from the server, kept for offline.
    LoadMacros,
    /// The server's scorecard (kept for offline), for scoring and disputes.
    LoadScorecard,
    /// The business-hours schedules: from the server, kept for offline.
    LoadSchedules,
    /// The agent's quality reviews.
    LoadMyReviews,
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
    /// The names of these customers (up to 100).
    LoadCustomerNames(Vec<Uuid>),
    /// The quality reviews of these cases (up to 200), for the closed-cases list.
    LoadCaseReviews(Vec<Uuid>),
    /// The cases behind a figure of the report shown.
    LoadReportCases {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        team: Option<String>,
        drill: crate::console::lead::report::Drill,
    },
    /// The articles that fit a case, in the agent's language (or in none): the server's
    /// suggestions, or — for a case it does not have yet, or offline — those holding any of
    /// `terms` (the case's subject's and its timeline's words, as the console has them).
    SuggestArticles {
        case: Uuid,
        terms: Vec<String>,
        language: String,
    },
    /// Articles holding every word of `query` (every article by title for none).
    SearchArticles {
        query: String,
        language: String,
    },
    LoadArticle(String),
}

impl PartialEq for Write {
    fn eq(&self, other: &Self) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}
impl Eq for Write {}
