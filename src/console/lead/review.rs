//! Review of closed cases: the latest closed cases of a team with their outcome; Enter opens
//! one in the case view (RASA step by step, the resolution, the follow-ups) and `K` there
//! writes a coaching note.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::console::app::App;
use crate::console::keymap::Action;
use crate::console::list::move_in;
use crate::console::mode::View;
use crate::console::msg::Cmd;
use crate::console::theme::{Slot, Theme};
use crate::console::widgets::{block, relative, window_start};
use crate::domain::case::Case;

/// Lists a team's latest closed cases.
pub fn open(app: &mut App, team: String) -> Vec<Cmd> {
    app.lead.closed.clear();
    app.lead.closed_selected = 0;
    app.lead.closed_title = None;
    app.go(View::Closed);
    vec![Cmd::LoadClosed(team)]
}

/// The server's answer.
pub fn loaded(app: &mut App, r: Result<Vec<Case>, String>) -> Vec<Cmd> {
    match r {
        Ok(c) => {
            app.lead.closed = c;
            app.lead.closed_error = None;
            // How each scored: the reviews of every listed case, in one request.
            let mut cmds = Vec::new();
            let cases: Vec<uuid::Uuid> = app.lead.closed.iter().map(|c| c.id).take(200).collect();
            // Who the customers are: asked for once, the names kept for the list.
            let mut ids: Vec<uuid::Uuid> = app
                .lead
                .closed
                .iter()
                .map(|c| c.customer_id)
                .filter(|id| !app.lead.closed_customers.contains_key(id))
                .collect();
            ids.sort();
            ids.dedup();
            ids.truncate(100);
            if !ids.is_empty() {
                cmds.push(Cmd::LoadCustomerNames(ids));
            }
            if !cases.is_empty() {
                cmds.push(Cmd::LoadCaseReviews(cases));
            }
            return cmds;
        }
        Err(e) => app.lead.closed_error = Some(e),
    }
    vec![]
}

/// The listed cases' reviews: each case's quality (reviews recorded here and not synced yet
/// stay counted until the server has them).
pub fn scored(app: &mut App, reviews: Vec<crate::wire::reviews::Review>) -> Vec<Cmd> {
    app.lead.closed_quality.retain(|_, v| v.waiting);
    let mut fresh: std::collections::HashMap<uuid::Uuid, super::Quality> = Default::default();
    for r in &reviews {
        let q = fresh.entry(r.case_id).or_default();
        q.add(r.percent, r.failed);
        q.disputed |= matches!(r.answer, crate::domain::scorecard::Answer::Disputed { .. });
    }
    app.lead.closed_reviews.clear();
    for r in reviews {
        app.lead.closed_reviews.entry(r.case_id).or_default().push(r);
    }
    let q = &mut app.lead.closed_quality;
    for (case, quality) in fresh {
        // The server has at least what was recorded here once it lists as many.
        if q.get(&case).is_none_or(|w| w.reviews <= quality.reviews) {
            q.insert(case, quality);
        }
    }
    vec![]
}

/// A review recorded here: counted at once, marked as waiting to sync.
pub fn scored_here(app: &mut App, case: uuid::Uuid, o: crate::domain::scorecard::Outcome) {
    let q = app.lead.closed_quality.entry(case).or_default();
    q.add(o.percent, o.failed);
    q.waiting = true;
}

/// The names of customers the list shows.
pub fn named(app: &mut App, customers: Vec<crate::domain::customer::Customer>) -> Vec<Cmd> {
    app.lead.closed_customers.extend(customers.into_iter().map(|c| (c.id, c.display_name)));
    vec![]
}

/// A key of the list.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let page = app.page();
    let l = &mut app.lead;
    match a {
        Action::Open => {
            if let Some(id) = l.closed.get(l.closed_selected).map(|c| c.id) {
                return app.open_case(id);
            }
        }
        Action::Score => {
            if let Some(id) = l.closed.get(l.closed_selected).map(|c| c.id) {
                return super::scoring::open(app, id);
            }
        }
        a => {
            let n = l.closed.len();
            move_in(&mut l.closed_selected, n, a, page);
        }
    }
    vec![]
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let l = &app.lead;
    let title = match &l.closed_title {
        Some(t) => format!("{t} · Enter opens one"),
        None => "Closed cases to review · Enter reads one (K coaches) · S scores it".to_string(),
    };
    let b = block(&title, theme, true);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let mut lines = Vec::new();
    if let Some(e) = &l.closed_error {
        lines.push(Line::styled(format!("Could not list them: {e}"), theme.fg(Slot::Error)));
    } else if l.closed.is_empty() {
        lines.push(Line::styled("Listing… (or none)", theme.fg(Slot::TextMuted)));
    }
    let h = inner.height as usize;
    for (i, c) in l.closed.iter().enumerate().skip(window_start(l.closed_selected, h.max(1))).take(h) {
        let (outcome, rasa) = match &c.resolution {
            Some(r) => (r.outcome.as_str(), if r.rasa_incomplete_reason.is_some() { "RASA ✗" } else { "RASA ✓" }),
            None => (c.status.as_str(), ""),
        };
        let style = if i == l.closed_selected { theme.selection() } else { theme.fg(Slot::Text) };
        let agent = c
            .assignee_id
            .and_then(|a| app.agents.iter().find(|x| x.id == a).map(|x| x.name.as_str()))
            .unwrap_or(if c.assignee_id.is_some() { "someone" } else { "nobody" });
        let customer = l.closed_customers.get(&c.customer_id).map(String::as_str).unwrap_or("…");
        let (quality, q_slot) = match l.closed_quality.get(&c.id) {
            Some(q) if q.failed => (q.label(), Slot::Error),
            Some(q) => (q.label(), Slot::Info),
            None => ("—".to_string(), Slot::TextMuted),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<12}", outcome),
                theme.fg(c.resolution.as_ref().map_or(Slot::TextMuted, |r| Slot::Outcome(r.outcome))),
            ),
            Span::styled(format!("{:<8}", rasa), theme.fg(Slot::TextMuted)),
            Span::styled(crate::console::widgets::fit(&quality, 10), theme.fg(q_slot)),
            Span::styled(
                format!("{:<9}", c.resolution.as_ref().map(|r| relative(app.now, r.resolved_at)).unwrap_or_default()),
                theme.fg(Slot::TextMuted),
            ),
            Span::styled(format!("{:<10}", crate::console::widgets::fit(agent, 9)), theme.fg(Slot::Info)),
            Span::styled(format!("{:<16}", crate::console::widgets::fit(customer, 15)), theme.fg(Slot::Text)),
            Span::styled(c.subject.clone(), style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
