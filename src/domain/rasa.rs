//! The RASA listening checklist: Receive, Appreciate, Summarize, Ask. Each change to a step is
//! an append-only entry; the state of the checklist is folded from the entries, and its
//! completeness is derived, never stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::named_enum;

pub const MAX_STEP_NOTES_CHARS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RasaStep {
    Receive,
    Appreciate,
    Summarize,
    Ask,
}
named_enum!(RasaStep, "RASA step", {
    Receive => "receive", Appreciate => "appreciate", Summarize => "summarize", Ask => "ask"
});

impl RasaStep {
    pub fn index(self) -> usize {
        self as usize
    }

    /// The step after this one in RASA order, none after Ask.
    pub fn next(self) -> Option<RasaStep> {
        RasaStep::ALL.get(self.index() + 1).copied()
    }

    /// The step before this one, none before Receive.
    pub fn prev(self) -> Option<RasaStep> {
        self.index().checked_sub(1).map(|i| RasaStep::ALL[i])
    }
}

/// What a step's notes start from when the agent opens it: its own notes, or for Summarize
/// (still empty) what was captured in Receive, for the agent to reword and say back.
pub fn starting_notes(step: RasaStep, own: &str, received: &str) -> String {
    if step == RasaStep::Summarize && own.trim().is_empty() {
        return received.to_string();
    }
    own.to_string()
}

/// One recorded change of a step: its notes as they now stand and whether it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEntry {
    pub step: RasaStep,
    pub notes: String,
    pub done: bool,
    pub author_id: Uuid,
    pub at: DateTime<Utc>,
}

/// A recorded entry as the change feed carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedEntry {
    pub id: Uuid,
    pub case_id: Uuid,
    pub step: RasaStep,
    pub notes: String,
    pub done: bool,
    pub author_id: Uuid,
    pub at: DateTime<Utc>,
}

impl RecordedEntry {
    pub fn entry(&self) -> StepEntry {
        StepEntry {
            step: self.step,
            notes: self.notes.clone(),
            done: self.done,
            author_id: self.author_id,
            at: self.at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StepState {
    pub step: RasaStep,
    pub notes: String,
    /// When the step was (last) marked done; `null` while it is not done.
    pub done_at: Option<DateTime<Utc>>,
    /// Who last changed the step.
    pub author_id: Option<Uuid>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Checklist {
    pub steps: Vec<StepState>,
    /// Every step done.
    pub complete: bool,
    /// The first step not yet done, in RASA order.
    pub current: Option<RasaStep>,
}

impl Checklist {
    pub fn missing(&self) -> Vec<RasaStep> {
        self.steps.iter().filter(|s| s.done_at.is_none()).map(|s| s.step).collect()
    }
}

/// Folds entries (in the order they were recorded) into the checklist.
pub fn fold(entries: &[StepEntry]) -> Checklist {
    let mut steps: Vec<StepState> = RasaStep::ALL
        .iter()
        .map(|s| StepState { step: *s, notes: String::new(), done_at: None, author_id: None, updated_at: None })
        .collect();
    for e in entries {
        let st = &mut steps[e.step.index()];
        st.notes = e.notes.clone();
        st.done_at = match (e.done, st.done_at) {
            (true, Some(first)) => Some(first),
            (true, None) => Some(e.at),
            (false, _) => None,
        };
        st.author_id = Some(e.author_id);
        st.updated_at = Some(e.at);
    }
    let current = steps.iter().find(|s| s.done_at.is_none()).map(|s| s.step);
    Checklist { complete: current.is_none(), current, steps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::now;
    use chrono::Duration;

    fn entry(step: RasaStep, done: bool, at: DateTime<Utc>) -> StepEntry {
        StepEntry { step, notes: format!("{step} notes"), done, author_id: Uuid::nil(), at }
    }

    #[test]
    fn completeness_is_derived_and_steps_can_be_revisited() {
        let t = now();
        let mut entries = vec![entry(RasaStep::Receive, true, t)];
        let c = fold(&entries);
        assert!(!c.complete);
        assert_eq!(c.current, Some(RasaStep::Appreciate));
        assert_eq!(c.steps[0].done_at, Some(t));

        for (i, s) in [RasaStep::Appreciate, RasaStep::Summarize, RasaStep::Ask].iter().enumerate() {
            entries.push(entry(*s, true, t + Duration::seconds(i as i64 + 1)));
        }
        let c = fold(&entries);
        assert!(c.complete);
        assert_eq!(c.current, None);

        // Revisiting a done step keeps its first done time; un-doing it reopens the checklist.
        entries.push(entry(RasaStep::Receive, true, t + Duration::minutes(5)));
        assert_eq!(fold(&entries).steps[0].done_at, Some(t));
        entries.push(entry(RasaStep::Summarize, false, t + Duration::minutes(6)));
        let c = fold(&entries);
        assert!(!c.complete);
        assert_eq!(c.current, Some(RasaStep::Summarize));
        assert_eq!(c.missing(), vec![RasaStep::Summarize]);
    }

    #[test]
    fn steps_go_in_order_and_summarize_starts_from_what_was_received() {
        assert_eq!(RasaStep::Receive.next(), Some(RasaStep::Appreciate));
        assert_eq!(RasaStep::Ask.next(), None);
        assert_eq!(RasaStep::Receive.prev(), None);
        assert_eq!(RasaStep::Ask.prev(), Some(RasaStep::Summarize));
        let received = "“My parcel never came and nobody answers.”";
        assert_eq!(starting_notes(RasaStep::Summarize, "  ", received), received);
        assert_eq!(starting_notes(RasaStep::Ask, "", received), "");
        let own = "So the parcel is lost and you could not reach us.";
        assert_eq!(starting_notes(RasaStep::Summarize, own, received), own, "the agent's own words win");
    }

    #[test]
    fn parses_steps() {
        assert_eq!("ask".parse::<RasaStep>().unwrap(), RasaStep::Ask);
        assert!("listen".parse::<RasaStep>().unwrap_err().message.contains("receive, appreciate, summarize, ask"));
    }
}
