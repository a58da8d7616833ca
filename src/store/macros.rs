//! Team macros (`domain::macros`): the canned texts the whole team shares, as admins set them.

use super::agents::AdminError;
use super::{col_json, to_json, Result, Store};
use crate::domain::macros::Macro;
use crate::domain::time::{now, to_micros};

impl Store {
    /// Every team macro, by name.
    pub async fn macros(&self) -> Result<Vec<Macro>> {
        let rows = sqlx::query("SELECT definition FROM macros ORDER BY name").fetch_all(self.reader()).await?;
        rows.iter().map(|r| col_json(r, "definition")).collect()
    }

    /// Sets a team macro (checked first), replacing one of the same name.
    pub async fn put_macro(&self, m: &Macro) -> std::result::Result<(), AdminError> {
        m.check().map_err(AdminError::Invalid)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO macros (name, definition, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
        )
        .bind(m.name.clone())
        .bind(to_json(m))
        .bind(to_micros(now()))
        .execute(&mut *tx)
        .await
        .map_err(super::StoreError::from)?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a team macro; false when there was none of that name.
    pub async fn remove_macro(&self, name: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM macros WHERE name = $1").bind(name.to_string()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(n.rows_affected() > 0)
    }
}
