//! How waiting operations change what the console shows: the confirmed server state with the
//! outbox's pending operations laid over it, in the order they were made. Plain functions, no
//! I/O. Only pending operations are laid over: a conflict or a refusal shows the server's
//! state until the agent settles it, and dropping an operation reverts it for free.
//!
//! The rules are the server's own ([`new_case`], [`CaseChanges::apply_to`],
//! [`resolved`], [`FollowUpChanges::apply_to`]), so the view predicts what the server will do.

use uuid::Uuid;

use crate::domain::agent::Agent;
use crate::domain::case::new_case;
use crate::domain::case::{resolved, Case, CaseChanges, CaseStatus, Channel, Note, Resolution};
use crate::domain::followup::{FollowUp, FollowUpChanges, FollowUpStatus};
use crate::domain::rasa::{fold, Checklist, RecordedEntry, StepEntry};
use crate::domain::time::Timestamp;
use crate::wire::sync::{OpBody, OpResult};

/// Where an operation of the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpState {
    /// Waiting to be pushed.
    Pending,
    /// The server had changed since: kept, with both sides, for the agent to settle.
    Conflict,
    /// Refused for good: kept, with the reason, until the agent dismisses it.
    Rejected,
}

impl OpState {
    pub fn as_str(self) -> &'static str {
        match self {
            OpState::Pending => "pending",
            OpState::Conflict => "conflict",
            OpState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<OpState> {
        match s {
            "pending" => Some(OpState::Pending),
            "conflict" => Some(OpState::Conflict),
            "rejected" => Some(OpState::Rejected),
            _ => None,
        }
    }
}

/// An operation of the outbox.
#[derive(Debug, Clone)]
pub struct LocalOp {
    /// Local order (the server sees `seq - device_base`).
    pub seq: i64,
    pub id: Uuid,
    pub body: OpBody,
    pub state: OpState,
    pub created_at: Timestamp,
    /// The server's answer, for conflicts and refusals.
    pub answer: Option<OpResult>,
}

/// Something shown with whether it still waits to reach the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Synced<T> {
    pub value: T,
    /// Made or changed here and not yet confirmed by the server.
    pub waiting: bool,
}

fn pending(ops: &[LocalOp]) -> impl Iterator<Item = &LocalOp> {
    ops.iter().filter(|o| o.state == OpState::Pending)
}

/// The case as the agent sees it: confirmed, with the pending operations on it laid over.
pub fn case(confirmed: Option<Case>, ops: &[LocalOp], me: &Agent) -> Option<Synced<Case>> {
    let mut case = confirmed;
    let mut waiting = false;
    for op in pending(ops) {
        let at = op.created_at;
        let next = match (&op.body, &case) {
            (OpBody::OpenCase(p), None) => new_case(me, p.case_id, &p.fields, at).ok(),
            (OpBody::ChangeCase(p), Some(c)) if p.case_id == c.id => {
                let f = &p.fields;
                Some(
                    CaseChanges {
                        status: f.status,
                        priority: f.priority,
                        assignee_id: f.assignee_id,
                        policy: None,
                        tags: f.tags.as_deref().and_then(|t| crate::domain::case::check_tags(t).ok()),
                        // The team of a queue is the server's to say; until it answers, the
                        // team of the queue's name (as for a queue not set up).
                        queue: f
                            .queue
                            .as_deref()
                            .and_then(|q| crate::domain::case::queue_name(q).ok())
                            .filter(|q| *q != c.queue)
                            .map(|q| (q.clone(), q)),
                        dues: None,
                    }
                    .apply_to(c, at),
                )
            }
            (OpBody::ResolveCase(p), Some(c)) if p.case_id == c.id => {
                let f = &p.fields;
                let resolution = Resolution {
                    summary: f.summary.trim().to_string(),
                    root_cause: f.root_cause.iter().map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect(),
                    outcome: f.outcome,
                    rasa_incomplete_reason: f.rasa_incomplete_reason.clone(),
                    resolved_by: me.id,
                    resolved_at: at,
                };
                Some(resolved(c, resolution, f.status.unwrap_or(CaseStatus::Resolved), at))
            }
            _ => continue,
        };
        if next.is_some() {
            case = next;
            waiting = true;
        }
    }
    case.map(|value| Synced { value, waiting })
}

/// A case's notes, oldest first: the confirmed ones, then those still waiting.
pub fn notes(confirmed: Vec<Note>, ops: &[LocalOp], me: &Agent) -> Vec<Synced<Note>> {
    let mut out: Vec<Synced<Note>> = confirmed.into_iter().map(|value| Synced { value, waiting: false }).collect();
    for op in pending(ops) {
        if let OpBody::AddNote(p) = &op.body {
            if out.iter().any(|n| n.value.id == p.note_id) {
                continue;
            }
            let value = Note {
                id: p.note_id,
                case_id: p.case_id,
                author_id: me.id,
                body: p.fields.body.trim().to_string(),
                visibility: p.fields.visibility.unwrap_or_default(),
                created_at: op.created_at,
            };
            out.push(Synced { value, waiting: true });
        }
    }
    out
}

/// A case's RASA checklist: confirmed entries, then the waiting ones, folded.
pub fn checklist(confirmed: &[RecordedEntry], ops: &[LocalOp], me: &Agent) -> Checklist {
    let mut entries: Vec<StepEntry> = confirmed.iter().map(RecordedEntry::entry).collect();
    for op in pending(ops) {
        if let OpBody::SetRasa(p) = &op.body {
            if confirmed.iter().any(|e| e.id == p.entry_id) {
                continue;
            }
            entries.push(StepEntry {
                step: p.step,
                notes: p.fields.notes.trim().to_string(),
                done: p.fields.done,
                author_id: me.id,
                at: op.created_at,
            });
        }
    }
    fold(&entries)
}

/// One follow-up: confirmed or created here, with the waiting changes laid over. `customer_of`
/// finds a case's customer for follow-ups created on a case.
pub fn followup(
    id: Uuid,
    confirmed: Option<FollowUp>,
    ops: &[LocalOp],
    me: &Agent,
    customer_of: impl Fn(Uuid) -> Option<Uuid>,
) -> Option<Synced<FollowUp>> {
    let mut f = confirmed;
    let mut waiting = false;
    for op in pending(ops) {
        let at = op.created_at;
        let next = match (&op.body, &f) {
            (OpBody::CreateFollowUp(p), None) if p.followup_id == id => {
                let x = &p.fields;
                let Some(customer_id) = x.case_id.and_then(&customer_of).or(x.customer_id) else { continue };
                Some(FollowUp {
                    id,
                    customer_id,
                    case_id: x.case_id,
                    assignee_id: x.assignee_id.unwrap_or(me.id),
                    due_at: x.due_at,
                    channel: x.channel.unwrap_or(Channel::Phone),
                    note: x.note.trim().to_string(),
                    status: FollowUpStatus::Open,
                    revision: 1,
                    created_by: me.id,
                    created_at: at,
                    updated_at: at,
                    done_at: None,
                })
            }
            (OpBody::ChangeFollowUp(p), Some(cur)) if p.followup_id == id => {
                let x = &p.fields;
                let changes = FollowUpChanges {
                    status: x.status,
                    due_at: x.due_at,
                    note: x.note.as_ref().map(|n| n.trim().to_string()),
                    assignee_id: x.assignee_id,
                    channel: x.channel,
                };
                Some(changes.apply_to(cur, at))
            }
            _ => continue,
        };
        f = next;
        waiting = true;
    }
    f.map(|value| Synced { value, waiting })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agent::Role;
    use crate::domain::case::{Outcome, Priority, ResolutionInput};
    use crate::domain::rasa::RasaStep;
    use crate::domain::time::now;
    use crate::wire::requests::{NewCaseRequest, NewNoteRequest, PatchCaseRequest, RasaStepRequest};
    use crate::wire::sync::*;

    fn me() -> Agent {
        Agent::new("anna", Role::Agent, &["billing"], now())
    }

    fn op(seq: i64, body: OpBody) -> LocalOp {
        LocalOp { seq, id: Uuid::now_v7(), body, state: OpState::Pending, created_at: now(), answer: None }
    }

    fn open(case_id: Uuid) -> OpBody {
        OpBody::OpenCase(OpenCasePayload { case_id, fields: NewCaseRequest::new(Uuid::now_v7(), "  Refund  ") })
    }

    #[test]
    fn a_case_opened_offline_is_shown_as_the_server_will_make_it() {
        let me = me();
        let id = Uuid::now_v7();
        let c = case(None, &[op(1, open(id))], &me).unwrap();
        assert!(c.waiting);
        assert_eq!(c.value.subject, "Refund");
        assert_eq!(c.value.team, "billing");
        assert_eq!(c.value.assignee_id, Some(me.id));
        assert_eq!(c.value.revision, 1);
    }

    #[test]
    fn changes_predict_revisions_and_settled_ops_revert() {
        let me = me();
        let id = Uuid::now_v7();
        let base = case(None, &[op(1, open(id))], &me).unwrap().value;
        let change = |revision, priority| {
            OpBody::ChangeCase(ChangeCasePayload {
                case_id: id,
                fields: PatchCaseRequest {
                    revision,
                    status: None,
                    priority: Some(priority),
                    assignee_id: None,
                    tags: None,
                    queue: None,
                },
            })
        };
        let resolve = OpBody::ResolveCase(ResolveCasePayload {
            case_id: id,
            fields: ResolutionInput {
                revision: 2,
                summary: "Refunded".into(),
                root_cause: vec![" late parcel ".into(), "  ".into()],
                outcome: Outcome::Negative,
                status: None,
                rasa_incomplete_reason: Some("urgent".into()),
            },
        });
        let mut ops = vec![op(2, change(1, Priority::Urgent)), op(3, change(2, Priority::Urgent)), op(4, resolve)];
        let c = case(Some(base.clone()), &ops, &me).unwrap().value;
        assert_eq!(c.priority, Priority::Urgent);
        assert_eq!(c.revision, 3, "the second change changes nothing: no new revision");
        assert_eq!(c.status, CaseStatus::Resolved);
        assert_eq!(c.resolution.unwrap().root_cause, vec!["late parcel"]);
        for o in &mut ops {
            o.state = OpState::Conflict;
        }
        let c = case(Some(base.clone()), &ops, &me).unwrap();
        assert_eq!(c.value, base, "operations that are not pending are not laid over");
        assert!(!c.waiting);
    }

    #[test]
    fn notes_and_steps_merge_once() {
        let me = me();
        let case_id = Uuid::now_v7();
        let note_id = Uuid::now_v7();
        let add = OpBody::AddNote(AddNotePayload {
            case_id,
            note_id,
            fields: NewNoteRequest { body: " called back ".into(), visibility: None },
        });
        let ops = vec![op(1, add.clone())];
        let n = notes(vec![], &ops, &me);
        assert_eq!(n.len(), 1);
        assert!(n[0].waiting);
        assert_eq!(n[0].value.body, "called back");
        // Once confirmed (pulled) and still in the outbox, it shows once.
        let confirmed = n[0].value.clone();
        assert_eq!(notes(vec![confirmed], &ops, &me).len(), 1);

        let step = |entry_id, step, done| {
            OpBody::SetRasa(SetRasaPayload {
                case_id,
                entry_id,
                step,
                fields: RasaStepRequest { notes: "x".into(), done },
            })
        };
        let ops: Vec<LocalOp> =
            RasaStep::ALL.iter().enumerate().map(|(i, s)| op(i as i64 + 1, step(Uuid::now_v7(), *s, true))).collect();
        assert!(checklist(&[], &ops, &me).complete);
        assert_eq!(checklist(&[], &ops[..2], &me).current, Some(RasaStep::Summarize));
    }
}
