//! Cases and the work on them: notes, RASA entries, resolution. Field changes are
//! compare-and-swap on the revision the caller read; notes and RASA entries only append.

use serde_json::json;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::changes::{record_change, Entity};
use super::events::{record_activity, Activity};
use super::{
    col_enum, col_i64, col_json, col_opt_enum, col_opt_str, col_opt_ts, col_opt_uuid, col_str, col_ts, col_uuid,
    cut_page, to_json, Result, Sql, Store, Tx,
};
use crate::domain::agent::Agent;
use crate::domain::case::{Case, CaseDetail, CaseStatus, Note, NoteVisibility, Priority, Resolution};
use crate::domain::cursor::TimeCursor;
use crate::domain::rasa::{fold, Checklist, RasaStep, RecordedEntry, StepEntry};
use crate::domain::time::{now, to_micros};
use crate::wire::webhooks::OutKind;

pub(crate) const CASE_COLUMNS: &str = "id, customer_id, subject, channel, status, priority, queue, team, assignee_id, \
    first_response_due, resolution_due, revision, created_by, created_at, updated_at, resolution_summary, \
    resolution_root_cause, resolution_outcome, resolution_rasa_incomplete_reason, resolved_by, resolved_at, \
    first_response_at, tags";

/// The outcome of a change that carried the revision it read.
#[derive(Debug)]
pub enum Cas<T> {
    Applied(T),
    /// Someone changed it since: here is what it is now.
    Stale(Box<T>),
    NotFound,
}

pub use crate::domain::case::CaseChanges;

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub statuses: Vec<CaseStatus>,
    pub priorities: Vec<Priority>,
    /// `Some(None)`: unassigned cases only.
    pub assignee: Option<Option<Uuid>>,
    pub customer_id: Option<Uuid>,
    pub queue: Option<String>,
    pub team: Option<String>,
}

pub(crate) fn case_from_row(row: &AnyRow) -> Result<Case> {
    let resolution = match col_opt_str(row, "resolution_summary")? {
        None => None,
        Some(summary) => Some(Resolution {
            summary,
            root_cause: col_opt_str(row, "resolution_root_cause")?
                .map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(|e| super::StoreError::Corrupt(format!("resolution_root_cause: {e}")))?
                .unwrap_or_default(),
            outcome: col_opt_enum(row, "resolution_outcome")?
                .ok_or_else(|| super::StoreError::Corrupt("a resolution without an outcome".into()))?,
            rasa_incomplete_reason: col_opt_str(row, "resolution_rasa_incomplete_reason")?,
            resolved_by: col_opt_uuid(row, "resolved_by")?.unwrap_or_default(),
            resolved_at: col_opt_ts(row, "resolved_at")?.unwrap_or_default(),
        }),
    };
    Ok(Case {
        id: col_uuid(row, "id")?,
        customer_id: col_uuid(row, "customer_id")?,
        subject: col_str(row, "subject")?,
        channel: col_enum(row, "channel")?,
        status: col_enum(row, "status")?,
        priority: col_enum(row, "priority")?,
        queue: col_str(row, "queue")?,
        team: col_str(row, "team")?,
        assignee_id: col_opt_uuid(row, "assignee_id")?,
        first_response_due: col_opt_ts(row, "first_response_due")?,
        resolution_due: col_opt_ts(row, "resolution_due")?,
        revision: col_i64(row, "revision")?,
        created_by: col_uuid(row, "created_by")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
        resolution,
        first_response_at: col_opt_ts(row, "first_response_at")?,
        tags: col_json(row, "tags")?,
    })
}

fn note_from_row(row: &AnyRow) -> Result<Note> {
    Ok(Note {
        id: col_uuid(row, "id")?,
        case_id: col_uuid(row, "case_id")?,
        author_id: col_uuid(row, "author_id")?,
        body: col_str(row, "body")?,
        visibility: col_enum(row, "visibility")?,
        created_at: col_ts(row, "created_at")?,
    })
}

fn preview(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

/// Writes a case row as it is (creation and seeding).
pub(crate) async fn insert_case_row(tx: &mut Tx, case: &Case) -> Result<()> {
    tx.saw_case(case.id, case.customer_id);
    let r = case.resolution.as_ref();
    sqlx::query(&format!(
        "INSERT INTO cases ({CASE_COLUMNS}, contact_reason_key, root_cause_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
    ))
    .bind(case.id.to_string())
    .bind(case.customer_id.to_string())
    .bind(case.subject.clone())
    .bind(case.channel.as_str())
    .bind(case.status.as_str())
    .bind(case.priority.as_str())
    .bind(case.queue.clone())
    .bind(case.team.clone())
    .bind(case.assignee_id.map(|a| a.to_string()))
    .bind(case.first_response_due.map(to_micros))
    .bind(case.resolution_due.map(to_micros))
    .bind(case.revision)
    .bind(case.created_by.to_string())
    .bind(to_micros(case.created_at))
    .bind(to_micros(case.updated_at))
    .bind(r.map(|r| r.summary.clone()))
    .bind(r.map(|r| to_json(&r.root_cause)))
    .bind(r.map(|r| r.outcome.as_str()))
    .bind(r.and_then(|r| r.rasa_incomplete_reason.clone()))
    .bind(r.map(|r| r.resolved_by.to_string()))
    .bind(r.map(|r| to_micros(r.resolved_at)))
    .bind(case.first_response_at.map(to_micros))
    .bind(to_json(&case.tags))
    .bind(crate::domain::reasons::contact_reason(&case.subject))
    .bind(r.and_then(|r| crate::domain::reasons::root_cause(&r.root_cause)))
    .execute(&mut **tx)
    .await?;
    super::report_days::track(tx, None, case).await?;
    Ok(())
}

impl super::Store {
    /// Fills in the contact reason and root cause of cases written before they were kept on
    /// write (migration 0015), a few thousand at a time; nothing to do after the first time.
    pub(crate) async fn fill_reason_keys(&self) -> Result<()> {
        loop {
            let rows = sqlx::query(
                "SELECT id, subject, resolution_root_cause FROM cases WHERE contact_reason_key IS NULL LIMIT 2000",
            )
            .fetch_all(self.reader())
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin_write().await?;
            for r in &rows {
                let whys: Vec<String> = col_opt_str(r, "resolution_root_cause")?
                    .and_then(|j| serde_json::from_str(&j).ok())
                    .unwrap_or_default();
                sqlx::query("UPDATE cases SET contact_reason_key = $1, root_cause_key = $2 WHERE id = $3")
                    .bind(crate::domain::reasons::contact_reason(&col_str(r, "subject")?))
                    .bind(crate::domain::reasons::root_cause(&whys))
                    .bind(col_str(r, "id")?)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }
}

pub(crate) async fn insert_note_row(tx: &mut Tx, note: &Note) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_notes (id, case_id, author_id, body, visibility, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(note.id.to_string())
    .bind(note.case_id.to_string())
    .bind(note.author_id.to_string())
    .bind(note.body.clone())
    .bind(note.visibility.as_str())
    .bind(to_micros(note.created_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A RASA entry as the change feed carries it.
pub(crate) fn rasa_entry_body(id: Uuid, case_id: Uuid, e: &StepEntry) -> RecordedEntry {
    RecordedEntry { id, case_id, step: e.step, notes: e.notes.clone(), done: e.done, author_id: e.author_id, at: e.at }
}

pub(crate) async fn insert_rasa_row(tx: &mut Tx, id: Uuid, case_id: Uuid, e: &StepEntry) -> Result<()> {
    sqlx::query("INSERT INTO rasa_entries (id, case_id, step, notes, done, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id.to_string())
        .bind(case_id.to_string())
        .bind(e.step.as_str())
        .bind(e.notes.clone())
        .bind(i64::from(e.done))
        .bind(e.author_id.to_string())
        .bind(to_micros(e.at))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Writes a new case with its timeline activity and change.
pub(crate) async fn create_case(tx: &mut Tx, case: &Case, by: &Agent) -> Result<()> {
    insert_case_row(tx, case).await?;
    record_activity(
        tx,
        Activity {
            customer_id: case.customer_id,
            case_id: Some(case.id),
            key: format!("{}:opened", case.id),
            kind: "case_opened",
            title: format!("Case opened: {}", case.subject),
            body: None,
            actor: Some(by.name.clone()),
            data: json!({"channel": case.channel, "priority": case.priority, "queue": case.queue}),
            at: case.created_at,
        },
    )
    .await?;
    if tx.wants(OutKind::CaseOpened).await? {
        let customer = super::customers::contact_of(tx, case.customer_id).await?;
        tx.emit(OutKind::CaseOpened, case.id, json!({"case": case, "customer": customer, "by": by.id}));
    }
    record_change(tx, Entity::Case, case.id, Some(case.id), Some(case.customer_id), case).await?;
    Ok(())
}

/// A case, read through a pool or inside a transaction.
pub(crate) async fn fetch_case<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    id: Uuid,
) -> Result<Option<Case>> {
    sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(e)
        .await?
        .map(|r| case_from_row(&r))
        .transpose()
}

/// The RASA checklist of a case, read through a pool or inside a transaction.
pub(crate) async fn fetch_checklist<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    case_id: Uuid,
) -> Result<Checklist> {
    let rows = sqlx::query(
        "SELECT step, notes, done, author_id, created_at FROM rasa_entries WHERE case_id = $1 ORDER BY created_at, id",
    )
    .bind(case_id.to_string())
    .fetch_all(e)
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        entries.push(StepEntry {
            step: col_enum(row, "step")?,
            notes: col_str(row, "notes")?,
            done: col_i64(row, "done")? != 0,
            author_id: col_uuid(row, "author_id")?,
            at: col_ts(row, "created_at")?,
        });
    }
    Ok(fold(&entries))
}

impl Store {
    pub async fn case(&self, id: Uuid) -> Result<Option<Case>> {
        fetch_case(self.reader(), id).await
    }

    pub async fn checklist(&self, case_id: Uuid) -> Result<Checklist> {
        fetch_checklist(self.reader(), case_id).await
    }

    pub async fn notes(&self, case_id: Uuid) -> Result<Vec<Note>> {
        sqlx::query("SELECT id, case_id, author_id, body, visibility, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at, id")
            .bind(case_id.to_string())
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(note_from_row)
            .collect()
    }

    pub async fn case_detail(&self, id: Uuid) -> Result<Option<CaseDetail>> {
        let Some(case) = self.case(id).await? else { return Ok(None) };
        let notes = self.notes(id).await?;
        let rasa = self.checklist(id).await?;
        let followups = self.followups_of_case(id).await?;
        Ok(Some(CaseDetail { case, notes, rasa, followups }))
    }

    /// Cases newest first, filtered, one keyset page.
    pub async fn list_cases(
        &self,
        f: &CaseFilter,
        limit: u32,
        after: Option<&TimeCursor>,
    ) -> Result<(Vec<Case>, Option<TimeCursor>)> {
        let mut sql = Sql::new(self.backend, &format!("SELECT {CASE_COLUMNS} FROM cases WHERE 1 = 1"));
        if !f.statuses.is_empty() {
            sql.push(" AND status IN (");
            for (i, s) in f.statuses.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).bind(s.as_str());
            }
            sql.push(")");
        }
        if !f.priorities.is_empty() {
            sql.push(" AND priority IN (");
            for (i, p) in f.priorities.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).bind(p.as_str());
            }
            sql.push(")");
        }
        match f.assignee {
            None => {}
            Some(None) => {
                sql.push(" AND assignee_id IS NULL");
            }
            Some(Some(a)) => {
                sql.push(" AND assignee_id = ").bind(a.to_string());
            }
        }
        if let Some(c) = f.customer_id {
            sql.push(" AND customer_id = ").bind(c.to_string());
        }
        if let Some(q) = &f.queue {
            sql.push(" AND queue = ").bind(q.clone());
        }
        if let Some(t) = &f.team {
            sql.push(" AND team = ").bind(t.clone());
        }
        if let Some(c) = after {
            sql.push(" AND (created_at, id) < (").bind(c.at).push(", ").bind(c.id.to_string()).push(")");
        }
        sql.push(" ORDER BY created_at DESC, id DESC LIMIT ").bind(i64::from(limit) + 1);
        let (text, args) = sql.finish();
        let rows = sqlx::query_with(&text, args).fetch_all(self.reader()).await?;
        let cases = rows.iter().map(case_from_row).collect::<Result<Vec<_>>>()?;
        Ok(cut_page(cases, limit, |c| TimeCursor { at: to_micros(c.created_at), id: c.id }))
    }
}

/// Applies field changes to `read` (the case as the caller saw it, already checked against
/// the rules) if nobody changed it since.
pub(crate) async fn update_case(tx: &mut Tx, read: &Case, changes: &CaseChanges, by: &Agent) -> Result<Cas<Case>> {
    let t = now();
    let next = changes.apply_to(read, t);
    if next == *read {
        // Nothing changes: no new revision, no activity.
        return Ok(Cas::Applied(next));
    }
    let updated = sqlx::query(
        "UPDATE cases SET status = $1, priority = $2, assignee_id = $3, first_response_due = $4, resolution_due = $5, \
         revision = $6, updated_at = $7, first_response_at = $10, tags = $11, queue = $12, team = $13 \
         WHERE id = $8 AND revision = $9",
    )
    .bind(next.status.as_str())
    .bind(next.priority.as_str())
    .bind(next.assignee_id.map(|a| a.to_string()))
    .bind(next.first_response_due.map(to_micros))
    .bind(next.resolution_due.map(to_micros))
    .bind(next.revision)
    .bind(to_micros(t))
    .bind(read.id.to_string())
    .bind(read.revision)
    .bind(next.first_response_at.map(to_micros))
    .bind(to_json(&next.tags))
    .bind(next.queue.clone())
    .bind(next.team.clone())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return stale(tx, read.id).await;
    }
    super::report_days::track(tx, Some(read), &next).await?;
    let mut activity = Vec::new();
    if next.status != read.status {
        super::schedules::record_status(tx, read.id, t, read.status, next.status).await?;
        activity.push((
            "case_status_changed",
            // A pause of the resolution clock shows on the timeline.
            match (read.status, next.status) {
                (_, CaseStatus::Pending) => {
                    format!("Case {} → pending: the resolution clock stands still", read.status)
                }
                (CaseStatus::Pending, to) => format!("Case pending → {to}: the resolution clock runs again"),
                (from, to) => format!("Case {from} → {to}"),
            },
            json!({"from": read.status, "to": next.status}),
        ));
    }
    if next.priority != read.priority {
        activity.push((
            "case_reprioritised",
            format!("Priority {} → {}", read.priority, next.priority),
            json!({"from": read.priority, "to": next.priority}),
        ));
    }
    if next.queue != read.queue || next.team != read.team {
        activity.push((
            "case_moved",
            format!("Moved to the {} queue (team {})", next.queue, next.team),
            json!({"from": {"queue": read.queue, "team": read.team}, "to": {"queue": next.queue, "team": next.team}}),
        ));
    }
    if next.assignee_id != read.assignee_id {
        let title = match next.assignee_id {
            Some(_) => "Case assigned".to_string(),
            None => "Case unassigned".to_string(),
        };
        activity.push(("case_assigned", title, json!({"from": read.assignee_id, "to": next.assignee_id})));
        tx.emit(
            OutKind::CaseAssigned,
            next.id,
            json!({"case": &next, "from": read.assignee_id, "to": next.assignee_id, "by": by.id}),
        );
    }
    for (kind, title, data) in activity {
        record_activity(
            tx,
            Activity {
                customer_id: read.customer_id,
                case_id: Some(read.id),
                key: format!("{}:{kind}:{}", read.id, next.revision),
                kind,
                title,
                body: Some(read.subject.clone()),
                actor: Some(by.name.clone()),
                data,
                at: t,
            },
        )
        .await?;
    }
    record_change(tx, Entity::Case, next.id, Some(next.id), Some(next.customer_id), &next).await?;
    Ok(Cas::Applied(next))
}

/// Sets a case's due times (its business hours changed): a new revision, in the change feed.
pub(crate) async fn set_due_times(
    tx: &mut Tx,
    read: &Case,
    dues: crate::domain::sla::DueTimes,
    at: crate::domain::time::Timestamp,
) -> Result<Case> {
    let mut next = read.clone();
    (next.first_response_due, next.resolution_due) = dues;
    next.revision = read.revision + 1;
    next.updated_at = at;
    sqlx::query(
        "UPDATE cases SET first_response_due = $1, resolution_due = $2, revision = $3, updated_at = $4 \
         WHERE id = $5 AND revision = $6",
    )
    .bind(next.first_response_due.map(to_micros))
    .bind(next.resolution_due.map(to_micros))
    .bind(next.revision)
    .bind(to_micros(at))
    .bind(read.id.to_string())
    .bind(read.revision)
    .execute(&mut **tx)
    .await?;
    super::report_days::track(tx, Some(read), &next).await?;
    record_change(tx, Entity::Case, next.id, Some(next.id), Some(next.customer_id), &next).await?;
    Ok(next)
}

async fn stale(tx: &mut Tx, id: Uuid) -> Result<Cas<Case>> {
    Ok(match fetch_case(&mut **tx, id).await? {
        Some(current) => Cas::Stale(Box::new(current)),
        None => Cas::NotFound,
    })
}

/// Records the resolution and the status it sets, if nobody changed the case since `read`.
pub(crate) async fn resolve_case(
    tx: &mut Tx,
    read: &Case,
    resolution: Resolution,
    status: CaseStatus,
    by: &Agent,
) -> Result<Cas<Case>> {
    let t = now();
    let next = crate::domain::case::resolved(read, resolution.clone(), status, t);
    let updated = sqlx::query(
        "UPDATE cases SET status = $1, revision = $2, updated_at = $3, resolution_summary = $4, resolution_root_cause = $5, \
         root_cause_key = $13, \
         resolution_outcome = $6, resolution_rasa_incomplete_reason = $7, resolved_by = $8, resolved_at = $9, \
         first_response_at = $12 WHERE id = $10 AND revision = $11",
    )
    .bind(status.as_str())
    .bind(next.revision)
    .bind(to_micros(t))
    .bind(resolution.summary.clone())
    .bind(to_json(&resolution.root_cause))
    .bind(resolution.outcome.as_str())
    .bind(resolution.rasa_incomplete_reason.clone())
    .bind(resolution.resolved_by.to_string())
    .bind(to_micros(resolution.resolved_at))
    .bind(read.id.to_string())
    .bind(read.revision)
    .bind(next.first_response_at.map(to_micros))
    .bind(crate::domain::reasons::root_cause(&resolution.root_cause))
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return stale(tx, read.id).await;
    }
    super::report_days::track(tx, Some(read), &next).await?;
    if status != read.status {
        super::schedules::record_status(tx, read.id, t, read.status, status).await?;
    }
    record_activity(
        tx,
        Activity {
            customer_id: read.customer_id,
            case_id: Some(read.id),
            key: format!("{}:case_resolved:{}", read.id, next.revision),
            kind: "case_resolved",
            title: format!("Case resolved ({}): {}", resolution.outcome, read.subject),
            body: Some(resolution.summary.clone()),
            actor: Some(by.name.clone()),
            data: json!({"outcome": resolution.outcome, "root_cause": resolution.root_cause, "status": status}),
            at: t,
        },
    )
    .await?;
    if tx.wants(OutKind::CaseResolved).await? || tx.wants(OutKind::SurveyRequested).await? {
        let customer = super::customers::contact_of(tx, read.customer_id).await?;
        tx.emit(OutKind::CaseResolved, next.id, json!({"case": &next, "customer": &customer, "by": by.id}));
        tx.emit(OutKind::SurveyRequested, next.id, survey_request(&next, &resolution, customer));
    }
    record_change(tx, Entity::Case, next.id, Some(next.id), Some(next.customer_id), &next).await?;
    Ok(Cas::Applied(next))
}

/// What a survey tool needs to ask the customer about a case just resolved: which case, who
/// (with how to reach them and their language), on which channel, and how it ended.
fn survey_request(case: &Case, resolution: &Resolution, customer: serde_json::Value) -> serde_json::Value {
    let language = customer.get("language").and_then(|l| l.as_str()).unwrap_or(DEFAULT_SURVEY_LANGUAGE).to_string();
    json!({
        "case_id": case.id,
        "subject": case.subject,
        "customer": customer,
        "channel": case.channel,
        "language": language,
        "outcome": resolution.outcome,
        "resolved_by": resolution.resolved_by,
        "resolved_at": resolution.resolved_at,
    })
}

/// A survey's language when the customer's is not known.
pub const DEFAULT_SURVEY_LANGUAGE: &str = "en";

/// Appends a note to a case (notes are never edited; the row is written with the commit).
/// `false`, with nothing written, when a note with its id exists already.
pub(crate) async fn add_note(tx: &mut Tx, customer_id: Uuid, note: &Note, by: &Agent) -> Result<bool> {
    let visibility = note.visibility;
    if !tx.add_note(note).await? {
        return Ok(false);
    }
    record_activity(
        tx,
        Activity {
            customer_id,
            case_id: Some(note.case_id),
            key: format!("{}:note_added", note.id),
            kind: "note_added",
            title: match visibility {
                NoteVisibility::Internal => format!("Internal note: {}", preview(&note.body)),
                NoteVisibility::Customer => format!("Note to customer: {}", preview(&note.body)),
            },
            body: Some(note.body.clone()),
            actor: Some(by.name.clone()),
            data: json!({"note_id": note.id, "visibility": visibility}),
            at: note.created_at,
        },
    )
    .await?;
    if visibility == NoteVisibility::Customer && tx.wants(OutKind::CustomerNoteAdded).await? {
        let customer = super::customers::contact_of(tx, customer_id).await?;
        tx.emit(OutKind::CustomerNoteAdded, note.case_id, json!({"note": note, "customer": customer}));
    }
    record_change(tx, Entity::Note, note.id, Some(note.case_id), Some(customer_id), &note).await?;
    Ok(true)
}

/// Appends a RASA entry (the step's notes as they now stand, and whether it is done) and
/// returns the checklist folded from all entries.
pub(crate) async fn add_rasa_entry(
    tx: &mut Tx,
    case: &Case,
    id: Uuid,
    step: RasaStep,
    notes: String,
    done: bool,
    by: &Agent,
) -> Result<Checklist> {
    let before = fetch_checklist(&mut **tx, case.id).await?;
    let t = now();
    let entry = StepEntry { step, notes: notes.clone(), done, author_id: by.id, at: t };
    insert_rasa_row(tx, id, case.id, &entry).await?;
    let was_done = before.steps[step.index()].done_at.is_some();
    if done && !was_done {
        record_activity(
            tx,
            Activity {
                customer_id: case.customer_id,
                case_id: Some(case.id),
                key: format!("{id}:rasa_step_done"),
                kind: "rasa_step_done",
                title: format!("RASA: {step} done"),
                body: (!notes.is_empty()).then(|| notes.clone()),
                actor: Some(by.name.clone()),
                data: json!({"step": step}),
                at: t,
            },
        )
        .await?;
    }
    let body = rasa_entry_body(id, case.id, &entry);
    record_change(tx, Entity::RasaEntry, id, Some(case.id), Some(case.customer_id), &body).await?;
    fetch_checklist(&mut **tx, case.id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("first line\nsecond"), "first line");
        assert_eq!(preview(&"ü".repeat(100)).chars().count(), 81);
    }
}
