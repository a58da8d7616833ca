//! The console's keys: one table per mode (each view, a form, typing, the timeline's search,
//! the picker). Keys reach the state only as the actions these tables name, and the `?` help is
//! made from the same tables, so help and behaviour cannot drift apart; a test presses every key
//! in every mode to keep it so. Keys a mode does not bind are typed where the mode types text,
//! and do nothing elsewhere.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::mode::{FormFocus, Mode, Text, View};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Back,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Search,
    NextSource,
    NextKind,
    Filter,
    OpenCase,
    ToggleDetail,
    ToggleCard,
    Sort,
    SetStatus,
    HandOver,
    Macro,
    Palette,
    NextView,
    PrevView,
    Tags,
    SyncNow,
    NewCase,
    OpenTimeline,
    FollowUps,
    Conflicts,
    EditStep,
    ToggleDone,
    NextStep,
    PrevStep,
    WriteNote,
    Resolve,
    NewFollowUp,
    Done,
    Snooze,
    Cancel,
    KeepMine,
    TakeTheirs,
    Dismiss,
    Queues,
    Report,
    Closed,
    Refresh,
    Mark,
    NextSla,
    Assign,
    Reprioritise,
    NextPeriod,
    NextTeam,
    Coach,
    Knowledge,
    InsertLink,
    InsertSummary,
    Reviews,
    Acknowledge,
    Dispute,
    Score,
    FullMarks,
    Missed,
    // Forms.
    NextField,
    PrevField,
    NextChoice,
    PrevChoice,
    Save,
    Close,
    // Typing.
    StopTyping,
    ToggleVisibility,
    KeepSearch,
    ClearSearch,
    // The picker.
    Apply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn k(c: char) -> Key {
    Key { code: KeyCode::Char(c), ctrl: false }
}
const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}
const fn ctrl(c: char) -> Key {
    Key { code: KeyCode::Char(c), ctrl: true }
}

impl Key {
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }

    fn matches(&self, e: &KeyEvent) -> bool {
        let ctrl = e.modifiers.contains(KeyModifiers::CONTROL);
        self.code == e.code && self.ctrl == ctrl
    }
}

/// One line of help: the keys, the action, what it does.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
}

const MOVE: &[Binding] = &[
    Binding { keys: &[k('j'), code(KeyCode::Down)], action: Action::Down, help: "next" },
    Binding { keys: &[k('k'), code(KeyCode::Up)], action: Action::Up, help: "previous" },
    Binding { keys: &[ctrl('d'), code(KeyCode::PageDown)], action: Action::PageDown, help: "page down" },
    Binding { keys: &[ctrl('u'), code(KeyCode::PageUp)], action: Action::PageUp, help: "page up" },
    Binding { keys: &[k('g'), code(KeyCode::Home)], action: Action::Top, help: "first" },
    Binding { keys: &[k('G'), code(KeyCode::End)], action: Action::Bottom, help: "last" },
];

const HOME: &[Binding] = &[
    Binding { keys: &[k('/')], action: Action::Search, help: "find a customer (name, email, phone, external id)" },
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Open,
        help: "open the selected case (RASA, notes, resolution)",
    },
    Binding { keys: &[k('t')], action: Action::OpenTimeline, help: "open the selected case's customer timeline" },
    Binding { keys: &[k('s')], action: Action::Sort, help: "sort by due time, priority, age or customer" },
    Binding { keys: &[code(KeyCode::Tab)], action: Action::NextView, help: "the next view (config.toml's [[views]])" },
    Binding { keys: &[code(KeyCode::BackTab)], action: Action::PrevView, help: "the view before" },
    Binding { keys: &[k('n')], action: Action::NewCase, help: "start a case: find the customer first" },
    Binding { keys: &[k('F')], action: Action::FollowUps, help: "my follow-ups: due, overdue, upcoming" },
    Binding { keys: &[k('C')], action: Action::Conflicts, help: "conflicts and refusals to settle" },
    Binding { keys: &[k('V')], action: Action::Reviews, help: "my quality reviews: acknowledge or dispute" },
    Binding { keys: &[k('r')], action: Action::SyncNow, help: "sync now" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

const SEARCH: &[Binding] = &[
    Binding { keys: &[code(KeyCode::Enter)], action: Action::Open, help: "open the selected customer's timeline" },
    Binding { keys: &[code(KeyCode::Down)], action: Action::Down, help: "next result" },
    Binding { keys: &[code(KeyCode::Up)], action: Action::Up, help: "previous result" },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Back, help: "back" },
    Binding { keys: &[ctrl('c')], action: Action::Quit, help: "quit" },
];

const TIMELINE: &[Binding] = &[
    Binding {
        keys: &[k('s')],
        action: Action::NextSource,
        help: "show one source at a time (cycles; all again at the end)",
    },
    Binding {
        keys: &[code(KeyCode::Enter), k('d')],
        action: Action::ToggleDetail,
        help: "show or hide the event's details",
    },
    Binding { keys: &[k('t')], action: Action::NextKind, help: "show one kind of event at a time (cycles)" },
    Binding {
        keys: &[k('/')],
        action: Action::Filter,
        help: "search in this timeline (Enter keeps it, Esc clears it)",
    },
    Binding { keys: &[k('c')], action: Action::OpenCase, help: "open the case this event belongs to (⧉)" },
    Binding { keys: &[k('i')], action: Action::ToggleCard, help: "show or hide the customer card" },
    Binding { keys: &[k('n')], action: Action::NewCase, help: "start a case for this customer" },
    Binding { keys: &[k('f')], action: Action::Search, help: "find another customer" },
    Binding { keys: &[k('r')], action: Action::SyncNow, help: "sync now" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

const CASE: &[Binding] = &[
    Binding {
        keys: &[code(KeyCode::Enter), k('e')],
        action: Action::EditStep,
        help: "type the notes of the step in view (Esc stops typing)",
    },
    Binding { keys: &[k('x'), k(' ')], action: Action::ToggleDone, help: "mark the step done (again: not done)" },
    Binding { keys: &[code(KeyCode::Tab), code(KeyCode::Right), k('l')], action: Action::NextStep, help: "next step" },
    Binding {
        keys: &[code(KeyCode::BackTab), code(KeyCode::Left), k('h')],
        action: Action::PrevStep,
        help: "previous step",
    },
    Binding { keys: &[k('n')], action: Action::WriteNote, help: "write a note (internal or for the customer)" },
    Binding { keys: &[k('R')], action: Action::Resolve, help: "resolve: summary, root cause, outcome" },
    Binding { keys: &[k('f')], action: Action::NewFollowUp, help: "a follow-up task with a due time" },
    Binding { keys: &[k('i')], action: Action::ToggleCard, help: "show or hide the customer card" },
    Binding { keys: &[k('s')], action: Action::SetStatus, help: "change the status (the moves the case allows)" },
    Binding { keys: &[k('t')], action: Action::Tags, help: "tags: add (type a new one) or remove" },
    Binding {
        keys: &[k('m')],
        action: Action::Macro,
        help: "insert a macro into the note (team's, yours, RASA phrases)",
    },
    Binding {
        keys: &[k('a')],
        action: Action::Knowledge,
        help: "knowledge base: the articles that fit the case; a link or summary into the note",
    },
    Binding { keys: &[k('p')], action: Action::Reprioritise, help: "change the priority (leads)" },
    Binding {
        keys: &[k('o')],
        action: Action::HandOver,
        help: "hand the case over to a teammate or back to the queue, with a note",
    },
    Binding {
        keys: &[k('z')],
        action: Action::Snooze,
        help: "snooze: pending until a time; a follow-up brings it back",
    },
    Binding { keys: &[k('j'), code(KeyCode::Down)], action: Action::Down, help: "timeline beside: next event" },
    Binding { keys: &[k('k'), code(KeyCode::Up)], action: Action::Up, help: "timeline beside: previous event" },
    Binding { keys: &[k('F')], action: Action::FollowUps, help: "my follow-ups" },
    Binding { keys: &[k('C')], action: Action::Conflicts, help: "conflicts and refusals to settle" },
    Binding { keys: &[k('r')], action: Action::SyncNow, help: "sync now" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Back, help: "back (what you typed stays as a draft)" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

const FOLLOWUPS: &[Binding] = &[
    Binding { keys: &[k('d')], action: Action::Done, help: "mark the follow-up done" },
    Binding { keys: &[k('z')], action: Action::Snooze, help: "snooze it for an hour" },
    Binding { keys: &[k('x')], action: Action::Cancel, help: "cancel it" },
    Binding { keys: &[code(KeyCode::Enter)], action: Action::Open, help: "open its case" },
    Binding { keys: &[k('r')], action: Action::SyncNow, help: "sync now" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

const CONFLICTS: &[Binding] = &[
    Binding {
        keys: &[k('m')],
        action: Action::KeepMine,
        help: "conflict: keep my change (sent again on their version)",
    },
    Binding { keys: &[k('t')], action: Action::TakeTheirs, help: "conflict: take theirs (my change is dropped)" },
    Binding { keys: &[k('x')], action: Action::Dismiss, help: "refused: dismiss it (the change is dropped)" },
    Binding { keys: &[code(KeyCode::Enter)], action: Action::Open, help: "open its case" },
    Binding { keys: &[k('r')], action: Action::SyncNow, help: "sync now" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

/// Leads only: on home.
const LEAD_HOME: &[Binding] = &[
    Binding { keys: &[k('Q')], action: Action::Queues, help: "lead: queues, breaches and each agent's load" },
    Binding { keys: &[k('P')], action: Action::Report, help: "lead: the report" },
];

/// Leads only: in a case.
const LEAD_CASE: &[Binding] = &[
    Binding { keys: &[k('K')], action: Action::Coach, help: "lead: a coaching note on the case" },
    Binding {
        keys: &[k('S')],
        action: Action::Score,
        help: "lead: score the case on the scorecard, its RASA notes beside each criterion",
    },
];

const QUEUES: &[Binding] = &[
    Binding { keys: &[code(KeyCode::Enter)], action: Action::Open, help: "the queue's waiting cases" },
    Binding { keys: &[k('P')], action: Action::Report, help: "the report" },
    Binding { keys: &[k('L')], action: Action::Closed, help: "the latest closed cases of the queue's team, to review" },
    Binding { keys: &[k('r')], action: Action::Refresh, help: "count again" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

const QUEUE_CASES: &[Binding] = &[
    Binding {
        keys: &[k(' '), k('m')],
        action: Action::Mark,
        help: "mark the case for a change to many (again: unmark)",
    },
    Binding {
        keys: &[k('a')],
        action: Action::Assign,
        help: "reassign the marked cases (or this one), with each agent's load",
    },
    Binding {
        keys: &[k('p')],
        action: Action::Reprioritise,
        help: "change the priority of the marked cases (or this one)",
    },
    Binding { keys: &[k('s')], action: Action::NextSla, help: "only breached, at risk, ok, then all again" },
    Binding { keys: &[code(KeyCode::Enter)], action: Action::Open, help: "open the case" },
    Binding { keys: &[k('r')], action: Action::Refresh, help: "list again" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back to the queues" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

const REPORT: &[Binding] = &[
    Binding { keys: &[k('j'), code(KeyCode::Down)], action: Action::Down, help: "the next figure or row" },
    Binding { keys: &[k('k'), code(KeyCode::Up)], action: Action::Up, help: "the figure or row before" },
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Open,
        help: "the cases behind the chosen figure or row (exactly those it counts)",
    },
    Binding { keys: &[k('d')], action: Action::NextPeriod, help: "the period: 7, 30 or 90 days" },
    Binding { keys: &[k('t')], action: Action::NextTeam, help: "one team at a time, then all your teams" },
    Binding { keys: &[k('r')], action: Action::Refresh, help: "count again" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

const CLOSED: &[Binding] = &[
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Open,
        help: "review the case: RASA step by step, resolution, follow-ups (K coaches)",
    },
    Binding {
        keys: &[k('S')],
        action: Action::Score,
        help: "score the case on the scorecard, its RASA notes beside each criterion",
    },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

/// Keys while the help is open (any other key closes it).
const HELP_OPEN: &[Binding] = &[Binding { keys: &[ctrl('c')], action: Action::Quit, help: "quit" }];

/// Keys while a picker is open over a queue.
const PICKER: &[Binding] = &[
    Binding { keys: &[k('j'), code(KeyCode::Down)], action: Action::Down, help: "next" },
    Binding { keys: &[k('k'), code(KeyCode::Up)], action: Action::Up, help: "previous" },
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Apply,
        help: "apply (in a queue: to the marked cases, or the selected one)",
    },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Close, help: "cancel" },
];

/// Keys while the command palette is open (every other key types into its query).
const PALETTE: &[Binding] = &[
    Binding { keys: &[code(KeyCode::Enter)], action: Action::Apply, help: "run the selected entry" },
    Binding { keys: &[code(KeyCode::Down)], action: Action::Down, help: "next" },
    Binding { keys: &[code(KeyCode::Up)], action: Action::Up, help: "previous" },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Close, help: "close" },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "this help" },
];

/// Keys while the knowledge base's list is open (every other key types into its search).
const KNOWLEDGE: &[Binding] = &[
    Binding { keys: &[code(KeyCode::Enter)], action: Action::Open, help: "read the selected article" },
    Binding { keys: &[code(KeyCode::Down)], action: Action::Down, help: "next" },
    Binding { keys: &[code(KeyCode::Up)], action: Action::Up, help: "previous" },
    Binding { keys: &[ctrl('l')], action: Action::InsertLink, help: "put a link to it into the case's note" },
    Binding { keys: &[ctrl('s')], action: Action::InsertSummary, help: "put its summary into the case's note" },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Close, help: "close" },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "this help" },
    Binding { keys: &[ctrl('c')], action: Action::Quit, help: "quit" },
];

/// Keys while the agent's reviews are open.
const REVIEWS: &[Binding] = &[
    Binding { keys: &[k('j'), code(KeyCode::Down)], action: Action::Down, help: "next" },
    Binding { keys: &[k('k'), code(KeyCode::Up)], action: Action::Up, help: "previous" },
    Binding { keys: &[k('a')], action: Action::Acknowledge, help: "acknowledge the review" },
    Binding { keys: &[k('d')], action: Action::Dispute, help: "dispute one criterion, saying why" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Close, help: "close" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "this help" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

/// Keys while a dispute is written (every other key types the reason).
const DISPUTE: &[Binding] = &[
    Binding { keys: &[code(KeyCode::Tab)], action: Action::NextField, help: "another criterion" },
    Binding { keys: &[code(KeyCode::Enter)], action: Action::Apply, help: "send the dispute" },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Close, help: "cancel" },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "this help" },
];

/// Keys while a lead scores a case.
const SCORING: &[Binding] = &[
    Binding { keys: &[k('j'), code(KeyCode::Down)], action: Action::Down, help: "next criterion" },
    Binding { keys: &[k('k'), code(KeyCode::Up)], action: Action::Up, help: "criterion before" },
    Binding { keys: &[k('l'), code(KeyCode::Right), k('+')], action: Action::NextChoice, help: "a point more" },
    Binding { keys: &[k('h'), code(KeyCode::Left), k('-')], action: Action::PrevChoice, help: "a point less" },
    Binding { keys: &[k('f'), k(' ')], action: Action::FullMarks, help: "full marks (met), then the next" },
    Binding { keys: &[k('0'), k('x')], action: Action::Missed, help: "missed: 0, then the next" },
    Binding { keys: &[code(KeyCode::Tab), k('c')], action: Action::NextField, help: "write the coaching note" },
    Binding { keys: &[ctrl('s')], action: Action::Save, help: "record the review (synced like all case work)" },
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::Close,
        help: "close (the scores stay for the next S on this case)",
    },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "this help" },
    Binding { keys: &[ctrl('c')], action: Action::Quit, help: "quit" },
];

/// Keys while the coaching note of a review is typed (every other key types).
const TYPING_COACHING: &[Binding] = &[
    Binding { keys: &[ctrl('s')], action: Action::Save, help: "record the review" },
    Binding {
        keys: &[code(KeyCode::Esc), code(KeyCode::Tab)],
        action: Action::StopTyping,
        help: "back to the criteria",
    },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "this help" },
];

/// Keys while an article is read.
const ARTICLE: &[Binding] = &[
    Binding { keys: &[k('j'), code(KeyCode::Down)], action: Action::Down, help: "scroll down" },
    Binding { keys: &[k('k'), code(KeyCode::Up)], action: Action::Up, help: "scroll up" },
    Binding { keys: &[ctrl('d'), code(KeyCode::PageDown), k(' ')], action: Action::PageDown, help: "page down" },
    Binding { keys: &[ctrl('u'), code(KeyCode::PageUp)], action: Action::PageUp, help: "page up" },
    Binding { keys: &[k('g'), code(KeyCode::Home)], action: Action::Top, help: "the top" },
    Binding { keys: &[k('l')], action: Action::InsertLink, help: "put a link to it into the case's note" },
    Binding { keys: &[k('s')], action: Action::InsertSummary, help: "put its summary into the case's note" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back to the list" },
    Binding { keys: &[k('x')], action: Action::Close, help: "close the knowledge base" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "this help" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

/// Opens the palette from any view (only Ctrl-p in the search, where `:` types).
const PALETTE_OPEN: &[Binding] = &[Binding {
    keys: &[k(':'), ctrl('p')],
    action: Action::Palette,
    help: "command palette: every action, case and macro by name",
}];
const PALETTE_OPEN_SEARCH: &[Binding] =
    &[Binding { keys: &[ctrl('p')], action: Action::Palette, help: "command palette" }];

/// Keys while typing a step's notes (every other key types).
const TYPING_STEP: &[Binding] = &[
    Binding { keys: &[ctrl('s')], action: Action::Save, help: "mark the step done and go to the next" },
    Binding { keys: &[ctrl('g')], action: Action::Macro, help: "insert a macro here (the step's phrases first)" },
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::StopTyping,
        help: "stop typing (the step's notes are kept)",
    },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "this help" },
];

/// Keys while typing a note (every other key types).
const TYPING_NOTE: &[Binding] = &[
    Binding { keys: &[ctrl('s')], action: Action::Save, help: "add the note" },
    Binding { keys: &[ctrl('t')], action: Action::ToggleVisibility, help: "internal ⇄ visible to the customer" },
    Binding { keys: &[ctrl('g')], action: Action::Macro, help: "insert a macro here" },
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::StopTyping,
        help: "stop typing (the note stays as a draft)",
    },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "this help" },
];

/// Keys while typing a search in the timeline (every other key types).
const TIMELINE_SEARCH: &[Binding] = &[
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::KeepSearch,
        help: "keep the search and move in what it found",
    },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::ClearSearch, help: "clear the search" },
    Binding { keys: &[ctrl('c')], action: Action::Quit, help: "quit" },
];

/// Keys in a form, whatever the field.
const FORM: &[Binding] = &[
    Binding { keys: &[code(KeyCode::Tab)], action: Action::NextField, help: "next field" },
    Binding { keys: &[code(KeyCode::BackTab)], action: Action::PrevField, help: "previous field" },
    Binding { keys: &[ctrl('s')], action: Action::Save, help: "save" },
    Binding { keys: &[ctrl('g')], action: Action::Macro, help: "insert a macro into the text field" },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Close, help: "close (what you typed stays as a draft)" },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "this help" },
];

/// Keys on a choice of a form.
const FORM_CHOICE: &[Binding] = &[
    Binding {
        keys: &[code(KeyCode::Right), k(' '), k('l')],
        action: Action::NextChoice,
        help: "on a choice: the next option",
    },
    Binding {
        keys: &[code(KeyCode::Left), k('h')],
        action: Action::PrevChoice,
        help: "on a choice: the option before",
    },
    Binding {
        keys: &[code(KeyCode::Enter), code(KeyCode::Down)],
        action: Action::NextField,
        help: "on a choice: next field",
    },
    Binding { keys: &[code(KeyCode::Up)], action: Action::PrevField, help: "on a choice: previous field" },
];

/// Keys on a one-line field of a form (every other key types).
const FORM_LINE: &[Binding] =
    &[Binding { keys: &[code(KeyCode::Enter)], action: Action::NextField, help: "on a one-line field: next field" }];

/// The keys of a mode for an agent or (`lead`) a lead or admin: what they do there.
pub fn table(mode: Mode, lead: bool) -> Vec<&'static Binding> {
    match mode {
        Mode::Help => HELP_OPEN.iter().collect(),
        Mode::Form(focus) => {
            let extra: &[Binding] = match focus {
                FormFocus::Choice => FORM_CHOICE,
                FormFocus::Line => FORM_LINE,
                FormFocus::Lines => &[],
            };
            FORM.iter().chain(extra).collect()
        }
        Mode::Typing(Text::StepNotes) => TYPING_STEP.iter().collect(),
        Mode::Typing(Text::Note) => TYPING_NOTE.iter().collect(),
        Mode::Typing(Text::TimelineSearch) => TIMELINE_SEARCH.iter().collect(),
        Mode::Typing(Text::Coaching) => TYPING_COACHING.iter().collect(),
        Mode::Scoring => SCORING.iter().collect(),
        Mode::Picker => PICKER.iter().collect(),
        Mode::Palette => PALETTE.iter().collect(),
        Mode::Knowledge => KNOWLEDGE.iter().collect(),
        Mode::Article => ARTICLE.iter().collect(),
        Mode::Reviews => REVIEWS.iter().collect(),
        Mode::Dispute => DISPUTE.iter().collect(),
        Mode::View(view) => bindings(view, lead),
    }
}

/// What the help shows for a mode: its title, its keys, and what every other key does.
pub fn help(mode: Mode, lead: bool) -> (String, Vec<&'static Binding>, Option<&'static str>) {
    let title = match mode {
        Mode::Form(_) => {
            return ("Keys: a form".into(), FORM.iter().chain(FORM_CHOICE).chain(FORM_LINE).collect(), None)
        }
        Mode::Typing(_) => "Keys: typing".to_string(),
        Mode::Picker => "Keys: choosing".into(),
        Mode::Palette => "Keys: the command palette".into(),
        Mode::Knowledge => "Keys: the knowledge base".into(),
        Mode::Article => "Keys: reading an article".into(),
        Mode::Reviews => "Keys: my reviews".into(),
        Mode::Dispute => "Keys: disputing a review".into(),
        Mode::Scoring => "Keys: scoring a case".into(),
        Mode::View(view) => format!("Keys: {}", view.title()),
        Mode::Help => String::new(),
    };
    let other = match mode {
        Mode::View(View::Search) => Some("types into the search"),
        Mode::Palette => Some("types what to look for"),
        Mode::Knowledge => Some("types into the search"),
        Mode::Dispute => Some("types the reason"),
        _ => None,
    };
    (title, table(mode, lead), other)
}

/// The bindings of a view for an agent or (`lead`) a lead or admin, moves first for the lists.
pub fn bindings(view: View, lead: bool) -> Vec<&'static Binding> {
    let extra: &[Binding] = match (view, lead) {
        (View::Home, true) => LEAD_HOME,
        (View::Case, true) => LEAD_CASE,
        _ => &[],
    };
    let palette = if view == View::Search { PALETTE_OPEN_SEARCH } else { PALETTE_OPEN };
    bindings_of(view).into_iter().chain(extra).chain(palette).collect()
}

fn bindings_of(view: View) -> Vec<&'static Binding> {
    match view {
        View::Queues => MOVE.iter().chain(QUEUES).collect(),
        View::QueueCases => MOVE.iter().chain(QUEUE_CASES).collect(),
        View::Report => REPORT.iter().collect(),
        View::Closed => MOVE.iter().chain(CLOSED).collect(),
        View::Home => MOVE.iter().chain(HOME).collect(),
        View::Search => SEARCH.iter().collect(),
        View::Timeline => MOVE.iter().chain(TIMELINE).collect(),
        View::Case => CASE.iter().collect(),
        View::FollowUps => MOVE.iter().chain(FOLLOWUPS).collect(),
        View::Conflicts => MOVE.iter().chain(CONFLICTS).collect(),
    }
}

/// The action a key does in a mode, if any.
pub fn action(mode: Mode, lead: bool, e: &KeyEvent) -> Option<Action> {
    action_with(mode, lead, &Rebound::default(), e)
}

/// [`action`] with the agent's own keys.
pub fn action_with(mode: Mode, lead: bool, keys: &Rebound, e: &KeyEvent) -> Option<Action> {
    table(mode, lead)
        .into_iter()
        .map(|b| keys.apply(*b))
        .find(|b| b.keys.iter().any(|k| k.matches(e)))
        .map(|b| b.action)
}

/// [`table`] with the agent's own keys.
pub fn table_with(mode: Mode, lead: bool, keys: &Rebound) -> Vec<Binding> {
    table(mode, lead).into_iter().map(|b| keys.apply(*b)).collect()
}

/// [`bindings`] with the agent's own keys.
pub fn bindings_with(view: View, lead: bool, keys: &Rebound) -> Vec<Binding> {
    bindings(view, lead).into_iter().map(|b| keys.apply(*b)).collect()
}

/// [`help`] with the agent's own keys: what the help shows is what the keys do.
pub fn help_with(mode: Mode, lead: bool, keys: &Rebound) -> (String, Vec<Binding>, Option<&'static str>) {
    let (title, table, other) = help(mode, lead);
    (title, table.into_iter().map(|b| keys.apply(*b)).collect(), other)
}

/// An action's name in `[keys]`: `next_source` for `NextSource`.
pub fn action_name(a: Action) -> String {
    let mut out = String::new();
    for (i, c) in format!("{a:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every action some key does somewhere, for `[keys]`.
fn rebindable() -> Vec<Action> {
    let mut all: Vec<Action> = Vec::new();
    for mode in Mode::ALL {
        for lead in [false, true] {
            for b in table(mode, lead) {
                if !all.contains(&b.action) {
                    all.push(b.action);
                }
            }
        }
    }
    all
}

/// Reads a key as `[keys]` writes it: `x`, `X`, `ctrl-p`, `esc`, `enter`, `tab`, `shift-tab`,
/// `space`, `up`, `down`, `left`, `right`, `home`, `end`, `pgup`, `pgdn`, `f1`…`f12`.
pub fn parse_key(text: &str) -> Result<Key, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("ctrl-").or_else(|| lower.strip_prefix("c-")) {
        let mut chars = rest.chars();
        return match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Ok(ctrl(c)),
            _ => Err(format!("`{t}`: Ctrl goes with a letter, e.g. ctrl-p")),
        };
    }
    let named = match lower.as_str() {
        "esc" | "escape" => Some(KeyCode::Esc),
        "enter" | "return" => Some(KeyCode::Enter),
        "tab" => Some(KeyCode::Tab),
        "shift-tab" | "backtab" => Some(KeyCode::BackTab),
        "space" => Some(KeyCode::Char(' ')),
        "up" => Some(KeyCode::Up),
        "down" => Some(KeyCode::Down),
        "left" => Some(KeyCode::Left),
        "right" => Some(KeyCode::Right),
        "home" => Some(KeyCode::Home),
        "end" => Some(KeyCode::End),
        "pgup" | "pageup" => Some(KeyCode::PageUp),
        "pgdn" | "pagedown" => Some(KeyCode::PageDown),
        f if f.len() >= 2 && f.starts_with('f') => {
            f[1..].parse::<u8>().ok().filter(|n| (1..=12).contains(n)).map(KeyCode::F)
        }
        _ => None,
    };
    if let Some(c) = named {
        return Ok(code(c));
    }
    let mut chars = t.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_control() => Ok(k(c)),
        _ => Err(format!(
            "`{t}` is not a key: write one character (`x`, `X`, `:`), ctrl-<letter>, or a named key such as esc, enter, tab, up, f2"
        )),
    }
}

/// One key or several, as `[keys]` takes them: `snooze = "Z"` or `snooze = ["Z", "ctrl-z"]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

/// The agent's own keys (`[keys]` in config.toml): actions given other keys than the built-in
/// ones, everywhere the action is bound.
#[derive(Debug, Clone, Default)]
pub struct Rebound(Vec<(Action, &'static [Key])>);

impl Rebound {
    /// Reads `[keys]`; an unknown action or key, or two actions on one key in one place, is an
    /// error naming them.
    pub fn parse(spec: &std::collections::BTreeMap<String, KeyList>) -> Result<Rebound, String> {
        let actions = rebindable();
        let mut out = Vec::new();
        for (name, list) in spec {
            let action = actions.iter().copied().find(|a| action_name(*a) == *name).ok_or_else(|| {
                let mut names: Vec<String> = actions.iter().map(|a| action_name(*a)).collect();
                names.sort();
                format!("[keys]: `{name}` is not an action; these are: {}", names.join(", "))
            })?;
            let texts = match list {
                KeyList::One(t) => vec![t.clone()],
                KeyList::Many(v) => v.clone(),
            };
            if texts.is_empty() {
                return Err(format!("[keys]: `{name}` has no key: give it one, or leave it out to keep the built-in"));
            }
            let keys = texts
                .iter()
                .map(|t| parse_key(t))
                .collect::<Result<Vec<Key>, String>>()
                .map_err(|e| format!("[keys] {name}: {e}"))?;
            // Once per start, from the config file: the tables hold `&'static` keys.
            out.push((action, &*Box::leak(keys.into_boxed_slice())));
        }
        let rebound = Rebound(out);
        rebound.check_clashes()?;
        Ok(rebound)
    }

    fn apply(&self, b: Binding) -> Binding {
        match self.0.iter().find(|(a, _)| *a == b.action) {
            Some((_, keys)) => Binding { keys, ..b },
            None => b,
        }
    }

    /// No key may do two things in one place.
    fn check_clashes(&self) -> Result<(), String> {
        for mode in Mode::ALL {
            for lead in [false, true] {
                let table = table_with(mode, lead, self);
                for (i, a) in table.iter().enumerate() {
                    for b in &table[i + 1..] {
                        if let Some(key) = a.keys.iter().find(|k| b.keys.contains(k)) {
                            let place = match mode {
                                Mode::View(v) => v.title().to_string(),
                                other => format!("{other:?}"),
                            };
                            return Err(format!(
                                "[keys]: in {place}, {} would both {} (`{}`) and {} (`{}`): give one of them another key",
                                key.label(),
                                a.help,
                                action_name(a.action),
                                b.help,
                                action_name(b.action)
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether a key is bound in a mode.
pub fn bound(mode: Mode, lead: bool, e: &KeyEvent) -> bool {
    action(mode, lead, e).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agents_own_keys_replace_the_built_in_ones_and_a_clash_names_both() {
        use std::collections::BTreeMap;
        let spec = |pairs: &[(&str, KeyList)]| -> BTreeMap<String, KeyList> {
            pairs.iter().map(|(n, l)| (n.to_string(), l.clone())).collect()
        };
        let one = |s: &str| KeyList::One(s.into());
        let rb = Rebound::parse(&spec(&[
            ("snooze", one("Z")),
            ("palette", KeyList::Many(vec!["ctrl-k".into(), "F2".into()])),
        ]))
        .unwrap();
        let case = Mode::View(View::Case);
        let press = |c: KeyCode, m: KeyModifiers| KeyEvent::new(c, m);
        assert_eq!(action_with(case, false, &rb, &press(KeyCode::Char('Z'), KeyModifiers::NONE)), Some(Action::Snooze));
        assert_eq!(action_with(case, false, &rb, &press(KeyCode::Char('z'), KeyModifiers::NONE)), None, "z no more");
        assert_eq!(
            action_with(Mode::View(View::Home), false, &rb, &press(KeyCode::Char('k'), KeyModifiers::CONTROL)),
            Some(Action::Palette),
            "everywhere the action is bound"
        );
        let (_, shown, _) = help_with(case, false, &rb);
        let snooze = shown.iter().find(|b| b.action == Action::Snooze).unwrap();
        assert_eq!(snooze.keys.iter().map(|k| k.label()).collect::<Vec<_>>(), ["Z"], "the help shows the agent's key");

        let e = Rebound::parse(&spec(&[("snooze", one("s"))])).unwrap_err();
        assert!(e.contains("in Case, s would both") && e.contains("`set_status`") && e.contains("`snooze`"), "{e}");
        let e = Rebound::parse(&spec(&[("snoze", one("Z"))])).unwrap_err();
        assert!(e.contains("`snoze` is not an action") && e.contains("snooze"), "{e}");
        let e = Rebound::parse(&spec(&[("snooze", one("ctrl-1"))])).unwrap_err();
        assert!(e.contains("Ctrl goes with a letter"), "{e}");
        assert!(Rebound::parse(&spec(&[("snooze", one("zz"))])).unwrap_err().contains("is not a key"));
        assert!(Rebound::parse(&spec(&[("snooze", KeyList::Many(vec![]))])).unwrap_err().contains("has no key"));
    }

    #[test]
    fn no_key_means_two_things_in_one_mode_and_every_view_has_help_back_or_quit() {
        for mode in Mode::ALL {
            let mut seen = std::collections::HashSet::new();
            for b in table(mode, true) {
                for key in b.keys {
                    assert!(seen.insert(key.label()), "{mode:?}: {} bound twice", key.label());
                }
            }
        }
        for view in View::ALL {
            let mut seen = std::collections::HashSet::new();
            for b in bindings(view, true) {
                for key in b.keys {
                    assert!(seen.insert(key.label()), "{view:?}: {} bound twice", key.label());
                }
            }
            let actions: Vec<Action> = bindings(view, true).iter().map(|b| b.action).collect();
            assert!(actions.contains(&Action::Help) && actions.contains(&Action::Quit), "{view:?}");
        }
        let e = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action(Mode::View(View::Search), false, &e), Some(Action::Quit));
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(action(Mode::View(View::Search), false, &q), None, "q is typed into the search");
        assert_eq!(action(Mode::View(View::Timeline), false, &q), Some(Action::Quit));
    }
}
