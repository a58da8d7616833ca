//! Drawing a form over the view: its banner, each field (a text area, or a choice shown as
//! ◀ value ▶), what is wrong under the field it is about, and the keys.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{Field, Form, Input};
use crate::console::theme::{Slot, Theme};
use crate::console::widgets::{block, draw_text_area};
use crate::domain::case::Outcome;

/// Rows a field's text area gets (`roomy`: the screen is tall).
fn rows_of(f: &Field, roomy: bool) -> u16 {
    match &f.input {
        Input::Text { single_line: true, .. } | Input::Choice { .. } => 1,
        Input::Text { .. } if roomy => 4,
        Input::Text { .. } => 2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, form: &Form, theme: &Theme) {
    let width = area.width.saturating_sub(4).clamp(20, 96).min(area.width);
    let roomy = area.height >= 36;
    let banner_rows =
        form.banner.as_ref().map_or(0, |b| (b.chars().count() as u16 / width.saturating_sub(4).max(1)) + 2);
    let body: u16 = form
        .fields
        .iter()
        .filter(|f| !f.hidden)
        .map(|f| {
            let error = form.error.as_ref().is_some_and(|(n, _)| *n == f.name) as u16;
            (matches!(f.input, Input::Text { .. }) as u16) + rows_of(f, roomy) + error
        })
        .sum();
    let general_error = form.error.as_ref().is_some_and(|(n, _)| n.is_empty()) as u16;
    let height = (banner_rows + body + general_error + 3).min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    frame.render_widget(Clear, popup);
    let outer = block(&form.title, theme, true);
    let inner = outer.inner(popup);
    frame.render_widget(outer, popup);

    let mut y = inner.y;
    let bottom = inner.y + inner.height;
    let mut put = |frame: &mut Frame, rows: u16, f: &mut dyn FnMut(&mut Frame, Rect)| {
        let rows = rows.min(bottom.saturating_sub(y));
        if rows > 0 {
            f(frame, Rect { x: inner.x, y, width: inner.width, height: rows });
        }
        y += rows;
    };
    if let Some(b) = &form.banner {
        let p = Paragraph::new(Line::styled(b.clone(), theme.fg(Slot::Warn))).wrap(Wrap { trim: true });
        put(frame, banner_rows, &mut |f, r| f.render_widget(p.clone(), r));
    }
    for (i, field) in form.fields.iter().enumerate() {
        if field.hidden {
            continue;
        }
        let focused = i == form.focus;
        let label_style = if focused {
            theme.fg(Slot::BorderFocused).add_modifier(Modifier::BOLD)
        } else {
            theme.fg(Slot::TextMuted)
        };
        match &field.input {
            Input::Choice { options, index } => {
                let value = options.get(*index).cloned().unwrap_or_default();
                let slot = match field.name {
                    "outcome" if *index > 0 => Outcome::ALL.get(index - 1).map_or(Slot::InputFg, |o| Slot::Outcome(*o)),
                    _ => Slot::InputFg,
                };
                let line = Line::from(vec![
                    Span::styled(format!("{:<24}", field.label), label_style),
                    Span::styled(if focused { "◀ " } else { "  " }, theme.fg(Slot::TextMuted)),
                    Span::styled(value, theme.fg(slot).add_modifier(Modifier::BOLD)),
                    Span::styled(if focused { " ▶" } else { "" }, theme.fg(Slot::TextMuted)),
                ]);
                put(frame, 1, &mut |f, r| f.render_widget(Paragraph::new(line.clone()), r));
            }
            Input::Text { area, .. } => {
                let line = Line::styled(field.label, label_style);
                put(frame, 1, &mut |f, r| f.render_widget(Paragraph::new(line.clone()), r));
                let rows = rows_of(field, roomy);
                put(frame, rows, &mut |f, r| draw_text_area(f, r, area, focused, theme));
            }
        }
        if let Some((_, message)) = form.error.as_ref().filter(|(n, _)| *n == field.name) {
            let line = Line::styled(format!("✗ {message}"), theme.fg(Slot::Error).add_modifier(Modifier::BOLD));
            put(frame, 1, &mut |f, r| f.render_widget(Paragraph::new(line.clone()), r));
        }
    }
    if let Some((_, message)) = form.error.as_ref().filter(|(n, _)| n.is_empty()) {
        let line = Line::styled(format!("✗ {message}"), theme.fg(Slot::Error).add_modifier(Modifier::BOLD));
        put(frame, 1, &mut |f, r| f.render_widget(Paragraph::new(line.clone()).wrap(Wrap { trim: true }), r));
    }
    let keys = "Tab next field · ←/→ choose · Ctrl-s save · Esc close (what you typed stays as a draft)";
    let line = Line::styled(keys, theme.fg(Slot::TextMuted));
    put(frame, 1, &mut |f, r| f.render_widget(Paragraph::new(line.clone()), r));
}
