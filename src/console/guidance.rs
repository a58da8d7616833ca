//! The RASA guidance shown beside each step: what to do and phrases to borrow, in the agent's
//! language. The text lives in data files (`src/console/guidance/<code>.toml`), compiled in;
//! the language is the `language` setting of `config.toml` (or `CASEBOOK_LANGUAGE`).

use serde::Deserialize;

use crate::domain::rasa::RasaStep;

/// The shipped languages: code and file.
const BUILT_IN: &[(&str, &str)] = &[
    ("en", include_str!("guidance/en.toml")),
    ("it", include_str!("guidance/it.toml")),
    ("hu", include_str!("guidance/hu.toml")),
];

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StepGuide {
    pub name: String,
    pub guidance: String,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Guidance {
    pub language: String,
    pub receive: StepGuide,
    pub appreciate: StepGuide,
    pub summarize: StepGuide,
    pub ask: StepGuide,
}

impl Guidance {
    /// The guidance in `code` (`en`, `it`, `hu`). An unknown code gives English and a message
    /// naming the languages there are.
    pub fn load(code: &str) -> (Guidance, Option<String>) {
        let code = code.trim().to_ascii_lowercase();
        match BUILT_IN.iter().find(|(c, _)| *c == code) {
            Some((_, src)) => (parse(src), None),
            None => {
                let known: Vec<&str> = BUILT_IN.iter().map(|(c, _)| *c).collect();
                (
                    parse(BUILT_IN[0].1),
                    Some(format!("no RASA guidance in language “{code}”: use one of {}", known.join(", "))),
                )
            }
        }
    }

    pub fn languages() -> impl Iterator<Item = &'static str> {
        BUILT_IN.iter().map(|(c, _)| *c)
    }

    pub fn step(&self, step: RasaStep) -> &StepGuide {
        match step {
            RasaStep::Receive => &self.receive,
            RasaStep::Appreciate => &self.appreciate,
            RasaStep::Summarize => &self.summarize,
            RasaStep::Ask => &self.ask,
        }
    }
}

fn parse(src: &str) -> Guidance {
    // The files are compiled in and checked by a test; a broken one is a build defect.
    toml::from_str(src).unwrap_or_else(|e| panic!("a shipped RASA guidance file is broken: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_four_steps_with_their_names() {
        let names = |code: &str| -> Vec<String> {
            let (g, problem) = Guidance::load(code);
            assert!(problem.is_none());
            RasaStep::ALL
                .iter()
                .map(|s| {
                    let step = g.step(*s);
                    assert!(!step.guidance.is_empty() && !step.examples.is_empty(), "{code} {s}");
                    step.name.clone()
                })
                .collect()
        };
        assert_eq!(names("en"), ["Receive", "Appreciate", "Summarize", "Ask"]);
        assert_eq!(names("it"), ["Ricevere", "Apprezzare", "Riassumere", "Chiedere"]);
        assert_eq!(names("HU"), ["Fogadj", "Értékelj", "Foglalj össze", "Kérdezz"]);
        let (g, problem) = Guidance::load("de");
        assert_eq!(g.language, "English");
        assert!(problem.unwrap().contains("en, it, hu"));
    }
}
