//! The console's local store: one SQLite file per server and agent, in the data dir.
//!
//! It holds what the agent has seen (customers, timeline pages, and all case work pulled from
//! the change feed) so that everything reads offline, and the **outbox**: every write the
//! console makes is an operation stored there in the same transaction as nothing else — the
//! view is the confirmed server state with the waiting operations laid over it
//! ([`overlay`]), so an operation settled by "take theirs" or dismissed reverts for free.
//!
//! Durability: WAL with `synchronous = FULL`, so an operation is on disk when the call that
//! recorded it returns; the console may be killed the next instant.
//!
//! - [`outbox`]: recording operations (the console's writes), settling conflicts;
//! - [`confirmed`]: server state, from the change feed, push answers and REST reads;
//! - [`view`]: what the console shows: confirmed state with the outbox laid over it;
//! - [`overlay`]: the plain rules of that laying over, no I/O.

pub mod confirmed;
pub mod drafts;
pub mod outbox;
pub mod overlay;
pub mod view;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Executor, Sqlite, SqlitePool};
use uuid::Uuid;

use crate::domain::agent::Agent;
use crate::domain::Invalid;

/// Why a local read or write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// Bad input: the message says what is wrong; nothing was written.
    #[error("{0}")]
    Invalid(Invalid),
    #[error("{0}")]
    NotFound(String),
    #[error("local store: {0}")]
    Db(#[from] sqlx::Error),
    #[error("local store is damaged: {0}")]
    Corrupt(String),
}

impl From<Invalid> for LocalError {
    fn from(e: Invalid) -> Self {
        LocalError::Invalid(e)
    }
}

pub type Result<T, E = LocalError> = std::result::Result<T, E>;
pub(crate) type LocalTx = sqlx::Transaction<'static, Sqlite>;

/// The schema steps, in order: a store at version n gets the steps after n.
const SCHEMA: &[&str] = &[include_str!("schema.sql"), include_str!("drafts.sql"), include_str!("cards.sql")];
const SCHEMA_VERSION: i64 = SCHEMA.len() as i64;

/// The console's local store. Cheap to clone.
#[derive(Clone)]
pub struct LocalStore {
    /// One connection: local writes are serialised in-process.
    write: SqlitePool,
    read: SqlitePool,
    /// The signed-in agent, kept in memory once read (every write needs it).
    me: std::sync::Arc<std::sync::RwLock<Option<Agent>>>,
}

/// The local store's file for an agent on a server: `<data dir>/local/<server>/<agent>.db`.
pub fn store_path(data_dir: &Path, server_url: &str, agent_name: &str) -> PathBuf {
    data_dir.join("local").join(slug(server_url)).join(format!("{}.db", slug(agent_name)))
}

/// A file-name-safe form of a server URL or a name: `http://127.0.0.1:8080/` → `127.0.0.1_8080`.
fn slug(s: &str) -> String {
    let s = s.trim().trim_start_matches("http://").trim_start_matches("https://").trim_end_matches('/');
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

/// The local store of the only agent that has one for `server`, if exactly one does.
fn only_store_for(data_dir: &Path, server: &str) -> Option<PathBuf> {
    let dir = store_path(data_dir, server, "x").parent()?.to_path_buf();
    let stores: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "db"))
        .collect();
    match stores.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Opens the signed-in agent's store for the client's server: asks the server who the token
/// belongs to and what the server's identity is; when it cannot be reached, uses the only
/// store kept for that address.
///
/// Stores are kept by the address they were first made under, and each records the server's
/// identity. Reached under another spelling of its address (`localhost` for `127.0.0.1`, a
/// name for an IP), the server is recognised by its identity and the agent's existing store
/// is used, so that work written under one address is never stranded by another.
pub async fn open_for_agent(
    client: &crate::client::ApiClient,
    data_dir: &Path,
) -> anyhow::Result<(LocalStore, PathBuf)> {
    use anyhow::Context;
    let (path, me, server_id) = match client.whoami().await {
        Ok((me, server_id)) => {
            let by_address = store_path(data_dir, client.server(), &me.name);
            let path = match &server_id {
                Some(id) if !by_address.exists() => {
                    stores_of(data_dir, &me.name, id).await.into_iter().next().unwrap_or(by_address)
                }
                _ => by_address,
            };
            (path, Some(me), server_id)
        }
        Err(e) if e.is_transient() => match only_store_for(data_dir, client.server()) {
            Some(p) => (p, None, None),
            None => anyhow::bail!("{e}; and there is no local store for this server to work from"),
        },
        Err(e) => return Err(e.into()),
    };
    let store = LocalStore::open(&path).await.with_context(|| format!("opening the local store {}", path.display()))?;
    if let Some(me) = &me {
        store.set_me(me).await?;
    }
    if let Some(id) = &server_id {
        store.set_server(id, client.server()).await?;
    }
    Ok((store, path))
}

/// The agent's local stores on this computer that belong to the server `server_id` (whatever
/// address each was made under), oldest first.
pub async fn stores_of(data_dir: &Path, agent_name: &str, server_id: &str) -> Vec<PathBuf> {
    let file = format!("{}.db", slug(agent_name));
    let Ok(dirs) = std::fs::read_dir(data_dir.join("local")) else { return Vec::new() };
    let mut found = Vec::new();
    for dir in dirs.filter_map(|d| d.ok()) {
        let path = dir.path().join(&file);
        if !path.is_file() {
            continue;
        }
        if recorded_server(&path).await.as_deref() == Some(server_id) {
            let made = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
            found.push((made, path));
        }
    }
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

/// The server identity a store file recorded, read without changing the file.
async fn recorded_server(path: &Path) -> Option<String> {
    let connect = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = sqlx::ConnectOptions::connect(&connect).await.ok()?;
    let id = get_meta(&mut conn, "server_id").await.ok().flatten();
    let _ = sqlx::Connection::close(conn).await;
    id
}

impl LocalStore {
    /// Opens (creating if needed) the local store at `path`.
    pub async fn open(path: &Path) -> Result<LocalStore> {
        // What agents type is private: the folders 0700, the store (and its WAL) 0600.
        if let Some(dir) = path.parent() {
            crate::paths::create_private_dir(dir).map_err(|e| {
                LocalError::Corrupt(format!("cannot create the folder {} for the local store: {e}", dir.display()))
            })?;
            if let Some(local) = dir.parent().filter(|p| p.file_name().is_some_and(|n| n == "local")) {
                let _ = crate::paths::create_private_dir(local);
            }
        }
        for file in [path.to_path_buf(), path.with_extension("db-wal"), path.with_extension("db-shm")] {
            if file == path || file.exists() {
                crate::paths::make_private_file(&file).map_err(|e| {
                    LocalError::Corrupt(format!("cannot make the local store {} private: {e}", file.display()))
                })?;
            }
        }
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = |max: u32| SqlitePoolOptions::new().max_connections(max).acquire_timeout(Duration::from_secs(10));
        let write = pool(1).connect_with(connect.clone()).await?;
        migrate(&write).await?;
        let read = pool(4).connect_with(connect).await?;
        Ok(LocalStore { write, read, me: Default::default() })
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.read
    }

    pub(crate) async fn begin(&self) -> Result<LocalTx> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// This installation's device id for the server: its operations are numbered from 1.
    pub async fn device_id(&self) -> Result<Uuid> {
        let v = get_meta(&self.read, "device_id").await?.ok_or_else(|| LocalError::Corrupt("no device id".into()))?;
        Uuid::parse_str(&v).map_err(|e| LocalError::Corrupt(format!("device id: {e}")))
    }

    /// The signed-in agent, as the server last said.
    pub async fn me(&self) -> Result<Option<Agent>> {
        if let Some(me) = self.me.read().expect("me lock").clone() {
            return Ok(Some(me));
        }
        let me: Option<Agent> = match get_meta(&self.read, "me").await? {
            Some(v) => Some(serde_json::from_str(&v).map_err(|e| LocalError::Corrupt(format!("me: {e}")))?),
            None => None,
        };
        *self.me.write().expect("me lock") = me.clone();
        Ok(me)
    }

    pub(crate) async fn me_required(&self) -> Result<Agent> {
        self.me().await?.ok_or_else(|| {
            LocalError::Invalid(Invalid::general(
                "this local store does not know its agent yet: sign in (or sync) once while online",
            ))
        })
    }

    /// Records who the signed-in agent is (from `GET /api/v1/me`).
    pub async fn set_me(&self, agent: &Agent) -> Result<()> {
        let mut tx = self.begin().await?;
        set_meta(&mut tx, "me", &serde_json::to_string(agent).expect("agents serialise")).await?;
        tx.commit().await?;
        *self.me.write().expect("me lock") = Some(agent.clone());
        Ok(())
    }

    /// Something the console read from the server and keeps for offline use (the team, the
    /// team's macros), as last kept under `key`.
    pub async fn kept<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match get_meta(&self.read, &format!("kept/{key}")).await? {
            Some(v) => serde_json::from_str(&v).map(Some).map_err(|e| LocalError::Corrupt(format!("{key}: {e}"))),
            None => Ok(None),
        }
    }

    /// Keeps `value` under `key` for [`LocalStore::kept`].
    pub async fn keep<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let mut tx = self.begin().await?;
        set_meta(&mut tx, &format!("kept/{key}"), &serde_json::to_string(value).expect("plain data serialises"))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The server's identity, as recorded when last online.
    pub async fn server_id(&self) -> Result<Option<String>> {
        get_meta(&self.read, "server_id").await
    }

    /// Records the server's identity and the address it was last reached at.
    pub async fn set_server(&self, server_id: &str, address: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        set_meta(&mut tx, "server_id", server_id).await?;
        set_meta(&mut tx, "server_address", address).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

async fn migrate(write: &SqlitePool) -> Result<()> {
    let mut conn = write.acquire().await?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut *conn).await?;
    if version > SCHEMA_VERSION {
        return Err(LocalError::Corrupt(format!(
            "this local store was written by a newer casebook (schema {version}, this one knows {SCHEMA_VERSION}): update casebook"
        )));
    }
    if version < SCHEMA_VERSION {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        for step in &SCHEMA[version.max(0) as usize..] {
            tx.execute(*step).await?;
        }
        sqlx::query("INSERT OR IGNORE INTO meta (key, value) VALUES ('device_id', ?)")
            .bind(Uuid::now_v7().to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT OR IGNORE INTO meta (key, value) VALUES ('device_base', '0')").execute(&mut *tx).await?;
        tx.execute(format!("PRAGMA user_version = {SCHEMA_VERSION}").as_str()).await?;
        tx.commit().await?;
    }
    Ok(())
}

pub(crate) async fn get_meta<'e, E: sqlx::Executor<'e, Database = Sqlite>>(e: E, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(e).await?)
}

pub(crate) async fn set_meta(tx: &mut LocalTx, key: &str, value: &str) -> Result<()> {
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) fn parse_uuid(field: &str, s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| LocalError::Corrupt(format!("{field}: {e}")))
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| LocalError::Corrupt(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_paths_are_per_server_and_agent() {
        let d = Path::new("/d");
        assert_eq!(store_path(d, "http://127.0.0.1:8080/", "anna"), Path::new("/d/local/127.0.0.1_8080/anna.db"));
        assert_ne!(store_path(d, "http://a:1", "anna"), store_path(d, "http://a:1", "lena"));
        assert_eq!(store_path(d, "https://x.example/api", "a/b"), Path::new("/d/local/x.example_api/a_b.db"));
    }
}
