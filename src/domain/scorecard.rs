//! Quality reviews built on RASA: scorecards as data — criteria with weights, scales and
//! auto-fail items, each pointing at the part of the case it judges — and what a review of a
//! case comes to: a weighted score, failed outright when an auto-fail item is missed; how
//! often two reviewers of the same case agree (calibration); and the agent's answer to a
//! review (acknowledged, or disputed on one criterion with a reason). Plain functions: the
//! server stores reviews and the console scores with them.
//!
//! A scorecard file (TOML), as `src/domain/scorecards/default.toml`:
//!
//! ```toml
//! name = "rasa"
//! title = "Listening (RASA) and closing the loop"
//! [[criterion]]
//! id = "receive"
//! title = "Received: let them finish, captured their words"
//! weight = 15
//! scale = 4            # 0..=4 points; 1: met or not
//! evidence = "receive" # what the console shows beside it
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::event::is_valid_name;
use super::Invalid;

/// The longest coaching note, in characters.
pub const MAX_COACHING_CHARS: usize = 5_000;

/// What a criterion judges: the console shows it beside the criterion while a lead scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    Receive,
    Appreciate,
    Summarize,
    Ask,
    /// The resolution's summary and root cause.
    Resolution,
    /// The experience outcome recorded.
    Outcome,
    /// The follow-ups, and whether they were done in time.
    FollowUp,
    /// The notes on the case.
    Notes,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Lower-case letters, digits, `_`, `-`, `.`: how reviews name it.
    pub id: String,
    pub title: String,
    /// Its share of the score, relative to the others' (1 to 100).
    pub weight: u32,
    /// The best score: 1 (met or not) up to 10 points.
    #[serde(default = "one")]
    pub scale: u32,
    /// Missed (scored 0), the whole review fails whatever the rest.
    #[serde(default)]
    pub auto_fail: bool,
    pub evidence: Evidence,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scorecard {
    /// Lower-case letters, digits, `_`, `-`, `.`.
    pub name: String,
    pub title: String,
    #[serde(rename = "criterion")]
    pub criteria: Vec<Criterion>,
}

/// One criterion as a reviewer scored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Score {
    pub criterion: String,
    pub value: u32,
    /// Why, for the agent (optional).
    #[serde(default)]
    pub comment: Option<String>,
}

/// What a review comes to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Outcome {
    /// 0 to 100: the weighted share of the points; 0 when an auto-fail item was missed.
    pub percent: f64,
    /// An auto-fail item was missed.
    pub failed: bool,
}

/// The agent's answer to a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Answer {
    /// Not answered yet.
    Open,
    Acknowledged,
    /// The agent disagrees with how one criterion was scored, and says why.
    Disputed {
        criterion: String,
        reason: String,
    },
}

impl Default for Scorecard {
    fn default() -> Self {
        default_scorecard()
    }
}

/// The scorecard every server starts with: the four RASA steps, the resolution, the outcome and
/// the follow-up.
pub fn default_scorecard() -> Scorecard {
    static CARD: std::sync::OnceLock<Scorecard> = std::sync::OnceLock::new();
    CARD.get_or_init(|| {
        parse_file(include_str!("scorecards/default.toml")).expect("the default scorecard reads (a test checks)")
    })
    .clone()
}

/// Reads a scorecard file; the error says what to fix.
pub fn parse_file(text: &str) -> Result<Scorecard, Invalid> {
    let card: Scorecard =
        toml::from_str(text).map_err(|e| Invalid::general(format!("the scorecard does not read: {}", e.message())))?;
    card.check()?;
    Ok(card)
}

impl Scorecard {
    /// Checks the scorecard: names, weights, scales, criteria named once.
    pub fn check(&self) -> Result<(), Invalid> {
        if !is_valid_name(&self.name) {
            return Err(Invalid::field("name", "a scorecard's name: lower-case letters, digits, `_`, `-`, `.`"));
        }
        if self.criteria.is_empty() {
            return Err(Invalid::field("criterion", "a scorecard needs at least one criterion"));
        }
        for (i, c) in self.criteria.iter().enumerate() {
            let at = format!("criterion {} (`{}`)", i + 1, c.id.escape_debug());
            if !is_valid_name(&c.id) {
                return Err(Invalid::field(
                    "criterion",
                    format!("{at}: an id is lower-case letters, digits, `_`, `-`, `.`"),
                ));
            }
            if self.criteria[..i].iter().any(|d| d.id == c.id) {
                return Err(Invalid::field("criterion", format!("{at}: named twice")));
            }
            if !(1..=100).contains(&c.weight) {
                return Err(Invalid::field("criterion", format!("{at}: a weight is 1 to 100")));
            }
            if !(1..=10).contains(&c.scale) {
                return Err(Invalid::field("criterion", format!("{at}: a scale is 1 (met or not) to 10 points")));
            }
            if c.title.trim().is_empty() {
                return Err(Invalid::field("criterion", format!("{at}: needs a title")));
            }
        }
        Ok(())
    }

    /// Checks a review's scores against the scorecard: every criterion scored once, within
    /// its scale; the error names the criterion.
    pub fn check_scores(&self, scores: &[Score]) -> Result<(), Invalid> {
        for s in scores {
            let Some(c) = self.criteria.iter().find(|c| c.id == s.criterion) else {
                return Err(Invalid::field(
                    "scores",
                    format!("`{}` is not a criterion of scorecard `{}`", s.criterion.escape_debug(), self.name),
                ));
            };
            if s.value > c.scale {
                return Err(Invalid::field(
                    "scores",
                    format!("`{}` is scored 0 to {}, not {}", c.id, c.scale, s.value),
                ));
            }
            if scores.iter().filter(|x| x.criterion == s.criterion).count() > 1 {
                return Err(Invalid::field("scores", format!("`{}` is scored twice", c.id)));
            }
        }
        if let Some(c) = self.criteria.iter().find(|c| !scores.iter().any(|s| s.criterion == c.id)) {
            return Err(Invalid::field("scores", format!("`{}` ({}) is not scored yet", c.id, c.title)));
        }
        Ok(())
    }

    /// What checked scores come to: the weighted share of the points, 0 and failed when an
    /// auto-fail item scored 0.
    pub fn outcome(&self, scores: &[Score]) -> Outcome {
        let value = |c: &Criterion| scores.iter().find(|s| s.criterion == c.id).map_or(0, |s| s.value);
        if self.criteria.iter().any(|c| c.auto_fail && value(c) == 0) {
            return Outcome { percent: 0.0, failed: true };
        }
        let total: f64 = self.criteria.iter().map(|c| f64::from(c.weight)).sum();
        let got: f64 =
            self.criteria.iter().map(|c| f64::from(c.weight) * f64::from(value(c)) / f64::from(c.scale)).sum();
        Outcome { percent: if total > 0.0 { 100.0 * got / total } else { 0.0 }, failed: false }
    }

    /// How often two reviews of the same case agree: the share of criteria both scored alike
    /// (a point apart counts as alike on scales of 4 points or more), 0 to 1.
    pub fn agreement(&self, a: &[Score], b: &[Score]) -> f64 {
        let value = |s: &[Score], c: &Criterion| s.iter().find(|x| x.criterion == c.id).map(|x| x.value);
        let alike = self
            .criteria
            .iter()
            .filter(|c| match (value(a, c), value(b, c)) {
                (Some(x), Some(y)) => x.abs_diff(y) <= u32::from(c.scale >= 4),
                _ => false,
            })
            .count();
        alike as f64 / self.criteria.len().max(1) as f64
    }
}

impl Answer {
    /// The agent's answer to a review, checked: a dispute names a criterion the review scored
    /// (`scored`; none given: any) and says why; a review is answered once.
    pub fn answered(&self, next: Answer, scored: &[Score]) -> Result<Answer, Invalid> {
        if *self != Answer::Open {
            return Err(Invalid::general("this review was answered already"));
        }
        if let Answer::Disputed { criterion, reason } = &next {
            if !scored.is_empty() && !scored.iter().any(|c| c.criterion == *criterion) {
                return Err(Invalid::field(
                    "criterion",
                    format!("`{}` is not a criterion of this review", criterion.escape_debug()),
                ));
            }
            if reason.trim().is_empty() {
                return Err(Invalid::field("reason", "say why the score is wrong: the lead reads it"));
            }
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(criterion: &str, value: u32) -> Score {
        Score { criterion: criterion.into(), value, comment: None }
    }

    #[test]
    fn the_default_scorecard_is_rasa_the_resolution_the_outcome_and_the_follow_up() {
        let card = default_scorecard();
        let ids: Vec<&str> = card.criteria.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["receive", "appreciate", "summarize", "ask", "resolution", "outcome", "follow_up"]);
        assert!(card.criteria.iter().any(|c| c.auto_fail), "an item that fails the review outright");
    }

    #[test]
    fn a_review_is_a_weighted_share_and_an_auto_fail_item_fails_it() {
        let card = default_scorecard();
        let full: Vec<Score> = card.criteria.iter().map(|c| s(&c.id, c.scale)).collect();
        card.check_scores(&full).unwrap();
        assert_eq!(card.outcome(&full), Outcome { percent: 100.0, failed: false });
        // Hand-worked: weights 4 × 15 + 20 + 10 + 20 = 110 (default.toml); receive 2 of 4 loses
        // 7.5, summarize 3 of 4 loses 3.75: 98.75 of 110 = 89.77 %.
        let mut some = full.clone();
        some[0].value = 2;
        some[2].value = 3;
        let o = card.outcome(&some);
        assert!((o.percent - 98.75 / 110.0 * 100.0).abs() < 1e-9 && !o.failed, "{o:?}");
        // The auto-fail item missed: 0, failed.
        let fail = card.criteria.iter().find(|c| c.auto_fail).unwrap();
        let mut failed = full.clone();
        failed.iter_mut().find(|x| x.criterion == fail.id).unwrap().value = 0;
        assert_eq!(card.outcome(&failed), Outcome { percent: 0.0, failed: true });
    }

    #[test]
    fn scores_and_scorecards_that_do_not_check_say_what_to_fix() {
        let card = default_scorecard();
        let mut scores: Vec<Score> = card.criteria.iter().map(|c| s(&c.id, 0)).collect();
        scores.pop();
        assert!(card.check_scores(&scores).unwrap_err().message.contains("is not scored yet"));
        scores.push(s("follow_up", 9));
        assert!(card.check_scores(&scores).unwrap_err().message.contains("scored 0 to"));
        scores.pop();
        scores.push(s("charm", 1));
        assert!(card.check_scores(&scores).unwrap_err().message.contains("not a criterion"));
        let bad =
            "name = \"x\"\ntitle = \"X\"\n[[criterion]]\nid = \"a\"\ntitle = \"A\"\nweight = 0\nevidence = \"ask\"\n";
        assert!(parse_file(bad).unwrap_err().message.contains("weight"));
        let twice = "name = \"x\"\ntitle = \"X\"\n[[criterion]]\nid = \"a\"\ntitle = \"A\"\nweight = 1\nevidence = \"ask\"\n[[criterion]]\nid = \"a\"\ntitle = \"A\"\nweight = 1\nevidence = \"ask\"\n";
        assert!(parse_file(twice).unwrap_err().message.contains("named twice"));
    }

    #[test]
    fn calibration_counts_the_criteria_two_reviewers_scored_alike() {
        let card = default_scorecard();
        let a: Vec<Score> = card.criteria.iter().map(|c| s(&c.id, c.scale)).collect();
        let mut b = a.clone();
        b[0].value -= 1; // a point apart on a 4-point scale: alike
        b[4].value = 0; // the resolution, met or not: not alike
        let agreement = card.agreement(&a, &b);
        assert!((agreement - 6.0 / 7.0).abs() < 1e-9, "{agreement}");
        assert_eq!(card.agreement(&a, &a), 1.0);
    }

    #[test]
    fn the_agent_acknowledges_or_disputes_once() {
        let card: Vec<Score> = default_scorecard().criteria.iter().map(|c| s(&c.id, c.scale)).collect();
        let ack = Answer::Open.answered(Answer::Acknowledged, &card).unwrap();
        assert!(ack.answered(Answer::Acknowledged, &card).is_err(), "once");
        let dispute =
            Answer::Disputed { criterion: "ask".into(), reason: "I asked three questions, see the notes".into() };
        assert_eq!(Answer::Open.answered(dispute.clone(), &card).unwrap(), dispute);
        let vague = Answer::Disputed { criterion: "ask".into(), reason: "  ".into() };
        assert!(Answer::Open.answered(vague, &card).unwrap_err().message.contains("say why"));
        let unknown = Answer::Disputed { criterion: "charm".into(), reason: "x".into() };
        assert!(Answer::Open.answered(unknown, &card).is_err());
    }
}
