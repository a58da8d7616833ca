//! Whole cases from the keyboard: the keys an agent presses, the writes they turn into, and
//! what comes back when the local store refuses one.

use chrono::Utc;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;

use crate::console::app::{update, App, Tz};
use crate::console::case::workspace::Typing;
use crate::console::forms::{Drafts, FormWrite, Input};
use crate::console::mode::View;
use crate::console::msg::{Cmd, Msg, Settle, Write};
use crate::domain::case::NoteVisibility;
use crate::domain::case::Outcome;
use crate::domain::rasa::RasaStep;
use crate::domain::rasa::{fold, StepEntry};
use crate::domain::Invalid;
use crate::local::overlay::{LocalOp, OpState, Synced};
use crate::local::view::LocalCase;

fn press(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}
fn ctrl(app: &mut App, c: char) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
}
fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}
fn writes(cmds: &[Cmd]) -> Vec<Write> {
    cmds.iter()
        .filter_map(|c| match c {
            Cmd::Write { write, .. } => Some(write.clone()),
            _ => None,
        })
        .collect()
}

fn loaded(app: &mut App, entries: &[StepEntry]) -> Uuid {
    let me = crate::domain::agent::Agent::new("anna", crate::domain::agent::Role::Agent, &["support"], app.now);
    let case = crate::domain::case::new_case(
        &me,
        Uuid::now_v7(),
        &crate::wire::requests::NewCaseRequest::new(Uuid::now_v7(), "Parcel never arrived"),
        app.now,
    )
    .unwrap();
    let id = case.id;
    app.open_case(id);
    let local = LocalCase {
        case: Synced { value: case, waiting: true },
        notes: vec![],
        rasa: fold(entries),
        followups: vec![],
        unsettled: vec![],
    };
    update(app, Msg::Case { id, case: Some(Box::new(local)), drafts: Drafts::default() });
    id
}

#[test]
fn a_whole_case_from_the_keyboard_turns_into_writes() {
    let mut app = App::new("anna", "http://x", Utc::now(), Tz::default());
    let case = Uuid::now_v7();
    let cmds = app.open_case(case);
    assert!(cmds.contains(&Cmd::LoadCase(case)));
    assert_eq!(app.view(), View::Case);
    // Keys before the case is loaded do nothing.
    assert!(press(&mut app, KeyCode::Char('x')).is_empty());
    let id = loaded(&mut app, &[]);
    assert!(app.stack.iter().filter(|v| **v == View::Case).count() == 1, "one case view at a time");

    // Receive: type the customer's words, Ctrl-s marks it done and brings Appreciate.
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "It never came");
    assert!(app.work.as_ref().unwrap().dirty.contains("rasa/receive"), "typing makes a draft");
    let later = app.now + chrono::Duration::milliseconds(500);
    let tick = update(&mut app, Msg::Tick(later));
    assert!(tick
        .iter()
        .any(|c| matches!(c, Cmd::SaveDrafts(d) if d[0].0.ends_with("/rasa/receive") && d[0].1 == "It never came")));
    let cmds = ctrl(&mut app, 's');
    assert_eq!(
        writes(&cmds),
        vec![Write::Step { case: id, step: RasaStep::Receive, notes: "It never came".into(), done: true }]
    );
    assert!(matches!(&cmds[0], Cmd::Write { clear, .. } if clear[0].ends_with("/rasa/receive")));
    assert_eq!(app.work.as_ref().unwrap().step, RasaStep::Appreciate);
    assert_eq!(app.work.as_ref().unwrap().typing, None);

    // Appreciate done with one key; Summarize starts from Receive's words.
    let cmds = press(&mut app, KeyCode::Char('x'));
    assert!(matches!(&writes(&cmds)[0], Write::Step { step: RasaStep::Appreciate, done: true, .. }));
    let w = app.work.as_ref().unwrap();
    assert_eq!(w.step, RasaStep::Summarize);
    assert_eq!(w.step_text(RasaStep::Summarize), "It never came");

    // Revisit a step: ← goes back, Esc after editing records the notes, done state kept.
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "Thanked her");
    let cmds = press(&mut app, KeyCode::Esc);
    assert!(
        matches!(&writes(&cmds)[0], Write::Step { step: RasaStep::Appreciate, done: false, notes, .. } if notes == "Thanked her")
    );

    // A note: Ctrl-t makes it visible to the customer, Ctrl-s adds it; a refusal keeps it.
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "We will reship today");
    ctrl(&mut app, 't');
    let cmds = ctrl(&mut app, 's');
    let write = writes(&cmds).remove(0);
    assert!(
        matches!(&write, Write::Note { visibility: NoteVisibility::Customer, body, .. } if body == "We will reship today")
    );
    update(
        &mut app,
        Msg::Written { write, result: Err(Invalid::field("body", "has 20001 characters; the limit is 20000")) },
    );
    let w = app.work.as_ref().unwrap();
    assert_eq!(w.typing, Some(Typing::Note), "back to typing the note");
    assert_eq!(crate::console::forms::text_of(&w.note), "We will reship today", "nothing typed is lost");
    assert!(w.message.as_ref().unwrap().1.contains("20000"));
    press(&mut app, KeyCode::Esc);

    // Resolve: an empty summary and no outcome are refused in place.
    press(&mut app, KeyCode::Char('R'));
    assert!(app.form.as_ref().unwrap().banner.as_ref().unwrap().contains("RASA is incomplete"));
    assert!(ctrl(&mut app, 's').is_empty());
    assert_eq!(app.form.as_ref().unwrap().error.as_ref().unwrap().0, "summary");
    type_text(&mut app, "Reshipped with express delivery");
    assert!(ctrl(&mut app, 's').is_empty());
    assert_eq!(app.form.as_ref().unwrap().error.as_ref().unwrap().0, "outcome");
    assert_eq!(app.form.as_ref().unwrap().fields[app.form.as_ref().unwrap().focus].name, "outcome");
    for _ in 0..3 {
        press(&mut app, KeyCode::Right); // memorable, positive, negative
    }
    assert!(ctrl(&mut app, 's').is_empty(), "RASA incomplete needs a reason");
    assert_eq!(app.form.as_ref().unwrap().error.as_ref().unwrap().0, "rasa_incomplete_reason");
    type_text(&mut app, "customer had to go");
    let cmds = ctrl(&mut app, 's');
    let write = writes(&cmds).remove(0);
    let Write::Form(FormWrite::Resolve { input, .. }) = &write else { panic!("{write:?}") };
    assert_eq!(input.outcome, Outcome::Negative);
    assert_eq!(input.summary, "Reshipped with express delivery");
    assert!(app.form.is_none(), "the form closes as it is saved");

    // Recorded: a negative outcome proposes a follow-up due within minutes.
    update(&mut app, Msg::Written { write, result: Ok(Some(id)) });
    let f = app.form.as_ref().expect("a follow-up is proposed");
    assert!(f.banner.as_ref().unwrap().contains("negative"));
    let Input::Choice { options, index } = &f.fields[0].input else { panic!() };
    assert_eq!(options[*index], "in 10 minutes");
    let now = app.now;
    let cmds = ctrl(&mut app, 's');
    let Write::Form(FormWrite::CreateFollowUp(req)) = writes(&cmds).remove(0) else { panic!() };
    assert_eq!(req.case_id, Some(id));
    assert_eq!(req.due_at, now + chrono::Duration::minutes(10));
    assert!(req.note.contains("Reshipped with express delivery"));
}

/// Notes saved one after another faster than the local store answers: each write carries
/// exactly what was typed for it, and an answer arriving mid-typing changes nothing typed.
#[test]
fn quick_notes_are_each_recorded_as_typed_whenever_the_answers_come() {
    let mut app = App::new("anna", "http://x", Utc::now(), Tz::default());
    loaded(&mut app, &[]);
    let mut sent = Vec::new();
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "P1a");
    sent.extend(writes(&ctrl(&mut app, 's')));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(crate::console::forms::text_of(&app.work.as_ref().unwrap().note), "", "a new note starts empty");
    type_text(&mut app, "Q1");
    // The first note's answer arrives while the second is being typed.
    update(&mut app, Msg::Written { write: sent[0].clone(), result: Ok(Some(Uuid::now_v7())) });
    type_text(&mut app, "b");
    sent.extend(writes(&ctrl(&mut app, 's')));
    let bodies: Vec<&str> = sent
        .iter()
        .map(|w| match w {
            Write::Note { body, .. } => body.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(bodies, ["P1a", "Q1b"]);
    update(&mut app, Msg::Written { write: sent[1].clone(), result: Ok(Some(Uuid::now_v7())) });
    assert_eq!(crate::console::forms::text_of(&app.work.as_ref().unwrap().note), "");

    // A late refusal while a third note is being typed leaves that one alone; the refused
    // text comes back with the next `n` once the editor is empty.
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "R3");
    update(&mut app, Msg::Written { write: sent[1].clone(), result: Err(Invalid::general("disk full")) });
    let w = app.work.as_ref().unwrap();
    assert_eq!(crate::console::forms::text_of(&w.note), "R3");
    assert!(w.message.as_ref().unwrap().1.contains("next n"), "{:?}", w.message);
    let third = writes(&ctrl(&mut app, 's'));
    assert!(matches!(&third[0], Write::Note { body, .. } if body == "R3"));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(crate::console::forms::text_of(&app.work.as_ref().unwrap().note), "Q1b");

    // Too long for the rule is said at once, with the text kept where it was typed.
    press(&mut app, KeyCode::Esc);
    let w = app.work.as_mut().unwrap();
    w.note = crate::console::forms::text_area(&"x".repeat(20_001), "");
    w.typing = Some(Typing::Note);
    assert!(ctrl(&mut app, 's').is_empty());
    let w = app.work.as_ref().unwrap();
    assert_eq!(w.typing, Some(Typing::Note));
    assert!(w.message.as_ref().unwrap().1.contains("20000"));
}

#[test]
fn a_follow_up_due_in_the_past_is_refused_in_the_form() {
    let mut app = App::new("anna", "http://x", Utc::now(), Tz::default());
    loaded(&mut app, &[]);
    press(&mut app, KeyCode::Char('f'));
    // "on a date…" shows the date field.
    for _ in 0..3 {
        press(&mut app, KeyCode::Right);
    }
    let f = app.form.as_ref().unwrap();
    assert!(!f.fields.iter().find(|x| x.name == "due_at").unwrap().hidden);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "2020-01-01 10:00");
    assert!(ctrl(&mut app, 's').is_empty());
    let f = app.form.as_ref().unwrap();
    let (field, message) = f.error.as_ref().unwrap();
    assert_eq!(*field, "due_at");
    assert!(message.contains("in the past"), "{message}");
    assert_eq!(f.fields.iter().find(|x| x.name == "due_at").unwrap().text_value(), "2020-01-01 10:00");
    // Esc closes the form and keeps what was typed as a draft.
    let cmds = press(&mut app, KeyCode::Esc);
    assert!(app.form.is_none());
    assert!(cmds.iter().any(|c| matches!(c, Cmd::SaveDrafts(d) if d.iter().any(|(k, v)| k.ends_with("followup/due_at") && v == "2020-01-01 10:00"))));
}

#[test]
fn conflicts_and_refusals_are_settled_with_the_keys_that_fit_them() {
    let mut app = App::new("anna", "http://x", Utc::now(), Tz::default());
    let case = Uuid::now_v7();
    let op = |state: OpState| LocalOp {
        seq: 1,
        id: Uuid::now_v7(),
        body: crate::wire::sync::OpBody::parse(
            "note.add",
            &serde_json::json!({"case_id": case, "note_id": Uuid::now_v7(), "fields": {"body": "hi"}}).to_string(),
        )
        .unwrap(),
        state,
        created_at: app.now,
        answer: None,
    };
    let (conflict, refused) = (op(OpState::Conflict), op(OpState::Rejected));
    assert_eq!(press(&mut app, KeyCode::Char('C')), vec![Cmd::LoadUnsettled]);
    assert_eq!(app.view(), View::Conflicts);
    update(&mut app, Msg::Unsettled(vec![conflict.clone(), refused.clone()]));
    assert!(press(&mut app, KeyCode::Char('x')).is_empty(), "a conflict is not dismissed");
    let w = writes(&press(&mut app, KeyCode::Char('m')));
    assert_eq!(w, vec![Write::Settle { op: conflict.id, how: Settle::KeepMine }]);
    press(&mut app, KeyCode::Char('j'));
    assert!(press(&mut app, KeyCode::Char('t')).is_empty(), "a refusal has no theirs to take");
    let w = writes(&press(&mut app, KeyCode::Char('x')));
    assert_eq!(w, vec![Write::Settle { op: refused.id, how: Settle::Dismiss }]);
    let cmds = update(&mut app, Msg::Written { write: w[0].clone(), result: Ok(None) });
    assert!(cmds.contains(&Cmd::LoadUnsettled), "the list is read again");
    assert!(press(&mut app, KeyCode::Enter).contains(&Cmd::LoadCase(case)), "Enter opens the case");
}

#[test]
fn case_actions_from_the_case_view_hand_over_with_a_note_and_snooze() {
    let mut app = App::new("anna", "http://127.0.0.1:7878", Utc::now(), Tz::default());
    let id = loaded(&mut app, &[]);
    let bruno = crate::domain::agent::Agent::new("bruno", crate::domain::agent::Role::Agent, &["support"], app.now);
    let dmitri = crate::domain::agent::Agent::new("dmitri", crate::domain::agent::Role::Agent, &["billing"], app.now);
    update(&mut app, Msg::Agents(vec![bruno.clone(), dmitri]));

    // Status: the moves the case allows; a new case goes open or pending.
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.mode(), crate::console::mode::Mode::Picker);
    press(&mut app, KeyCode::Down);
    let w = writes(&press(&mut app, KeyCode::Enter));
    assert!(
        matches!(&w[..], [Write::Case { case, change, .. }] if *case == id && change.status == Some(crate::domain::case::CaseStatus::Pending)),
        "{w:?}"
    );

    // Priority: an agent is told it is a lead's to change, nothing written.
    assert!(writes(&press(&mut app, KeyCode::Char('p'))).is_empty());
    assert!(app.work.as_ref().unwrap().message.as_ref().unwrap().1.contains("lead"));

    // Hand over: bruno (dmitri is in another team), then the note editor says so.
    press(&mut app, KeyCode::Char('o'));
    let choice = app.work.as_ref().unwrap().choice.clone().unwrap();
    assert_eq!(choice.options[0].label, "bruno (agent)");
    assert_eq!(choice.options.len(), 3, "bruno, back to the queue, dmitri's team: {choice:?}");
    let w = writes(&press(&mut app, KeyCode::Enter));
    assert!(matches!(&w[..], [Write::Case { change, .. }] if change.assignee_id == Some(Some(bruno.id))), "{w:?}");
    assert_eq!(app.work.as_ref().unwrap().typing, Some(Typing::Note));
    type_text(&mut app, "he knows the carrier");
    let w = writes(&ctrl(&mut app, 's'));
    assert!(
        matches!(&w[..], [Write::Note { body, .. }] if body == "Handed over to bruno: he knows the carrier"),
        "{w:?}"
    );
    // Or to another team: the case goes to its queue, with a note.
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    let w = writes(&press(&mut app, KeyCode::Enter));
    assert!(
        matches!(&w[..], [Write::Case { change, .. }] if change.queue.as_deref() == Some("billing") && change.assignee_id.is_none()),
        "{w:?}"
    );
    type_text(&mut app, "a billing question");
    let w = writes(&ctrl(&mut app, 's'));
    assert!(
        matches!(&w[..], [Write::Note { body, .. }] if body == "Handed over to team billing: a billing question"),
        "{w:?}"
    );

    // Snooze: pending and a follow-up for when it comes back; Esc closes a choice unwritten.
    press(&mut app, KeyCode::Char('z'));
    assert!(writes(&press(&mut app, KeyCode::Esc)).is_empty());
    assert!(app.work.as_ref().unwrap().choice.is_none());
    press(&mut app, KeyCode::Char('z'));
    let w = writes(&press(&mut app, KeyCode::Enter));
    match &w[..] {
        [Write::CaseAndFollowUp { case, change, followup, .. }] => {
            assert_eq!(*case, id);
            assert_eq!(change.as_ref().and_then(|p| p.status), Some(crate::domain::case::CaseStatus::Pending));
            assert_eq!(followup.case_id, Some(id));
            assert_eq!(followup.due_at, app.now + chrono::Duration::hours(1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_macro_goes_in_where_the_agent_types_and_does_what_else_it_says() {
    use crate::domain::macros::Macro;
    let mut app = App::new("anna", "http://127.0.0.1:7878", Utc::now(), Tz::default());
    let id = loaded(&mut app, &[]);
    let sorry = Macro {
        name: "delay-sorry".into(),
        title: "Sorry for the delay".into(),
        text: "Sorry about “{case.subject}”, I'll call you tomorrow. — {agent.name}".into(),
        language: Some("en".into()),
        step: None,
        set_status: Some(crate::domain::case::CaseStatus::Pending),
        follow_up: Some("1d".into()),
    };
    let italian = Macro { name: "scusa".into(), title: "Scusa".into(), language: Some("it".into()), ..sorry.clone() };
    update(&mut app, Msg::Macros(vec![sorry, italian]));

    // While typing the step in view, Ctrl-g offers that step's phrases first.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.work.as_ref().unwrap().typing, Some(Typing::Step));
    ctrl(&mut app, 'g');
    let choice = app.work.as_ref().unwrap().choice.clone().unwrap();
    assert!(choice.options[0].label.starts_with("RASA  Please go on"), "{:?}", choice.options[0]);
    assert!(choice.options.iter().all(|o| !o.label.contains("Scusa")), "only the agent's language");
    press(&mut app, KeyCode::Enter);
    let w = app.work.as_ref().unwrap();
    assert_eq!(w.steps[0].lines().join("\n"), "Please go on, I'm listening.");
    assert_eq!(w.typing, Some(Typing::Step), "still typing the step");
    press(&mut app, KeyCode::Esc);

    // `m` in the case: the team macro, filled, into the note; pending and a follow-up written.
    press(&mut app, KeyCode::Char('m'));
    let choice = app.work.as_ref().unwrap().choice.clone().unwrap();
    let at = choice.options.iter().position(|o| o.label.contains("Sorry for the delay")).unwrap();
    assert!(choice.options[at].label.starts_with("team  Sorry for the delay — Sorry about “Parcel never arrived”"));
    for _ in 0..at {
        press(&mut app, KeyCode::Down);
    }
    let w = writes(&press(&mut app, KeyCode::Enter));
    let work = app.work.as_ref().unwrap();
    assert_eq!(work.typing, Some(Typing::Note));
    assert_eq!(work.note.lines().join("\n"), "Sorry about “Parcel never arrived”, I'll call you tomorrow. — anna");
    match &w[..] {
        [Write::CaseAndFollowUp { case, change, followup, .. }] => {
            assert_eq!(*case, id);
            assert_eq!(change.as_ref().and_then(|p| p.status), Some(crate::domain::case::CaseStatus::Pending));
            assert_eq!(followup.due_at, app.now + chrono::Duration::days(1));
        }
        other => panic!("{other:?}"),
    }

    // In a form's text field too: Ctrl-g, a few letters, Enter — the text only, no status.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('R'));
    assert!(app.form.is_some());
    type_text(&mut app, "Reshipped. ");
    ctrl(&mut app, 'g');
    assert_eq!(app.mode(), crate::console::mode::Mode::Palette);
    type_text(&mut app, "sorry delay");
    let w = writes(&press(&mut app, KeyCode::Enter));
    assert!(w.is_empty(), "{w:?}");
    assert!(app.palette.is_none());
    assert_eq!(
        app.form.as_ref().unwrap().field("summary").text_value(),
        "Reshipped. Sorry about “Parcel never arrived”, I'll call you tomorrow. — anna"
    );
}

#[test]
fn tags_are_added_with_completion_typed_new_and_removed() {
    let mut app = App::new("anna", "http://127.0.0.1:7878", Utc::now(), Tz::default());
    let id = loaded(&mut app, &[]);
    // `t`: the common tags offered; typing narrows them, Enter adds.
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.mode(), crate::console::mode::Mode::Palette);
    type_text(&mut app, "refund");
    let w = writes(&press(&mut app, KeyCode::Enter));
    assert!(
        matches!(&w[..], [Write::Case { case, change, .. }] if *case == id && change.tags.as_deref() == Some(&["refund-promised".to_string()][..])),
        "{w:?}"
    );
    // A tag nobody used yet: typed, Enter adds it as it is (lower-cased, checked).
    press(&mut app, KeyCode::Char('t'));
    type_text(&mut app, "Carrier-DHL");
    let w = writes(&press(&mut app, KeyCode::Enter));
    assert!(
        matches!(&w[..], [Write::Case { change, .. }] if change.tags.as_deref() == Some(&["carrier-dhl".to_string()][..])),
        "{w:?}"
    );
    // A bad one is refused in place, nothing written.
    press(&mut app, KeyCode::Char('t'));
    type_text(&mut app, "two words");
    assert!(writes(&press(&mut app, KeyCode::Enter)).is_empty());
    assert!(app.work.as_ref().unwrap().message.as_ref().unwrap().1.contains("is not a tag"));
    // Removing: the case's own tags come first.
    if let Some(d) = app.work.as_mut().and_then(|w| w.data.as_mut()) {
        d.case.value.tags = vec!["vip".into(), "zz".into()];
    }
    press(&mut app, KeyCode::Char('t'));
    let first = app.palette.as_ref().unwrap().entries[0].label.clone();
    assert_eq!(first, "remove #vip");
    let w = writes(&press(&mut app, KeyCode::Enter));
    assert!(
        matches!(&w[..], [Write::Case { change, .. }] if change.tags.as_deref() == Some(&["zz".to_string()][..])),
        "{w:?}"
    );
}
