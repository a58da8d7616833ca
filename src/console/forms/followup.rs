//! The follow-up form: when it falls due (presets, or a date), the channel and a note. Proposed
//! by the console after a resolution whose outcome calls for one, due as soon as it calls for.

use chrono::{DateTime, FixedOffset, Utc};
use uuid::Uuid;

use super::{names, Drafts, Field, Form, FormKind, FormWrite};
use crate::domain::case::{proposed_followup_delay, Channel, Outcome};
use crate::domain::due::DuePreset;
use crate::domain::followup::MAX_FOLLOWUP_NOTE_CHARS;
use crate::domain::{optional_text, Invalid};
use crate::wire::requests::NewFollowUpRequest;

impl Form {
    /// A follow-up on a case (or for a customer). `proposed` is the outcome that made the
    /// console propose it, which sets how soon it falls due.
    pub fn followup(case: Option<Uuid>, customer: Uuid, proposed: Option<(Outcome, &str)>, drafts: &Drafts) -> Form {
        let mut presets: Vec<DuePreset> = DuePreset::ALL.to_vec();
        let mut banner = None;
        let mut note = drafts.get("followup/note").to_string();
        if let Some((outcome, summary)) = proposed {
            if let Some(delay) = proposed_followup_delay(outcome) {
                let preset = if delay < chrono::Duration::hours(1) {
                    DuePreset::InMinutes(delay.num_minutes())
                } else if delay < chrono::Duration::days(1) {
                    DuePreset::InHours(delay.num_hours())
                } else {
                    DuePreset::TomorrowMorning
                };
                presets.retain(|p| *p != preset);
                presets.insert(0, preset);
                banner = Some(match outcome {
                    Outcome::Negative => format!(
                        "Proposed: the experience was negative. A follow-up {} keeps the customer. Ctrl-s accepts, Esc skips.",
                        preset.label()
                    ),
                    _ => format!("Proposed for a {outcome} experience. Ctrl-s accepts, Esc skips."),
                });
                if note.is_empty() {
                    note = format!("Check back with the customer: {summary}");
                }
            }
        }
        let labels: Vec<String> = presets.iter().map(|p| p.label()).collect();
        let scope = match case {
            Some(c) => format!("case/{c}"),
            None => format!("customer/{customer}"),
        };
        let mut form = Form {
            kind: FormKind::FollowUp { case, customer },
            title: "New follow-up".into(),
            banner,
            fields: vec![
                Field::choice("due", "Due", labels, 0),
                Field::text("due_at", "Date", drafts.get("followup/due_at"), "2026-11-24 14:30, 14:30 or +2h", true),
                Field::choice("channel", "Channel", names(Channel::ALL, |c| c.as_str()), 0),
                Field::text("note", "Note", &note, "what to check or say", false),
            ],
            focus: 0,
            error: None,
            scope,
            dirty: false,
            presets: vec![],
        };
        form.presets = presets;
        form.refresh();
        form
    }

    pub(super) fn submit_followup(
        &self,
        case: Option<Uuid>,
        customer: Uuid,
        now: DateTime<Utc>,
        tz: FixedOffset,
    ) -> Result<FormWrite, Invalid> {
        let preset = self.presets[self.field("due").index()];
        let due_at = preset.due_at(now, tz, &self.field("due_at").text_value())?;
        let note = optional_text("note", &self.field("note").text_value(), MAX_FOLLOWUP_NOTE_CHARS)?;
        Ok(FormWrite::CreateFollowUp(NewFollowUpRequest {
            case_id: case,
            customer_id: if case.is_some() { None } else { Some(customer) },
            assignee_id: None,
            due_at,
            channel: Some(Channel::ALL[self.field("channel").index()]),
            note: note.unwrap_or_default(),
        }))
    }
}
