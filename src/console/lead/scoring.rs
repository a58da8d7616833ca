//! A lead scores a resolved case on the scorecard (`S` in the case, or on the closed-cases
//! list): each criterion with what the case holds for it beside it — the RASA step's notes,
//! the resolution and its root cause, the outcome, the follow-ups — and a coaching note for
//! the agent. The review is recorded in the local store and synced like all case work
//! (`review.add`); the agent sees it in their reviews (`V`).

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::TextArea;
use uuid::Uuid;

use crate::console::app::App;
use crate::console::forms::{text_area, text_of};
use crate::console::keymap::Action;
use crate::console::msg::{Cmd, Write};
use crate::console::theme::{Slot, Theme};
use crate::console::widgets::{block, draw_text_area, fit, relative};
use crate::domain::agent::Agent;
use crate::domain::case::Outcome;
use crate::domain::followup::FollowUpStatus;
use crate::domain::rasa::RasaStep;
use crate::domain::scorecard::{Criterion, Evidence, Score, Scorecard};
use crate::local::view::LocalCase;

/// What the empty coaching field says.
const COACHING_PLACEHOLDER: &str = "what the agent could do better (Tab to write; optional)";

/// A review being scored.
#[derive(Debug, Clone)]
pub struct Scoring {
    pub case_id: Uuid,
    pub card: Scorecard,
    /// Each criterion's points, in the scorecard's order; `None` until scored.
    pub values: Vec<Option<u32>>,
    /// The criterion in view.
    pub selected: usize,
    pub coaching: TextArea<'static>,
    /// Keys go to the coaching note.
    pub typing: bool,
    /// What is wrong (`true`), or what was done.
    pub message: Option<(bool, String)>,
}

impl Scoring {
    pub fn new(case_id: Uuid, card: Scorecard) -> Scoring {
        Scoring {
            case_id,
            values: vec![None; card.criteria.len()],
            card,
            selected: 0,
            coaching: text_area("", COACHING_PLACEHOLDER),
            typing: false,
            message: None,
        }
    }

    /// The scores given so far.
    pub fn scores(&self) -> Vec<Score> {
        self.card
            .criteria
            .iter()
            .zip(&self.values)
            .filter_map(|(c, v)| v.map(|value| Score { criterion: c.id.clone(), value, comment: None }))
            .collect()
    }

    /// "86 % of what is scored · 2 to score", or what the review comes to.
    pub fn so_far(&self) -> (bool, String) {
        let pairs = || self.card.criteria.iter().zip(&self.values);
        if let Some((c, _)) = pairs().find(|(c, v)| c.auto_fail && **v == Some(0)) {
            return (true, format!("Fails: {} is missed (auto-fail)", c.id));
        }
        let left = self.values.iter().filter(|v| v.is_none()).count();
        if left == 0 {
            return (false, format!("Comes to {:.0} %", self.card.outcome(&self.scores()).percent));
        }
        // The weighted share of the points among the criteria scored so far.
        let (got, of) = pairs().filter_map(|(c, v)| v.map(|x| (c, x))).fold((0.0, 0.0), |(got, of), (c, x)| {
            (got + f64::from(c.weight) * f64::from(x) / f64::from(c.scale), of + f64::from(c.weight))
        });
        if of == 0.0 {
            return (false, format!("{left} criteria to score"));
        }
        (false, format!("{:.0} % of what is scored · {left} to score", 100.0 * got / of))
    }
}

/// `S`: scores the case in view (leads), or the one selected on the closed-cases list.
pub fn open(app: &mut App, case_id: Uuid) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    if app.work.as_ref().is_none_or(|w| w.id != case_id) {
        cmds = app.open_case(case_id);
    }
    if let Some(c) = app.work.as_ref().and_then(|w| w.data.as_ref()) {
        if c.case.value.resolution.is_none() {
            app.say(true, "Not resolved yet: a review scores a case once it is resolved.".into());
            return cmds;
        }
    }
    // A review begun on this case and closed comes back as it was left.
    let kept = app.scoring_drafts.remove(&case_id);
    app.scoring = Some(kept.unwrap_or_else(|| Scoring::new(case_id, app.scorecard.clone())));
    cmds
}

fn close(app: &mut App) {
    if let Some(s) = app.scoring.take() {
        if s.values.iter().any(Option::is_some) || !text_of(&s.coaching).trim().is_empty() {
            app.scoring_drafts.insert(s.case_id, s);
        }
    }
}

/// A key on the criteria.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let Some(s) = app.scoring.as_mut() else { return vec![] };
    let n = s.card.criteria.len();
    match a {
        Action::Down => s.selected = (s.selected + 1).min(n - 1),
        Action::Up => s.selected = s.selected.saturating_sub(1),
        Action::NextChoice | Action::PrevChoice | Action::FullMarks | Action::Missed => {
            let scale = s.card.criteria[s.selected].scale;
            let v = &mut s.values[s.selected];
            *v = Some(match (a, *v) {
                (Action::FullMarks, _) => scale,
                (Action::Missed, _) => 0,
                (Action::NextChoice, None) => scale,
                (Action::NextChoice, Some(x)) => (x + 1).min(scale),
                (_, None) => scale.saturating_sub(1),
                (_, Some(x)) => x.saturating_sub(1),
            });
            s.message = None;
            // Scored by a jump: on to the next criterion, as a lead scores down the card.
            if matches!(a, Action::FullMarks | Action::Missed) && s.selected + 1 < n {
                s.selected += 1;
            }
        }
        Action::NextField => s.typing = true,
        Action::Save => return send(app),
        Action::Close | Action::Back => close(app),
        Action::Quit => app.quit = true,
        _ => {}
    }
    vec![]
}

/// A key while the coaching note is typed.
pub fn coaching_key(app: &mut App, a: Option<Action>, k: KeyEvent) -> Vec<Cmd> {
    let Some(s) = app.scoring.as_mut() else { return vec![] };
    match a {
        Some(Action::StopTyping | Action::NextField) => s.typing = false,
        Some(Action::Save) => return send(app),
        Some(_) => {}
        None => {
            s.coaching.input(k);
        }
    }
    vec![]
}

/// Text pasted into the coaching note.
pub fn paste(app: &mut App, text: &str) -> Vec<Cmd> {
    if let Some(s) = app.scoring.as_mut().filter(|s| s.typing) {
        s.coaching.insert_str(crate::console::paste::clean(text, false));
    }
    vec![]
}

/// Ctrl-s: every criterion scored, the review is recorded (and synced).
fn send(app: &mut App) -> Vec<Cmd> {
    let Some(s) = app.scoring.as_mut() else { return vec![] };
    let scores = s.scores();
    if let Err(e) = s.card.check_scores(&scores) {
        s.message = Some((true, e.message));
        if let Some(i) = s.values.iter().position(Option::is_none) {
            s.selected = i;
        }
        return vec![];
    }
    let coaching = text_of(&s.coaching);
    let coaching = (!coaching.trim().is_empty()).then_some(coaching);
    s.message = Some((false, "Recording…".into()));
    vec![Cmd::Write { write: Write::Review { case: s.case_id, scores, coaching }, clear: vec![] }]
}

/// The local store's answer: recorded (the view closes) or refused (it stays, with why).
pub fn written(app: &mut App, case: Uuid, percent: String, result: Result<(), String>) {
    match result {
        Ok(()) => {
            if app.scoring.as_ref().is_some_and(|s| s.case_id == case) {
                app.scoring = None;
            }
            app.scoring_drafts.remove(&case);
            app.say(false, format!("Scored {percent}: the agent sees it in their reviews once synced."));
        }
        Err(e) => match app.scoring.as_mut().filter(|s| s.case_id == case) {
            Some(s) => s.message = Some((true, e)),
            None => app.say(true, format!("The review was not recorded: {e}")),
        },
    }
}

/// What the case holds for a criterion, as lines: the step's notes, the resolution, the
/// outcome, the follow-ups, the notes.
pub fn evidence(c: &Criterion, data: &LocalCase, now: DateTime<Utc>, agents: &[Agent]) -> Vec<String> {
    let case = &data.case.value;
    let name = |id: Uuid| {
        agents.iter().find(|a| a.id == id).map(|a| a.name.clone()).unwrap_or_else(|| id.to_string()[..8].to_string())
    };
    let step = |s: RasaStep| {
        let st = &data.rasa.steps[s.index()];
        let mut out = vec![match st.done_at {
            Some(at) => format!("✓ done {}", relative(now, at)),
            None => "○ not marked done".to_string(),
        }];
        if st.notes.trim().is_empty() {
            out.push("(no notes)".into());
        } else {
            out.extend(st.notes.lines().map(str::to_string));
        }
        out
    };
    match c.evidence {
        Evidence::Receive => step(RasaStep::Receive),
        Evidence::Appreciate => step(RasaStep::Appreciate),
        Evidence::Summarize => step(RasaStep::Summarize),
        Evidence::Ask => step(RasaStep::Ask),
        Evidence::Resolution => match &case.resolution {
            None => vec!["Not resolved yet.".into()],
            Some(r) => {
                let mut out = vec![format!("Summary: {}", r.summary)];
                let whys: Vec<&str> = r.root_cause.iter().map(|w| w.trim()).filter(|w| !w.is_empty()).collect();
                out.push(if whys.is_empty() {
                    "Root cause: none recorded".into()
                } else {
                    format!("Root cause: {}", whys.join(" → "))
                });
                if let Some(why) = &r.rasa_incomplete_reason {
                    out.push(format!("Resolved with RASA incomplete: {why}"));
                }
                out
            }
        },
        Evidence::Outcome => match &case.resolution {
            None => vec!["No outcome yet.".into()],
            Some(r) => vec![
                format!("Recorded: {}", r.outcome),
                format!("Resolved {} by {}", relative(now, r.resolved_at), name(r.resolved_by)),
            ],
        },
        Evidence::FollowUp => {
            let negative = case.resolution.as_ref().is_some_and(|r| r.outcome == Outcome::Negative);
            if data.followups.is_empty() {
                let after = if negative { " after a negative experience" } else { "" };
                return vec![format!("No follow-up set{after}")];
            }
            data.followups
                .iter()
                .map(|f| {
                    let f = &f.value;
                    let state = match (f.status, f.done_at) {
                        (FollowUpStatus::Done, Some(done)) if done <= f.due_at => {
                            format!("done {} (in time)", relative(now, done))
                        }
                        (FollowUpStatus::Done, Some(done)) => format!("done {} (late)", relative(now, done)),
                        (FollowUpStatus::Done, None) => "done".into(),
                        (FollowUpStatus::Open, _) if f.due_at < now => "open, overdue".into(),
                        (status, _) => status.to_string(),
                    };
                    format!("Due {}: {state} — {}", relative(now, f.due_at), f.note.lines().next().unwrap_or(""))
                })
                .collect()
        }
        Evidence::Notes => {
            let mut out = vec![format!("{} notes", data.notes.len())];
            out.extend(data.notes.iter().rev().take(3).map(|n| n.value.body.lines().next().unwrap_or("").to_string()));
            out
        }
    }
}

/// A criterion's points as marks: `●●●○ 3/4`, `✓ met`, `✗ missed`, `· to score`.
fn marks(c: &Criterion, v: Option<u32>) -> String {
    match (c.scale, v) {
        (_, None) => "· to score".into(),
        (1, Some(1)) => "✓ met".into(),
        (1, Some(_)) => "✗ missed".into(),
        (scale, Some(x)) => {
            let full: String = "●".repeat(x as usize);
            let empty: String = "○".repeat((scale - x) as usize);
            format!("{full}{empty} {x}/{scale}")
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(s) = &app.scoring else { return };
    // Narrow, the whole width; wide, a window over the case.
    let w = if area.width < 100 { area.width } else { (area.width - 4).min(150) };
    let rect = Rect { x: area.x + (area.width - w) / 2, y: area.y, width: w, height: area.height };
    let data = app.work.as_ref().filter(|w| w.id == s.case_id).and_then(|w| w.data.as_deref());
    let subject = data.map(|d| d.case.value.subject.clone()).unwrap_or_else(|| "reading the case…".into());
    let agent = data
        .and_then(|d| d.case.value.assignee_id)
        .and_then(|a| app.agents.iter().find(|x| x.id == a).map(|x| x.name.clone()))
        .unwrap_or_else(|| "the agent".into());
    let hint = if s.typing {
        " Esc/Tab back to the criteria · Ctrl-s records "
    } else {
        " j/k · l/h ±1 point · f full · 0 missed · Tab coaching · Ctrl-s records · Esc "
    };
    let b = block(&format!("Score: {subject} · {agent}"), theme, true)
        .title_bottom(Line::styled(hint, theme.fg(Slot::HelpKey)));
    let inner = b.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(b, rect);
    let n = s.card.criteria.len() as u16;
    let [head, crit, detail, coach] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(n + 1),
        Constraint::Min(2),
        Constraint::Length(5.min(inner.height.saturating_sub(n + 4)).max(2)),
    ])
    .areas(inner);
    let iw = inner.width as usize;
    // The head: what it comes to so far, or what went wrong.
    let (bad, text) = s.message.clone().unwrap_or_else(|| s.so_far());
    frame.render_widget(
        Paragraph::new(Line::styled(fit(&text, iw), theme.fg(if bad { Slot::Error } else { Slot::Info }))),
        head,
    );
    // The criteria, each with its points and (wide enough) what the case holds beside it.
    let title_w = 44.min(iw.saturating_sub(16));
    let beside = iw >= 110;
    let mut lines = Vec::new();
    for (i, (c, v)) in s.card.criteria.iter().zip(&s.values).enumerate() {
        let sel = i == s.selected && !s.typing;
        let style = if sel { theme.selection() } else { theme.fg(Slot::Text) };
        let mark_slot = match v {
            None => Slot::TextMuted,
            Some(0) => Slot::Error,
            Some(x) if *x == c.scale => Slot::Success,
            Some(_) => Slot::Warn,
        };
        let title = if c.auto_fail { format!("{} (auto-fail)", c.title) } else { c.title.clone() };
        let mut spans = vec![
            Span::styled(if sel { "▶ " } else { "  " }, theme.fg(Slot::Info)),
            Span::styled(fit(&title, title_w), style),
            Span::raw(" "),
            Span::styled(fit(&marks(c, *v), 12), theme.fg(mark_slot)),
        ];
        if beside {
            let said = data.map(|d| evidence(c, d, app.now, &app.agents).join(" · ")).unwrap_or_default();
            spans.push(Span::styled(
                fit(&format!(" │ {said}"), iw.saturating_sub(title_w + 15)),
                theme.fg(Slot::TextMuted),
            ));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), crit);
    // Earlier reviews of the case, with the agent's answers (a dispute's reason to read before
    // scoring again), then the criterion in view: all the case holds for it.
    let mut lines = Vec::new();
    for r in app.lead.closed_reviews.get(&s.case_id).into_iter().flatten() {
        let by = app.agents.iter().find(|a| a.id == r.reviewer_id).map_or("someone", |a| a.name.as_str());
        let score = if r.failed { "failed".to_string() } else { format!("{:.0} %", r.percent) };
        let answer = match &r.answer {
            crate::domain::scorecard::Answer::Open => "not answered yet".to_string(),
            crate::domain::scorecard::Answer::Acknowledged => "acknowledged".to_string(),
            crate::domain::scorecard::Answer::Disputed { criterion, reason } => {
                format!("disputed {criterion}: “{reason}”")
            }
        };
        let slot = if matches!(r.answer, crate::domain::scorecard::Answer::Disputed { .. }) {
            Slot::Warn
        } else {
            Slot::TextMuted
        };
        // Whole (wrapped): the agent's reason is what the lead must read.
        lines.push(Line::styled(
            format!("Reviewed before: {score} by {by}, {} — {answer}", relative(app.now, r.created_at)),
            theme.fg(slot),
        ));
    }
    let c = &s.card.criteria[s.selected.min(s.card.criteria.len() - 1)];
    lines.push(Line::styled(fit(&format!("── {} ", c.title), iw), theme.fg(Slot::Title)));
    match data {
        Some(d) => lines
            .extend(evidence(c, d, app.now, &app.agents).into_iter().map(|l| Line::styled(l, theme.fg(Slot::Text)))),
        None => lines.push(Line::styled("Reading the case…", theme.fg(Slot::TextMuted))),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), detail);
    let cb = block("Coaching for the agent", theme, s.typing);
    let ci = cb.inner(coach);
    frame.render_widget(cb, coach);
    draw_text_area(frame, ci, &s.coaching, s.typing, theme);
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    use super::*;
    use crate::console::app::{update, Msg};
    use crate::console::mode::{Mode, Text, View};
    use crate::console::testing::{id, lead_scene, screen};
    use crate::domain::case::{CaseStatus, Resolution};
    use crate::domain::rasa::{fold, StepEntry};
    use crate::domain::scorecard::default_scorecard;
    use crate::local::overlay::Synced;

    fn press(app: &mut App, code: KeyCode) -> Vec<Cmd> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    /// The lead's scene with a resolved case of anna's on the closed list, and what the local
    /// store holds of it: the four steps' notes, the resolution, a follow-up done in time.
    fn scene() -> (App, LocalCase) {
        let mut app = lead_scene();
        let now = app.now;
        let mut closed = app.lead.cases[0].case.clone();
        closed.status = CaseStatus::Resolved;
        closed.resolution = Some(Resolution {
            summary: "Refunded the second charge; the bank shows it in 3 days".into(),
            root_cause: vec!["Checkout retried the payment after a timeout".into(), "No idempotency key".into()],
            outcome: Outcome::Negative,
            rasa_incomplete_reason: None,
            resolved_by: id(1),
            resolved_at: now - Duration::hours(3),
        });
        let agent = |n: u128, name: &str, role| crate::domain::agent::Agent {
            id: id(n),
            name: name.into(),
            role,
            teams: vec!["billing".into()],
            created_at: now,
        };
        app.agents = vec![
            agent(1, "anna", crate::domain::agent::Role::Agent),
            agent(2, "mia", crate::domain::agent::Role::Lead),
        ];
        update(&mut app, Msg::Closed(Ok(vec![closed.clone()])));
        // Reviewed once before, and the agent disputed it.
        let mut earlier = crate::console::testing::review(601, closed.id, 72.5, now - Duration::hours(1));
        earlier.answer = crate::domain::scorecard::Answer::Disputed {
            criterion: "ask".into(),
            reason: "I asked which card and which day".into(),
        };
        earlier.answered_at = Some(now - Duration::minutes(30));
        update(&mut app, Msg::CaseReviews(vec![earlier]));
        app.stack.push(View::Closed);
        let entry = |step, notes: &str, mins| StepEntry {
            step,
            notes: notes.into(),
            done: true,
            author_id: id(1),
            at: now - Duration::hours(4) + Duration::minutes(mins),
        };
        let followup = crate::domain::followup::FollowUp {
            id: id(70),
            customer_id: closed.customer_id,
            case_id: Some(closed.id),
            assignee_id: id(1),
            due_at: now - Duration::hours(2),
            channel: crate::domain::case::Channel::Phone,
            note: "Call back: did the refund arrive?".into(),
            status: FollowUpStatus::Done,
            revision: 2,
            created_by: id(1),
            created_at: now - Duration::hours(3),
            updated_at: now - Duration::hours(2),
            done_at: Some(now - Duration::hours(2) - Duration::minutes(5)),
        };
        let data = LocalCase {
            case: Synced { value: closed, waiting: false },
            notes: vec![],
            rasa: fold(&[
                entry(RasaStep::Receive, "\"I was charged twice and nobody answers\"", 1),
                entry(RasaStep::Appreciate, "Thanked her for the screenshots", 3),
                entry(RasaStep::Summarize, "Two charges of 49 € on the 3rd; wants one back", 5),
                entry(RasaStep::Ask, "", 6),
            ]),
            followups: vec![Synced { value: followup, waiting: false }],
            unsettled: vec![],
        };
        (app, data)
    }

    #[test]
    fn a_lead_scores_a_case_with_its_rasa_notes_beside_each_criterion() {
        let (theme, _) = Theme::load("default", None, false);
        let (mut app, data) = scene();
        let case_id = data.case.value.id;
        // S on the closed list opens the case and the scorecard over it.
        let cmds = press(&mut app, KeyCode::Char('S'));
        assert!(cmds.contains(&Cmd::LoadCase(case_id)), "{cmds:?}");
        assert_eq!(app.mode(), Mode::Scoring);
        update(&mut app, Msg::Case { id: case_id, case: Some(Box::new(data.clone())), drafts: Default::default() });
        // Keys at full speed: receive full, appreciate full, summarize 3 of 4, ask missed,
        // the resolution met, the outcome met.
        for k in ['f', 'f', 'l', 'h', 'j', 'x', 'f', 'f'] {
            press(&mut app, KeyCode::Char(k));
        }
        assert_eq!(app.scoring.as_ref().unwrap().values, [Some(4), Some(4), Some(3), Some(0), Some(1), Some(1), None]);
        // Ask is in view at once: its evidence says the step has no notes.
        let ask = &app.scoring.as_ref().unwrap().card.criteria[3];
        assert!(evidence(ask, &data, app.now, &app.agents).contains(&"(no notes)".to_string()));
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.mode(), Mode::Typing(Text::Coaching));
        for c in "Ask what she tried before calling — 🙂 شكرا".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        press(&mut app, KeyCode::Esc);
        app.scoring.as_mut().unwrap().selected = 3;
        assert_eq!(app.lead.closed_reviews.get(&case_id).map(Vec::len), Some(1), "the earlier review is kept");
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            insta::assert_snapshot!(format!("lead_scoring_{w}x{h}"), screen(&app, &theme, w, h));
        }
        // Not every criterion scored: nothing recorded, the cursor on the one left.
        assert!(update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))).is_empty());
        let s = app.scoring.as_ref().unwrap();
        assert_eq!(s.selected, 6);
        assert!(s.message.as_ref().unwrap().1.contains("not scored yet"), "{:?}", s.message);
        // Esc keeps the scores for the next S on the case.
        press(&mut app, KeyCode::Esc);
        assert!(app.scoring.is_none());
        press(&mut app, KeyCode::Char('S'));
        assert_eq!(app.scoring.as_ref().unwrap().values[0], Some(4), "brought back");
        press(&mut app, KeyCode::Char('f'));
        let cmds = update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
        let [Cmd::Write { write: Write::Review { case, scores, coaching }, .. }] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(*case, case_id);
        assert_eq!(coaching.as_deref(), Some("Ask what she tried before calling — 🙂 شكرا"));
        let card = default_scorecard();
        card.check_scores(scores).unwrap();
        // Hand-worked (default.toml): ask 0 of 4 loses 15, summarize 3 of 4 loses 3.75:
        // 91.25 of 110.
        let o = card.outcome(scores);
        assert!((o.percent - 91.25 / 110.0 * 100.0).abs() < 1e-9, "{o:?}");
        let write = Write::Review { case: *case, scores: scores.clone(), coaching: coaching.clone() };
        update(&mut app, Msg::Written { write, result: Ok(Some(id(900))) });
        assert!(app.scoring.is_none() && app.scoring_drafts.is_empty());
        let said = app.work.as_ref().unwrap().message.clone().unwrap();
        assert!(said.1.starts_with("Scored 83 %"), "{said:?}");
    }

    #[test]
    fn a_case_not_resolved_is_not_scored_and_a_refusal_keeps_the_scores() {
        let (mut app, mut data) = scene();
        let case_id = data.case.value.id;
        data.case.value.resolution = None;
        app.open_case(case_id);
        update(&mut app, Msg::Case { id: case_id, case: Some(Box::new(data)), drafts: Default::default() });
        app.lead_mode = true;
        press(&mut app, KeyCode::Char('S'));
        assert!(app.scoring.is_none());
        assert!(app.work.as_ref().unwrap().message.as_ref().unwrap().1.contains("Not resolved yet"));
        // A review the local store refused stays open with the reason.
        app.scoring = Some(Scoring::new(case_id, default_scorecard()));
        app.scoring.as_mut().unwrap().values = vec![Some(1); 7];
        let write = Write::Review { case: case_id, scores: vec![], coaching: None };
        update(&mut app, Msg::Written { write, result: Err(crate::domain::Invalid::general("no case here")) });
        let s = app.scoring.as_ref().unwrap();
        assert_eq!(s.message, Some((true, "no case here".to_string())));
        assert_eq!(s.values, vec![Some(1); 7]);
        // A scorecard from the server that does not check is not taken (no criteria: nothing
        // to score, and nothing to draw).
        let empty = Scorecard { criteria: vec![], ..default_scorecard() };
        update(&mut app, Msg::Scorecard(Box::new(empty)));
        assert_eq!(app.scorecard.criteria.len(), 7);
    }
}
