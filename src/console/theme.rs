//! Colour themes: `themes/*.toml`, compiled in, and the user's own in the config dir's
//! `themes/`. Slots are named by meaning (`ui.text`, `priority.urgent`, `source.shop`), never
//! by place on screen; views ask for a [`Slot`] (a typed name: a misspelt one does not
//! compile), never for a colour. Timeline sources are open-ended and named by text. A user file may set only some
//! slots: the rest come from the default theme. A broken file is reported with its file and
//! line, and the default is used. `NO_COLOR` turns every colour off (emphasis stays, through
//! bold and reversed text).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use crate::domain::case::{CaseStatus, Outcome, Priority};
use crate::domain::sla::SlaState;

/// A RASA step's mark in the stepper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RasaMark {
    Todo,
    Current,
    Done,
}

/// A theme slot: what a colour means. Spelt in theme files as `section.key` ([`Slot::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Text,
    TextMuted,
    Border,
    BorderFocused,
    Title,
    SelectionFg,
    SelectionBg,
    StatusbarFg,
    StatusbarBg,
    Info,
    Success,
    Warn,
    Error,
    InputFg,
    InputBg,
    HelpKey,
    HelpDesc,
    Priority(Priority),
    Sla(SlaState),
    Status(CaseStatus),
    Rasa(RasaMark),
    Outcome(Outcome),
}

/// The `[ui]` slots, with their keys.
const UI: [(Slot, &str); 17] = [
    (Slot::Text, "text"),
    (Slot::TextMuted, "text_muted"),
    (Slot::Border, "border"),
    (Slot::BorderFocused, "border_focused"),
    (Slot::Title, "title"),
    (Slot::SelectionFg, "selection_fg"),
    (Slot::SelectionBg, "selection_bg"),
    (Slot::StatusbarFg, "statusbar_fg"),
    (Slot::StatusbarBg, "statusbar_bg"),
    (Slot::Info, "info"),
    (Slot::Success, "success"),
    (Slot::Warn, "warn"),
    (Slot::Error, "error"),
    (Slot::InputFg, "input_fg"),
    (Slot::InputBg, "input_bg"),
    (Slot::HelpKey, "help_key"),
    (Slot::HelpDesc, "help_desc"),
];

impl Slot {
    /// Every slot, in the order the default theme lists them.
    pub fn all() -> Vec<Slot> {
        let mut all: Vec<Slot> = UI.iter().map(|(s, _)| *s).collect();
        all.extend(Priority::ALL.iter().map(|p| Slot::Priority(*p)));
        all.extend(SlaState::ALL.iter().map(|s| Slot::Sla(*s)));
        all.extend(CaseStatus::ALL.iter().map(|s| Slot::Status(*s)));
        all.extend([RasaMark::Todo, RasaMark::Current, RasaMark::Done].map(Slot::Rasa));
        all.extend(Outcome::ALL.iter().map(|o| Slot::Outcome(*o)));
        all
    }

    /// Its section and key in a theme file.
    pub fn name(self) -> (&'static str, &'static str) {
        match self {
            Slot::Priority(p) => ("priority", p.as_str()),
            Slot::Sla(s) => ("sla", s.as_str()),
            Slot::Status(s) => ("status", s.as_str()),
            Slot::Rasa(m) => ("rasa", ["todo", "current", "done"][m as usize]),
            Slot::Outcome(o) => ("outcome", o.as_str()),
            ui => ("ui", UI.iter().find(|(s, _)| *s == ui).map(|(_, k)| *k).expect("every ui slot has a key")),
        }
    }

    /// The slot a theme file's `section.key` names.
    fn named(section: &str, key: &str) -> Option<Slot> {
        Slot::all().into_iter().find(|s| s.name() == (section, key))
    }
}

/// The built-in themes, in the order they are offered.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// By `(section, key)`.
    slots: BTreeMap<(&'static str, &'static str), Color>,
    sources: BTreeMap<String, Color>,
    chart: Vec<Color>,
    /// `NO_COLOR`: no colours at all.
    plain: bool,
}

/// Something wrong in a theme file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeProblem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ThemeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The 1-based line of byte offset `at` in `src`.
fn line_at(src: &str, at: usize) -> usize {
    src[..at.min(src.len())].matches('\n').count() + 1
}

/// The line where `key` is set inside `[section]` (or at the top when `section` is empty).
fn line_of(src: &str, section: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, line) in src.lines().enumerate() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            current = h.trim().to_string();
        } else if current == section && t.split('=').next().is_some_and(|k| k.trim().trim_matches('"') == key) {
            return Some(i + 1);
        }
    }
    None
}

impl Theme {
    /// The default theme (dark).
    pub fn default_theme() -> Theme {
        let base = Theme {
            name: String::new(),
            slots: BTreeMap::new(),
            sources: BTreeMap::new(),
            chart: Vec::new(),
            plain: false,
        };
        let (theme, problems) = Theme::parse("themes/default.toml", BUILT_IN[0].1, &base);
        debug_assert!(problems.is_empty(), "the default theme is clean: {problems:?}");
        theme
    }

    /// Reads a theme file over `base`: slots it sets replace `base`'s, the rest stay.
    fn parse(file: &str, src: &str, base: &Theme) -> (Theme, Vec<ThemeProblem>) {
        let mut problems = Vec::new();
        let problem = |line: Option<usize>, message: String| ThemeProblem { file: file.to_string(), line, message };
        let table = match src.parse::<toml::Table>() {
            Ok(t) => t,
            Err(e) => {
                let line = e.span().map(|s| line_at(src, s.start));
                let message = format!("not valid TOML ({}); using the default theme", e.message());
                return (base.clone(), vec![problem(line, message)]);
            }
        };
        let mut theme = base.clone();
        for (section, value) in &table {
            match (section.as_str(), value) {
                ("name", toml::Value::String(n)) => theme.name = n.clone(),
                (_, toml::Value::Table(entries)) => {
                    for (key, v) in entries {
                        let line = line_of(src, section, key);
                        if section == "chart" && key == "series" {
                            let colours: Option<Vec<Color>> = v.as_array().map(|a| {
                                a.iter().filter_map(|c| c.as_str().and_then(|c| Color::from_str(c).ok())).collect()
                            });
                            match colours {
                                Some(c) if !c.is_empty() && c.len() == v.as_array().map_or(0, |a| a.len()) => {
                                    theme.chart = c
                                }
                                _ => problems.push(problem(
                                    line,
                                    "chart.series: a list of colours such as [\"#88c0d0\", \"red\"]".into(),
                                )),
                            }
                            continue;
                        }
                        let slot = format!("{section}.{key}");
                        let named = Slot::named(section, key);
                        if named.is_none() && section != "source" {
                            let known: Vec<&str> = Slot::all()
                                .into_iter()
                                .map(Slot::name)
                                .filter(|(s, _)| s == section)
                                .map(|(_, k)| k)
                                .collect();
                            let hint = if known.is_empty() {
                                "sections are ui, priority, sla, status, rasa, outcome, source, chart".to_string()
                            } else {
                                format!("known in [{section}]: {}", known.join(", "))
                            };
                            problems.push(problem(line, format!("unknown slot `{slot}` ({hint})")));
                            continue;
                        }
                        match v.as_str().map(Color::from_str) {
                            Some(Ok(c)) => {
                                match named {
                                    Some(named) => theme.slots.insert(named.name(), c),
                                    None => theme.sources.insert(key.clone(), c),
                                };
                            }
                            _ => problems.push(problem(
                                line,
                                format!("`{slot}` = {v} is not a colour: use a name (red, dark_gray, …) or \"#rrggbb\"; the default is used"),
                            )),
                        }
                    }
                }
                (other, _) => problems.push(problem(
                    line_of(src, "", other),
                    format!("unexpected `{other}`: a theme has `name` and colour tables"),
                )),
            }
        }
        problems.sort_by_key(|p| p.line);
        (theme, problems)
    }

    /// The theme `name`: the user's file `<user_dir>/<name>.toml` first, then a built-in one.
    /// Problems come back to be shown; the console always gets a usable theme.
    pub fn load(name: &str, user_dir: Option<&Path>, no_color: bool) -> (Theme, Vec<ThemeProblem>) {
        let default = Theme::default_theme();
        let user_file: Option<PathBuf> = user_dir.map(|d| d.join(format!("{name}.toml"))).filter(|p| p.is_file());
        let (mut theme, problems) = match (user_file, BUILT_IN.iter().find(|(n, _)| *n == name)) {
            (Some(path), _) => match std::fs::read_to_string(&path) {
                Ok(src) => Theme::parse(&path.display().to_string(), &src, &default),
                Err(e) => (
                    default.clone(),
                    vec![ThemeProblem {
                        file: path.display().to_string(),
                        line: None,
                        message: format!("cannot read it ({e}); using the default theme"),
                    }],
                ),
            },
            (None, Some((n, src))) => Theme::parse(&format!("themes/{n}.toml"), src, &default),
            (None, None) => {
                let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
                let where_ = user_dir.map(|d| format!(", or put {name}.toml in {}", d.display())).unwrap_or_default();
                let message = format!(
                    "no theme named `{name}`: built-in ones are {}{where_}; using the default theme",
                    names.join(", ")
                );
                (default.clone(), vec![ThemeProblem { file: name.to_string(), line: None, message }])
            }
        };
        if theme.name.is_empty() {
            theme.name = name.to_string();
        }
        theme.plain = no_color;
        (theme, problems)
    }

    /// A slot's colour.
    pub fn color(&self, slot: Slot) -> Color {
        if self.plain {
            return Color::Reset;
        }
        self.slots.get(&slot.name()).copied().unwrap_or(Color::Reset)
    }

    /// Text in a slot's colour.
    pub fn fg(&self, slot: Slot) -> Style {
        Style::default().fg(self.color(slot))
    }

    /// A timeline source's colour; a source without its own gets `ui.text_muted`.
    pub fn source(&self, source: &str) -> Color {
        match self.sources.get(source) {
            Some(c) if !self.plain => *c,
            _ => self.color(Slot::TextMuted),
        }
    }

    /// The selected row: reversed when there are no colours.
    pub fn selection(&self) -> Style {
        if self.plain {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
        Style::default().fg(self.color(Slot::SelectionFg)).bg(self.color(Slot::SelectionBg))
    }

    pub fn statusbar(&self) -> Style {
        if self.plain {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
        Style::default().fg(self.color(Slot::StatusbarFg)).bg(self.color(Slot::StatusbarBg))
    }

    /// The `i`th chart series colour (cycling).
    pub fn chart(&self, i: usize) -> Color {
        if self.plain || self.chart.is_empty() {
            return Color::Reset;
        }
        self.chart[i % self.chart.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_loads_cleanly_and_sets_every_slot() {
        let default = Theme::default_theme();
        for (name, src) in BUILT_IN {
            let (theme, problems) = Theme::load(name, None, false);
            assert!(problems.is_empty(), "{name}: {problems:?}");
            assert_eq!(theme.name, *name);
            let table: toml::Table = src.parse().unwrap();
            for slot in Slot::all() {
                let (section, key) = slot.name();
                assert!(table.get(section).and_then(|s| s.get(key)).is_some(), "{name} sets {section}.{key}");
                assert_eq!(Slot::named(section, key), Some(slot));
            }
            let set = table.iter().filter(|(s, _)| !["name", "source", "chart"].contains(&s.as_str()));
            let n: usize = set.map(|(_, t)| t.as_table().map_or(0, |t| t.len())).sum();
            assert_eq!(n, Slot::all().len(), "{name}: every slot it sets is a Slot");
        }
        let (hc, _) = Theme::load("high-contrast", None, false);
        assert_ne!(hc.color(Slot::Text), default.color(Slot::Text));
    }

    #[test]
    fn user_themes_fall_back_slot_by_slot_and_problems_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "name = \"mine\"\n[ui]\ntext = \"#ff0000\"\ntxet = \"red\"\nborder = \"not-a-colour\"\n[source]\nerp = \"cyan\"\n",
        )
        .unwrap();
        let (theme, problems) = Theme::load("mine", Some(dir.path()), false);
        let default = Theme::default_theme();
        assert_eq!(theme.color(Slot::Text), Color::Rgb(255, 0, 0));
        assert_eq!(theme.color(Slot::Border), default.color(Slot::Border), "a bad value falls back");
        assert_eq!(theme.color(Slot::Title), default.color(Slot::Title), "an unset slot falls back");
        assert_eq!(theme.source("erp"), Color::Cyan, "new sources may be added");
        assert_eq!(theme.source("unheard-of"), default.color(Slot::TextMuted));
        let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(4), Some(5)], "{problems:?}");
        assert!(problems[0].to_string().contains("mine.toml:4: unknown slot `ui.txet`"), "{}", problems[0]);
        assert!(problems[1].message.contains("not a colour"));

        std::fs::write(dir.path().join("broken.toml"), "[ui]\ntext = \"#ffffff\"\nborder = [\n").unwrap();
        let (theme, problems) = Theme::load("broken", Some(dir.path()), false);
        assert_eq!(theme.color(Slot::Text), default.color(Slot::Text), "a broken file: the default theme");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].line.is_some() && problems[0].message.contains("not valid TOML"), "{problems:?}");

        let (theme, problems) = Theme::load("nope", Some(dir.path()), false);
        assert_eq!(theme.color(Slot::Text), default.color(Slot::Text));
        assert!(problems[0].message.contains("built-in ones are default, light, high-contrast, colorblind"));
    }

    #[test]
    fn no_color_means_no_colours_but_selection_still_shows() {
        let (theme, _) = Theme::load("default", None, true);
        assert_eq!(theme.color(Slot::Text), Color::Reset);
        assert_eq!(theme.source("shop"), Color::Reset);
        assert!(theme.selection().add_modifier.contains(Modifier::REVERSED));
    }
}
