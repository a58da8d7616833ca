//! The customer card: who the customer is at a glance — name, tier, tags, emails, phones and
//! their ids in each system — with their open cases, the latest case and event, and the facts
//! the server's card rules sum up across sources. Drawn beside the timeline and in the case;
//! from the state alone, like every view (the card arrives as a message, read from the server
//! or, offline, from the local store).

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::app::App;
use super::theme::{Slot, Theme};
use super::widgets::{block, relative};
use crate::domain::card::Fact;
use crate::domain::customer::Customer;
use crate::wire::card::CustomerCard;

/// The card of the timeline's customer, when it has come.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CardState {
    pub card: Option<CustomerCard>,
    /// Read from the local store: what the server said when last online.
    pub offline: bool,
}

/// Lines the full card takes at `width` (for laying out the views around it).
pub fn height(app: &App, width: u16) -> u16 {
    lines(app, None, width, usize::MAX).len() as u16 + 2
}

/// The card's lines at `width`, at most `max` of them: identity first, then cases, then facts.
pub fn lines<'a>(app: &App, theme: Option<&Theme>, width: u16, max: usize) -> Vec<Line<'a>> {
    let muted = |t: &Theme| t.fg(Slot::TextMuted);
    let style = |slot: Slot| theme.map(|t| t.fg(slot)).unwrap_or_default();
    let mut out: Vec<Line<'a>> = Vec::new();
    let t = &app.timeline;
    let Some(customer) = t.card.card.as_ref().map(|c| &c.customer).or(t.customer.as_ref()) else {
        return out;
    };
    let width = width.saturating_sub(2) as usize;

    // Who: name, tier, tags, language.
    let mut head = vec![Span::styled(customer.display_name.clone(), style(Slot::Title).add_modifier(Modifier::BOLD))];
    if let Some(tier) = &customer.tier {
        head.push(Span::styled(format!("  {tier}"), style(Slot::Warn)));
    }
    if let Some(l) = &customer.language {
        head.push(Span::styled(format!("  {l}"), style(Slot::TextMuted)));
    }
    for tag in &customer.tags {
        head.push(Span::styled(format!("  #{tag}"), style(Slot::Info)));
    }
    out.push(Line::from(head));
    if customer.merged_into.is_some() {
        out.push(Line::styled("merged into another customer: search for them again", style(Slot::Warn)));
    }
    out.extend(contact_lines(customer, width).into_iter().map(|s| Line::styled(s, style(Slot::Text))));

    let Some(card) = &t.card.card else {
        if let Some(theme) = theme {
            out.push(Line::styled("Reading the card…", muted(theme)));
        }
        out.truncate(max);
        return out;
    };
    let mut cases = vec![Span::styled(
        format!("{} open case{}", card.open_cases, if card.open_cases == 1 { "" } else { "s" }),
        style(if card.open_cases > 0 { Slot::Warn } else { Slot::Text }),
    )];
    if let Some(c) = &card.last_case {
        cases.push(Span::styled(
            format!(" · last: {} ({}, {})", c.subject, c.status.as_str(), relative(app.now, c.created_at)),
            style(Slot::TextMuted),
        ));
    }
    out.push(Line::from(cases));
    // Facts, two or three to a line as the width allows; those past their warning mark first,
    // so that a card cut short still shows what needs attention.
    let cell = 26usize;
    let per_line = (width / cell).max(1);
    let mut facts: Vec<&Fact> = card.facts.iter().collect();
    facts.sort_by_key(|f| !f.warn);
    for row in facts.chunks(per_line) {
        let mut spans = Vec::new();
        for f in row {
            let (text, slot) = fact_cell(f, app);
            spans.push(Span::styled(format!("{:<cell$}", text), style(slot)));
        }
        out.push(Line::from(spans));
    }
    if let Some(e) = &card.last_event {
        out.push(Line::styled(
            format!("last seen {} in {}: {}", relative(app.now, e.occurred_at), e.source, e.title),
            style(Slot::TextMuted),
        ));
    }
    if t.card.offline {
        out.push(Line::styled(format!("as of {} (offline)", relative(app.now, card.at)), style(Slot::Warn)));
    }
    out.truncate(max);
    out
}

/// One fact as a cell: "Failed payments 30d 2".
fn fact_cell(f: &Fact, app: &App) -> (String, Slot) {
    let mut text = format!("{} {}", f.label, f.display());
    if let Some(at) = f.at {
        text.push_str(&format!(" · {}", relative(app.now, at)));
    }
    (text, if f.warn { Slot::Error } else { Slot::Text })
}

/// The customer's contacts: emails, phones, then the ids in each system, packed into lines.
pub fn contact_lines(c: &Customer, width: usize) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    items.extend(c.emails.iter().map(|e| format!("✉ {e}")));
    items.extend(c.phones.iter().map(|p| format!("✆ {p}")));
    items.extend(c.external_ids.iter().map(|(source, id)| format!("{source} {id}")));
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for item in items {
        let fits = line.is_empty() || line.chars().count() + 3 + item.chars().count() <= width;
        if !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str(" · ");
        }
        line.push_str(&item);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The card in its own box.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let lines = lines(app, Some(theme), area.width, area.height.saturating_sub(2) as usize);
    let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(block("Customer · i hides", theme, false));
    frame.render_widget(p, area);
}
