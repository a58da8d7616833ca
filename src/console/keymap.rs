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
}

impl View {
    pub fn title(self) -> &'static str {
        match self {
            View::Home => "Home",
            View::Search => "Find a customer",
            View::Timeline => "Timeline",
            View::Case => "Case",
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
    Binding { keys: &[code(KeyCode::Enter)], action: Action::Open, help: "open the selected case's customer timeline" },
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
    Binding { keys: &[k('f')], action: Action::Search, help: "find another customer" },
    Binding { keys: &[k('r')], action: Action::SyncNow, help: "sync now" },
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

const CASE: &[Binding] = &[
    Binding { keys: &[k('?'), code(KeyCode::F(1))], action: Action::Help, help: "help for this view" },
    Binding { keys: &[code(KeyCode::Esc), k('h')], action: Action::Back, help: "back to the timeline" },
    Binding { keys: &[k('q'), ctrl('c')], action: Action::Quit, help: "quit" },
];

/// The bindings of a view, moves first for the list views.
pub fn bindings(view: View) -> Vec<&'static Binding> {
    match view {
        View::Home => MOVE.iter().chain(HOME).collect(),
        View::Search => SEARCH.iter().collect(),
        View::Timeline => MOVE.iter().chain(TIMELINE).collect(),
        View::Case => CASE.iter().collect(),
    }
}

/// The action a key does in a view, if any. In the search view other keys edit the query.
pub fn action(view: View, e: &KeyEvent) -> Option<Action> {
    bindings(view).into_iter().find(|b| b.keys.iter().any(|k| k.matches(e))).map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_two_things_in_one_view_and_every_view_has_help_back_or_quit() {
        for view in [View::Home, View::Search, View::Timeline, View::Case] {
            let mut seen = std::collections::HashSet::new();
            for b in bindings(view) {
                for key in b.keys {
                    assert!(seen.insert(key.label()), "{view:?}: {} bound twice", key.label());
                }
            }
            let actions: Vec<Action> = bindings(view).iter().map(|b| b.action).collect();
            assert!(actions.contains(&Action::Help) && actions.contains(&Action::Quit), "{view:?}");
        }
        let e = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action(View::Search, &e), Some(Action::Quit));
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(action(View::Search, &q), None, "q is typed into the search");
        assert_eq!(action(View::Timeline, &q), Some(Action::Quit));
    }
}
