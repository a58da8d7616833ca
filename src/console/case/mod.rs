//! The case workspace: the RASA checklist step by step with notes per step, the case's notes
//! (internal or for the customer), the resolution and follow-up forms, and the customer's
//! timeline beside it. Keys here are pure: an action in, the state changed and the writes to
//! record out ([`key`] while moving around, [`typing_key`] while typing a step's notes or a
//! note). Its state is [`workspace::Workspace`], its drawing [`draw`].

pub mod actions;
pub mod draw;
pub mod workspace;

#[cfg(test)]
mod flow_tests;

use ratatui::crossterm::event::KeyEvent;
use uuid::Uuid;

use self::workspace::{step_field, Typing, Workspace, NOTE_PLACEHOLDER};
use super::app::App;
use super::forms::{text_area, text_of, Drafts, Form};
use super::keymap::Action;
use super::msg::{Cmd, Write};
use super::timeline::TimelineState;
use crate::domain::case::NoteVisibility;
use crate::domain::customer::Customer;
use crate::domain::rasa::RasaStep;
use crate::local::drafts::case_scope;
use crate::local::view::LocalCase;

/// The local store's answer for the open case (`None`: not there yet), with its drafts; the
/// customer's timeline beside it is loaded when it is another customer's.
pub fn loaded(app: &mut App, id: Uuid, case: Option<Box<LocalCase>>, drafts: Drafts) -> Vec<Cmd> {
    let now = app.now;
    let Some(w) = app.work.as_mut().filter(|w| w.id == id) else { return vec![] };
    let customer = case.as_ref().map(|c| c.case.value.customer_id);
    w.loaded(case, drafts, now);
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

/// Who else has the case open.
pub fn presence(app: &mut App, case: Uuid, others: Vec<String>) -> Vec<Cmd> {
    if let Some(w) = app.work.as_mut().filter(|w| w.id == case) {
        w.others = others;
    }
    vec![]
}

/// A key of the case view (not typing).
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let now = app.now;
    if a == Action::ToggleCard {
        app.hide_card = !app.hide_card;
        return vec![];
    }
    if a == Action::Score {
        return match app.work.as_ref().map(|w| w.id) {
            Some(id) => crate::console::lead::scoring::open(app, id),
            None => vec![],
        };
    }
    let Some(w) = app.work.as_mut() else { return vec![] };
    let Some(data) = w.data.as_ref() else {
        return vec![];
    };
    let case = data.case.value.clone();
    let choosing = match a {
        Action::SetStatus => Some(actions::Choosing::Status),
        Action::Reprioritise => Some(actions::Choosing::Priority),
        Action::HandOver => Some(actions::Choosing::HandOver),
        Action::Snooze => Some(actions::Choosing::Snooze),
        Action::Macro => Some(actions::Choosing::Macro),
        _ => None,
    };
    if let Some(what) = choosing {
        return actions::open(app, what);
    }
    if a == Action::Tags {
        return crate::console::palette::open_tags(app);
    }
    match a {
        Action::EditStep => w.typing = Some(Typing::Step),
        Action::WriteNote => {
            if text_of(&w.note).is_empty() {
                if let Some((body, visibility)) = w.held_notes.pop() {
                    w.note = text_area(&body, NOTE_PLACEHOLDER);
                    w.note_visibility = visibility;
                    w.dirty.insert("note".into());
                }
            }
            w.typing = Some(Typing::Note)
        }
        Action::Coach => {
            if text_of(&w.note).trim().is_empty() {
                w.note = text_area("Coaching: ", "");
            }
            w.typing = Some(Typing::Note);
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

/// The write of the step in view with its notes as typed (the step's draft is dropped once
/// it is recorded).
fn record_step(w: &mut Workspace, done: bool) -> Cmd {
    let step = w.step;
    let notes = w.step_text(step);
    let clear = vec![format!("{}/{}", case_scope(w.id), step_field(step))];
    w.dirty.remove(&step_field(step));
    Cmd::Write { write: Write::Step { case: w.id, step, notes, done }, clear }
}

/// Records the step in view with its notes as typed; marking it done brings the next step not
/// done into view.
fn step_write(app: &mut App, done: bool) -> Vec<Cmd> {
    let now = app.now;
    let Some(w) = app.work.as_mut() else { return vec![] };
    let step = w.step;
    w.typing = None;
    let cmd = record_step(w, done);
    if done {
        let next = RasaStep::ALL.iter().copied().find(|s| s.index() > step.index() && !w.done(*s));
        if let Some(next) = next {
            w.select(next, now);
        }
    }
    vec![cmd]
}

/// A key while typing in the case view: the typing table's actions (save, stop, the note's
/// visibility), every other key into the text area.
pub fn typing_key(app: &mut App, a: Option<Action>, k: KeyEvent) -> Vec<Cmd> {
    if a == Some(Action::Macro) {
        return actions::open(app, actions::Choosing::Macro);
    }
    let Some(w) = app.work.as_mut() else { return vec![] };
    let Some(typing) = w.typing else { return vec![] };
    match (typing, a) {
        (Typing::Step, Some(Action::StopTyping)) => {
            w.typing = None;
            if w.step_text(w.step).trim() != w.recorded_notes(w.step).trim() {
                let done = w.done(w.step);
                return vec![record_step(w, done)];
            }
        }
        (Typing::Step, Some(Action::Save)) => return step_write(app, true),
        (Typing::Note, Some(Action::StopTyping)) => w.typing = None,
        (Typing::Note, Some(Action::ToggleVisibility)) => {
            w.note_visibility = match w.note_visibility {
                NoteVisibility::Internal => NoteVisibility::Customer,
                NoteVisibility::Customer => NoteVisibility::Internal,
            }
        }
        (Typing::Note, Some(Action::Save)) => return note_write(w),
        (_, Some(_)) => {}
        (_, None) => {
            if let Some((area, field)) = w.typing_area() {
                if area.input(k) {
                    w.dirty.insert(field);
                }
            }
        }
    }
    vec![]
}

/// Adds the note as typed: checked here by the rule the local store applies, so that a refusal
/// keeps the text where it was typed.
fn note_write(w: &mut Workspace) -> Vec<Cmd> {
    let body = text_of(&w.note);
    if body.trim().is_empty() {
        w.message = Some((true, "The note is empty: type it first.".into()));
        return vec![];
    }
    if let Err(e) = crate::domain::required_text("body", &body, crate::domain::case::MAX_NOTE_CHARS) {
        w.message = Some((true, format!("The note was not added: {e}")));
        return vec![];
    }
    // The write carries its own text and the editor is empty at once: a note typed next,
    // however soon, is a note of its own, and nothing that comes back later touches it.
    w.typing = None;
    w.note = text_area("", NOTE_PLACEHOLDER);
    let clear = vec![format!("{}/note", case_scope(w.id))];
    w.dirty.remove("note");
    vec![Cmd::Write { write: Write::Note { case: w.id, body, visibility: w.note_visibility }, clear }]
}

/// A paste into the text being typed: text, never keys.
pub fn paste(app: &mut App, text: &str) -> Vec<Cmd> {
    if let Some(w) = app.work.as_mut() {
        if let Some((area, field)) = w.typing_area() {
            if area.insert_str(super::paste::clean(text, false)) {
                w.dirty.insert(field);
            }
        }
    }
    vec![]
}

/// A refused note comes back into the editor if it is still empty; a note being typed
/// meanwhile is never touched: the refused one waits for the next `n`. Says where its text is.
pub fn note_refused(app: &mut App, case: Uuid, body: &str, visibility: NoteVisibility) -> &'static str {
    let Some(w) = app.work.as_mut().filter(|w| w.id == case) else {
        return "its text is lost from the editor: the case was left";
    };
    if text_of(&w.note).is_empty() && w.typing != Some(Typing::Note) {
        w.note = text_area(body, NOTE_PLACEHOLDER);
        w.note_visibility = visibility;
        w.dirty.insert("note".into());
        w.typing = Some(Typing::Note);
        "its text is back in the editor"
    } else {
        w.held_notes.push((body.to_string(), visibility));
        "its text comes back with the next n"
    }
}

/// Whether the agent is typing in the case (a proposed form waits rather than take the keys).
pub fn typing(app: &App) -> bool {
    app.work.as_ref().is_some_and(|w| w.typing.is_some())
}
