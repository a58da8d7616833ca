//! The console's writes: each one is an operation recorded in the outbox, checked against what
//! the agent sees first (bad input is refused here, at once, with nothing written), durable
//! when the call returns. The sync engine pushes them ([`LocalStore::pending_batch`]) and
//! files the server's answers ([`LocalStore::record_answers`]); conflicts and refusals stay
//! until the agent settles them ([`LocalStore::keep_mine`], [`LocalStore::take_theirs`],
//! [`LocalStore::dismiss`]).

use serde_json::value::RawValue;
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::confirmed::{put_case, put_entry, put_followup, put_note, put_notes};
use super::overlay::{LocalOp, OpState};
use super::view::{case_on, checklist_on, confirmed_case, confirmed_followup, followup_on, ops_where};
use super::{get_meta, parse_json, LocalError, LocalStore, LocalTx, Result};
use crate::domain::agent::Agent;
use crate::domain::case::new_case;
use crate::domain::case::{check_transition, validate_resolution, Case, Note, ResolutionInput, MAX_NOTE_CHARS};
use crate::domain::followup::{FollowUp, MAX_FOLLOWUP_NOTE_CHARS};
use crate::domain::rasa::{Checklist, RasaStep, RecordedEntry, MAX_STEP_NOTES_CHARS};
use crate::domain::scorecard::{Answer, Score, Scorecard, MAX_COACHING_CHARS};
use crate::domain::time::{now, to_micros};
use crate::domain::{optional_text, required_text, Invalid};
use crate::wire::requests::{
    NewCaseRequest, NewFollowUpRequest, NewNoteRequest, PatchCaseRequest, PatchFollowUpRequest, RasaStepRequest,
};
use crate::wire::reviews::NewReviewRequest;
use crate::wire::sync::*;

fn no_case(id: Uuid) -> LocalError {
    LocalError::NotFound(format!("no case {id} here: open it while online once, or sync"))
}

async fn record(tx: &mut LocalTx, body: &OpBody, case_id: Option<Uuid>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    // A revision read from the view may come from a pending operation: name it, so that the
    // server does not apply this one if that one is not applied.
    let depends_on: Option<String> = if body.has_revision() {
        sqlx::query_scalar(&format!(
            "SELECT id FROM outbox WHERE entity_id = ? AND state = 'pending' AND kind IN ({}) \
             ORDER BY seq DESC LIMIT 1",
            OpKind::sql_list(&OpKind::revisioned())
        ))
        .bind(body.entity_id().to_string())
        .fetch_optional(&mut **tx)
        .await?
    } else {
        None
    };
    sqlx::query(
        "INSERT INTO outbox (id, kind, entity_id, case_id, payload, depends_on, state, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
    )
    .bind(id.to_string())
    .bind(body.kind().as_str())
    .bind(body.entity_id().to_string())
    .bind(case_id.or(body.case_id()).map(|c| c.to_string()))
    .bind(body.payload_json())
    .bind(depends_on)
    .bind(to_micros(now()))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// A follow-up made or moved now must fall due later (the server does not check this: an
/// operation made offline may reach it after its due time, and must still land).
fn due_to_come(due_at: chrono::DateTime<chrono::Utc>) -> std::result::Result<(), Invalid> {
    if due_at <= now() {
        return Err(Invalid::field(
            "due_at",
            format!("{} is in the past: pick a time to come", due_at.format("%Y-%m-%d %H:%M UTC")),
        ));
    }
    Ok(())
}

/// Whether the agent sees the case (confirmed, or opened here and waiting): one query.
async fn case_known(conn: &mut SqliteConnection, id: Uuid) -> Result<()> {
    let known: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1) \
         OR EXISTS (SELECT 1 FROM outbox WHERE entity_id = ?1 AND kind = ?2 AND state = 'pending')",
    )
    .bind(id.to_string())
    .bind(OpKind::OpenCase.as_str())
    .fetch_one(conn)
    .await?;
    if known {
        Ok(())
    } else {
        Err(no_case(id))
    }
}

async fn seen_case(conn: &mut SqliteConnection, me: &Agent, id: Uuid) -> Result<Case> {
    case_on(conn, me, id).await?.map(|c| c.value).ok_or_else(|| no_case(id))
}

impl LocalStore {
    /// Opens a case (with a new id) for a customer.
    pub async fn open_case(&self, fields: NewCaseRequest) -> Result<Case> {
        let me = &self.me_required().await?;
        let mut guard = self.begin().await?;
        let tx = &mut guard;
        let out = async {
            let case_id = Uuid::now_v7();
            new_case(me, case_id, &fields, now())?;
            record(tx, &OpBody::OpenCase(OpenCasePayload { case_id, fields }), None).await?;
            seen_case(tx, me, case_id).await
        }
        .await?;
        guard.commit().await?;
        Ok(out)
    }

    /// Changes status, priority or assignee; `fields.revision` is the revision the agent saw.
    pub async fn change_case(&self, case_id: Uuid, fields: PatchCaseRequest) -> Result<Case> {
        let me = &self.me_required().await?;
        let mut guard = self.begin().await?;
        let tx = &mut guard;
        let out = async {
            let case = seen_case(tx, me, case_id).await?;
            if fields.status.is_none()
                && fields.priority.is_none()
                && fields.assignee_id.is_none()
                && fields.tags.is_none()
            {
                return Err(Invalid::general("nothing to change: set a status, priority, assignee or tags").into());
            }
            if let Some(t) = &fields.tags {
                crate::domain::case::check_tags(t)?;
            }
            if let Some(s) = fields.status {
                check_transition(case.status, s, case.resolution.is_some())?;
            }
            record(tx, &OpBody::ChangeCase(ChangeCasePayload { case_id, fields }), None).await?;
            seen_case(tx, me, case_id).await
        }
        .await?;
        guard.commit().await?;
        Ok(out)
    }

    /// Records the resolution; `fields.revision` is the revision the agent saw.
    pub async fn resolve_case(&self, case_id: Uuid, fields: ResolutionInput) -> Result<Case> {
        let me = &self.me_required().await?;
        let mut guard = self.begin().await?;
        let tx = &mut guard;
        let out = async {
            let case = seen_case(tx, me, case_id).await?;
            let checklist = checklist_on(tx, me, case_id).await?;
            let (_, _, _, status) = validate_resolution(&fields, &checklist)?;
            if case.status != status {
                check_transition(case.status, status, true)?;
            }
            record(tx, &OpBody::ResolveCase(ResolveCasePayload { case_id, fields }), None).await?;
            seen_case(tx, me, case_id).await
        }
        .await?;
        guard.commit().await?;
        Ok(out)
    }

    /// Adds a note to a case.
    pub async fn add_note(&self, case_id: Uuid, fields: NewNoteRequest) -> Result<Note> {
        let me = &self.me_required().await?;
        let mut guard = self.begin().await?;
        let tx = &mut guard;
        let out = async {
            case_known(tx, case_id).await?;
            let body = required_text("body", &fields.body, MAX_NOTE_CHARS)?;
            let note_id = Uuid::now_v7();
            let visibility = fields.visibility.unwrap_or_default();
            record(tx, &OpBody::AddNote(AddNotePayload { case_id, note_id, fields }), None).await?;
            Ok::<_, LocalError>(Note { id: note_id, case_id, author_id: me.id, body, visibility, created_at: now() })
        }
        .await?;
        guard.commit().await?;
        Ok(out)
    }

    /// Records a RASA step's notes and whether it is done.
    pub async fn set_rasa_step(&self, case_id: Uuid, step: RasaStep, fields: RasaStepRequest) -> Result<Checklist> {
        let me = &self.me_required().await?;
        let mut guard = self.begin().await?;
        let tx = &mut guard;
        let out = async {
            case_known(tx, case_id).await?;
            optional_text("notes", &fields.notes, MAX_STEP_NOTES_CHARS)?;
            let entry_id = Uuid::now_v7();
            record(tx, &OpBody::SetRasa(SetRasaPayload { case_id, entry_id, step, fields }), None).await?;
            checklist_on(tx, me, case_id).await
        }
        .await?;
        guard.commit().await?;
        Ok(out)
    }

    /// Creates a follow-up, on a case or for a customer.
    pub async fn create_followup(&self, fields: NewFollowUpRequest) -> Result<FollowUp> {
        let me = &self.me_required().await?;
        let mut guard = self.begin().await?;
        let tx = &mut guard;
        let out = async {
            match (fields.case_id, fields.customer_id) {
                (Some(c), _) => {
                    case_known(tx, c).await?;
                }
                (None, Some(_)) => {}
                (None, None) => return Err(Invalid::general("a follow-up needs a case or a customer").into()),
            }
            optional_text("note", &fields.note, MAX_FOLLOWUP_NOTE_CHARS)?;
            due_to_come(fields.due_at)?;
            let followup_id = Uuid::now_v7();
            record(tx, &OpBody::CreateFollowUp(CreateFollowUpPayload { followup_id, fields }), None).await?;
            followup_on(tx, me, followup_id)
                .await?
                .map(|f| f.value)
                .ok_or_else(|| LocalError::Corrupt("a follow-up just recorded is not there".into()))
        }
        .await?;
        guard.commit().await?;
        Ok(out)
    }

    /// Changes a follow-up; `fields.revision` is the revision the agent saw.
    pub async fn change_followup(&self, followup_id: Uuid, fields: PatchFollowUpRequest) -> Result<FollowUp> {
        let me = &self.me_required().await?;
        let mut guard = self.begin().await?;
        let tx = &mut guard;
        let out = async {
            let f = followup_on(tx, me, followup_id)
                .await?
                .ok_or_else(|| LocalError::NotFound(format!("no follow-up {followup_id} here")))?
                .value;
            if let Some(n) = &fields.note {
                optional_text("note", n, MAX_FOLLOWUP_NOTE_CHARS)?;
            }
            if let Some(d) = fields.due_at {
                due_to_come(d)?;
            }
            let body = OpBody::ChangeFollowUp(ChangeFollowUpPayload { followup_id, fields });
            record(tx, &body, f.case_id).await?;
            followup_on(tx, me, followup_id)
                .await?
                .map(|f| f.value)
                .ok_or_else(|| LocalError::Corrupt("a follow-up just changed is not there".into()))
        }
        .await?;
        guard.commit().await?;
        Ok(out)
    }

    /// Records a lead's review of a case (checked against `card`, the server's scorecard as
    /// last read, here first); the review's id, made here.
    pub async fn add_review(&self, case_id: Uuid, fields: NewReviewRequest, card: &Scorecard) -> Result<Uuid> {
        self.me_required().await?;
        card.check_scores(&fields.scores)?;
        if let Some(c) = &fields.coaching {
            optional_text("coaching", c, MAX_COACHING_CHARS)?;
        }
        let mut guard = self.begin().await?;
        let tx = &mut guard;
        case_known(tx, case_id).await?;
        let review_id = Uuid::now_v7();
        record(tx, &OpBody::AddReview(AddReviewPayload { case_id, review_id, fields }), None).await?;
        guard.commit().await?;
        Ok(review_id)
    }

    /// Records the agent's answer to a review of theirs (the server checks it is theirs and
    /// unanswered; a dispute names one of `scored`, the review's criteria — none given: the
    /// server checks — and says why, checked here first).
    pub async fn answer_review(&self, review_id: Uuid, answer: Answer, scored: &[Score]) -> Result<()> {
        self.me_required().await?;
        if answer == Answer::Open {
            return Err(Invalid::field("state", "answer `acknowledged` or `disputed`").into());
        }
        let answer = Answer::Open.answered(answer, scored)?;
        let mut guard = self.begin().await?;
        let tx = &mut guard;
        let answered: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE entity_id = ? AND kind = ? AND state = 'pending')",
        )
        .bind(review_id.to_string())
        .bind(OpKind::AnswerReview.as_str())
        .fetch_one(&mut **tx)
        .await?;
        if answered {
            return Err(Invalid::general("this review was answered already (the answer waits to be sent)").into());
        }
        record(tx, &OpBody::AnswerReview(AnswerReviewPayload { review_id, fields: answer }), None).await?;
        guard.commit().await?;
        Ok(())
    }

    /// The answers to reviews recorded here and not sent yet, by review.
    pub async fn pending_review_answers(&self) -> Result<Vec<(Uuid, Answer)>> {
        let mut conn = self.reader().acquire().await?;
        let ops = ops_where(&mut conn, "state = 'pending' AND kind = ?", OpKind::AnswerReview.as_str()).await?;
        Ok(ops
            .into_iter()
            .filter_map(|o| match o.body {
                OpBody::AnswerReview(p) => Some((p.review_id, p.fields)),
                _ => None,
            })
            .collect())
    }

    /// The next pending operations to push, in order, numbered for the device.
    pub async fn pending_batch(&self, limit: u32) -> Result<(Uuid, Vec<Operation>)> {
        let mut conn = self.reader().acquire().await?;
        let device = self.device_id().await?;
        let base: i64 = get_meta(&mut *conn, "device_base").await?.and_then(|b| b.parse().ok()).unwrap_or(0);
        let rows: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT seq, id, kind, payload, depends_on FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
        let mut ops = Vec::with_capacity(rows.len());
        for (seq, id, kind, payload, depends_on) in rows {
            ops.push(Operation {
                id: super::parse_uuid("outbox.id", &id)?,
                seq: seq - base,
                kind,
                payload: RawValue::from_string(payload)
                    .map_err(|e| LocalError::Corrupt(format!("outbox.payload: {e}")))?,
                depends_on: depends_on.map(|d| super::parse_uuid("outbox.depends_on", &d)).transpose()?,
            });
        }
        Ok((device, ops))
    }

    /// Files the server's answers to a push, in one transaction: applied operations leave the
    /// outbox and their result becomes confirmed state; conflicts and refusals stay, with the
    /// answer, for the agent; `retry` leaves them pending.
    pub async fn record_answers(&self, answers: &[OpResult]) -> Result<AnswerCounts> {
        let me = self.me_required().await?;
        let mut tx = self.begin().await?;
        let mut counts = AnswerCounts::default();
        // The operations answered, read in one statement, and those settled deleted in one:
        // a statement costs a hop to SQLite's thread, and a drain files thousands of answers.
        let ids = serde_json::to_string(&answers.iter().map(|a| a.id).collect::<Vec<_>>()).expect("ids serialise");
        let mut ops: std::collections::HashMap<Uuid, LocalOp> =
            ops_where(&mut tx, "id IN (SELECT value FROM json_each(?))", &ids)
                .await?
                .into_iter()
                .map(|o| (o.id, o))
                .collect();
        let mut settled = Vec::with_capacity(answers.len());
        let mut notes: Vec<Note> = Vec::new();
        for a in answers {
            // Each operation is filed once, by its first answer.
            let Some(op) = ops.remove(&a.id) else { continue };
            if op.state != OpState::Pending {
                continue;
            }
            match a.status {
                OpStatus::Applied | OpStatus::Duplicate => {
                    if a.status == OpStatus::Applied {
                        counts.applied += 1;
                    } else {
                        counts.duplicate += 1;
                    }
                    settled.push(op.id);
                    match (&op.body, &a.result) {
                        // Notes, the bulk of a drain, are written together below.
                        (OpBody::AddNote(_), Some(note)) => notes.push(parse_json("answer (note)", &note.to_string())?),
                        _ => confirm(&mut tx, &op, a.result.as_ref(), &me).await?,
                    }
                }
                OpStatus::Conflict | OpStatus::Rejected => {
                    let state = if a.status == OpStatus::Conflict {
                        counts.conflict += 1;
                        OpState::Conflict
                    } else {
                        counts.rejected += 1;
                        OpState::Rejected
                    };
                    sqlx::query("UPDATE outbox SET state = ?, answer = ?, attempts = attempts + 1 WHERE id = ?")
                        .bind(state.as_str())
                        .bind(serde_json::to_string(a).expect("answers serialise"))
                        .bind(op.id.to_string())
                        .execute(&mut *tx)
                        .await?;
                    if let Some(current) = &a.current {
                        confirm(&mut tx, &op, Some(current), &me).await?;
                    }
                }
                OpStatus::Retry => {
                    counts.retry += 1;
                    sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?")
                        .bind(op.id.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        put_notes(&mut tx, &notes).await?;
        if !settled.is_empty() {
            sqlx::query("DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))")
                .bind(serde_json::to_string(&settled).expect("ids serialise"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    /// Settles a conflict by taking the server's side: the operation is dropped, the view
    /// shows the server's state.
    pub async fn take_theirs(&self, op_id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        let op = unsettled(&mut tx, op_id, OpState::Conflict).await?;
        sqlx::query("DELETE FROM outbox WHERE seq = ?").bind(op.seq).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Settles a conflict by keeping the agent's side: the same change is queued again, on
    /// the revision the server has now.
    pub async fn keep_mine(&self, op_id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        let op = unsettled(&mut tx, op_id, OpState::Conflict).await?;
        let body = match op.body.clone() {
            OpBody::ChangeCase(mut p) => {
                p.fields.revision = current_case_revision(&mut tx, p.case_id).await?;
                OpBody::ChangeCase(p)
            }
            OpBody::ResolveCase(mut p) => {
                p.fields.revision = current_case_revision(&mut tx, p.case_id).await?;
                OpBody::ResolveCase(p)
            }
            OpBody::ChangeFollowUp(mut p) => {
                p.fields.revision = confirmed_followup(&mut tx, p.followup_id)
                    .await?
                    .ok_or_else(|| LocalError::NotFound(format!("no follow-up {} here", p.followup_id)))?
                    .revision;
                OpBody::ChangeFollowUp(p)
            }
            other => {
                return Err(Invalid::general(format!("a `{}` operation cannot be kept again", other.kind())).into())
            }
        };
        let case_id: Option<String> =
            sqlx::query_scalar("SELECT case_id FROM outbox WHERE seq = ?").bind(op.seq).fetch_one(&mut *tx).await?;
        sqlx::query("DELETE FROM outbox WHERE seq = ?").bind(op.seq).execute(&mut *tx).await?;
        record(&mut tx, &body, case_id.and_then(|c| Uuid::parse_str(&c).ok())).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a refused operation once the agent has read why.
    pub async fn dismiss(&self, op_id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        let op = unsettled(&mut tx, op_id, OpState::Rejected).await?;
        sqlx::query("DELETE FROM outbox WHERE seq = ?").bind(op.seq).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// How a push's answers were filed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnswerCounts {
    pub applied: u64,
    pub duplicate: u64,
    pub conflict: u64,
    pub rejected: u64,
    pub retry: u64,
}

async fn unsettled(tx: &mut LocalTx, op_id: Uuid, state: OpState) -> Result<LocalOp> {
    let op = ops_where(tx, "id = ?", &op_id.to_string())
        .await?
        .pop()
        .ok_or_else(|| LocalError::NotFound(format!("no operation {op_id} in the outbox")))?;
    if op.state != state {
        return Err(
            Invalid::general(format!("operation {op_id} is {}, not {}", op.state.as_str(), state.as_str())).into()
        );
    }
    Ok(op)
}

async fn current_case_revision(tx: &mut LocalTx, case_id: Uuid) -> Result<i64> {
    Ok(confirmed_case(tx, case_id).await?.ok_or_else(|| no_case(case_id))?.revision)
}

/// Stores what the server answered for an operation as confirmed state.
async fn confirm(tx: &mut LocalTx, op: &LocalOp, entity: Option<&serde_json::Value>, me: &Agent) -> Result<()> {
    let Some(entity) = entity else { return Ok(()) };
    let text = entity.to_string();
    match &op.body {
        OpBody::OpenCase(_) | OpBody::ChangeCase(_) | OpBody::ResolveCase(_) => {
            put_case(tx, &parse_json("answer (case)", &text)?).await
        }
        OpBody::AddNote(_) => put_note(tx, &parse_json("answer (note)", &text)?).await,
        // The answer is the checklist; the entry itself comes with the next pull, which
        // replaces this stand-in (same id).
        OpBody::SetRasa(p) => {
            let e = RecordedEntry {
                id: p.entry_id,
                case_id: p.case_id,
                step: p.step,
                notes: p.fields.notes.trim().to_string(),
                done: p.fields.done,
                author_id: me.id,
                at: op.created_at,
            };
            put_entry(tx, &e).await
        }
        OpBody::CreateFollowUp(_) | OpBody::ChangeFollowUp(_) => {
            put_followup(tx, &parse_json("answer (follow-up)", &text)?).await
        }
        // Reviews are read from the server when shown (a lead's list, an agent's own); there
        // is no copy here to confirm.
        OpBody::AddReview(_) | OpBody::AnswerReview(_) => Ok(()),
    }
}
