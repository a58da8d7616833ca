//! Applying pushed operations on the server, in groups sharing a transaction: claim the operation's
//! id (unique in `sync_ops`), check the device's sequence, apply it through the same case-work
//! rules as the REST API, and store the answer, so that a replay — after a lost response, a
//! crash, a week offline — gets the first answer back and changes nothing. The record itself
//! (its SQL) is `store::sync_ops`.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use uuid::Uuid;

use crate::casework::{self, WorkError};
use crate::domain::agent::Agent;
use crate::domain::scorecard::Scorecard;
use crate::domain::Invalid;
use crate::server::problem::{ApiError, Problem};
use crate::store::{sync_ops, Result, Store, StoreError, Tx};
use crate::wire::sync::*;

fn outcome(op: &Operation, status: OpStatus) -> OpResult {
    OpResult { id: op.id, seq: op.seq, status, result: None, current: None, problem: None }
}

fn with_problem(op: &Operation, status: OpStatus, problem: ApiError) -> OpResult {
    OpResult { problem: Some(*problem.0), ..outcome(op, status) }
}

fn refused(op: &Operation, detail: String) -> OpResult {
    with_problem(op, OpStatus::Rejected, ApiError::from(Invalid::general(detail)))
}

/// What a transaction knows of the device and of the operations it is about to apply, read
/// once per transaction (two queries) instead of once per operation, and what it has done
/// so far: the statements per operation are what a drain costs (each one a hop to the
/// database's thread or over the network), so the group's claims and answers are written in
/// one statement each.
struct Known {
    /// Answers stored for operations of the group, by id, as a replay gets them — those
    /// read at the start and those given since.
    stored: HashMap<Uuid, OpResult>,
    /// The device's latest number and its agent.
    last: i64,
    owner: Option<String>,
    /// Operations claimed up front by [`claim_run`], not yet answered.
    claimed: HashSet<Uuid>,
    /// Answers given in this transaction, written by [`sync_ops::write_answers`] before the commit:
    /// (operation id, status, answer as JSON).
    answered: Vec<(Uuid, &'static str, String)>,
}

impl Known {
    /// The status an operation of the device was given, in this transaction or before.
    fn status_in_group(&self, id: Uuid) -> Option<&'static str> {
        self.answered.iter().find(|(a, _, _)| *a == id).map(|(_, status, _)| *status)
    }
}

async fn load_known(tx: &mut Tx, device: Uuid, ops: &[Operation]) -> Result<Known> {
    let stored = sync_ops::answers(tx, ops).await?;
    let (last, owner) = sync_ops::device_latest(tx, device).await?;
    Ok(Known { stored, last, owner, claimed: HashSet::new(), answered: Vec::with_capacity(ops.len()) })
}

/// Claims, in one statement, the run of operations at the head of the group that continue
/// the device's sequence (the whole group, in a drain): what [`apply`] would claim one by one.
/// An operation another request claimed first is left out; [`apply`] finds its answer.
async fn claim_run(tx: &mut Tx, agent: &Agent, device: Uuid, ops: &[Operation], known: &mut Known) -> Result<()> {
    let mine = agent.id.to_string();
    if known.owner.as_ref().is_some_and(|o| *o != mine) {
        return Ok(());
    }
    let mut seen = HashSet::with_capacity(ops.len());
    let run: Vec<&Operation> = ops
        .iter()
        .zip(known.last + 1..)
        .take_while(|(op, next)| op.seq == *next && !known.stored.contains_key(&op.id) && seen.insert(op.id))
        .map(|(op, _)| op)
        .collect();
    if !run.is_empty() {
        known.claimed.extend(sync_ops::claim(tx, device, agent.id, &run).await?);
    }
    Ok(())
}

fn json(v: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// Runs the operation's command. A command that fails with anything but a storage error has
/// written nothing (case work decides before it writes), so its refusal can be recorded in
/// the same transaction.
async fn run(tx: &mut Tx, agent: &Agent, card: &Scorecard, op: &Operation) -> Result<serde_json::Value, WorkError> {
    let body = OpBody::parse(&op.kind, op.payload.get()).map_err(|e| WorkError::Invalid(Invalid::general(e)))?;
    Ok(match body {
        OpBody::OpenCase(p) => json(&casework::open_case(tx, agent, p.case_id, p.fields).await?),
        OpBody::ChangeCase(p) => json(&casework::change_case(tx, agent, p.case_id, p.fields).await?),
        OpBody::ResolveCase(p) => json(&casework::resolve_case(tx, agent, p.case_id, p.fields).await?),
        OpBody::AddNote(p) => json(&casework::add_note(tx, agent, p.case_id, p.note_id, p.fields).await?),
        OpBody::SetRasa(p) => json(&casework::set_rasa_step(tx, agent, p.case_id, p.entry_id, p.step, p.fields).await?),
        OpBody::CreateFollowUp(p) => json(&casework::create_followup(tx, agent, p.followup_id, p.fields).await?),
        OpBody::ChangeFollowUp(p) => json(&casework::change_followup(tx, agent, p.followup_id, p.fields).await?),
        OpBody::AddReview(p) => {
            json(&casework::reviews::add_review(tx, agent, card, p.review_id, p.case_id, p.fields).await?)
        }
        OpBody::AnswerReview(p) => json(&casework::reviews::answer_review(tx, agent, p.review_id, p.fields).await?),
    })
}

/// A replay that arrives under another device or number than the first time (a console that
/// renumbered its outbox after rebuilding its copy) still takes its place in this device's
/// sequence, so that the device's next operations are not held back as a gap.
async fn keep_sequence(tx: &mut Tx, agent: &Agent, device: Uuid, op: &Operation, known: &mut Known) -> Result<()> {
    let mine = agent.id.to_string();
    if op.seq == known.last + 1 && known.owner.as_ref().is_none_or(|o| *o == mine) {
        sync_ops::alias(tx, device, agent.id, op).await?;
        known.last = op.seq;
        known.owner = Some(mine);
    }
    Ok(())
}

/// Applies one operation inside the group's transaction. Refusals write nothing; an error
/// means the transaction must be rolled back.
///
/// With `refuse`, the operation is not run but answered with that problem as a rejection, in
/// its place in the device's sequence: an operation whose transaction failed in a way that
/// will recur (see [`StoreError::is_transient`]) is refused for good, and the device's later
/// operations go on.
async fn apply(
    tx: &mut Tx,
    agent: &Agent,
    card: &Scorecard,
    device: Uuid,
    op: &Operation,
    known: &mut Known,
    refuse: Option<&Problem>,
) -> Result<OpResult> {
    if let Some(first) = known.stored.get(&op.id).cloned() {
        keep_sequence(tx, agent, device, op, known).await?;
        return Ok(first);
    }
    if op.seq < 1 {
        return Ok(refused(op, format!("sequence numbers start at 1, not {}", op.seq)));
    }
    let last = known.last;
    if known.owner.as_ref().is_some_and(|o| *o != agent.id.to_string()) {
        return Ok(refused(
            op,
            "this device pushed operations for another agent: sign in again on it, which gives it a new device id"
                .into(),
        ));
    }
    if op.seq <= last {
        // Either another operation took this number, or this very operation was committed by
        // a concurrent request since we looked (on PostgreSQL each statement sees the latest
        // commits).
        return Ok(match sync_ops::answer(tx, op.id).await? {
            Some(first) => first,
            None => refused(op, format!("sequence number {} of this device was used by another operation", op.seq)),
        });
    }
    if op.seq > last + 1 {
        let problem = ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "sequence-gap",
            "Earlier operations missing",
            format!("this device's operation {} has not arrived yet: push from there, in order", last + 1),
        );
        return Ok(with_problem(op, OpStatus::Retry, problem));
    }
    // Claim the id (and the sequence number), unless the group's first statement did. A
    // concurrent push of the same operation waits here until the first commits, then finds it
    // and replays its answer.
    let claimed = known.claimed.remove(&op.id) || !sync_ops::claim(tx, device, agent.id, &[op]).await?.is_empty();
    if !claimed {
        return Ok(match sync_ops::answer(tx, op.id).await? {
            Some(first) => first,
            None => refused(op, format!("sequence number {} of this device was used by another operation", op.seq)),
        });
    }
    known.last = op.seq;
    known.owner = Some(agent.id.to_string());
    let result = match (refuse, unmet_dependency(tx, op, known).await?) {
        (Some(p), _) => OpResult { problem: Some(p.clone()), ..outcome(op, OpStatus::Rejected) },
        (None, Some(conflict)) => conflict,
        (None, None) => ran(tx, agent, card, op).await?,
    };
    let status = match result.status {
        OpStatus::Applied => "applied",
        OpStatus::Conflict => "conflict",
        _ => "rejected",
    };
    let text = serde_json::to_string(&result).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    known.answered.push((op.id, status, text));
    let replay = OpResult {
        status: if result.status == OpStatus::Applied { OpStatus::Duplicate } else { result.status },
        ..result.clone()
    };
    known.stored.insert(op.id, replay);
    Ok(result)
}

/// When the operation builds on an earlier one of the device that was not applied, the
/// answer: a conflict with the entity as it now is.
async fn unmet_dependency(tx: &mut Tx, op: &Operation, known: &Known) -> Result<Option<OpResult>> {
    let Some(dep) = op.depends_on else { return Ok(None) };
    let status: Option<String> = match known.status_in_group(dep) {
        Some(s) => Some(s.to_string()),
        None => sync_ops::status(tx, dep).await?,
    };
    if status.as_deref() == Some("applied") {
        return Ok(None);
    }
    let Ok(body) = OpBody::parse(&op.kind, op.payload.get()) else { return Ok(None) };
    let current = match &body {
        OpBody::ChangeFollowUp(p) => {
            crate::store::followups::fetch_followup(&mut **tx, p.followup_id).await?.map(|f| json(&f))
        }
        other => match other.case_id() {
            Some(c) => crate::store::cases::fetch_case(&mut **tx, c).await?.map(|c| json(&c)),
            None => None,
        },
    };
    let Some(current) = current else { return Ok(None) };
    let problem = ApiError::new(
        axum::http::StatusCode::CONFLICT,
        "conflict",
        "Built on a change that was not applied",
        format!(
            "this change builds on operation {dep}, which was {}: it was not applied either; here is the current state",
            status.as_deref().unwrap_or("never received")
        ),
    );
    Ok(Some(OpResult { current: Some(current), ..with_problem(op, OpStatus::Conflict, problem) }))
}

/// Runs the operation and turns a refusal into its answer; a storage failure is an error.
async fn ran(tx: &mut Tx, agent: &Agent, card: &Scorecard, op: &Operation) -> Result<OpResult> {
    // Text with NUL is refused before anything runs (the rule of `domain::text`).
    if crate::domain::text::raw_json_may_hold_nul(op.payload.get().as_bytes()) {
        if let Some(path) = serde_json::from_str::<serde_json::Value>(op.payload.get())
            .ok()
            .and_then(|v| crate::domain::text::json_nul_path("payload", &v))
        {
            return Ok(with_problem(op, OpStatus::Rejected, ApiError::nul_in(&path)));
        }
    }
    Ok(match run(tx, agent, card, op).await {
        Ok(entity) => OpResult { result: Some(entity), ..outcome(op, OpStatus::Applied) },
        Err(WorkError::Store(e)) => return Err(e),
        Err(WorkError::Stale { what, sent, revision, current }) => {
            let problem = ApiError::from(WorkError::Stale { what, sent, revision, current: current.clone() });
            OpResult { current: Some(*current), ..with_problem(op, OpStatus::Conflict, problem) }
        }
        Err(other) => with_problem(op, OpStatus::Rejected, ApiError::from(other)),
    })
}

/// Operations applied in one database transaction: one commit — one disk flush — per group
/// instead of per operation. Kept small so that the rows a group locks are not held long
/// (the change counter is taken only at the commit, after every row lock, as by every writer).
pub const OPS_PER_TRANSACTION: usize = 100;

fn held(op: &Operation, problem: &Problem) -> OpResult {
    OpResult { problem: Some(problem.clone()), ..outcome(op, OpStatus::Retry) }
}

/// Applies a device's operations in order; after the first that cannot be applied yet, the
/// rest are not tried (they answer `retry`). Answers are given only for what was committed.
///
/// Groups of operations share a transaction. Case work decides before it writes, so a refused
/// operation leaves nothing to undo; a storage failure rolls the whole group back, and the
/// group is then applied one operation per transaction, so that each gets its own answer.
/// `retry` means only "transient": an operation whose own transaction fails in a way that
/// will recur is recorded as rejected with the reason (a replay gets the same answer), and the
/// device's later operations go on behind it.
pub async fn apply_all(store: &Store, agent: &Agent, device: Uuid, ops: &[Operation]) -> Vec<OpResult> {
    let mut results = Vec::with_capacity(ops.len());
    let mut halted: Option<Problem> = None;
    for group in ops.chunks(OPS_PER_TRANSACTION) {
        if halted.is_none() {
            if let Ok((answers, stop)) = apply_group(store, agent, device, group, None).await {
                results.extend(answers);
                halted = stop;
                continue;
            }
        }
        for op in group {
            if let Some(p) = &halted {
                results.push(held(op, p));
                continue;
            }
            let one = std::slice::from_ref(op);
            let answer = match apply_group(store, agent, device, one, None).await {
                Err(e) if !e.is_transient() => {
                    let p = *ApiError::from(e).0;
                    tracing::warn!(op = %op.id, kind = %op.kind, reason = %p.detail, "pushed operation refused: it failed in a way that will recur");
                    apply_group(store, agent, device, one, Some(&p)).await
                }
                other => other,
            };
            match answer {
                Ok((mut answer, stop)) => {
                    results.append(&mut answer);
                    halted = stop;
                }
                Err(e) => {
                    let p = *ApiError::from(e).0;
                    results.push(held(op, &p));
                    halted = Some(p);
                }
            }
        }
    }
    results
}

async fn apply_group(
    store: &Store,
    agent: &Agent,
    device: Uuid,
    group: &[Operation],
    refuse: Option<&Problem>,
) -> Result<(Vec<OpResult>, Option<Problem>)> {
    let mut tx = store.begin_write().await?;
    let mut known = load_known(&mut tx, device, group).await?;
    claim_run(&mut tx, agent, device, group, &mut known).await?;
    let card = store.scorecard();
    // The group's notes are looked up at once, not one statement each.
    let notes: Vec<Uuid> = group
        .iter()
        .filter_map(|op| match OpBody::parse(&op.kind, op.payload.get()) {
            Ok(OpBody::AddNote(p)) => Some(p.note_id),
            _ => None,
        })
        .collect();
    tx.look_up_notes(&notes).await?;
    let mut answers = Vec::with_capacity(group.len());
    let mut halted: Option<Problem> = None;
    for op in group {
        if let Some(p) = &halted {
            answers.push(held(op, p));
            continue;
        }
        let r = apply(&mut tx, agent, &card, device, op, &mut known, refuse).await?;
        if r.status == OpStatus::Retry {
            halted = r.problem.clone();
        }
        answers.push(r);
    }
    if !known.claimed.is_empty() {
        // Every claimed operation is answered (the run is the group's head, which no halt
        // precedes); were one not, its claim must not be committed without an answer.
        return Err(StoreError::Corrupt(format!("{} operations claimed but not answered", known.claimed.len())));
    }
    sync_ops::write_answers(&mut tx, &known.answered).await?;
    tx.commit().await?;
    Ok((answers, halted))
}
