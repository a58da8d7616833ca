//! Pieces every view draws with: a bordered block, a text area shown or edited, a list's
//! window, times relative to now.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::{Slot, Theme};

/// A text area: the editor with its cursor while `typing`, else its text (or, empty, its hint
/// muted), wrapped.
pub fn draw_text_area(frame: &mut Frame, area: Rect, text: &tui_textarea::TextArea, typing: bool, theme: &Theme) {
    if typing {
        frame.render_widget(text, area);
        return;
    }
    let lines: Vec<Line> = if text.lines().iter().all(|l| l.is_empty()) {
        vec![Line::styled(text.placeholder_text().to_string(), theme.fg(Slot::TextMuted))]
    } else {
        text.lines().iter().map(|l| Line::styled(l.clone(), theme.fg(Slot::Text))).collect()
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// "just now", "5m ago", "3h ago", "2d ago", "in 10m".
pub fn relative(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    let (n, ago) = (secs.unsigned_abs(), secs >= 0);
    let span = match n {
        0..=44 => return "just now".into(),
        45..=3_599 => format!("{}m", n.div_ceil(60)),
        3_600..=86_399 => format!("{}h", n / 3_600),
        86_400..=2_591_999 => format!("{}d", n / 86_400),
        _ => format!("{}mo", n / 2_592_000),
    };
    if ago {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// `text` in exactly `cols` terminal columns: cut with "…" when longer, padded when shorter
/// (wide characters such as emoji and CJK count two).
pub fn fit(text: &str, cols: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    // A control character is shown as a space: one column.
    let width = |c: char| if c.is_control() { 1 } else { c.width().unwrap_or(0) };
    let total: usize = text.chars().map(width).sum();
    let room = if total > cols { cols.saturating_sub(1) } else { cols };
    for c in text.chars() {
        let w = width(c);
        if used + w > room {
            break;
        }
        // Line breaks and tabs would break the row.
        out.push(if c.is_control() { ' ' } else { c });
        used += w;
    }
    if total > cols && cols > 0 {
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(used)));
    out
}

pub fn block(title: &str, theme: &Theme, focused: bool) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.fg(if focused { Slot::BorderFocused } else { Slot::Border }))
        .title(Span::styled(format!(" {title} "), theme.fg(Slot::Title).add_modifier(Modifier::BOLD)))
}

/// The first row of the window that shows `selected` in `height` rows: whole pages, so the
/// list does not jitter while moving.
pub fn window_start(selected: usize, height: usize) -> usize {
    selected.checked_div(height).map_or(0, |page| page * height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(relative(now, now), "just now");
        assert_eq!(relative(now, now - chrono::Duration::minutes(5)), "5m ago");
        assert_eq!(relative(now, now - chrono::Duration::hours(3)), "3h ago");
        assert_eq!(relative(now, now - chrono::Duration::days(2)), "2d ago");
        assert_eq!(relative(now, now + chrono::Duration::minutes(10)), "in 10m");
        assert_eq!(window_start(25, 10), 20);
        assert_eq!(fit("Zoe", 5), "Zoe  ");
        assert_eq!(fit("Zoe Quintero", 6), "Zoe Q…");
        assert_eq!(fit("東京都", 4), "東… ", "four columns: a wide character does not fit beside the …");
        assert_eq!(fit("a\nb", 3), "a b");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(window_start(3, 0), 0, "no room: from the top");
    }
}
