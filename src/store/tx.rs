//! The writing transaction: it derefs to the connection, so statements run on it as on any
//! sqlx transaction, and it keeps aside what is written only at its end.
//!
//! A statement costs a hop to SQLite's thread (or a round trip to PostgreSQL), and a drain of
//! an offline console applies thousands of operations, so the rows that nothing reads before
//! the commit are kept here and written by [`Tx::commit`], many per statement: the changes for
//! the feed (numbered last — every writer takes the row locks of its work first and the change
//! counter last, so two writers never wait for each other in a circle), the timeline events of
//! case work, and new notes.

use std::collections::HashMap;

use sqlx::Any;
use uuid::Uuid;

use super::{backend_of, changes, events, existing_ids, webhooks, Result, Sql};
use crate::domain::case::Note;
use crate::domain::time::to_micros;

pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    pub(super) pending: Vec<changes::PendingChange>,
    /// Timeline events of the case work done in this transaction.
    pub(super) activity: Vec<events::NewEvent>,
    /// Notes added in this transaction.
    notes: Vec<Note>,
    /// What to tell webhook subscribers once this commits ([`Tx::emit`]).
    pub(super) outgoing: Vec<crate::wire::webhooks::OutEvent>,
    /// The kinds each webhook subscription wants, read once per transaction ([`Tx::wants`]).
    pub(super) subscribed: Option<Vec<Vec<String>>>,
    /// The enabled rules, read once per transaction (`store::rules::enabled_rules`).
    pub(super) rules: Option<std::sync::Arc<Vec<(String, crate::domain::rules::Rule)>>>,
    /// Note ids looked up or added in this transaction: whether each is taken.
    note_ids: HashMap<Uuid, bool>,
    /// The customer of each case this transaction read or wrote: a case never changes its
    /// customer and is never deleted, so a note on it needs no second read.
    case_customers: HashMap<Uuid, Uuid>,
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }
}

/// Rows per INSERT of notes: six parameters each.
const NOTES_PER_INSERT: usize = 100;

impl Tx {
    pub(super) fn new(inner: sqlx::Transaction<'static, Any>) -> Tx {
        Tx {
            inner,
            pending: Vec::new(),
            activity: Vec::new(),
            notes: Vec::new(),
            outgoing: Vec::new(),
            subscribed: None,
            rules: None,
            note_ids: HashMap::new(),
            case_customers: HashMap::new(),
        }
    }

    /// The customer of a case seen earlier in this transaction.
    pub(crate) fn case_customer(&self, case: Uuid) -> Option<Uuid> {
        self.case_customers.get(&case).copied()
    }

    /// Notes a case seen in this transaction (see [`Tx::case_customer`]).
    pub(crate) fn saw_case(&mut self, case: Uuid, customer: Uuid) {
        self.case_customers.insert(case, customer);
    }

    /// Looks up, in one statement, which of these note ids are taken, so that adding the
    /// notes needs no statement each (a push of notes looks up all of its own at once).
    pub(crate) async fn look_up_notes(&mut self, ids: &[Uuid]) -> Result<()> {
        let fresh: Vec<Uuid> = ids.iter().copied().filter(|id| !self.note_ids.contains_key(id)).collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let taken = existing_ids(self, "case_notes", &fresh).await?;
        for id in fresh {
            self.note_ids.insert(id, taken.contains(&id));
        }
        Ok(())
    }

    /// Takes a note's id and keeps the note, to be written with the commit; `false`, with
    /// nothing kept, when the id is taken already (in the database or in this transaction).
    pub(crate) async fn add_note(&mut self, note: &Note) -> Result<bool> {
        if !self.note_ids.contains_key(&note.id) {
            self.look_up_notes(std::slice::from_ref(&note.id)).await?;
        }
        if self.note_ids.get(&note.id).copied().unwrap_or(true) {
            return Ok(false);
        }
        self.note_ids.insert(note.id, true);
        self.notes.push(note.clone());
        Ok(true)
    }

    /// Writes what was kept aside — notes, timeline events, webhook deliveries, then the
    /// numbered changes — and commits.
    pub async fn commit(mut self) -> Result<()> {
        let notes = std::mem::take(&mut self.notes);
        insert_notes(&mut self.inner, &notes).await?;
        let activity = std::mem::take(&mut self.activity);
        events::insert_events(&mut self, &activity).await?;
        let outgoing = std::mem::take(&mut self.outgoing);
        let queued = webhooks::enqueue(&mut self.inner, &outgoing).await?;
        let pending = std::mem::take(&mut self.pending);
        changes::write_pending(&mut self.inner, pending).await?;
        self.inner.commit().await?;
        if queued {
            webhooks::QUEUED.notify_one();
        }
        Ok(())
    }
}

/// Plain inserts: an id taken since it was looked up (another API node, on PostgreSQL) fails
/// the transaction rather than losing either note.
async fn insert_notes(conn: &mut sqlx::AnyConnection, notes: &[Note]) -> Result<()> {
    for chunk in notes.chunks(NOTES_PER_INSERT) {
        let mut sql = Sql::new(
            backend_of(conn),
            "INSERT INTO case_notes (id, case_id, author_id, body, visibility, created_at) VALUES ",
        );
        sql.rows(chunk, |row, n| {
            row.bind(n.id.to_string())
                .bind(n.case_id.to_string())
                .bind(n.author_id.to_string())
                .bind(n.body.clone())
                .bind(n.visibility.as_str())
                .bind(to_micros(n.created_at));
        });
        let (text, args) = sql.finish();
        sqlx::query_with(&text, args).execute(&mut *conn).await?;
    }
    Ok(())
}
