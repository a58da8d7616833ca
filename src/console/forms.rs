//! The console's forms: a new case, a resolution, a follow-up. A form is a list of fields
//! (free text in a `tui-textarea`, or a choice cycled with ←/→); submitting checks what was
//! typed against the domain rules and either gives the write to make or says, at the field,
//! what is wrong — keeping everything typed. Plain state and functions: no terminal needed.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::TextArea;
use uuid::Uuid;

use crate::domain::case::{
    proposed_followup_delay, validate_resolution, CaseStatus, Channel, Outcome, Priority, ResolutionInput,
    MAX_SUBJECT_CHARS, MAX_SUMMARY_CHARS,
};
use crate::domain::due::DuePreset;
use crate::domain::followup::MAX_FOLLOWUP_NOTE_CHARS;
use crate::domain::rasa::Checklist;
use crate::domain::{optional_text, required_text, Invalid};
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
    /// A new case for a customer (found by search, or whose timeline is open).
    pub fn new_case(customer: Uuid, customer_name: &str, drafts: &Drafts) -> Form {
        let channels = names(Channel::ALL, |c| c.as_str());
        let priorities = names(Priority::ALL, |p| p.as_str());
        let normal = Priority::ALL.iter().position(|p| *p == Priority::Normal).unwrap_or(0);
        Form {
            kind: FormKind::NewCase { customer, customer_name: customer_name.to_string() },
            title: format!("New case for {customer_name}"),
            banner: None,
            fields: vec![
                Field::text("subject", "Subject", drafts.get("subject"), "what the customer needs, in a line", true),
                Field::choice("channel", "Channel", channels, 0),
                Field::choice("priority", "Priority", priorities, normal),
            ],
            focus: 0,
            error: None,
            scope: format!("customer/{customer}/new-case"),
            dirty: false,
            presets: vec![],
        }
    }

    /// The resolution of a case; warns when the RASA checklist is incomplete and then asks why.
    pub fn resolve(case: Uuid, revision: i64, checklist: Checklist, drafts: &Drafts) -> Form {
        let mut outcomes = vec![OUTCOME_NONE.to_string()];
        outcomes.extend(names(Outcome::ALL, |o| o.as_str()));
        let missing: Vec<&str> = checklist.missing().iter().map(|s| s.as_str()).collect();
        let banner = (!checklist.complete).then(|| {
            format!("⚠ RASA is incomplete ({} not done). You may resolve anyway: say why below.", missing.join(", "))
        });
        let mut reason = Field::text(
            "rasa_incomplete_reason",
            "Why RASA is incomplete",
            drafts.get("resolve/rasa_incomplete_reason"),
            "e.g. the customer had to go",
            false,
        );
        reason.hidden = checklist.complete;
        Form {
            kind: FormKind::Resolve { case, revision, checklist: Box::new(checklist) },
            title: "Resolve the case".into(),
            banner,
            fields: vec![
                Field::text("summary", "Summary", drafts.get("resolve/summary"), "what was done (required)", false),
                Field::text(
                    "root_cause",
                    "Root cause",
                    drafts.get("resolve/root_cause"),
                    "why → why → why: one answer per line (optional)",
                    false,
                ),
                Field::choice("outcome", "Outcome", outcomes, 0),
                Field::choice("status", "New status", vec!["resolved".into(), "closed".into()], 0),
                reason,
            ],
            focus: 0,
            error: None,
            scope: String::new(),
            dirty: false,
            presets: vec![],
        }
        .with_scope(format!("case/{case}"))
    }

    /// A follow-up on a case (or for a customer). `proposed` is the outcome that made the
    /// console propose it, which sets how soon it falls due.
    pub fn followup(case: Option<Uuid>, customer: Uuid, proposed: Option<(Outcome, &str)>, drafts: &Drafts) -> Form {
        let mut presets: Vec<DuePreset> = DuePreset::ALL.to_vec();
        let mut banner = None;
        let mut note = drafts.get("followup/note").to_string();
        if let Some((outcome, summary)) = proposed {
            if let Some(delay) = proposed_followup_delay(outcome) {
                let preset = if delay < chrono::Duration::hours(1) {
                    DuePreset::InMinutes(delay.num_minutes())
                } else if delay < chrono::Duration::days(1) {
                    DuePreset::InHours(delay.num_hours())
                } else {
                    DuePreset::TomorrowMorning
                };
                presets.retain(|p| *p != preset);
                presets.insert(0, preset);
                banner = Some(match outcome {
                    Outcome::Negative => format!(
                        "Proposed: the experience was negative. A follow-up {} keeps the customer. Ctrl-s accepts, Esc skips.",
                        preset.label()
                    ),
                    _ => format!("Proposed for a {outcome} experience. Ctrl-s accepts, Esc skips."),
                });
                if note.is_empty() {
                    note = format!("Check back with the customer: {summary}");
                }
            }
        }
        let labels: Vec<String> = presets.iter().map(|p| p.label()).collect();
        let scope = match case {
            Some(c) => format!("case/{c}"),
            None => format!("customer/{customer}"),
        };
        let mut form = Form {
            kind: FormKind::FollowUp { case, customer },
            title: "New follow-up".into(),
            banner,
            fields: vec![
                Field::choice("due", "Due", labels, 0),
                Field::text("due_at", "Date", drafts.get("followup/due_at"), "2026-11-24 14:30, 14:30 or +2h", true),
                Field::choice("channel", "Channel", names(Channel::ALL, |c| c.as_str()), 0),
                Field::text("note", "Note", &note, "what to check or say", false),
            ],
            focus: 0,
            error: None,
            scope,
            dirty: false,
            presets: vec![],
        };
        form.presets = presets;
        form.refresh();
        form
    }

    fn with_scope(mut self, scope: String) -> Form {
        self.scope = scope;
        self
    }

    fn field(&self, name: &str) -> &Field {
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

    /// A key while the form is open: Tab / Shift-Tab move between fields, ←/→ change a
    /// choice, Ctrl-s submits, Esc leaves (drafts stay); other keys type into the field.
    pub fn key(&mut self, k: KeyEvent) -> FormKey {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => return FormKey::Cancel,
            KeyCode::Char('s') if ctrl => return FormKey::Submit,
            KeyCode::Tab => {
                self.move_focus(1);
                return FormKey::Stay;
            }
            KeyCode::BackTab => {
                self.move_focus(-1);
                return FormKey::Stay;
            }
            _ => {}
        }
        let field = &mut self.fields[self.focus];
        match &mut field.input {
            Input::Choice { options, index } => {
                let n = options.len();
                match k.code {
                    KeyCode::Right | KeyCode::Char(' ') | KeyCode::Char('l') => *index = (*index + 1) % n,
                    KeyCode::Left | KeyCode::Char('h') => *index = (*index + n - 1) % n,
                    KeyCode::Enter | KeyCode::Down => self.move_focus(1),
                    KeyCode::Up => self.move_focus(-1),
                    _ => return FormKey::Stay,
                }
                self.refresh();
                FormKey::Stay
            }
            Input::Text { area, single_line } => {
                if *single_line && k.code == KeyCode::Enter {
                    self.move_focus(1);
                    return FormKey::Stay;
                }
                if area.input(k) {
                    self.dirty = true;
                    if self.error.as_ref().is_some_and(|(f, _)| *f == field.name) {
                        self.error = None;
                    }
                    FormKey::Edited
                } else {
                    FormKey::Stay
                }
            }
        }
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
            if area.insert_str(super::paste::clean(text, *single_line)) {
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
            FormKind::NewCase { customer, .. } => {
                let subject = required_text("subject", &self.field("subject").text_value(), MAX_SUBJECT_CHARS)?;
                let mut req = NewCaseRequest::new(*customer, &subject);
                req.channel = Some(Channel::ALL[self.field("channel").index()]);
                req.priority = Some(Priority::ALL[self.field("priority").index()]);
                req.status = Some(CaseStatus::Open);
                Ok(FormWrite::OpenCase(req))
            }
            FormKind::Resolve { case, revision, checklist } => {
                // In the order the fields are shown.
                required_text("summary", &self.field("summary").text_value(), MAX_SUMMARY_CHARS)?;
                let outcome = match self.field("outcome").index() {
                    0 => {
                        return Err(Invalid::field(
                            "outcome",
                            "choose the experience outcome: memorable, positive, negative or forgettable (←/→)",
                        ))
                    }
                    i => Outcome::ALL[i - 1],
                };
                let whys = self.field("root_cause").text_value();
                let reason = self.field("rasa_incomplete_reason").text_value();
                let input = ResolutionInput {
                    revision: *revision,
                    summary: self.field("summary").text_value(),
                    root_cause: whys.lines().map(|l| l.trim().trim_start_matches("→").trim().to_string()).collect(),
                    outcome,
                    status: Some(if self.field("status").index() == 0 {
                        CaseStatus::Resolved
                    } else {
                        CaseStatus::Closed
                    }),
                    rasa_incomplete_reason: (!checklist.complete).then_some(reason),
                };
                validate_resolution(&input, checklist)?;
                Ok(FormWrite::Resolve { case: *case, input })
            }
            FormKind::FollowUp { case, customer } => {
                let preset = self.presets[self.field("due").index()];
                let due_at = preset.due_at(now, tz, &self.field("due_at").text_value())?;
                let note = optional_text("note", &self.field("note").text_value(), MAX_FOLLOWUP_NOTE_CHARS)?;
                Ok(FormWrite::CreateFollowUp(NewFollowUpRequest {
                    case_id: *case,
                    customer_id: if case.is_some() { None } else { Some(*customer) },
                    assignee_id: None,
                    due_at,
                    channel: Some(Channel::ALL[self.field("channel").index()]),
                    note: note.unwrap_or_default(),
                }))
            }
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
