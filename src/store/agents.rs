//! Agents and bearer tokens. Tokens are random, shown once, stored as SHA-256 hashes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{
    col_enum, col_json, col_opt_str, col_opt_uuid, col_str, col_ts, col_uuid, to_json, Result, Store, StoreError,
};
use crate::domain::agent::{Agent, Principal, Role};
use crate::domain::event::is_valid_name;
use crate::domain::time::{now, to_micros};
use crate::domain::{new_id, Invalid};

/// A fresh token: a readable prefix (`cba_` agent, `cbi_` ingest) and 32 random bytes.
fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn agent_from_row(row: &AnyRow) -> Result<Agent> {
    Ok(Agent {
        id: col_uuid(row, "id")?,
        name: col_str(row, "name")?,
        role: col_enum(row, "role")?,
        teams: col_json(row, "teams")?,
        created_at: col_ts(row, "created_at")?,
    })
}

/// Checks an agent name: 1–64 ASCII letters, digits, `.`, `_`, `-` (a sign-in name, typed in
/// commands and shown everywhere; spaces around it are dropped).
pub fn validate_agent_name(name: &str) -> Result<String, Invalid> {
    let name = name.trim_matches(' ');
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(name.to_string())
    } else {
        Err(Invalid::field(
            "name",
            format!("`{name}` is not a valid agent name: use 1–64 ASCII letters, digits, `.`, `_` or `-`"),
        ))
    }
}

pub fn validate_team(team: &str) -> Result<String, Invalid> {
    let t = team.trim_matches(' ').to_ascii_lowercase();
    if is_valid_name(&t) {
        Ok(t)
    } else {
        Err(Invalid::field(
            "team",
            format!("`{team}` is not a valid team name: use lower-case letters, digits, `_`, `-`"),
        ))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(Invalid),
    #[error("an agent named `{0}` exists already: pick another name")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Adds an agent and returns it with its token (shown once, never stored in clear).
    pub async fn add_agent(&self, name: &str, role: Role, teams: &[String]) -> Result<(Agent, String), AdminError> {
        let name = validate_agent_name(name).map_err(AdminError::Invalid)?;
        let mut clean_teams = Vec::new();
        for t in teams {
            let t = validate_team(t).map_err(AdminError::Invalid)?;
            if !clean_teams.contains(&t) {
                clean_teams.push(t);
            }
        }
        let agent = Agent { id: new_id(), name, role, teams: clean_teams, created_at: now() };
        let token = new_token("cba_");
        let mut tx = self.begin_write().await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM agents WHERE name = $1")
            .bind(agent.name.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        if exists.is_some() {
            return Err(AdminError::Exists(agent.name));
        }
        insert_agent_row(&mut tx, &agent).await?;
        insert_token(&mut tx, &token, "agent", Some(agent.id), None).await?;
        tx.commit().await?;
        Ok((agent, token))
    }

    /// A new token for an existing agent (for example the demo's, or after a lost one).
    pub async fn add_agent_token(&self, agent_id: Uuid) -> Result<String> {
        let token = new_token("cba_");
        let mut tx = self.begin_write().await?;
        insert_token(&mut tx, &token, "agent", Some(agent_id), None).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// A token that may only post events of `source`.
    pub async fn add_ingest_token(&self, source: &str) -> Result<String, AdminError> {
        let source = source.trim().to_lowercase();
        if !is_valid_name(&source) {
            return Err(AdminError::Invalid(Invalid::field(
                "source",
                format!("`{source}` is not a source name: use lower-case letters, digits, `_`, `-`, `.` (e.g. shop)"),
            )));
        }
        let token = new_token("cbi_");
        let mut tx = self.begin_write().await?;
        insert_token(&mut tx, &token, "ingest", None, Some(&source)).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Revokes one token (given in clear; it is looked up by its hash). Whether it was live.
    pub async fn revoke_token(&self, token: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL")
            .bind(to_micros(now()))
            .bind(hash_token(token))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Revokes every live token of an agent; how many.
    pub async fn revoke_agent_tokens(&self, agent_id: Uuid) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL")
            .bind(to_micros(now()))
            .bind(agent_id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Who a bearer token belongs to; `None` for unknown or revoked tokens.
    pub async fn principal(&self, token: &str) -> Result<Option<Principal>> {
        self.principal_by_hash(&hash_token(token)).await
    }

    /// [`Store::principal`] for a token already hashed with [`hash_token`].
    pub async fn principal_by_hash(&self, hash: &str) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT t.id AS token_id, t.kind, t.source, a.id, a.name, a.role, a.teams, a.created_at \
             FROM tokens t LEFT JOIN agents a ON a.id = t.agent_id \
             WHERE t.hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(hash.to_string())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        match col_str(&row, "kind")?.as_str() {
            "ingest" => Ok(Some(Principal::Ingest {
                token_id: col_uuid(&row, "token_id")?,
                source: col_opt_str(&row, "source")?.unwrap_or_default(),
            })),
            _ => match col_opt_uuid(&row, "id")? {
                Some(_) => Ok(Some(Principal::Agent(agent_from_row(&row)?))),
                None => Ok(None),
            },
        }
    }

    pub async fn agent_by_name(&self, name: &str) -> Result<Option<Agent>> {
        sqlx::query("SELECT id, name, role, teams, created_at FROM agents WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(self.reader())
            .await?
            .map(|r| agent_from_row(&r))
            .transpose()
    }

    pub async fn agents(&self) -> Result<Vec<Agent>> {
        sqlx::query("SELECT id, name, role, teams, created_at FROM agents ORDER BY name")
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(agent_from_row)
            .collect()
    }
}

/// Writes an agent row as it is (creation and seeding).
/// An agent, read in a transaction.
pub(crate) async fn agent_in(tx: &mut super::Tx, id: Uuid) -> Result<Option<Agent>> {
    sqlx::query("SELECT id, name, role, teams, created_at FROM agents WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| agent_from_row(&r))
        .transpose()
}

pub(crate) async fn insert_agent_row(tx: &mut super::Tx, agent: &Agent) -> Result<()> {
    sqlx::query("INSERT INTO agents (id, name, role, teams, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(agent.id.to_string())
        .bind(agent.name.clone())
        .bind(agent.role.as_str())
        .bind(to_json(&agent.teams))
        .bind(to_micros(agent.created_at))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_token(
    tx: &mut super::Tx,
    token: &str,
    kind: &str,
    agent_id: Option<Uuid>,
    source: Option<&str>,
) -> Result<()> {
    sqlx::query("INSERT INTO tokens (hash, id, kind, agent_id, source, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(hash_token(token))
        .bind(new_id().to_string())
        .bind(kind.to_string())
        .bind(agent_id.map(|a| a.to_string()))
        .bind(source.map(str::to_string))
        .bind(to_micros(now()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token("cba_");
        let b = new_token("cba_");
        assert_ne!(a, b);
        assert!(a.starts_with("cba_") && a.len() > 40);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), hash_token(&b));
        assert_eq!(hash_token(&format!(" {a}\n")), hash_token(&a));
    }

    #[test]
    fn names() {
        assert!(validate_agent_name("anna.rossi").is_ok());
        assert!(validate_agent_name("bad name").is_err());
        assert_eq!(validate_team("Support").unwrap(), "support");
        assert!(validate_team("a b").is_err());
    }
}
