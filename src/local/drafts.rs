//! Drafts: what the agent is typing, saved locally within a second so that a crash, a kill or a
//! closed laptop loses at most that second. A draft is a key (see [`draft_key`]) and its text;
//! it leaves once what it drafted is recorded in the outbox.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{LocalStore, Result};
use crate::domain::time::{now, to_micros};

/// The key of a case's draft field, e.g. `case/<id>/note` or `case/<id>/rasa/receive`.
pub fn draft_key(case_id: Uuid, field: &str) -> String {
    format!("case/{case_id}/{field}")
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

    /// The drafts of a case, by field (the part of the key after `case/<id>/`).
    pub async fn case_drafts(&self, case_id: Uuid) -> Result<BTreeMap<String, String>> {
        let prefix = draft_key(case_id, "");
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
        let d = store.case_drafts(case).await.unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d["note"], "half a thought, finished");
        assert_eq!(d["rasa/receive"], "“it never came”");
        store.save_drafts(&[(draft_key(case, "note"), String::new())]).await.unwrap();
        assert_eq!(store.case_drafts(case).await.unwrap().len(), 1);
        assert_eq!(store.case_drafts(other).await.unwrap()["note"], "elsewhere");
    }
}
