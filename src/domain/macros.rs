//! Macros: canned texts an agent inserts into a note or a RASA step, with variables filled from
//! the case (`{customer.first_name}`, `{case.subject}`, `{order.last}`, `{agent.name}`), in a
//! language, optionally tied to a RASA step; a macro may also set the case's status and add a
//! follow-up in the same step. Team macros are kept by the server (admins load them), personal
//! ones in the agent's config dir, and the RASA guidance's phrases are macros of their step.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::case::{CaseStatus, MAX_NOTE_CHARS};
use super::event::is_valid_name;
use super::rasa::RasaStep;
use super::time::parse_span;
use super::Invalid;

/// The variables a macro's text may use.
pub const VARIABLES: &[&str] = &["customer.first_name", "customer.name", "case.subject", "order.last", "agent.name"];

/// One macro.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Macro {
    /// Lower-case letters, digits, `_`, `-`, `.`: how it is named in files and the API.
    #[schema(pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    pub name: String,
    /// What the picker shows (up to 80 characters).
    pub title: String,
    /// The text inserted, with `{variables}`.
    pub text: String,
    /// `en`, `it`, `hu`…; left out: every language.
    #[serde(default)]
    pub language: Option<String>,
    /// A RASA step's macro: offered first while that step is worked.
    #[serde(default)]
    pub step: Option<RasaStep>,
    /// Also set the case's status (`open` or `pending`).
    #[serde(default)]
    pub set_status: Option<CaseStatus>,
    /// Also add a follow-up this long after now (`2h`, `1d`).
    #[serde(default)]
    pub follow_up: Option<String>,
}

/// What the variables stand for in one case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacroVars {
    pub customer_name: Option<String>,
    pub case_subject: Option<String>,
    pub last_order: Option<String>,
    pub agent_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MacroFile {
    #[serde(default, rename = "macro")]
    macros: Vec<Macro>,
}

impl Macro {
    /// Checks a macro; the error says what to fix.
    pub fn check(&self) -> Result<(), Invalid> {
        if !is_valid_name(&self.name) {
            return Err(Invalid::field(
                "name",
                format!("`{}` is not a macro name: lower-case letters, digits, `_`, `-`, `.`", self.name),
            ));
        }
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 80 || title.chars().any(char::is_control) {
            return Err(Invalid::field("title", "a title is 1 to 80 characters on one line"));
        }
        if self.text.trim().is_empty() || self.text.chars().count() > MAX_NOTE_CHARS {
            return Err(Invalid::field("text", format!("the text is 1 to {MAX_NOTE_CHARS} characters")));
        }
        super::text::check_no_nul("text", &self.text)?;
        for var in variables_in(&self.text) {
            if !VARIABLES.contains(&var) {
                return Err(Invalid::field(
                    "text",
                    format!("`{{{var}}}` is not a variable; a macro may use {}", braced(VARIABLES)),
                ));
            }
        }
        if let Some(l) = &self.language {
            let ok = (2..=8).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(Invalid::field("language", format!("`{l}` is not a language code such as en, it, pt-BR")));
            }
        }
        if let Some(s) = self.set_status.filter(|s| !matches!(s, CaseStatus::Open | CaseStatus::Pending)) {
            return Err(Invalid::field(
                "set_status",
                format!("a macro sets open or pending, not {s}: resolving has its own form (R)"),
            ));
        }
        if let Some(f) = &self.follow_up {
            parse_span(f).map_err(|e| Invalid::field("follow_up", e))?;
        }
        Ok(())
    }

    /// How long after now the follow-up it adds is due.
    pub fn follow_up_in(&self) -> Option<chrono::Duration> {
        self.follow_up.as_deref().and_then(|f| parse_span(f).ok())
    }

    /// The text with its variables filled; one without a value stays as written, braces and all,
    /// for the agent to see and fill in.
    pub fn render(&self, vars: &MacroVars) -> String {
        let first = vars.customer_name.as_deref().and_then(|n| n.split_whitespace().next()).map(str::to_string);
        let value = |var: &str| -> Option<String> {
            match var {
                "customer.first_name" => first.clone(),
                "customer.name" => vars.customer_name.clone(),
                "case.subject" => vars.case_subject.clone(),
                "order.last" => vars.last_order.clone(),
                "agent.name" => vars.agent_name.clone(),
                _ => None,
            }
        };
        let mut out = String::with_capacity(self.text.len());
        let mut rest = self.text.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open..];
            match after.find('}') {
                Some(close) => {
                    let var = &after[1..close];
                    match value(var) {
                        Some(v) => out.push_str(&v),
                        None => out.push_str(&after[..=close]),
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(after);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

fn braced(vars: &[&str]) -> String {
    vars.iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(", ")
}

/// The `{variables}` of a text.
fn variables_in(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(after[..close].trim());
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// Reads a file of macros (TOML, `[[macro]]` tables), each checked; the error names the macro.
pub fn parse_file(text: &str) -> Result<Vec<Macro>, Invalid> {
    let file: MacroFile = toml::from_str(text).map_err(|e| Invalid::general(format!("macros: {}", e.message())))?;
    let mut seen = std::collections::HashSet::new();
    for (i, m) in file.macros.iter().enumerate() {
        m.check().map_err(|e| {
            Invalid::general(format!("macro {} (`{}`): {}: {}", i + 1, m.name, e.field.unwrap_or("macro"), e.message))
        })?;
        if !seen.insert(m.name.as_str()) {
            return Err(Invalid::general(format!("macro `{}` is there twice: give each a name of its own", m.name)));
        }
    }
    Ok(file.macros)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorry() -> Macro {
        Macro {
            name: "delay-sorry".into(),
            title: "Sorry for the delay".into(),
            text: "Hi {customer.first_name}, I'm sorry {order.last} is late. — {agent.name}".into(),
            language: Some("en".into()),
            step: None,
            set_status: Some(CaseStatus::Pending),
            follow_up: Some("1d".into()),
        }
    }

    #[test]
    fn variables_are_filled_and_a_missing_one_stays_visible() {
        let vars = MacroVars {
            customer_name: Some("Zoë Müller".into()),
            case_subject: Some("Parcel".into()),
            last_order: Some("order #1042".into()),
            agent_name: Some("anna".into()),
        };
        assert_eq!(sorry().render(&vars), "Hi Zoë, I'm sorry order #1042 is late. — anna");
        let partial = MacroVars { customer_name: Some("Zoë".into()), ..Default::default() };
        assert_eq!(sorry().render(&partial), "Hi Zoë, I'm sorry {order.last} is late. — {agent.name}");
        assert_eq!(sorry().follow_up_in(), Some(chrono::Duration::days(1)));
        let odd = Macro { text: "a { b".into(), ..sorry() };
        assert_eq!(odd.render(&vars), "a { b");
    }

    #[test]
    fn a_wrong_macro_says_what_to_fix() {
        let cases = [
            (Macro { text: "Hi {customer.nick}".into(), ..sorry() }, "not a variable"),
            (Macro { name: "Delay Sorry".into(), ..sorry() }, "not a macro name"),
            (Macro { set_status: Some(CaseStatus::Resolved), ..sorry() }, "resolving has its own form"),
            (Macro { follow_up: Some("tomorrow".into()), ..sorry() }, "not a span"),
            (Macro { language: Some("english!".into()), ..sorry() }, "language code"),
            (Macro { text: "a\0b".into(), ..sorry() }, "NUL"),
            (Macro { title: " ".into(), ..sorry() }, "title"),
        ];
        for (m, said) in cases {
            let e = m.check().unwrap_err();
            assert!(e.message.contains(said), "{said}: {}", e.message);
        }
        let file = "[[macro]]\nname = \"a\"\ntitle = \"A\"\ntext = \"x\"\n[[macro]]\nname = \"a\"\ntitle = \"B\"\ntext = \"y\"\n";
        assert!(parse_file(file).unwrap_err().message.contains("twice"));
        let bad = "[[macro]]\nname = \"a\"\ntitle = \"A\"\ntext = \"{x}\"\n";
        assert!(parse_file(bad).unwrap_err().message.starts_with("macro 1 (`a`): text:"));
        let good =
            "[[macro]]\nname = \"a\"\ntitle = \"A\"\ntext = \"Hi {customer.first_name}\"\nstep = \"appreciate\"\n";
        assert_eq!(parse_file(good).unwrap()[0].step, Some(RasaStep::Appreciate));
    }
}
