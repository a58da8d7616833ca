//! The console's keys, per view. The `?` help is generated from these tables, so help and
//! behaviour cannot drift apart.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where the agent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Home,
    Search,
    Timeline,
    Case,
    FollowUps,
    Conflicts,
    Queues,
    QueueCases,
    Report,
    Closed,
}

impl View {
    pub fn title(self) -> &'static str {
        match self {
            View::Home => "Home",
            View::Search => "Find a customer",
            View::Timeline => "Timeline",
            View::Case => "Case",
            View::FollowUps => "Follow-ups",
            View::Conflicts => "Waiting to sync: conflicts and refusals",
            View::Queues => "Queues",
            View::QueueCases => "Queue",
            View::Report => "Report",
            View::Closed => "Closed cases to review",
        }
    }
}

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
    Binding { keys: &[k('n')], action: Action::NewCase, help: "start a case: find the customer first" },
    Binding { keys: &[k('F')], action: Action::FollowUps, help: "my follow-ups: due, overdue, upcoming" },
    Binding { keys: &[k('C')], action: Action::Conflicts, help: "conflicts and refusals to settle" },
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
const LEAD_CASE: &[Binding] =
    &[Binding { keys: &[k('K')], action: Action::Coach, help: "lead: a coaching note on the case" }];

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
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

/// Keys while a picker is open over a queue.
pub const PICKER: &[Binding] = &[
    Binding { keys: &[k('j'), code(KeyCode::Down)], action: Action::Down, help: "next" },
    Binding { keys: &[k('k'), code(KeyCode::Up)], action: Action::Up, help: "previous" },
    Binding {
        keys: &[code(KeyCode::Enter)],
        action: Action::Open,
        help: "apply to the marked cases (or the selected one)",
    },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Back, help: "cancel" },
];

/// Keys while typing in a step's notes or a note (every other key types).
pub const TYPING: &[Binding] = &[
    Binding {
        keys: &[ctrl('s')],
        action: Action::ToggleDone,
        help: "step: mark it done and go to the next; note: add it",
    },
    Binding { keys: &[ctrl('t')], action: Action::WriteNote, help: "note: internal ⇄ visible to the customer" },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Back, help: "stop typing (the step's notes are kept)" },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "this help" },
];

/// Keys in a form (every other key types into the field).
pub const FORM: &[Binding] = &[
    Binding { keys: &[code(KeyCode::Tab)], action: Action::Down, help: "next field" },
    Binding { keys: &[code(KeyCode::BackTab)], action: Action::Up, help: "previous field" },
    Binding { keys: &[code(KeyCode::Left), code(KeyCode::Right)], action: Action::NextStep, help: "change a choice" },
    Binding { keys: &[ctrl('s')], action: Action::Open, help: "save" },
    Binding { keys: &[code(KeyCode::Esc)], action: Action::Back, help: "close (what you typed stays as a draft)" },
    Binding { keys: &[code(KeyCode::F(1))], action: Action::Help, help: "this help" },
];

/// The bindings of a view for an agent or (`lead`) a lead or admin, moves first for the lists.
pub fn bindings(view: View, lead: bool) -> Vec<&'static Binding> {
    let extra: &[Binding] = match (view, lead) {
        (View::Home, true) => LEAD_HOME,
        (View::Case, true) => LEAD_CASE,
        _ => &[],
    };
    bindings_of(view).into_iter().chain(extra).collect()
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

/// The action a key does in a view, if any. In the search view other keys edit the query.
pub fn action(view: View, lead: bool, e: &KeyEvent) -> Option<Action> {
    bindings(view, lead).into_iter().find(|b| b.keys.iter().any(|k| k.matches(e))).map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_two_things_in_one_view_and_every_view_has_help_back_or_quit() {
        let views = [
            View::Home,
            View::Search,
            View::Timeline,
            View::Case,
            View::FollowUps,
            View::Conflicts,
            View::Queues,
            View::QueueCases,
            View::Report,
            View::Closed,
        ];
        for view in views {
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
        assert_eq!(action(View::Search, false, &e), Some(Action::Quit));
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(action(View::Search, false, &q), None, "q is typed into the search");
        assert_eq!(action(View::Timeline, false, &q), Some(Action::Quit));
    }
}
