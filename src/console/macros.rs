//! Macros in the console: the team's (from the server, kept for offline use), the agent's own
//! (`macros.toml` in the config dir) and the RASA guidance's phrases, each a macro of its step.
//! `m` in a case (Ctrl-g while typing a note or a step) opens the picker; the chosen macro's
//! text, its variables filled from the case, goes in where the agent types, and what else it
//! does — a status, a follow-up — is written like any case action.

use std::path::Path;

use crate::domain::macros::{parse_file, Macro, MacroVars};
use crate::domain::rasa::RasaStep;

use super::app::App;

/// Where a macro comes from (shown in the picker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Rasa,
    Team,
    Mine,
}

impl Origin {
    pub fn mark(self) -> &'static str {
        match self {
            Origin::Rasa => "RASA",
            Origin::Team => "team",
            Origin::Mine => "mine",
        }
    }
}

/// The macros the console has, but the RASA phrases (which come from the guidance).
#[derive(Debug, Clone, Default)]
pub struct MacroSet {
    pub team: Vec<Macro>,
    pub mine: Vec<Macro>,
    /// What is wrong with the agent's own file, shown in the picker until it is fixed.
    pub problem: Option<String>,
}

impl MacroSet {
    /// The agent's own macros from `file` (none when there is no file).
    pub fn load_mine(&mut self, file: &Path) {
        match std::fs::read_to_string(file) {
            Ok(text) => match parse_file(&text) {
                Ok(m) => self.mine = m,
                Err(e) => self.problem = Some(format!("{}: {}", file.display(), e.message)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => self.problem = Some(format!("{}: {e}", file.display())),
        }
    }
}

/// The RASA guidance's phrases as macros of their step.
fn rasa_macros(app: &App) -> Vec<Macro> {
    RasaStep::ALL
        .iter()
        .flat_map(|s| {
            app.guidance.step(*s).examples.iter().enumerate().map(move |(i, phrase)| Macro {
                name: format!("rasa.{s}.{}", i + 1),
                title: phrase.clone(),
                text: phrase.clone(),
                language: None,
                step: Some(*s),
                set_status: None,
                follow_up: None,
            })
        })
        .collect()
}

/// The macros offered while `step` is worked: that step's first (its phrases, then the team's
/// and the agent's), then the macros of no step, then the other steps'; only those in the
/// agent's language (or in none).
pub fn offered(app: &App, step: RasaStep) -> Vec<(Origin, Macro)> {
    let language = app.language.as_str();
    let mut all: Vec<(Origin, Macro)> = rasa_macros(app).into_iter().map(|m| (Origin::Rasa, m)).collect();
    all.extend(app.macros.team.iter().cloned().map(|m| (Origin::Team, m)));
    all.extend(app.macros.mine.iter().cloned().map(|m| (Origin::Mine, m)));
    all.retain(|(_, m)| m.language.as_deref().is_none_or(|l| l.eq_ignore_ascii_case(language)));
    let rank = |m: &Macro| match m.step {
        Some(s) if s == step => 0,
        None => 1,
        Some(_) => 2,
    };
    // Stable: within a rank, RASA phrases, then the team's, then the agent's, each in order.
    all.sort_by_key(|(_, m)| rank(m));
    all
}

/// What the variables stand for in the case being worked.
pub fn vars(app: &App) -> MacroVars {
    let case = app.work.as_ref().and_then(|w| w.data.as_ref()).map(|d| &d.case.value);
    let customer = app.timeline.customer.as_ref().filter(|c| case.is_none_or(|k| k.customer_id == c.id));
    let last_order = app
        .timeline
        .events
        .iter()
        // The timeline is the customer's when `customer` is.
        .filter(|_| customer.is_some())
        .find(|e| e.kind.starts_with("order"))
        .map(|e| e.title.clone());
    MacroVars {
        customer_name: customer.map(|c| c.display_name.clone()),
        case_subject: case.map(|c| c.subject.clone()),
        last_order,
        agent_name: Some(app.agent.clone()),
    }
}
