//! Drafts: what the agent is typing, saved locally within a second so that a crash, a kill or a
//! closed laptop loses at most that second. A draft is a key and its text; keys are paths under
//! what they belong to (`case/<id>/note`, `customer/<id>/new-case/subject`); a draft leaves once
//! what it drafted is recorded in the outbox.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{LocalStore, Result};
use crate::domain::time::{now, to_micros};

/// The key of a case's draft field, e.g. `case/<id>/note` or `case/<id>/rasa/receive`.
pub fn draft_key(case_id: Uuid, field: &str) -> String {
    format!("{}/{field}", case_scope(case_id))
}

/// Where a case's drafts live.
pub fn case_scope(case_id: Uuid) -> String {
    format!("case/{case_id}")
}

impl LocalStore {
    /// Saves drafts in one transaction; an empty text removes the draft.
    pub async fn save_drafts(&self, drafts: &[(String, String)]) -> Result<()> {
        if drafts.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let at = to_micros(now());
        for (key, body) in drafts {
            if body.is_empty() {
                sqlx::query("DELETE FROM drafts WHERE key = ?").bind(key).execute(&mut *tx).await?;
            } else {
                sqlx::query(
                    "INSERT INTO drafts (key, body, updated_at) VALUES (?, ?, ?) \
                     ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                )
                .bind(key)
                .bind(body)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The drafts under `scope` (`case/<id>`), by field (the part of the key after `scope/`).
    pub async fn drafts(&self, scope: &str) -> Result<BTreeMap<String, String>> {
        let prefix = format!("{scope}/");
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT key, body FROM drafts WHERE key >= ? AND key < ? ORDER BY key")
                .bind(&prefix)
                .bind(format!("{prefix}\u{10FFFF}"))
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|(k, b)| (k[prefix.len()..].to_string(), b)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drafts_survive_reopening_and_leave_when_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let case = Uuid::now_v7();
        let other = Uuid::now_v7();
        let store = LocalStore::open(&path).await.unwrap();
        store
            .save_drafts(&[
                (draft_key(case, "note"), "half a thought".into()),
                (draft_key(case, "rasa/receive"), "“it never came”".into()),
                (draft_key(other, "note"), "elsewhere".into()),
            ])
            .await
            .unwrap();
        store.save_drafts(&[(draft_key(case, "note"), "half a thought, finished".into())]).await.unwrap();
        store.close().await;

        let store = LocalStore::open(&path).await.unwrap();
        let d = store.drafts(&case_scope(case)).await.unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d["note"], "half a thought, finished");
        assert_eq!(d["rasa/receive"], "“it never came”");
        store.save_drafts(&[(draft_key(case, "note"), String::new())]).await.unwrap();
        assert_eq!(store.drafts(&case_scope(case)).await.unwrap().len(), 1);
        assert_eq!(store.drafts(&case_scope(other)).await.unwrap()["note"], "elsewhere");
    }
}
