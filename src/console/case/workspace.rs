//! The case workspace: one case being worked, live. The RASA stepper (a notes area per step,
//! the step in view, how long the case and the step have been going), the note being written,
//! and which fields have unsaved drafts. Plain state: the app turns keys into changes here and
//! writes into commands.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use tui_textarea::TextArea;
use uuid::Uuid;

use crate::console::forms::{text_area, text_of, Drafts};
use crate::domain::case::NoteVisibility;
use crate::domain::rasa::{starting_notes, RasaStep};
use crate::local::view::LocalCase;

/// Where the keys go while the agent types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    Step,
    Note,
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub id: Uuid,
    /// The case as the local store has it; `None` until it answers, or when it is not there.
    pub data: Option<Box<LocalCase>>,
    /// The local store has answered.
    pub loaded: bool,
    /// When the agent opened the case here (the case clock).
    pub opened_at: DateTime<Utc>,
    /// The step in view.
    pub step: RasaStep,
    /// When the step came into view (the step clock).
    pub step_since: DateTime<Utc>,
    /// The notes of each step as typed, in RASA order.
    pub steps: Vec<TextArea<'static>>,
    pub note: TextArea<'static>,
    pub note_visibility: NoteVisibility,
    /// Notes the local store refused after the editor had moved on to another note; each
    /// comes back into the empty editor with the next `n`.
    pub held_notes: Vec<(String, NoteVisibility)>,
    pub typing: Option<Typing>,
    /// A line for the agent: what was saved, or what is wrong (`true`: an error).
    pub message: Option<(bool, String)>,
    /// The agent pressed a key with the message on screen.
    pub message_read: bool,
    /// Other agents with the case open now.
    pub others: Vec<String>,
    /// Draft fields changed since the last save (`note`, `rasa/receive`, …).
    pub dirty: BTreeSet<String>,
    /// Drafts as loaded, for forms opened later.
    pub drafts: Drafts,
    /// The text areas were filled from the case and its drafts.
    text_ready: bool,
    /// When presence was last told to the server.
    pub presence_at: Option<DateTime<Utc>>,
    /// A case action being chosen (status, priority, hand-over, snooze).
    pub choice: Option<super::actions::Choice>,
}

/// What the empty note editor says.
pub const NOTE_PLACEHOLDER: &str = "a note on the case (Ctrl-s adds it)";

pub fn step_field(step: RasaStep) -> String {
    format!("rasa/{step}")
}

impl Workspace {
    pub fn new(id: Uuid, now: DateTime<Utc>) -> Workspace {
        Workspace {
            id,
            data: None,
            loaded: false,
            opened_at: now,
            step: RasaStep::Receive,
            step_since: now,
            steps: RasaStep::ALL.iter().map(|_| text_area("", "")).collect(),
            note: text_area("", NOTE_PLACEHOLDER),
            note_visibility: NoteVisibility::Internal,
            held_notes: Vec::new(),
            typing: None,
            message: None,
            message_read: false,
            others: Vec::new(),
            dirty: BTreeSet::new(),
            drafts: Drafts::default(),
            text_ready: false,
            choice: None,
            presence_at: None,
        }
    }

    /// The case (again) from the local store. The first time, the text areas are filled from
    /// the drafts, else from what is recorded, and the first step not done comes into view;
    /// later, what the agent is typing is left alone.
    pub fn loaded(&mut self, case: Option<Box<LocalCase>>, drafts: Drafts, now: DateTime<Utc>) {
        self.loaded = true;
        if let (Some(c), false) = (&case, self.text_ready) {
            for s in RasaStep::ALL {
                let field = step_field(*s);
                let text = drafts.0.get(&field).cloned().unwrap_or_else(|| c.rasa.steps[s.index()].notes.clone());
                self.steps[s.index()] = text_area(&text, "");
            }
            self.note = text_area(drafts.get("note"), NOTE_PLACEHOLDER);
            self.drafts = drafts;
            self.text_ready = true;
            let step = c.rasa.current.unwrap_or(RasaStep::Ask);
            self.select(step, now);
        }
        self.data = case;
    }

    /// Brings a step into view. Summarize, still empty, starts from what Receive captured.
    pub fn select(&mut self, step: RasaStep, now: DateTime<Utc>) {
        if step != self.step {
            self.step_since = now;
        }
        self.step = step;
        self.refresh_placeholders();
        let own = self.step_text(step);
        let start = starting_notes(step, &own, &self.step_text(RasaStep::Receive));
        if start != own {
            self.steps[step.index()] = text_area(&start, "");
            self.dirty.insert(step_field(step));
        }
    }

    fn refresh_placeholders(&mut self) {
        for s in RasaStep::ALL {
            self.steps[s.index()].set_placeholder_text(match s {
                RasaStep::Receive => "their own words (Enter to type)",
                RasaStep::Appreciate => "how you acknowledged it",
                RasaStep::Summarize => "what you said back, and whether they agreed",
                RasaStep::Ask => "each question and the answer",
            });
        }
    }

    pub fn step_text(&self, step: RasaStep) -> String {
        text_of(&self.steps[step.index()])
    }

    /// Whether the step is done (as recorded, waiting operations included).
    pub fn done(&self, step: RasaStep) -> bool {
        self.data.as_ref().is_some_and(|c| c.rasa.steps[step.index()].done_at.is_some())
    }

    /// The step's notes as recorded.
    pub fn recorded_notes(&self, step: RasaStep) -> &str {
        self.data.as_ref().map(|c| c.rasa.steps[step.index()].notes.as_str()).unwrap_or("")
    }

    /// The text area the keys go to, with its draft field.
    pub fn typing_area(&mut self) -> Option<(&mut TextArea<'static>, String)> {
        match self.typing? {
            Typing::Step => Some((&mut self.steps[self.step.index()], step_field(self.step))),
            Typing::Note => Some((&mut self.note, "note".to_string())),
        }
    }

    /// The drafts changed since the last call, keyed for the local store.
    pub fn take_drafts(&mut self) -> Vec<(String, String)> {
        let scope = crate::local::drafts::case_scope(self.id);
        std::mem::take(&mut self.dirty)
            .into_iter()
            .map(|field| {
                let text = match field.as_str() {
                    "note" => text_of(&self.note),
                    f => RasaStep::ALL
                        .iter()
                        .find(|s| step_field(**s) == f)
                        .map(|s| self.step_text(*s))
                        .unwrap_or_default(),
                };
                (format!("{scope}/{field}"), text)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rasa::{fold, StepEntry};
    use crate::local::overlay::Synced;

    pub(crate) fn local_case(entries: &[StepEntry]) -> Box<LocalCase> {
        let customer = Uuid::now_v7();
        let anna =
            crate::domain::agent::Agent::new("anna", crate::domain::agent::Role::Agent, &["support"], Utc::now());
        let case = crate::domain::case::new_case(
            &anna,
            Uuid::now_v7(),
            &crate::wire::requests::NewCaseRequest::new(customer, "Parcel never arrived"),
            Utc::now(),
        )
        .expect("a valid case");
        Box::new(LocalCase {
            case: Synced { value: case, waiting: false },
            notes: vec![],
            rasa: fold(entries),
            followups: vec![],
            unsettled: vec![],
        })
    }

    #[test]
    fn opens_on_the_first_step_not_done_with_drafts_winning_over_what_is_recorded() {
        let t = Utc::now();
        let receive = StepEntry {
            step: RasaStep::Receive,
            notes: "“It never came.”".into(),
            done: true,
            author_id: Uuid::nil(),
            at: t,
        };
        let mut ws = Workspace::new(Uuid::now_v7(), t);
        let mut drafts = Drafts::default();
        drafts.0.insert("rasa/appreciate".into(), "Thanked her for".into());
        ws.loaded(Some(local_case(&[receive])), drafts, t);
        assert_eq!(ws.step, RasaStep::Appreciate);
        assert_eq!(ws.step_text(RasaStep::Receive), "“It never came.”");
        assert_eq!(ws.step_text(RasaStep::Appreciate), "Thanked her for");
        assert!(ws.done(RasaStep::Receive) && !ws.done(RasaStep::Appreciate));

        // Summarize starts from Receive, and that counts as a draft to save.
        ws.select(RasaStep::Summarize, t + chrono::Duration::seconds(5));
        assert_eq!(ws.step_text(RasaStep::Summarize), "“It never came.”");
        assert_eq!(ws.step_since, t + chrono::Duration::seconds(5));
        let saved = ws.take_drafts();
        assert_eq!(saved.len(), 1);
        assert!(saved[0].0.ends_with("/rasa/summarize"));
        assert!(ws.take_drafts().is_empty());

        // A later reload leaves the typing alone.
        ws.steps[0] = text_area("typed since", "");
        ws.loaded(Some(local_case(&[])), Drafts::default(), t);
        assert_eq!(ws.step_text(RasaStep::Receive), "typed since");
    }
}
