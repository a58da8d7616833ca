//! Case work: the rules every write to cases, notes, RASA steps, resolutions and follow-ups
//! goes through — for the REST API and for operations pushed by offline consoles alike. Each
//! command runs inside the caller's transaction, reads there what it decides on, and writes
//! only if nobody changed it since (compare-and-swap on the revision). Operations pushed by
//! offline consoles are applied through these rules by [`pushed`].

pub mod pushed;
pub mod reviews;
pub mod rules;

use serde::Serialize;
use uuid::Uuid;

use crate::domain::agent::{
    may_assign, may_assign_followup, may_change_followup, may_open_case_for, may_reprioritise, may_work_case, Agent,
    Denied,
};
use crate::domain::case::new_case;
use crate::domain::case::{
    check_transition, rasa_explained, resolution_fields, Case, Channel, Note, Resolution, ResolutionInput,
    MAX_NOTE_CHARS,
};
use crate::domain::followup::{FollowUp, FollowUpStatus, MAX_FOLLOWUP_NOTE_CHARS};
use crate::domain::rasa::{Checklist, RasaStep, MAX_STEP_NOTES_CHARS};
use crate::domain::time::{from_micros, now};
use crate::domain::{optional_text, required_text, Invalid};
use crate::store::cases::{fetch_case, fetch_checklist, Cas, CaseChanges};
use crate::store::followups::{fetch_followup, FollowUpChanges};
use crate::store::{row_exists, StoreError, Tx};
pub use crate::wire::requests::{
    NewCaseRequest, NewFollowUpRequest, NewNoteRequest, PatchCaseRequest, PatchFollowUpRequest, RasaStepRequest,
};

/// Why a command was not carried out.
#[derive(Debug)]
pub enum WorkError {
    Invalid(Invalid),
    Denied(Denied),
    NotFound(String),
    /// The request is well formed, but the entity as it now is does not allow it (a status
    /// move the state machine forbids, a resolution before the RASA steps are done or
    /// explained): the same request may succeed once the entity has changed.
    State(Invalid),
    /// The revision sent is not the current one: `current` is the entity as it now is.
    Stale {
        what: &'static str,
        sent: i64,
        revision: i64,
        current: Box<serde_json::Value>,
    },
    Store(StoreError),
}

impl From<Invalid> for WorkError {
    fn from(e: Invalid) -> Self {
        WorkError::Invalid(e)
    }
}

impl From<Denied> for WorkError {
    fn from(e: Denied) -> Self {
        WorkError::Denied(e)
    }
}

impl From<StoreError> for WorkError {
    fn from(e: StoreError) -> Self {
        WorkError::Store(e)
    }
}

impl From<sqlx::Error> for WorkError {
    fn from(e: sqlx::Error) -> Self {
        WorkError::Store(e.into())
    }
}

pub type WorkResult<T> = Result<T, WorkError>;

fn stale<T: Serialize>(what: &'static str, sent: i64, revision: i64, current: &T) -> WorkError {
    WorkError::Stale { what, sent, revision, current: Box::new(serde_json::to_value(current).unwrap_or_default()) }
}

async fn load_case(tx: &mut Tx, id: Uuid) -> WorkResult<Case> {
    let case = fetch_case(&mut **tx, id)
        .await?
        .ok_or_else(|| WorkError::NotFound(format!("no case with id {id}: list cases with GET /api/v1/cases")))?;
    tx.saw_case(case.id, case.customer_id);
    Ok(case)
}

/// The customer of a case, read once per transaction (it never changes): a drain of notes on
/// one case reads the case once, not once per note.
async fn case_customer(tx: &mut Tx, id: Uuid) -> WorkResult<Uuid> {
    match tx.case_customer(id) {
        Some(customer) => Ok(customer),
        None => Ok(load_case(tx, id).await?.customer_id),
    }
}

async fn check_agent(tx: &mut Tx, field: &'static str, id: Uuid) -> WorkResult<()> {
    if row_exists(tx, "agents", id).await? {
        Ok(())
    } else {
        Err(WorkError::NotFound(format!("{field}: no agent with id {id}: GET /api/v1/agents lists them")))
    }
}

/// The customer new work named `id` goes to: that customer, or the one it was merged into.
async fn customer_for_work(tx: &mut Tx, id: Uuid) -> WorkResult<Uuid> {
    crate::store::merges::current_customer(tx, id)
        .await?
        .ok_or_else(|| WorkError::NotFound(format!("customer_id: no customer with id {id}")))
}

/// Opens a case with the id given (server-made for the API, client-made offline).
pub async fn open_case(tx: &mut Tx, agent: &Agent, id: Uuid, mut req: NewCaseRequest) -> WorkResult<Case> {
    req.customer_id = customer_for_work(tx, req.customer_id).await?;
    let mut case = new_case(agent, id, &req, now())?;
    may_open_case_for(agent, case.assignee_id)?;
    if let Some(a) = case.assignee_id {
        check_agent(tx, "assignee_id", a).await?;
    }
    if row_exists(tx, "cases", id).await? {
        return Err(Invalid::field("id", format!("a case with id {id} exists already: make a new id")).into());
    }
    let fired = rules::before_case_opened(tx, &mut case, agent).await?;
    // Due in the business hours of the queue the case ends up in (rules may route it).
    (case.first_response_due, case.resolution_due) =
        crate::store::schedules::due_times_for(tx, &case, case.status, None, case.created_at).await?;
    crate::store::cases::create_case(tx, &case, agent).await?;
    rules::after_case_opened(tx, &case, fired).await?;
    Ok(case)
}

/// Changes a case's status, priority or assignee, if it is still at the revision sent.
pub async fn change_case(tx: &mut Tx, agent: &Agent, case_id: Uuid, req: PatchCaseRequest) -> WorkResult<Case> {
    let case = load_case(tx, case_id).await?;
    if req.revision != case.revision {
        return Err(stale("case", req.revision, case.revision, &case));
    }
    if req.status.is_none()
        && req.priority.is_none()
        && req.assignee_id.is_none()
        && req.tags.is_none()
        && req.queue.is_none()
    {
        // Nothing to change: the case as it is (an empty patch is no error in HTTP).
        return Ok(case);
    }
    if let Some(s) = req.status {
        may_work_case(agent, &case)?;
        check_transition(case.status, s, case.resolution.is_some()).map_err(WorkError::State)?;
    }
    if req.priority.is_some_and(|p| p != case.priority) {
        may_reprioritise(agent, &case)?;
    }
    // Another queue: who works the case may hand it to another team.
    let queue = match req.queue.as_deref().map(crate::domain::case::queue_name).transpose()? {
        Some(q) if q != case.queue => {
            may_work_case(agent, &case)?;
            let team = crate::store::queues::team_for_queue(tx, &q).await?;
            Some((q, team))
        }
        _ => None,
    };
    if let Some(a) = req.assignee_id {
        let to = match a {
            Some(id) => Some(crate::store::agents::agent_in(tx, id).await?.ok_or_else(|| {
                WorkError::NotFound(format!("assignee_id: no agent with id {id}: GET /api/v1/agents lists them"))
            })?),
            None => None,
        };
        match (&queue, &to) {
            // Going to another team: to someone of that team, or to its queue.
            // Who is in which team is stored, not in the request: a state conflict.
            (Some((_, team)), Some(to)) if *team != case.team && !to.in_team(team) => {
                return Err(WorkError::State(Invalid::field(
                    "assignee_id",
                    format!("{} is not in team `{team}`, where the case goes: name someone of that team, or leave assignee_id out", to.name),
                )));
            }
            (Some((_, team)), _) if *team != case.team => {}
            _ => may_assign(agent, &case, to.as_ref())?,
        }
    }
    let policy = match req.priority {
        Some(p) if p != case.priority => Some(crate::store::queues::sla_policy(tx, p).await?),
        _ => None,
    };
    let tags = match &req.tags {
        Some(t) => {
            may_work_case(agent, &case)?;
            Some(crate::domain::case::check_tags(t)?)
        }
        None => None,
    };
    let mut changes = CaseChanges {
        status: req.status,
        priority: req.priority,
        assignee_id: req.assignee_id,
        policy,
        tags,
        queue,
        dues: None,
    };
    // A new status, priority or queue moves the due times: counted again from the opening in
    // the business hours of the case's queue or team, the resolution clock standing still
    // while it waited on the customer.
    let moves_clock = req.status.is_some_and(|s| s != case.status)
        || req.priority.is_some_and(|p| p != case.priority)
        || changes.queue.is_some();
    if moves_clock {
        let at = now();
        let next = changes.apply_to(&case, at);
        let change = (next.status != case.status).then_some((at, next.status));
        changes.dues = Some(crate::store::schedules::due_times_for(tx, &next, case.status, change, at).await?);
    }
    match crate::store::cases::update_case(tx, &case, &changes, agent).await? {
        Cas::Applied(c) => Ok(c),
        Cas::Stale(current) => Err(stale("case", req.revision, current.revision, &*current)),
        Cas::NotFound => Err(WorkError::NotFound(format!("no case with id {case_id}"))),
    }
}

/// Appends a note to a case; anyone may.
pub async fn add_note(
    tx: &mut Tx,
    agent: &Agent,
    case_id: Uuid,
    note_id: Uuid,
    req: NewNoteRequest,
) -> WorkResult<Note> {
    let customer_id = case_customer(tx, case_id).await?;
    let body = required_text("body", &req.body, MAX_NOTE_CHARS)?;
    let note = Note {
        id: note_id,
        case_id,
        author_id: agent.id,
        body,
        visibility: req.visibility.unwrap_or_default(),
        created_at: now(),
    };
    // The insert claims the id: a note with it exists already when nothing was written.
    if !crate::store::cases::add_note(tx, customer_id, &note, agent).await? {
        return Err(Invalid::field("id", format!("a note with id {note_id} exists already: make a new id")).into());
    }
    Ok(note)
}

/// Records a RASA step's notes and done flag (a new entry; entries only append).
pub async fn set_rasa_step(
    tx: &mut Tx,
    agent: &Agent,
    case_id: Uuid,
    entry_id: Uuid,
    step: RasaStep,
    req: RasaStepRequest,
) -> WorkResult<Checklist> {
    let case = load_case(tx, case_id).await?;
    may_work_case(agent, &case)?;
    let notes = optional_text("notes", &req.notes, MAX_STEP_NOTES_CHARS)?.unwrap_or_default();
    if row_exists(tx, "rasa_entries", entry_id).await? {
        return Err(Invalid::field("id", format!("a RASA entry with id {entry_id} exists already")).into());
    }
    Ok(crate::store::cases::add_rasa_entry(tx, &case, entry_id, step, notes, req.done, agent).await?)
}

/// Records the resolution (and the status it sets), if the case is still at the revision sent.
pub async fn resolve_case(tx: &mut Tx, agent: &Agent, case_id: Uuid, req: ResolutionInput) -> WorkResult<Case> {
    let case = load_case(tx, case_id).await?;
    if req.revision != case.revision {
        return Err(stale("case", req.revision, case.revision, &case));
    }
    may_work_case(agent, &case)?;
    let checklist = fetch_checklist(&mut **tx, case.id).await?;
    let (summary, root_cause, reason, status) = resolution_fields(&req)?;
    let reason = rasa_explained(&checklist, reason).map_err(WorkError::State)?;
    if case.status != status {
        check_transition(case.status, status, true).map_err(WorkError::State)?;
    }
    let resolution = Resolution {
        summary,
        root_cause,
        outcome: req.outcome,
        rasa_incomplete_reason: reason,
        resolved_by: agent.id,
        resolved_at: now(),
    };
    match crate::store::cases::resolve_case(tx, &case, resolution, status, agent).await? {
        Cas::Applied(c) => {
            rules::on_case_resolved(tx, &c, agent).await?;
            Ok(c)
        }
        Cas::Stale(current) => Err(stale("case", req.revision, current.revision, &*current)),
        Cas::NotFound => Err(WorkError::NotFound(format!("no case with id {case_id}"))),
    }
}

/// Creates a follow-up, for a case or straight for a customer.
pub async fn create_followup(tx: &mut Tx, agent: &Agent, id: Uuid, req: NewFollowUpRequest) -> WorkResult<FollowUp> {
    let given = match req.customer_id {
        Some(c) => Some(customer_for_work(tx, c).await?),
        None => None,
    };
    let customer_id = match (req.case_id, given) {
        (Some(case_id), given) => {
            let case = fetch_case(&mut **tx, case_id)
                .await?
                .ok_or_else(|| WorkError::NotFound(format!("case_id: no case with id {case_id}")))?;
            if given.is_some_and(|c| c != case.customer_id) {
                return Err(WorkError::State(Invalid::field(
                    "customer_id",
                    "is not the customer of that case: leave it out",
                )));
            }
            case.customer_id
        }
        (None, Some(c)) => c,
        (None, None) => return Err(Invalid::general("a follow-up needs a case_id or a customer_id").into()),
    };
    let assignee_id = req.assignee_id.unwrap_or(agent.id);
    may_assign_followup(agent, assignee_id)?;
    check_agent(tx, "assignee_id", assignee_id).await?;
    let note = optional_text("note", &req.note, MAX_FOLLOWUP_NOTE_CHARS)?.unwrap_or_default();
    if row_exists(tx, "followups", id).await? {
        return Err(Invalid::field("id", format!("a follow-up with id {id} exists already: make a new id")).into());
    }
    let t = now();
    let f = FollowUp {
        id,
        customer_id,
        case_id: req.case_id,
        assignee_id,
        due_at: from_micros(req.due_at.timestamp_micros()),
        channel: req.channel.unwrap_or(Channel::Phone),
        note,
        status: FollowUpStatus::Open,
        revision: 1,
        created_by: agent.id,
        created_at: t,
        updated_at: t,
        done_at: None,
    };
    crate::store::followups::create_followup(tx, &f, agent).await?;
    Ok(f)
}

/// Changes a follow-up, if it is still at the revision sent.
pub async fn change_followup(tx: &mut Tx, agent: &Agent, id: Uuid, req: PatchFollowUpRequest) -> WorkResult<FollowUp> {
    let f = fetch_followup(&mut **tx, id)
        .await?
        .ok_or_else(|| WorkError::NotFound(format!("no follow-up with id {id}")))?;
    if req.revision != f.revision {
        return Err(stale("follow-up", req.revision, f.revision, &f));
    }
    may_change_followup(agent, f.assignee_id, f.created_by)?;
    if let Some(a) = req.assignee_id {
        may_assign_followup(agent, a)?;
        check_agent(tx, "assignee_id", a).await?;
    }
    let note = match &req.note {
        Some(n) => Some(optional_text("note", n, MAX_FOLLOWUP_NOTE_CHARS)?.unwrap_or_default()),
        None => None,
    };
    let changes = FollowUpChanges {
        status: req.status,
        due_at: req.due_at.map(|d| from_micros(d.timestamp_micros())),
        note,
        assignee_id: req.assignee_id,
        channel: req.channel,
    };
    if changes.status.is_none()
        && changes.due_at.is_none()
        && changes.note.is_none()
        && changes.assignee_id.is_none()
        && changes.channel.is_none()
    {
        // Nothing to change: the follow-up as it is.
        return Ok(f);
    }
    match crate::store::followups::update_followup(tx, &f, &changes, agent).await? {
        Cas::Applied(x) => Ok(x),
        Cas::Stale(current) => Err(stale("follow-up", req.revision, current.revision, &*current)),
        Cas::NotFound => Err(WorkError::NotFound(format!("no follow-up with id {id}"))),
    }
}
