//! Moving a selection in a list: one rule for every list of the console.

use super::keymap::Action;

/// Moves the selection `sel` in a list of `n` rows: one row, a page of `page` rows, to the
/// first or the last. Other actions leave it.
pub fn move_in(sel: &mut usize, n: usize, a: Action, page: usize) {
    let last = n.saturating_sub(1);
    match a {
        Action::Down => *sel = (*sel + 1).min(last),
        Action::Up => *sel = sel.saturating_sub(1),
        Action::PageDown => *sel = (*sel + page).min(last),
        Action::PageUp => *sel = sel.saturating_sub(page),
        Action::Top => *sel = 0,
        Action::Bottom => *sel = last,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_stays_in_its_list() {
        let mut sel = 0;
        move_in(&mut sel, 0, Action::Down, 10);
        assert_eq!(sel, 0, "an empty list");
        move_in(&mut sel, 5, Action::PageDown, 10);
        assert_eq!(sel, 4);
        move_in(&mut sel, 5, Action::Up, 10);
        assert_eq!(sel, 3);
        move_in(&mut sel, 5, Action::PageUp, 2);
        assert_eq!(sel, 1);
        move_in(&mut sel, 5, Action::Bottom, 2);
        assert_eq!(sel, 4);
        move_in(&mut sel, 5, Action::Open, 2);
        assert_eq!(sel, 4, "not a move");
        move_in(&mut sel, 5, Action::Top, 2);
        assert_eq!(sel, 0);
    }
}
