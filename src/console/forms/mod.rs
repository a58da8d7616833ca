//! The console's forms: a new case ([`new_case`]), a resolution ([`resolve`]), a follow-up
//! ([`followup`]). A form is a list of fields (free text in a `tui-textarea`, or a choice cycled
//! with ←/→); submitting checks what was typed against the domain rules and either gives the
//! write to make or says, at the field, what is wrong — keeping everything typed. Plain state
//! and functions: no terminal needed. Drawn by [`draw`].

pub mod draw;
mod followup;
mod new_case;
mod resolve;

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::crossterm::event::KeyEvent;
use tui_textarea::TextArea;
use uuid::Uuid;

use super::app::App;
use super::keymap::Action;
use super::mode::FormFocus;
use super::msg::{Cmd, Write};
use crate::domain::case::ResolutionInput;
use crate::domain::due::DuePreset;
use crate::domain::rasa::Checklist;
use crate::domain::Invalid;
use crate::wire::requests::{NewCaseRequest, NewFollowUpRequest};

/// A text area holding `text`, with a hint shown while it is empty.
pub fn text_area(text: &str, placeholder: &str) -> TextArea<'static> {
    let lines: Vec<String> =
        if text.is_empty() { vec![String::new()] } else { text.lines().map(String::from).collect() };
    let mut t = TextArea::new(lines);
    t.set_placeholder_text(placeholder.to_string());
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.move_cursor(tui_textarea::CursorMove::Bottom);
    t.move_cursor(tui_textarea::CursorMove::End);
    t
}

/// What a text area holds, lines joined.
pub fn text_of(t: &TextArea) -> String {
    t.lines().join("\n")
}

#[derive(Debug, Clone)]
pub enum Input {
    Text { area: Box<TextArea<'static>>, single_line: bool },
    Choice { options: Vec<String>, index: usize },
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The rule's field name (errors from the domain name it) and the draft's name.
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
    pub hidden: bool,
}

impl Field {
    fn text(name: &'static str, label: &'static str, text: &str, placeholder: &str, single_line: bool) -> Field {
        Field {
            name,
            label,
            input: Input::Text { area: Box::new(text_area(text, placeholder)), single_line },
            hidden: false,
        }
    }

    fn choice(name: &'static str, label: &'static str, options: Vec<String>, index: usize) -> Field {
        Field { name, label, input: Input::Choice { options, index }, hidden: false }
    }

    pub fn text_value(&self) -> String {
        match &self.input {
            Input::Text { area, .. } => text_of(area),
            Input::Choice { options, index } => options.get(*index).cloned().unwrap_or_default(),
        }
    }

    fn index(&self) -> usize {
        match &self.input {
            Input::Choice { index, .. } => *index,
            Input::Text { .. } => 0,
        }
    }
}

#[derive(Debug, Clone)]
pub enum FormKind {
    NewCase { customer: Uuid, customer_name: String },
    Resolve { case: Uuid, revision: i64, checklist: Box<Checklist> },
    FollowUp { case: Option<Uuid>, customer: Uuid },
}

#[derive(Debug, Clone)]
pub struct Form {
    pub kind: FormKind,
    pub title: String,
    /// A line above the fields: why the form was proposed, or a warning.
    pub banner: Option<String>,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// What is wrong, and with which field.
    pub error: Option<(&'static str, String)>,
    /// Where its drafts are kept (`case/<id>`, `customer/<id>`).
    pub scope: String,
    /// Text changed since the drafts were last saved.
    pub dirty: bool,
    /// The due presets a follow-up form offers, in the order of its `due` choice.
    pub presets: Vec<DuePreset>,
}

/// What the agent asked for: a write to make, or to leave the form.
#[derive(Debug, Clone)]
pub enum FormWrite {
    OpenCase(NewCaseRequest),
    Resolve { case: Uuid, input: ResolutionInput },
    CreateFollowUp(NewFollowUpRequest),
}

/// What a key did to a form.
#[derive(Debug, PartialEq)]
pub enum FormKey {
    /// Handled; nothing more to do.
    Stay,
    /// Text changed (drafts to save).
    Edited,
    Cancel,
    Submit,
}

const OUTCOME_NONE: &str = "choose one (←/→)";

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| name(*v).to_string()).collect()
}

impl Form {
    fn with_scope(mut self, scope: String) -> Form {
        self.scope = scope;
        self
    }

    pub(crate) fn field(&self, name: &str) -> &Field {
        self.fields.iter().find(|f| f.name == name).expect("the form has the field")
    }

    /// Shows the fields that apply (the date only for "on a date…").
    fn refresh(&mut self) {
        if matches!(self.kind, FormKind::FollowUp { .. }) {
            let at = self.presets.get(self.field("due").index()).copied() == Some(DuePreset::At);
            if let Some(f) = self.fields.iter_mut().find(|f| f.name == "due_at") {
                f.hidden = !at;
            }
        }
    }

    fn visible(&self) -> Vec<usize> {
        (0..self.fields.len()).filter(|i| !self.fields[*i].hidden).collect()
    }

    fn move_focus(&mut self, delta: isize) {
        let v = self.visible();
        let at = v.iter().position(|i| *i == self.focus).unwrap_or(0) as isize;
        let n = v.len() as isize;
        self.focus = v[((at + delta) % n + n) as usize % n as usize];
    }

    /// What the field with the focus takes: the keys of a choice, of one line, of text.
    pub fn focus_kind(&self) -> FormFocus {
        match &self.fields[self.focus].input {
            Input::Choice { .. } => FormFocus::Choice,
            Input::Text { single_line: true, .. } => FormFocus::Line,
            Input::Text { single_line: false, .. } => FormFocus::Lines,
        }
    }

    /// A key while the form is open: the form's action (the keymap's form table), or, for any
    /// other key, typing into a text field (a choice takes no typing).
    pub fn key(&mut self, a: Option<Action>, k: KeyEvent) -> FormKey {
        match a {
            Some(Action::Close) => return FormKey::Cancel,
            Some(Action::Save) => return FormKey::Submit,
            Some(Action::NextField) => self.move_focus(1),
            Some(Action::PrevField) => self.move_focus(-1),
            Some(Action::NextChoice | Action::PrevChoice) => {
                if let Input::Choice { options, index } = &mut self.fields[self.focus].input {
                    let n = options.len();
                    *index = if a == Some(Action::NextChoice) { (*index + 1) % n } else { (*index + n - 1) % n };
                }
            }
            Some(_) => {}
            None => {
                let field = &mut self.fields[self.focus];
                if let Input::Text { area, .. } = &mut field.input {
                    if area.input(k) {
                        self.dirty = true;
                        if self.error.as_ref().is_some_and(|(f, _)| *f == field.name) {
                            self.error = None;
                        }
                        return FormKey::Edited;
                    }
                }
                return FormKey::Stay;
            }
        }
        self.refresh();
        FormKey::Stay
    }

    fn draft_prefix(&self) -> &'static str {
        match self.kind {
            FormKind::NewCase { .. } => "",
            FormKind::Resolve { .. } => "resolve/",
            FormKind::FollowUp { .. } => "followup/",
        }
    }

    /// The drafts of the form's text fields, keyed under its scope.
    pub fn drafts(&self) -> Vec<(String, String)> {
        let prefix = self.draft_prefix();
        self.fields
            .iter()
            .filter(|f| matches!(f.input, Input::Text { .. }))
            .map(|f| (format!("{}/{prefix}{}", self.scope, f.name), f.text_value()))
            .collect()
    }

    /// Fills the text fields from drafts read after the form opened.
    pub fn fill(&mut self, drafts: &Drafts) {
        let prefix = self.draft_prefix();
        for f in &mut self.fields {
            if let (Input::Text { area, .. }, Some(text)) = (&mut f.input, drafts.0.get(&format!("{prefix}{}", f.name)))
            {
                let placeholder = area.placeholder_text().to_string();
                **area = text_area(text, &placeholder);
            }
        }
    }

    /// A paste into the field with the focus: text, never keys (a pasted Esc or Ctrl-s does
    /// nothing). Choices take no paste.
    pub fn paste(&mut self, text: &str) {
        let field = &mut self.fields[self.focus];
        if let Input::Text { area, single_line } = &mut field.input {
            if area.insert_str(crate::console::paste::clean(text, *single_line)) {
                self.dirty = true;
                if self.error.as_ref().is_some_and(|(f, _)| *f == field.name) {
                    self.error = None;
                }
            }
        }
    }

    /// Shows what is wrong at the field it is about, and puts the cursor there.
    pub fn fail(&mut self, e: &Invalid) {
        let name = e.field.and_then(|f| self.fields.iter().position(|x| x.name == f && !x.hidden));
        if let Some(i) = name {
            self.focus = i;
        }
        let field = name.map(|i| self.fields[i].name).unwrap_or("");
        self.error = Some((field, e.message.clone()));
    }

    /// Checks the form; the write to make, or what is wrong (with the field).
    pub fn submit(&self, now: DateTime<Utc>, tz: FixedOffset) -> Result<FormWrite, Invalid> {
        match &self.kind {
            FormKind::NewCase { customer, .. } => self.submit_new_case(*customer),
            FormKind::Resolve { case, revision, checklist } => self.submit_resolve(*case, *revision, checklist),
            FormKind::FollowUp { case, customer } => self.submit_followup(*case, *customer, now, tz),
        }
    }
}

/// Drafts loaded for a scope, by field (`resolve/summary`, `note`, …).
#[derive(Debug, Clone, Default)]
pub struct Drafts(pub std::collections::BTreeMap<String, String>);

impl Drafts {
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }
}

/// A key while a form is open: typed, moved, or the form saved (closing at once, kept aside
/// until the local store has recorded its write) or closed (what was typed kept as drafts).
pub fn key(app: &mut App, a: Option<Action>, k: KeyEvent) -> Vec<Cmd> {
    if a == Some(Action::Macro) {
        return match app.form.as_mut() {
            Some(f) if f.focus_kind() == FormFocus::Choice => {
                f.error = Some(("", "A macro goes into a text field: Tab to one first.".into()));
                vec![]
            }
            Some(_) => crate::console::palette::open_macros(app),
            None => vec![],
        };
    }
    let Some(f) = app.form.as_mut() else { return vec![] };
    match f.key(a, k) {
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
