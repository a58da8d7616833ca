//! The command palette (`:` or Ctrl-p): every action of the view under it with its key, the
//! ways to the other views, the open cases ("go to case …"), the macros in a case, and "find
//! customer …" with what was typed — narrowed as the agent types by a fuzzy matcher
//! (nucleo-matcher), best match first. Entries are made when it opens; a keystroke only
//! matches them again, so a thousand entries filter inside one frame.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use uuid::Uuid;

use super::app::App;
use super::keymap::{self, Action};
use super::mode::View;
use super::msg::Cmd;
use super::theme::{Slot, Theme};
use super::widgets::{block, fit, window_start};
use crate::domain::macros::Macro;

/// What an entry does.
#[derive(Debug, Clone, PartialEq)]
pub enum Run {
    /// What the key beside it does in the view under the palette.
    Action(Action),
    Home,
    GoToCase(Uuid),
    Macro(Box<Macro>),
    /// Search customers for what was typed.
    FindCustomer,
    /// Add (or remove) a tag of the case being worked.
    Tag {
        name: String,
        add: bool,
    },
}

/// What the palette is open for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Purpose {
    #[default]
    Commands,
    /// The case's tags: Enter on no match adds what was typed as a new tag.
    Tags,
    /// Macros for the form's text field with the focus.
    Macros,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub label: String,
    /// The key that does the same, when there is one.
    pub key: String,
    pub run: Run,
}

#[derive(Debug, Clone, Default)]
pub struct PaletteState {
    pub query: String,
    pub entries: Vec<Entry>,
    /// The entries that match the query, best first (indexes into `entries`).
    pub shown: Vec<usize>,
    pub selected: usize,
    pub purpose: Purpose,
}

/// Moves that only make sense as keys.
fn is_move(a: Action) -> bool {
    matches!(a, Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom)
}

/// The entries for the view the agent is in.
pub fn entries(app: &App) -> Vec<Entry> {
    let view = app.view();
    let mut out: Vec<Entry> = keymap::bindings_with(view, app.lead_mode, &app.keys)
        .into_iter()
        .filter(|b| !is_move(b.action) && b.action != Action::Palette)
        .map(|b| Entry {
            label: b.help.to_string(),
            key: b.keys.iter().map(|k| k.label()).collect::<Vec<_>>().join(" "),
            run: Run::Action(b.action),
        })
        .collect();
    if view != View::Home {
        out.push(Entry { label: "home: my open cases and follow-ups".into(), key: String::new(), run: Run::Home });
        for (a, label, key) in [
            (Action::FollowUps, "my follow-ups", "F"),
            (Action::Conflicts, "conflicts and refusals to settle", "C"),
            (Action::SyncNow, "sync now", "r"),
            (Action::Knowledge, "knowledge base: search the articles", ""),
            (Action::Reviews, "my quality reviews: acknowledge or dispute", "V"),
        ] {
            if !out.iter().any(|e| e.run == Run::Action(a)) {
                out.push(Entry { label: label.into(), key: key.into(), run: Run::Action(a) });
            }
        }
    }
    if view == View::Case {
        let step = app.work.as_ref().map(|w| w.step).unwrap_or(crate::domain::rasa::RasaStep::Receive);
        for (origin, m) in super::macros::offered(app, step) {
            if origin != super::macros::Origin::Rasa {
                out.push(Entry {
                    label: format!("macro: {}", m.title),
                    key: String::new(),
                    run: Run::Macro(Box::new(m)),
                });
            }
        }
    }
    for c in &app.home.cases {
        let who = app.home.customer_name(c.value.customer_id);
        out.push(Entry {
            label: format!("go to case: {} — {who}", c.value.subject),
            key: String::new(),
            run: Run::GoToCase(c.value.id),
        });
    }
    out
}

/// The entries matching `query`, best first; all of them, in order, for an empty query.
pub fn filter(entries: &[Entry], query: &str, matcher: &mut Matcher) -> Vec<usize> {
    if query.trim().is_empty() {
        return (0..entries.len()).collect();
    }
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| pattern.score(Utf32Str::new(&e.label, &mut buf), matcher).map(|s| (s, i)))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

fn matcher() -> Matcher {
    Matcher::new(Config::DEFAULT)
}

/// Opens the palette over the view.
pub fn open(app: &mut App) -> Vec<Cmd> {
    let entries = entries(app);
    let shown = (0..entries.len()).collect();
    app.palette = Some(PaletteState { query: String::new(), entries, shown, selected: 0, purpose: Purpose::Commands });
    vec![]
}

/// Tags teams use often, offered before any case carries them.
const COMMON_TAGS: &[&str] = &["bug", "callback", "escalated", "refund-promised", "vip"];

/// Opens the palette on the tags of the case being worked: its own to remove, the ones seen
/// on other cases and the customer (and a few common ones) to add, and whatever is typed as a
/// new one.
pub fn open_tags(app: &mut App) -> Vec<Cmd> {
    let Some(case) = app.work.as_ref().and_then(|w| w.data.as_ref()).map(|d| d.case.value.clone()) else {
        return vec![];
    };
    let mut entries: Vec<Entry> = case
        .tags
        .iter()
        .map(|t| Entry {
            label: format!("remove #{t}"),
            key: String::new(),
            run: Run::Tag { name: t.clone(), add: false },
        })
        .collect();
    let mut known: Vec<String> = app.home.all.iter().flat_map(|c| c.value.tags.iter().cloned()).collect();
    known.extend(app.timeline.customer.iter().flat_map(|c| c.tags.iter().cloned()));
    known.extend(COMMON_TAGS.iter().map(|t| t.to_string()));
    known.sort();
    known.dedup();
    entries.extend(known.into_iter().filter(|t| !case.tags.contains(t)).map(|t| Entry {
        label: format!("add #{t}"),
        key: String::new(),
        run: Run::Tag { name: t, add: true },
    }));
    let shown = (0..entries.len()).collect();
    app.palette = Some(PaletteState { query: String::new(), entries, shown, selected: 0, purpose: Purpose::Tags });
    vec![]
}

/// Opens the palette on the macros, to put one's text into the form's text field with the
/// focus (what else a macro does belongs to the case view, not to a form).
pub fn open_macros(app: &mut App) -> Vec<Cmd> {
    let step = app.work.as_ref().map(|w| w.step).unwrap_or(crate::domain::rasa::RasaStep::Receive);
    let vars = super::macros::vars(app);
    let entries: Vec<Entry> = super::macros::offered(app, step)
        .into_iter()
        .map(|(origin, m)| {
            let preview: String = m.render(&vars).chars().take(60).collect();
            Entry {
                label: format!("{:<5} {} — {preview}", origin.mark(), m.title),
                key: String::new(),
                run: Run::Macro(Box::new(m)),
            }
        })
        .collect();
    if entries.is_empty() {
        if let Some(f) = app.form.as_mut() {
            f.error = Some(("", "No macros in your language yet: the team's come from the server, yours from macros.toml in the config dir.".into()));
        }
        return vec![];
    }
    let shown = (0..entries.len()).collect();
    app.palette = Some(PaletteState { query: String::new(), entries, shown, selected: 0, purpose: Purpose::Macros });
    vec![]
}

fn refilter(p: &mut PaletteState) {
    p.shown = filter(&p.entries, &p.query, &mut matcher());
    p.selected = 0;
}

/// A key while the palette is open: its table's actions, else typed into the query.
pub fn key(app: &mut App, a: Option<Action>, k: KeyEvent) -> Vec<Cmd> {
    let Some(p) = app.palette.as_mut() else { return vec![] };
    match a {
        Some(Action::Close) => app.palette = None,
        Some(Action::Down) => p.selected = (p.selected + 1).min(p.shown.len().saturating_sub(1)),
        Some(Action::Up) => p.selected = p.selected.saturating_sub(1),
        Some(Action::Apply) => {
            let query = p.query.trim().to_string();
            let chosen = p.shown.get(p.selected).map(|i| p.entries[*i].run.clone());
            let purpose = p.purpose;
            app.palette = None;
            return match (chosen, purpose) {
                (Some(run), _) => run_entry(app, run, &query),
                (None, _) if query.is_empty() => vec![],
                (None, Purpose::Commands) => run_entry(app, Run::FindCustomer, &query),
                (None, Purpose::Tags) => run_entry(app, Run::Tag { name: query, add: true }, ""),
                (None, Purpose::Macros) => vec![],
            };
        }
        Some(_) => {}
        None => {
            match k.code {
                KeyCode::Backspace => {
                    p.query.pop();
                }
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) && p.query.chars().count() < 100 => {
                    p.query.push(c)
                }
                _ => return vec![],
            }
            refilter(p);
        }
    }
    vec![]
}

/// Text pasted into the palette's query.
pub fn paste(app: &mut App, text: &str) -> Vec<Cmd> {
    if let Some(p) = app.palette.as_mut() {
        p.query.extend(text.chars().filter(|c| !c.is_control()).take(100usize.saturating_sub(p.query.chars().count())));
        refilter(p);
    }
    vec![]
}

fn run_entry(app: &mut App, run: Run, query: &str) -> Vec<Cmd> {
    match run {
        // The help opens over any view (keys reach it before the views do).
        Run::Action(Action::Help) => {
            app.help = true;
            vec![]
        }
        Run::Action(a) => super::mode::view_key(app, app.view(), a),
        Run::Home => {
            app.stack.truncate(1);
            vec![Cmd::LoadHome]
        }
        Run::GoToCase(id) => app.open_case(id),
        // Over a form: the text goes into its field with the focus.
        Run::Macro(m) if app.form.is_some() => {
            let text = m.render(&super::macros::vars(app));
            if let Some(f) = app.form.as_mut() {
                f.paste(&text);
            }
            vec![]
        }
        Run::Macro(m) => super::case::actions::apply_macro(app, &m),
        Run::Tag { name, add } => super::case::actions::set_tag(app, &name, add),
        Run::FindCustomer => {
            app.search_for_new_case = false;
            app.go(View::Search);
            app.search.query.clear();
            super::search::paste(app, query)
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(p) = &app.palette else { return };
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2).min(20);
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + 1, width: w, height: h };
    let inner_w = w.saturating_sub(2) as usize;
    let rows = h.saturating_sub(3) as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", theme.fg(Slot::Info)),
        Span::styled(format!("{}▏", p.query), theme.fg(Slot::InputFg)),
    ])];
    if p.shown.is_empty() {
        let hint = match (p.query.trim().is_empty(), p.purpose) {
            (true, _) => "Nothing here.",
            (false, Purpose::Commands) => "No match: Enter finds a customer by it.",
            (false, Purpose::Tags) => "A new tag: Enter adds it.",
            (false, Purpose::Macros) => "No macro matches.",
        };
        lines.push(Line::styled(hint, theme.fg(Slot::TextMuted)));
    }
    for (n, i) in p.shown.iter().enumerate().skip(window_start(p.selected, rows)).take(rows) {
        let e = &p.entries[*i];
        let style = if n == p.selected { theme.selection() } else { theme.fg(Slot::Text) };
        let key_w = 12.min(inner_w / 4);
        lines.push(Line::from(vec![
            Span::styled(fit(&e.label, inner_w.saturating_sub(key_w)), style),
            Span::styled(fit(&e.key, key_w), theme.fg(Slot::HelpKey)),
        ]));
    }
    let what = match p.purpose {
        Purpose::Commands => "Command palette",
        Purpose::Tags => "Tags of the case",
        Purpose::Macros => "Insert a macro",
    };
    let title = format!("{what} · {} of {} · Enter runs · Esc closes", p.shown.len(), p.entries.len());
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), r);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(label: &str) -> Entry {
        Entry { label: label.into(), key: String::new(), run: Run::Home }
    }

    #[test]
    fn typing_a_case_and_enter_opens_it_and_unknown_text_finds_a_customer() {
        use crate::console::app::update;
        use crate::console::msg::Msg;
        let mut app = crate::console::testing::agent_scene();
        let key = |app: &mut App, code: KeyCode| update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        key(&mut app, KeyCode::Char(':'));
        assert_eq!(app.mode(), crate::console::mode::Mode::Palette);
        for c in "parcel".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        let cmds = key(&mut app, KeyCode::Enter);
        assert!(app.palette.is_none());
        assert_eq!(app.view(), View::Case);
        assert!(cmds.contains(&Cmd::LoadCase(crate::console::testing::id(10))), "{cmds:?}");

        // The help, from the palette, opens as `?` does.
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        key(&mut app, KeyCode::Char(':'));
        for c in "help for".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        key(&mut app, KeyCode::Enter);
        assert!(app.help, "the help is open");
        key(&mut app, KeyCode::Char('x'));

        // Nothing matches: Enter looks the text up as a customer.
        key(&mut app, KeyCode::Esc);
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)));
        assert_eq!(app.mode(), crate::console::mode::Mode::Palette);
        for c in "zzqx".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        key(&mut app, KeyCode::Enter);
        assert_eq!((app.view(), app.search.query.as_str()), (View::Search, "zzqx"));
    }

    #[test]
    fn fuzzy_best_first_and_everything_for_nothing_typed() {
        let entries =
            vec![e("sync now"), e("snooze: pending until a time"), e("go to case: Parcel stuck — Zoë Müller")];
        let mut m = matcher();
        assert_eq!(filter(&entries, "", &mut m), vec![0, 1, 2]);
        assert_eq!(filter(&entries, "snz", &mut m), vec![1]);
        assert_eq!(filter(&entries, "zoe parcel", &mut m), vec![2], "words in any order, accents folded");
        assert!(filter(&entries, "qqq", &mut m).is_empty());
    }
}
