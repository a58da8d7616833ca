//! The customer card's summary across sources: facts computed from the customer's events by
//! rules kept as data (`default.toml` here; a server may be given its own list). A fact counts
//! events of some kinds in a window, sums a number in their data, or shows the last value with
//! the ones before it. The store reads what [`FactRule::query`] asks for; [`FactRule::fact`]
//! turns that into what the card shows, so the rules are tested without a database.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::event::is_valid_name;
use super::template::{number, value_at};
use super::time::parse_span;
use super::Invalid;

/// The built-in list.
pub const DEFAULT: &str = include_str!("default.toml");
/// Most facts a card shows (each is a query or two).
pub const MAX_FACTS: usize = 16;
/// Most rows a `sum` reads; past it the sum says it is of the newest ones only.
pub const MAX_SUMMED: usize = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Count,
    Sum,
    Last,
}

/// One fact of the card, as an admin writes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactRule {
    pub label: String,
    pub kinds: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    pub measure: Measure,
    pub field: Option<String>,
    pub window: Option<String>,
    #[serde(default)]
    pub trend: usize,
    pub warn_at: Option<f64>,
    pub warn_below: Option<f64>,
}

/// The card's facts, in the order they are shown.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRules {
    pub facts: Vec<FactRule>,
    /// Each fact's window, read once.
    windows: Vec<Option<chrono::Duration>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardFile {
    #[serde(default)]
    fact: Vec<FactRule>,
}

impl Default for CardRules {
    fn default() -> Self {
        CardRules::parse(DEFAULT).expect("the built-in card rules read")
    }
}

impl CardRules {
    /// Reads and checks a list of facts (TOML, `[[fact]]` tables); the error says which fact
    /// is wrong and how to write it.
    pub fn parse(text: &str) -> Result<CardRules, Invalid> {
        let file: CardFile =
            toml::from_str(text).map_err(|e| Invalid::general(format!("card rules: {}", e.message())))?;
        if file.fact.len() > MAX_FACTS {
            return Err(Invalid::general(format!(
                "card rules: {} facts; a card shows up to {MAX_FACTS}",
                file.fact.len()
            )));
        }
        let mut windows = Vec::with_capacity(file.fact.len());
        for (i, f) in file.fact.iter().enumerate() {
            let at = |m: String| Invalid::general(format!("card rules, fact {} (`{}`): {m}", i + 1, f.label));
            windows.push(f.check().map_err(at)?);
        }
        Ok(CardRules { facts: file.fact, windows })
    }

    /// What the store reads for each fact, at `now`.
    pub fn queries(&self, now: DateTime<Utc>) -> Vec<FactQuery<'_>> {
        self.facts
            .iter()
            .zip(&self.windows)
            .map(|(f, w)| FactQuery {
                kinds: &f.kinds,
                sources: &f.sources,
                since: w.map(|w| now - w),
                rows: match f.measure {
                    Measure::Count => Rows::Count,
                    Measure::Sum => Rows::Newest(MAX_SUMMED),
                    Measure::Last => Rows::Newest(1 + f.trend),
                },
            })
            .collect()
    }
}

impl FactRule {
    /// The fact's window, once it is known to be well written.
    fn check(&self) -> Result<Option<chrono::Duration>, String> {
        let label = self.label.trim();
        if label.is_empty() || label.chars().count() > 24 || label.chars().any(char::is_control) {
            return Err("a label is 1 to 24 characters on one line".into());
        }
        if self.kinds.is_empty() {
            return Err("name the event kinds it reads: kinds = [\"payment_failed\"]".into());
        }
        if let Some(bad) = self.kinds.iter().chain(&self.sources).find(|k| !is_valid_name(k)) {
            return Err(format!("`{bad}` is not a kind or source name (lower-case letters, digits, _ - .)"));
        }
        match (self.measure, &self.field) {
            (Measure::Count, Some(_)) => return Err("a count reads no field: leave `field` out".into()),
            (Measure::Sum | Measure::Last, None) => {
                return Err(
                    "a sum or last value needs the number's `field` in the event's data, e.g. field = \"total\"".into(),
                )
            }
            (_, Some(f)) if f.is_empty() || f.split('.').any(str::is_empty) => {
                return Err(format!("`{f}` is not a field path: dotted names such as `object.amount`"))
            }
            _ => {}
        }
        if self.trend > 5 || (self.trend > 0 && self.measure != Measure::Last) {
            return Err("`trend` (0 to 5) is for a last value".into());
        }
        let window = self.window.as_deref().map(parse_span).transpose()?;
        if window.is_none() && self.measure != Measure::Last {
            return Err("a count or sum needs a `window`, e.g. window = \"30d\"".into());
        }
        Ok(window)
    }

    /// What the card shows, from what the store read for [`CardRules::queries`]' query.
    pub fn fact(&self, reading: Reading) -> Fact {
        let (value, at, earlier, partial) = match (self.measure, reading) {
            (_, Reading::Count(n)) => (Some(n as f64), None, Vec::new(), false),
            (Measure::Sum, Reading::Rows(rows)) => {
                let field = self.field.as_deref().unwrap_or_default();
                let sum: f64 = rows.iter().filter_map(|(_, d)| value_at(d, field).and_then(number)).sum();
                // Cents are what people read: a sum of prices is shown to two places.
                (Some((sum * 100.0).round() / 100.0), None, Vec::new(), rows.len() >= MAX_SUMMED)
            }
            (_, Reading::Rows(rows)) => {
                let field = self.field.as_deref().unwrap_or_default();
                let mut read = rows.iter().filter_map(|(t, d)| value_at(d, field).and_then(number).map(|v| (*t, v)));
                match read.next() {
                    Some((t, v)) => (Some(v), Some(t), read.map(|(_, v)| v).collect(), false),
                    None => (None, None, Vec::new(), false),
                }
            }
        };
        let warn =
            value.is_some_and(|v| self.warn_at.is_some_and(|w| v >= w) || self.warn_below.is_some_and(|w| v < w));
        Fact {
            label: self.label.trim().to_string(),
            measure: self.measure,
            value,
            at,
            earlier,
            window: self.window.clone(),
            warn,
            partial,
        }
    }
}

/// What the store reads for one fact: the customer's events of `kinds` (from `sources`, when
/// named) since `since`.
#[derive(Debug, Clone, PartialEq)]
pub struct FactQuery<'a> {
    pub kinds: &'a [String],
    pub sources: &'a [String],
    pub since: Option<DateTime<Utc>>,
    pub rows: Rows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    Count,
    /// The data of the newest events, up to this many, newest first.
    Newest(usize),
}

/// What the store read.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    Count(u64),
    /// (occurred at, data), newest first.
    Rows(Vec<(DateTime<Utc>, Value)>),
}

/// One fact of a customer's card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Fact {
    pub label: String,
    pub measure: Measure,
    /// `null`: no value (no such event for a last value).
    pub value: Option<f64>,
    /// A last value: when it came.
    pub at: Option<DateTime<Utc>>,
    /// A last value: the ones before it, newest first.
    #[serde(default)]
    pub earlier: Vec<f64>,
    /// The window counted or summed (`30d`).
    pub window: Option<String>,
    /// Past the rule's warning mark.
    #[serde(default)]
    pub warn: bool,
    /// A sum of the newest events only: the window held more than a card sums.
    #[serde(default)]
    pub partial: bool,
}

impl Fact {
    /// The value as the card shows it: `3`, `412.50`, `4 ↑ (3, 2)`, or `–` when there is none.
    pub fn display(&self) -> String {
        let Some(v) = self.value else { return "–".into() };
        let show = |v: f64| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") };
        let mut out = show(v);
        if self.partial {
            out.push('+');
        }
        if let Some(prev) = self.earlier.first() {
            out.push_str(match v.partial_cmp(prev) {
                Some(std::cmp::Ordering::Greater) => " ↑",
                Some(std::cmp::Ordering::Less) => " ↓",
                _ => " →",
            });
            let earlier: Vec<String> = self.earlier.iter().map(|v| show(*v)).collect();
            out.push_str(&format!(" ({})", earlier.join(", ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000 + h * 3600, 0).unwrap()
    }

    #[test]
    fn the_built_in_rules_read_and_ask_for_what_they_show() {
        let rules = CardRules::default();
        assert_eq!(rules.facts.len(), 7);
        let now = t(1000);
        let q = rules.queries(now);
        assert_eq!(q[0].kinds, ["order_placed".to_string()]);
        assert_eq!(q[0].since, Some(now - chrono::Duration::days(90)));
        assert_eq!(q[0].rows, Rows::Count);
        assert_eq!(q[1].rows, Rows::Newest(MAX_SUMMED));
        let csat = rules.facts.iter().position(|f| f.label == "CSAT").unwrap();
        assert_eq!(q[csat].rows, Rows::Newest(4));
        assert_eq!(q[csat].since, None);
    }

    #[test]
    fn counts_sums_and_last_values() {
        let rules = CardRules::default();
        let failed = &rules.facts[3];
        let f = failed.fact(Reading::Count(2));
        assert_eq!((f.value, f.warn, f.display()), (Some(2.0), true, "2".to_string()));
        assert!(!failed.fact(Reading::Count(0)).warn);

        let spent = &rules.facts[1];
        let rows = vec![
            (t(3), json!({"total": 129.0})),
            (t(2), json!({"total": "89.50"})),
            (t(1), json!({"total": "n/a"})),
            (t(0), json!({})),
        ];
        let f = spent.fact(Reading::Rows(rows));
        assert_eq!(f.value, Some(218.5));
        assert_eq!(f.display(), "218.50");

        let csat = rules.facts.iter().find(|f| f.label == "CSAT").unwrap();
        let rows = vec![(t(9), json!({"score": 2})), (t(5), json!({"score": "4"})), (t(1), json!({"score": 5}))];
        let f = csat.fact(Reading::Rows(rows));
        assert_eq!((f.value, f.at, f.earlier.clone(), f.warn), (Some(2.0), Some(t(9)), vec![4.0, 5.0], true));
        assert_eq!(f.display(), "2 ↓ (4, 5)");
        let none = csat.fact(Reading::Rows(vec![]));
        assert_eq!((none.value, none.warn, none.display()), (None, false, "–".to_string()));
    }

    #[test]
    fn a_wrong_rule_says_which_and_how() {
        let cases = [
            ("[[fact]]\nlabel = \"X\"\nkinds = []\nmeasure = \"count\"\nwindow = \"7d\"", "name the event kinds"),
            (
                "[[fact]]\nlabel = \"X\"\nkinds = [\"a\"]\nmeasure = \"sum\"\nwindow = \"7d\"",
                "needs the number's `field`",
            ),
            ("[[fact]]\nlabel = \"X\"\nkinds = [\"a\"]\nmeasure = \"count\"", "needs a `window`"),
            ("[[fact]]\nlabel = \"X\"\nkinds = [\"a\"]\nmeasure = \"count\"\nwindow = \"7 days\"", "not a span"),
            ("[[fact]]\nlabel = \"X\"\nkinds = [\"a b\"]\nmeasure = \"count\"\nwindow = \"7d\"", "not a kind"),
            ("[[fact]]\nlabel = \"X\"\nkinds = [\"a\"]\nmeasure = \"average\"\nwindow = \"7d\"", "average"),
            ("[[fact]]\nlabel = \"X\"\nkinds = [\"a\"]\nmeasure = \"count\"\nwindow = \"7d\"\ncolour = 1", "colour"),
            ("[[fact]]\nlabel = \"\"\nkinds = [\"a\"]\nmeasure = \"count\"\nwindow = \"7d\"", "1 to 24"),
            ("[[fact]]\nlabel = \"X\"\nkinds = [\"a\"]\nmeasure = \"count\"\nwindow = \"7d\"\ntrend = 2", "trend"),
        ];
        for (text, said) in cases {
            let e = CardRules::parse(text).unwrap_err().message;
            assert!(e.contains(said), "{text}: {e}");
        }
        let many = "[[fact]]\nlabel = \"X\"\nkinds = [\"a\"]\nmeasure = \"count\"\nwindow = \"7d\"\n".repeat(17);
        assert!(CardRules::parse(&many).unwrap_err().message.contains("up to 16"));
    }
}
