//! The agent's quality reviews in the console (`V` on home, or the palette): each review of
//! their cases with its score, the lead's coaching and how they answered; `a` acknowledges the
//! selected one, `d` disputes it — Tab picks the criterion, the reason is typed, Enter sends.
//! Answers are recorded in the local store and synced like all case work (`review.answer`):
//! offline, the list is the one last read, with the answers not sent yet on it.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;
use uuid::Uuid;

use super::app::App;
use super::keymap::Action;
use super::msg::Cmd;
use super::theme::{Slot, Theme};
use super::widgets::{block, fit, relative, window_start};
use crate::domain::scorecard::Answer;
use crate::wire::reviews::Review;

/// The longest reason, in characters.
const MAX_REASON: usize = 500;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewsState {
    pub reviews: Vec<Review>,
    pub selected: usize,
    pub loading: bool,
    /// What went wrong, or what was done.
    pub message: Option<(bool, String)>,
    /// A dispute being written: the criterion's index in the scorecard, and the reason.
    pub disputing: Option<(usize, String)>,
}

pub fn open(app: &mut App) -> Vec<Cmd> {
    app.reviews = Some(ReviewsState { loading: true, ..Default::default() });
    vec![Cmd::LoadMyReviews]
}

/// The list: the server's, or (`offline`) the one last read with the answers not sent yet.
pub fn loaded(app: &mut App, result: Result<Vec<Review>, String>, offline: bool) {
    let Some(r) = app.reviews.as_mut() else { return };
    r.loading = false;
    match result {
        Ok(list) => {
            r.reviews = list;
            r.selected = r.selected.min(r.reviews.len().saturating_sub(1));
            if offline {
                r.message = Some((false, "Offline: your reviews as last read; answers are sent once online.".into()));
            }
        }
        Err(e) => r.message = Some((true, e)),
    }
}

/// The local store recorded an acknowledgement or a dispute (it is sent with the next sync),
/// or refused it.
pub fn answered(app: &mut App, review: Uuid, answer: Answer, result: Result<(), String>) {
    let Some(r) = app.reviews.as_mut() else { return };
    match result {
        Ok(()) => {
            r.message = Some((false, "Answered: your lead sees it once synced.".into()));
            if let Some(x) = r.reviews.iter_mut().find(|x| x.id == review) {
                x.answer = answer;
            }
            app.reviews_to_answer = r.reviews.iter().filter(|x| x.answer == Answer::Open).count();
        }
        Err(e) => r.message = Some((true, e)),
    }
}

fn answer(id: Uuid, answer: Answer) -> Vec<Cmd> {
    vec![Cmd::Write { write: super::msg::Write::ReviewAnswer { review: id, answer }, clear: vec![] }]
}

fn selected(r: &ReviewsState) -> Option<&Review> {
    r.reviews.get(r.selected).filter(|x| x.answer == Answer::Open)
}

/// A key of the list.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let Some(r) = app.reviews.as_mut() else { return vec![] };
    match a {
        Action::Down => r.selected = (r.selected + 1).min(r.reviews.len().saturating_sub(1)),
        Action::Up => r.selected = r.selected.saturating_sub(1),
        Action::Close | Action::Back => app.reviews = None,
        Action::Quit => app.quit = true,
        Action::Acknowledge => match selected(r).map(|x| x.id) {
            Some(id) => return answer(id, Answer::Acknowledged),
            None => r.message = Some((true, "That review is answered already.".into())),
        },
        Action::Dispute => {
            if selected(r).is_some() {
                r.disputing = Some((0, String::new()));
            } else {
                r.message = Some((true, "That review is answered already.".into()));
            }
        }
        _ => {}
    }
    vec![]
}

/// A key while a dispute is written: Tab picks the criterion, other keys type the reason.
pub fn dispute_key(app: &mut App, a: Option<Action>, k: KeyEvent) -> Vec<Cmd> {
    let Some(r) = app.reviews.as_mut() else { return vec![] };
    let id = selected(r).map(|x| x.id);
    // The criteria the review scored, in its order.
    let criteria: Vec<String> =
        selected(r).map(|x| x.scores.iter().map(|s| s.criterion.clone()).collect()).unwrap_or_default();
    let Some((criterion, reason)) = r.disputing.as_mut() else { return vec![] };
    match a {
        Some(Action::NextField) => *criterion = (*criterion + 1) % criteria.len().max(1),
        Some(Action::Close) => r.disputing = None,
        Some(Action::Apply) => {
            let Some(name) = criteria.get(*criterion).cloned() else {
                r.message = Some((true, "This review scored no criteria to dispute.".into()));
                return vec![];
            };
            let dispute = Answer::Disputed { criterion: name, reason: reason.trim().to_string() };
            if reason.trim().is_empty() {
                r.message = Some((true, "Say why the score is wrong: your lead reads it.".into()));
                return vec![];
            }
            r.disputing = None;
            return id.map(|id: Uuid| answer(id, dispute)).unwrap_or_default();
        }
        Some(_) => {}
        None => match k.code {
            KeyCode::Backspace => {
                reason.pop();
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) && reason.chars().count() < MAX_REASON => {
                reason.push(c)
            }
            _ => {}
        },
    }
    vec![]
}

/// Text pasted into the reason.
pub fn paste(app: &mut App, text: &str) -> Vec<Cmd> {
    if let Some((_, reason)) = app.reviews.as_mut().and_then(|r| r.disputing.as_mut()) {
        let room = MAX_REASON.saturating_sub(reason.chars().count());
        reason.extend(text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(room));
    }
    vec![]
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(r) = &app.reviews else { return };
    let w = area.width.saturating_sub(4).min(110);
    let h = area.height.saturating_sub(2);
    let rect = Rect { x: area.x + (area.width - w) / 2, y: area.y + 1, width: w, height: h };
    let inner_w = w.saturating_sub(2) as usize;
    let card = &app.scorecard;
    let mut lines = Vec::new();
    if let Some((error, text)) = &r.message {
        lines.push(Line::styled(fit(text, inner_w), theme.fg(if *error { Slot::Error } else { Slot::Success })));
    }
    if r.reviews.is_empty() {
        lines.push(Line::styled(
            if r.loading { "Reading your reviews…" } else { "No reviews of your cases yet." },
            theme.fg(Slot::TextMuted),
        ));
    }
    let rows = (h.saturating_sub(6) / 2).max(1) as usize;
    for (i, x) in r.reviews.iter().enumerate().skip(window_start(r.selected, rows)).take(rows) {
        let subject = app
            .home
            .all
            .iter()
            .find(|c| c.value.id == x.case_id)
            .map(|c| c.value.subject.clone())
            .unwrap_or_else(|| format!("case {}", &x.case_id.to_string()[..8]));
        let score = if x.failed { "failed".to_string() } else { format!("{:.0} %", x.percent) };
        let mut state = match &x.answer {
            Answer::Open => "to answer".to_string(),
            Answer::Acknowledged => "acknowledged".to_string(),
            Answer::Disputed { criterion, .. } => format!("disputed: {criterion}"),
        };
        if x.answer != Answer::Open && x.answered_at.is_none() {
            state.push_str(" ⇡");
        }
        let style = if i == r.selected { theme.selection() } else { theme.fg(Slot::Text) };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<8}", score), theme.fg(if x.failed { Slot::Error } else { Slot::Info })),
            Span::styled(format!("{:<10}", relative(app.now, x.created_at)), theme.fg(Slot::TextMuted)),
            Span::styled(format!("{:<20}", fit(&state, 19)), theme.fg(Slot::TextMuted)),
            Span::styled(fit(&subject, inner_w.saturating_sub(38)), style),
        ]));
        let coaching = x.coaching.as_deref().unwrap_or("(no coaching note)").lines().next().unwrap_or("");
        lines.push(Line::styled(fit(&format!("        {coaching}"), inner_w), theme.fg(Slot::TextMuted)));
    }
    if let (Some((criterion, reason)), Some(x)) = (&r.disputing, r.reviews.get(r.selected)) {
        let (title, scored) = match x.scores.get(*criterion % x.scores.len().max(1)) {
            Some(s) => {
                let c = card.criteria.iter().find(|c| c.id == s.criterion);
                let title = c.map_or(s.criterion.clone(), |c| c.title.clone());
                let of = c.map_or(String::new(), |c| format!(" of {}", c.scale));
                (title, format!(" — scored {}{of}", s.value))
            }
            None => ("(no criteria scored)".to_string(), String::new()),
        };
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("Dispute: {title}{scored} (Tab: another criterion)"), theme.fg(Slot::Warn)));
        lines.push(Line::from(vec![
            Span::styled("Why: ", theme.fg(Slot::Info)),
            Span::styled(format!("{reason}▏"), theme.fg(Slot::InputFg)),
        ]));
    }
    let hint = if r.disputing.is_some() {
        " Enter sends · Esc cancels "
    } else {
        " a acknowledges · d disputes · Esc closes "
    };
    let b = block(&format!("My reviews ({})", r.reviews.len()), theme, true)
        .title_bottom(Line::styled(hint, theme.fg(Slot::HelpKey)));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(b), rect);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::update;
    use crate::console::msg::Msg;
    use crate::console::testing::{agent_scene, id, screen};
    use crate::console::theme::Theme;

    fn review(now: chrono::DateTime<chrono::Utc>, n: u128, percent: f64, coaching: &str) -> Review {
        let mut r =
            crate::console::testing::review(500 + n, id(10), percent, now - chrono::Duration::hours(n as i64 + 1));
        r.coaching = Some(coaching.into());
        r
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Cmd> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    #[test]
    fn the_agent_reads_acknowledges_and_disputes_with_a_reason() {
        let (theme, _) = Theme::load("default", None, false);
        let mut app = agent_scene();
        let now = app.now;
        assert_eq!(press(&mut app, KeyCode::Char('V')), vec![Cmd::LoadMyReviews]);
        update(
            &mut app,
            Msg::Reviews {
                result: Ok(vec![
                    review(now, 1, 92.5, "Great summary — ask one more question"),
                    review(now, 2, 0.0, "No follow-up after a bad call"),
                ]),
                offline: false,
            },
        );
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            insta::assert_snapshot!(format!("my_reviews_{w}x{h}"), screen(&app, &theme, w, h));
        }
        assert_eq!(app.reviews_to_answer, 2, "the status bar says two wait");
        assert_eq!(press(&mut app, KeyCode::Char('a')), answer(id(501), Answer::Acknowledged));
        // The second: disputed on the follow-up, with a reason typed at full speed.
        press(&mut app, KeyCode::Char('j'));
        press(&mut app, KeyCode::Char('d'));
        assert_eq!(app.mode(), crate::console::mode::Mode::Dispute);
        assert!(press(&mut app, KeyCode::Enter).is_empty(), "no reason: nothing sent");
        for _ in 0..6 {
            press(&mut app, KeyCode::Tab);
        }
        for c in "asked not to be called".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        let cmds = press(&mut app, KeyCode::Enter);
        let dispute = Answer::Disputed { criterion: "follow_up".into(), reason: "asked not to be called".into() };
        assert_eq!(cmds, answer(id(502), dispute.clone()));
        let write = crate::console::msg::Write::ReviewAnswer { review: id(502), answer: dispute };
        update(&mut app, Msg::Written { write, result: Ok(None) });
        assert!(app.reviews.as_ref().unwrap().reviews[1].answer != Answer::Open, "shown answered, to send");
        assert_eq!(
            app.reviews_to_answer, 1,
            "the first is still open here (its acknowledgement was not recorded in this test)"
        );
        assert!(press(&mut app, KeyCode::Char('a')).is_empty(), "answered once");
        press(&mut app, KeyCode::Esc);
        assert!(app.reviews.is_none());
    }
}
