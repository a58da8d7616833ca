//! Pasted text, made fit for where it lands. With bracketed paste the terminal hands a paste
//! over as one piece of text, never as keys, so a pasted Esc, Ctrl-s or Ctrl-c does nothing;
//! what it holds is cleaned here: line ends made `\n`, control characters (NUL among them,
//! which casebook does not store) dropped, tabs kept; one line where only one fits.

/// `text` as it may be inserted: into a multi-line area, or a one-line field (`single_line`:
/// line breaks become spaces).
pub fn clean(text: &str, single_line: bool) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.chars()
        .filter_map(|c| match c {
            '\n' if single_line => Some(' '),
            '\n' | '\t' => Some(c),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// At most `max` characters of `text`, and whether it was cut.
pub fn capped(text: &str, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (text[..at].to_string(), true),
        None => (text.to_string(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_text_is_text() {
        assert_eq!(clean("a\r\nb\rc\n", false), "a\nb\nc\n");
        assert_eq!(clean("x\u{1b}[A\u{0}y\u{13}\tz 📦 שלום", false), "x[Ay\tz 📦 שלום");
        assert_eq!(clean("anna\nrossi", true), "anna rossi");
        assert_eq!(capped("ééé", 2), ("éé".to_string(), true));
        assert_eq!(capped("ab", 2), ("ab".to_string(), false));
    }
}
