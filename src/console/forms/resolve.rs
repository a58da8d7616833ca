//! The resolution form: the summary, the root cause (why → why → why), the experience outcome
//! and the new status; when the RASA checklist is incomplete it warns and asks why.

use uuid::Uuid;

use super::{names, Drafts, Field, Form, FormKind, FormWrite, OUTCOME_NONE};
use crate::domain::case::{validate_resolution, CaseStatus, Outcome, ResolutionInput, MAX_SUMMARY_CHARS};
use crate::domain::rasa::Checklist;
use crate::domain::{required_text, Invalid};

impl Form {
    /// The resolution of a case; warns when the RASA checklist is incomplete and then asks why.
    pub fn resolve(case: Uuid, revision: i64, checklist: Checklist, drafts: &Drafts) -> Form {
        let mut outcomes = vec![OUTCOME_NONE.to_string()];
        outcomes.extend(names(Outcome::ALL, |o| o.as_str()));
        let missing: Vec<&str> = checklist.missing().iter().map(|s| s.as_str()).collect();
        let banner = (!checklist.complete).then(|| {
            format!("⚠ RASA is incomplete ({} not done). You may resolve anyway: say why below.", missing.join(", "))
        });
        let mut reason = Field::text(
            "rasa_incomplete_reason",
            "Why RASA is incomplete",
            drafts.get("resolve/rasa_incomplete_reason"),
            "e.g. the customer had to go",
            false,
        );
        reason.hidden = checklist.complete;
        Form {
            kind: FormKind::Resolve { case, revision, checklist: Box::new(checklist) },
            title: "Resolve the case".into(),
            banner,
            fields: vec![
                Field::text("summary", "Summary", drafts.get("resolve/summary"), "what was done (required)", false),
                Field::text(
                    "root_cause",
                    "Root cause",
                    drafts.get("resolve/root_cause"),
                    "why → why → why: one answer per line (optional)",
                    false,
                ),
                Field::choice("outcome", "Outcome", outcomes, 0),
                Field::choice("status", "New status", vec!["resolved".into(), "closed".into()], 0),
                reason,
            ],
            focus: 0,
            error: None,
            scope: String::new(),
            dirty: false,
            presets: vec![],
        }
        .with_scope(format!("case/{case}"))
    }

    pub(super) fn submit_resolve(
        &self,
        case: Uuid,
        revision: i64,
        checklist: &Checklist,
    ) -> Result<FormWrite, Invalid> {
        // In the order the fields are shown.
        required_text("summary", &self.field("summary").text_value(), MAX_SUMMARY_CHARS)?;
        let outcome = match self.field("outcome").index() {
            0 => {
                return Err(Invalid::field(
                    "outcome",
                    "choose the experience outcome: memorable, positive, negative or forgettable (←/→)",
                ))
            }
            i => Outcome::ALL[i - 1],
        };
        let whys = self.field("root_cause").text_value();
        let reason = self.field("rasa_incomplete_reason").text_value();
        let input = ResolutionInput {
            revision,
            summary: self.field("summary").text_value(),
            root_cause: whys.lines().map(|l| l.trim().trim_start_matches("→").trim().to_string()).collect(),
            outcome,
            status: Some(if self.field("status").index() == 0 { CaseStatus::Resolved } else { CaseStatus::Closed }),
            rasa_incomplete_reason: (!checklist.complete).then_some(reason),
        };
        validate_resolution(&input, checklist)?;
        Ok(FormWrite::Resolve { case, input })
    }
}
