//! What the console's tests share: the screen a state draws, as text.

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::app::App;
use super::theme::Theme;

/// The screen `app` draws at `w`×`h`, one line per row, trailing blanks cut.
pub fn screen(app: &App, theme: &Theme, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::draw::draw(f, app, theme)).unwrap();
    let buf = t.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
