//! Where the agent is ([`View`]) and where keys go now ([`Mode`]): derived from the state, never
//! stored, so it cannot disagree with what is on screen. A key is looked up in the mode's table
//! ([`super::keymap`]) and reaches the mode's module as an action; a key the table does not
//! bind is typed where the mode types text, and does nothing elsewhere. Pastes follow the same
//! routes, as text only.

use ratatui::crossterm::event::KeyEvent;

use super::app::App;
use super::case::workspace::Typing;
use super::keymap::{self, Action};
use super::msg::Cmd;
use super::{case, conflicts, followups, forms, home, knowledge, lead, palette, reviews, search, timeline};

/// A screen of the console.
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
    pub const ALL: [View; 10] = [
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

/// What the field of a form with the focus takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormFocus {
    /// A choice: ←/→ change it.
    Choice,
    /// One line of text: Enter goes to the next field.
    Line,
    /// Free text: Enter is a new line.
    Lines,
}

/// What is being typed outside a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// The notes of the RASA step in view.
    StepNotes,
    /// A note on the case.
    Note,
    /// A search in the timeline.
    TimelineSearch,
    /// A lead's coaching note on a review being scored.
    Coaching,
}

/// Where keys go, first match wins: the help over everything, then a form over the view, then
/// text being typed, then a picker (over a queue, or a case action over the case), then the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The help: any key closes it.
    Help,
    Form(FormFocus),
    Typing(Text),
    Picker,
    /// The command palette: keys its table does not bind are typed into its query.
    Palette,
    /// The knowledge base's list: keys its table does not bind are typed into its search.
    Knowledge,
    /// An article of the knowledge base, read.
    Article,
    /// The agent's quality reviews.
    Reviews,
    /// A dispute of a review being written: keys its table does not bind type the reason.
    Dispute,
    /// A lead scoring a case on the scorecard.
    Scoring,
    View(View),
}

impl Mode {
    /// Every mode, for the tests.
    pub const ALL: [Mode; 25] = [
        Mode::Help,
        Mode::Form(FormFocus::Choice),
        Mode::Form(FormFocus::Line),
        Mode::Form(FormFocus::Lines),
        Mode::Typing(Text::StepNotes),
        Mode::Typing(Text::Note),
        Mode::Typing(Text::TimelineSearch),
        Mode::Typing(Text::Coaching),
        Mode::Picker,
        Mode::Palette,
        Mode::Knowledge,
        Mode::Article,
        Mode::Reviews,
        Mode::Dispute,
        Mode::Scoring,
        Mode::View(View::Home),
        Mode::View(View::Search),
        Mode::View(View::Timeline),
        Mode::View(View::Case),
        Mode::View(View::FollowUps),
        Mode::View(View::Conflicts),
        Mode::View(View::Queues),
        Mode::View(View::QueueCases),
        Mode::View(View::Report),
        Mode::View(View::Closed),
    ];

    /// Whether keys the mode's table does not bind are typed (into a field, a note, a search).
    pub fn types(self) -> bool {
        matches!(
            self,
            Mode::Form(FormFocus::Line | FormFocus::Lines)
                | Mode::Typing(_)
                | Mode::Palette
                | Mode::Knowledge
                | Mode::Dispute
                | Mode::View(View::Search)
        )
    }
}

impl App {
    /// Where keys go now.
    pub fn mode(&self) -> Mode {
        if self.help {
            Mode::Help
        } else {
            self.working_mode()
        }
    }

    /// Where keys go once the help is closed (what the help explains).
    pub fn working_mode(&self) -> Mode {
        if self.palette.is_some() {
            return Mode::Palette;
        }
        if let Some(r) = &self.reviews {
            return if r.disputing.is_some() { Mode::Dispute } else { Mode::Reviews };
        }
        if let Some(k) = &self.knowledge {
            return if k.reading.is_some() { Mode::Article } else { Mode::Knowledge };
        }
        if let Some(s) = &self.scoring {
            return if s.typing { Mode::Typing(Text::Coaching) } else { Mode::Scoring };
        }
        if let Some(f) = &self.form {
            return Mode::Form(f.focus_kind());
        }
        let view = self.view();
        match view {
            View::Case if self.work.as_ref().is_some_and(|w| w.choice.is_some()) => return Mode::Picker,
            View::Case => match self.work.as_ref().and_then(|w| w.typing) {
                Some(Typing::Step) => return Mode::Typing(Text::StepNotes),
                Some(Typing::Note) => return Mode::Typing(Text::Note),
                None => {}
            },
            View::Timeline if self.timeline.typing => return Mode::Typing(Text::TimelineSearch),
            View::QueueCases if self.lead.picker.is_some() => return Mode::Picker,
            _ => {}
        }
        Mode::View(view)
    }
}

/// A key: to the mode's module as its table's action, or typed.
pub(super) fn key(app: &mut App, k: KeyEvent) -> Vec<Cmd> {
    let view = app.view();
    if let Some(w) = app.work.as_mut().filter(|_| view == View::Case) {
        w.message_read = true;
    }
    let mode = app.mode();
    let action = keymap::action_with(mode, app.lead_mode, &app.keys, &k);
    match (mode, action) {
        (Mode::Help, a) => {
            // Any key closes the help; its quit key quits, unless a text is being typed
            // under it (where Ctrl-c is the editor's).
            app.help = false;
            let typing = matches!(
                app.working_mode(),
                Mode::Form(_) | Mode::Typing(Text::StepNotes | Text::Note | Text::Coaching)
            );
            if a == Some(Action::Quit) && !typing {
                app.quit = true;
            }
            vec![]
        }
        (_, Some(Action::Help)) => {
            app.help = true;
            vec![]
        }
        (Mode::Form(_), a) => forms::key(app, a, k),
        (Mode::Typing(Text::TimelineSearch), a) => timeline::search_key(app, a, k),
        (Mode::Typing(Text::Coaching), a) => lead::scoring::coaching_key(app, a, k),
        (Mode::Scoring, Some(a)) => lead::scoring::key(app, a),
        (Mode::Scoring, None) => vec![],
        (Mode::Typing(_), a) => case::typing_key(app, a, k),
        (Mode::Palette, a) => palette::key(app, a, k),
        (Mode::Knowledge, a) => knowledge::list_key(app, a, k),
        (Mode::Article, Some(Action::Quit)) => {
            app.quit = true;
            vec![]
        }
        (Mode::Article, Some(a)) => knowledge::read_key(app, a),
        (Mode::Article, None) => vec![],
        (Mode::Reviews, Some(a)) => reviews::key(app, a),
        (Mode::Reviews, None) => vec![],
        (Mode::Dispute, Some(Action::Quit)) => {
            app.quit = true;
            vec![]
        }
        (Mode::Dispute, a) => reviews::dispute_key(app, a, k),
        (Mode::Picker, Some(a)) if app.view() == View::Case => case::actions::key(app, a),
        (Mode::Picker, Some(a)) => lead::picker::key(app, a),
        (Mode::View(View::Search), None) => search::edit(app, k),
        (Mode::View(view), Some(a)) => view_key(app, view, a),
        (Mode::Picker | Mode::View(_), None) => vec![],
    }
}

/// An action of a view: the ones every view shares, then the view's own.
pub(super) fn view_key(app: &mut App, view: View, a: Action) -> Vec<Cmd> {
    match a {
        Action::Palette => return palette::open(app),
        Action::Knowledge => return knowledge::open(app),
        Action::Reviews => return reviews::open(app),
        Action::Quit => {
            app.quit = true;
            return vec![];
        }
        Action::Back => return app.back(),
        Action::Search => {
            app.search_for_new_case = false;
            app.go(View::Search);
            return vec![];
        }
        Action::SyncNow => return vec![Cmd::SyncNow],
        Action::FollowUps => {
            app.go(View::FollowUps);
            return vec![];
        }
        Action::Conflicts => {
            app.go(View::Conflicts);
            return vec![Cmd::LoadUnsettled];
        }
        _ => {}
    }
    match view {
        View::Home => home::key(app, a),
        View::Search => search::key(app, a),
        View::Timeline => timeline::key(app, a),
        View::Case => case::key(app, a),
        View::FollowUps => followups::key(app, a),
        View::Conflicts => conflicts::key(app, a),
        View::Queues => lead::queues::key(app, a),
        View::QueueCases => lead::queue::key(app, a),
        View::Report => lead::report::key(app, a),
        View::Closed => lead::review::key(app, a),
    }
}

/// A paste goes where text is being typed — a form's field, a step's notes or a note, a
/// search — and nowhere else: outside text it does nothing, whatever keys it holds.
pub(super) fn paste(app: &mut App, text: &str) -> Vec<Cmd> {
    match app.mode() {
        Mode::Form(_) => {
            if let Some(f) = app.form.as_mut() {
                f.paste(text);
            }
            vec![]
        }
        Mode::Typing(Text::TimelineSearch) => timeline::paste(app, text),
        Mode::Typing(Text::Coaching) => lead::scoring::paste(app, text),
        Mode::Typing(_) => case::paste(app, text),
        Mode::View(View::Search) => search::paste(app, text),
        Mode::Palette => palette::paste(app, text),
        Mode::Knowledge => knowledge::paste(app, text),
        Mode::Dispute => reviews::paste(app, text),
        Mode::Help | Mode::Picker | Mode::Article | Mode::Reviews | Mode::Scoring | Mode::View(_) => vec![],
    }
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    use super::*;
    use crate::console::app::update;
    use crate::console::forms::Form;
    use crate::console::lead::picker::Picker;
    use crate::console::msg::Msg;
    use crate::console::testing::{agent_scene, case_scene, id, lead_scene};

    /// An app in `mode`, with something in every list.
    fn in_mode(mode: Mode) -> App {
        let press = |app: &mut App, code: KeyCode| {
            update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        };
        let mut app = match mode {
            Mode::View(View::Queues | View::QueueCases | View::Report | View::Closed) | Mode::Picker => lead_scene(),
            Mode::View(View::Case) | Mode::Typing(Text::StepNotes | Text::Note) => case_scene(),
            Mode::Knowledge | Mode::Article => crate::console::testing::knowledge_scene(),
            _ => agent_scene(),
        };
        match mode {
            Mode::Help => app.help = true,
            Mode::Form(FormFocus::Line) => app.form = Some(Form::new_case(id(1), "Zoe", &Default::default())),
            Mode::Form(FormFocus::Choice) => {
                app.form = Some(Form::new_case(id(1), "Zoe", &Default::default()));
                press(&mut app, KeyCode::Tab);
            }
            Mode::Form(FormFocus::Lines) => {
                let rasa = crate::domain::rasa::fold(&[]);
                app.form = Some(Form::resolve(id(10), 1, rasa, &Default::default()));
            }
            Mode::Typing(Text::StepNotes) => press(&mut app, KeyCode::Enter),
            Mode::Typing(Text::Note) => press(&mut app, KeyCode::Char('n')),
            Mode::Typing(Text::TimelineSearch) => {
                app.stack.push(View::Timeline);
                press(&mut app, KeyCode::Char('/'));
            }
            Mode::Picker => {
                app.stack.push(View::QueueCases);
                app.lead.picker = Some(Picker::Assign { selected: 0 });
            }
            Mode::View(View::Search) => {
                app.stack.push(View::Search);
                app.search.query = "zo".into();
                let zoe = app.timeline.customer.clone().expect("the scene has a customer");
                let zoltan = crate::domain::customer::Customer::named(id(2), "Zoltan Kis", app.now);
                app.search.results = vec![zoe, zoltan];
            }
            Mode::View(View::Conflicts) => {
                app.stack.push(View::Conflicts);
                let body = r#"{"case_id": "00000000-0000-0000-0000-00000000000a", "note_id": "00000000-0000-0000-0000-00000000001f", "fields": {"body": "hi"}}"#;
                let op = crate::local::overlay::LocalOp {
                    seq: 1,
                    id: id(40),
                    body: crate::wire::sync::OpBody::parse("note.add", body).expect("a note"),
                    state: crate::local::overlay::OpState::Conflict,
                    created_at: app.now,
                    answer: None,
                };
                update(&mut app, Msg::Unsettled(vec![op]));
            }
            Mode::View(View::Closed) => {
                app.stack.push(View::Closed);
                let closed = app.lead.cases[0].case.clone();
                update(&mut app, Msg::Closed(Ok(vec![closed])));
            }
            Mode::Palette => {
                crate::console::palette::open(&mut app);
            }
            Mode::View(View::Case | View::Home) | Mode::Knowledge => {}
            Mode::Article => {
                let a = crate::console::testing::sample_articles().remove(0);
                update(&mut app, Msg::Article { result: Ok(a), offline: false });
            }
            Mode::Scoring | Mode::Typing(Text::Coaching) => {
                let mut s = crate::console::lead::scoring::Scoring::new(id(10), Default::default());
                s.typing = mode != Mode::Scoring;
                app.scoring = Some(s);
            }
            Mode::Reviews | Mode::Dispute => {
                let mut review = crate::console::testing::review(500, id(10), 80.0, app.now);
                review.coaching = Some("More questions".into());
                app.reviews = Some(crate::console::reviews::ReviewsState {
                    reviews: vec![review],
                    disputing: (mode == Mode::Dispute).then(|| (0, "x".to_string())),
                    ..Default::default()
                });
            }
            Mode::View(v) => app.stack.push(v),
        }
        assert_eq!(app.mode(), mode, "the fixture is in the mode");
        app.dirty = true;
        if let Some(w) = app.work.as_mut() {
            w.message_read = true;
        }
        app
    }

    /// Every key a terminal sends, plain, with Ctrl and with Shift.
    fn every_key() -> Vec<KeyEvent> {
        let mut codes: Vec<KeyCode> = (' '..='~').chain(['é', 'ß', '中', '😀']).map(KeyCode::Char).collect();
        codes.extend([
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Backspace,
            KeyCode::Delete,
            KeyCode::Insert,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::PageDown,
        ]);
        codes.extend((1..=12).map(KeyCode::F));
        let mut keys = Vec::new();
        for code in codes {
            for m in [KeyModifiers::NONE, KeyModifiers::CONTROL, KeyModifiers::SHIFT] {
                keys.push(KeyEvent::new(code, m));
            }
        }
        keys
    }

    fn label(k: &KeyEvent) -> String {
        format!("{:?}+{:?}", k.modifiers, k.code)
    }

    #[test]
    fn every_key_a_mode_acts_on_is_in_its_table() {
        for mode in Mode::ALL {
            let fixture = in_mode(mode);
            let lead = fixture.lead_mode;
            let before = format!("{fixture:?}");
            for k in every_key() {
                let mut app = fixture.clone();
                let cmds = update(&mut app, Msg::Key(k));
                let bound = keymap::bound(mode, lead, &k);
                if mode == Mode::Help {
                    assert!(!app.help, "any key closes the help: {}", label(&k));
                    assert!(!app.quit || bound, "only the help's own keys do more: {}", label(&k));
                    continue;
                }
                if bound {
                    continue;
                }
                if mode.types() {
                    // Typed: the text may change, nothing else.
                    assert_eq!(app.mode(), mode, "{mode:?}: {} is not in its table but left the mode", label(&k));
                    assert_eq!(app.stack, fixture.stack, "{mode:?}: {} moved", label(&k));
                    assert!(!app.quit, "{mode:?}: {} quit", label(&k));
                    assert!(
                        cmds.iter().all(|c| matches!(
                            c,
                            Cmd::Search(_) | Cmd::SearchArticles { .. } | Cmd::SuggestArticles { .. }
                        )),
                        "{mode:?}: {} is not in its table but ran {cmds:?}",
                        label(&k)
                    );
                } else {
                    assert!(cmds.is_empty(), "{mode:?}: {} is not in its table but ran {cmds:?}", label(&k));
                    assert_eq!(
                        format!("{app:?}"),
                        before,
                        "{mode:?}: {} is not in its table but did something",
                        label(&k)
                    );
                }
            }
        }
    }

    #[test]
    fn every_binding_of_a_mode_is_reached_by_its_keys() {
        // A key in a mode's table gets to the mode's module as the table's action: the help
        // lists it, and pressing it is not the same as pressing nothing.
        for mode in Mode::ALL.into_iter().filter(|m| *m != Mode::Help) {
            let fixture = in_mode(mode);
            let before = format!("{fixture:?}");
            for b in keymap::table(mode, fixture.lead_mode) {
                for key in b.keys {
                    let m = if key.ctrl { KeyModifiers::CONTROL } else { KeyModifiers::NONE };
                    let k = KeyEvent::new(key.code, m);
                    assert_eq!(
                        keymap::action(mode, fixture.lead_mode, &k),
                        Some(b.action),
                        "{mode:?}: {}",
                        key.label()
                    );
                    let mut app = fixture.clone();
                    let cmds = update(&mut app, Msg::Key(k));
                    // Moves in a short list may have nowhere to go (list.rs has their tests).
                    let moved_nothing = matches!(
                        b.action,
                        Action::Up | Action::Down | Action::Top | Action::Bottom | Action::PageUp | Action::PageDown
                    );
                    // The fixture's change is a conflict: `x` dismisses refusals only.
                    let refused_only = mode == Mode::View(View::Conflicts) && b.action == Action::Dismiss;
                    assert!(
                        !cmds.is_empty() || format!("{app:?}") != before || moved_nothing || refused_only,
                        "{mode:?}: {} ({:?}) did nothing",
                        key.label(),
                        b.action
                    );
                }
            }
        }
    }
}
