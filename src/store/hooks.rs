//! Incoming webhooks: each hook's mapping and sealed secret, and the authentic deliveries its
//! mapping could not read, kept for an admin to inspect and replay.

use sqlx::any::AnyRow;
use uuid::Uuid;

use super::agents::AdminError;
use super::{col_json, col_opt_ts, col_str, col_ts, col_uuid, to_json, Result, Store};
use crate::domain::event::is_valid_name;
use crate::domain::time::{now, to_micros, Timestamp};
use crate::domain::{new_id, Invalid};
use crate::integrations::mapping::Mapping;

/// A hook as deliveries use it: its mapping and its secret, opened.
pub struct Hook {
    pub name: String,
    pub mapping: Mapping,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook").field("name", &self.name).field("mapping", &self.mapping).finish_non_exhaustive()
    }
}

/// A delivery kept because its mapping could not read it.
#[derive(Debug, Clone)]
pub struct HookFailure {
    pub id: Uuid,
    pub hook: String,
    pub received_at: Timestamp,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub problem: String,
    pub replayed_at: Option<Timestamp>,
}

fn failure_from_row(row: &AnyRow) -> Result<HookFailure> {
    Ok(HookFailure {
        id: col_uuid(row, "id")?,
        hook: col_str(row, "hook")?,
        received_at: col_ts(row, "received_at")?,
        headers: col_json(row, "headers")?,
        body: col_str(row, "body")?,
        problem: col_str(row, "problem")?,
        replayed_at: col_opt_ts(row, "replayed_at")?,
    })
}

const FAILURE_COLUMNS: &str = "id, hook, received_at, headers, body, problem, replayed_at";

impl Store {
    /// Sets a hook (new, or replacing its mapping and secret); the mapping is checked first.
    pub async fn put_hook(&self, name: &str, mapping_src: &str, secret: &[u8]) -> Result<Mapping, AdminError> {
        let name = name.trim().to_lowercase();
        if !is_valid_name(&name) {
            return Err(AdminError::Invalid(Invalid::field(
                "name",
                format!("`{name}` is not a hook name: lower-case letters, digits, `_`, `-` (e.g. stripe)"),
            )));
        }
        if secret.len() < 8 {
            return Err(AdminError::Invalid(Invalid::field(
                "secret",
                "is shorter than 8 bytes: use the signing secret the other system shows",
            )));
        }
        let mapping = Mapping::parse(mapping_src).map_err(AdminError::Invalid)?;
        let sealed = self.secret_key()?.seal(secret);
        let at = to_micros(now());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO hooks (name, source, mapping, secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (name) DO UPDATE SET source = excluded.source, mapping = excluded.mapping, \
             secret = excluded.secret, updated_at = excluded.updated_at",
        )
        .bind(&name)
        .bind(&mapping.source)
        .bind(mapping_src)
        .bind(sealed)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(super::StoreError::from)?;
        tx.commit().await?;
        Ok(mapping)
    }

    /// A hook, its secret opened.
    pub async fn hook(&self, name: &str) -> Result<Option<Hook>> {
        let row = sqlx::query("SELECT name, mapping, secret FROM hooks WHERE name = $1")
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mapping = Mapping::parse(&col_str(&row, "mapping")?)
            .map_err(|e| super::StoreError::Corrupt(format!("hook `{name}`'s mapping: {e}")))?;
        let secret = self.secret_key()?.open(&col_str(&row, "secret")?)?;
        Ok(Some(Hook { name: col_str(&row, "name")?, mapping, secret }))
    }

    /// Every hook: name and source.
    pub async fn hooks(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT name, source FROM hooks ORDER BY name").fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok((col_str(r, "name")?, col_str(r, "source")?))).collect()
    }

    /// Keeps a delivery its mapping could not read; its id.
    pub async fn keep_hook_failure(
        &self,
        hook: &str,
        headers: &[(String, String)],
        body: &str,
        problem: &str,
    ) -> Result<Uuid> {
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO hook_failures (id, hook, received_at, headers, body, problem) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(hook)
        .bind(to_micros(now()))
        .bind(to_json(&headers))
        .bind(body)
        .bind(problem)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Kept deliveries, newest first: of one hook, or of all; replayed ones too when `all`.
    pub async fn hook_failures(&self, hook: Option<&str>, all: bool) -> Result<Vec<HookFailure>> {
        let sql = format!(
            "SELECT {FAILURE_COLUMNS} FROM hook_failures WHERE ($1 = '' OR hook = $1) AND ($2 = 1 OR replayed_at IS NULL) \
             ORDER BY received_at DESC, id DESC LIMIT 1000"
        );
        let rows = sqlx::query(&sql).bind(hook.unwrap_or("")).bind(i64::from(all)).fetch_all(self.reader()).await?;
        rows.iter().map(failure_from_row).collect()
    }

    pub async fn hook_failure(&self, id: Uuid) -> Result<Option<HookFailure>> {
        let row = sqlx::query(&format!("SELECT {FAILURE_COLUMNS} FROM hook_failures WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(failure_from_row).transpose()
    }

    /// Marks a kept delivery replayed (its events were stored).
    pub async fn mark_hook_failure_replayed(&self, id: Uuid) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE hook_failures SET replayed_at = $1 WHERE id = $2")
            .bind(to_micros(now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
