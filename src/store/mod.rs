//! The server's storage: one SQL dialect shared by SQLite (embedded default) and PostgreSQL
//! (several stateless API nodes on one database), through sqlx's `Any` driver.
//!
//! Portable on purpose: ids are UUID text, times `i64` microseconds, JSON text, every text
//! column compares byte-wise (PostgreSQL columns are `COLLATE "C"`), placeholders are `$N`
//! (SQLite accepts them too). Only the DDL differs per backend.

pub mod agents;
pub mod articles;
pub mod cards;
pub mod cases;
pub mod changes;
pub mod customers;
pub mod events;
pub mod followups;
pub mod history;
pub mod hooks;
pub mod macros;
pub mod merges;
pub mod presence;
pub mod queues;
pub mod report_days;
pub mod reports;
pub mod reviews;
mod rows;
pub mod rules;
pub mod schedules;
pub mod secrets;
pub mod sync_ops;
mod tx;
pub mod webhooks;

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Arguments, ConnectOptions, Connection, Encode, Executor, Type};

pub use rows::*;
pub use tx::Tx;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}", db_message(.0))]
    Db(#[from] sqlx::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Config(String),
}

/// SQLite's "read-only" (code 8, or an extended code of it).
fn is_read_only_error(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().and_then(|c| c.parse::<u32>().ok()).is_some_and(|n| n & 0xff == 8))
}

fn db_message(e: &sqlx::Error) -> String {
    if is_read_only_error(e) {
        return format!("the database is read-only ({e}): {READ_ONLY_ADVICE}");
    }
    format!("database error: {e}")
}

/// What to do about a database casebook cannot write.
const READ_ONLY_ADVICE: &str = "casebook writes to it (and beside it, its -wal and -shm files); give this user write access to the file and its folder, or point --database elsewhere";

impl StoreError {
    /// Whether the same request may succeed if tried again: the database was busy, locked,
    /// unreachable or chose this transaction to abort (SQLite codes 5, 6 and 517; PostgreSQL
    /// serialization failures, deadlocks, lock timeouts, shutdowns and lost connections).
    /// Anything else will fail again the same way.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)) => true,
            StoreError::Db(sqlx::Error::Database(d)) => {
                let code = d.code();
                let code = code.as_deref().unwrap_or("");
                matches!(code, "5" | "6" | "517" | "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03")
                    || code.starts_with("08")
            }
            _ => false,
        }
    }

    /// Whether PostgreSQL aborted this transaction to let a concurrent one go on (a deadlock
    /// or a serialization failure): the same work, tried again at once, will go through.
    pub fn is_lost_race(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d)) if matches!(d.code().as_deref(), Some("40001" | "40P01")))
    }

    /// Whether SQLite refused to write because the database is read-only (code 8, or an
    /// extended code of it).
    pub fn is_read_only(&self) -> bool {
        matches!(self, StoreError::Db(e) if is_read_only_error(e))
    }

    /// Whether the database refused a value it cannot hold (PostgreSQL's class 22, data
    /// exceptions): the input's fault, not the server's.
    pub fn is_bad_value(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d)) if d.code().is_some_and(|c| c.starts_with("22")))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    /// On SQLite, one connection: writes are serialised in-process instead of fighting over
    /// the file lock. On PostgreSQL, the same pool as `read`.
    write: AnyPool,
    backend: Backend,
    /// Seals and opens the secrets kept in the database (hooks' signing secrets).
    secret_key: Option<std::sync::Arc<secrets::SecretKey>>,
    /// What reviews are scored on (`casebook serve --scorecard FILE`; the built-in one else).
    scorecard: Option<std::sync::Arc<crate::domain::scorecard::Scorecard>>,
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("migrations/sqlite_0001_init.sql")),
    (2, "sync", include_str!("migrations/sqlite_0002_sync.sql")),
    (3, "feed_id", include_str!("migrations/sqlite_0003_feed_id.sql")),
    (4, "presence", include_str!("migrations/sqlite_0004_presence.sql")),
    (5, "queues_sla", include_str!("migrations/sqlite_0005_queues_sla.sql")),
    (6, "hooks", include_str!("migrations/sqlite_0006_hooks.sql")),
    (7, "webhooks", include_str!("migrations/sqlite_0007_webhooks.sql")),
    (8, "rules", include_str!("migrations/sqlite_0008_rules.sql")),
    (9, "merges", include_str!("migrations/sqlite_0009_merges.sql")),
    (10, "cards", include_str!("migrations/sqlite_0010_cards.sql")),
    (11, "macros", include_str!("migrations/sqlite_0011_macros.sql")),
    (12, "case_tags", include_str!("migrations/sqlite_0012_case_tags.sql")),
    (13, "articles", include_str!("migrations/sqlite_0013_articles.sql")),
    (14, "schedules", include_str!("migrations/sqlite_0014_schedules.sql")),
    (15, "reasons", include_str!("migrations/sqlite_0015_reasons.sql")),
    (16, "reviews", include_str!("migrations/sqlite_0016_reviews.sql")),
    (17, "reason_keys_missing", include_str!("migrations/sqlite_0017_reason_keys_missing.sql")),
    (18, "report_days", include_str!("migrations/sqlite_0018_report_days.sql")),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("migrations/postgres_0001_init.sql")),
    (2, "sync", include_str!("migrations/postgres_0002_sync.sql")),
    (3, "feed_id", include_str!("migrations/postgres_0003_feed_id.sql")),
    (4, "presence", include_str!("migrations/postgres_0004_presence.sql")),
    (5, "queues_sla", include_str!("migrations/postgres_0005_queues_sla.sql")),
    (6, "hooks", include_str!("migrations/postgres_0006_hooks.sql")),
    (7, "webhooks", include_str!("migrations/postgres_0007_webhooks.sql")),
    (8, "rules", include_str!("migrations/postgres_0008_rules.sql")),
    (9, "merges", include_str!("migrations/postgres_0009_merges.sql")),
    (10, "cards", include_str!("migrations/postgres_0010_cards.sql")),
    (11, "macros", include_str!("migrations/postgres_0011_macros.sql")),
    (12, "case_tags", include_str!("migrations/postgres_0012_case_tags.sql")),
    (13, "articles", include_str!("migrations/postgres_0013_articles.sql")),
    (14, "schedules", include_str!("migrations/postgres_0014_schedules.sql")),
    (15, "reasons", include_str!("migrations/postgres_0015_reasons.sql")),
    (16, "reviews", include_str!("migrations/postgres_0016_reviews.sql")),
    (17, "reason_keys_missing", include_str!("migrations/postgres_0017_reason_keys_missing.sql")),
    (18, "report_days", include_str!("migrations/postgres_0018_report_days.sql")),
];
/// Every SQLite connection's settings. `temp_store = MEMORY` keeps statement journals (a
/// multi-row insert with ON CONFLICT writes one) off the disk: they are thrown away at the
/// statement's end, so a file only cost a write per page.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824; PRAGMA wal_autocheckpoint = 20000; PRAGMA temp_store = MEMORY;";
/// Held while migrating, so that several nodes starting at once migrate one after another.
const MIGRATION_LOCK: i64 = 0x6361_7365_626f_6f6b; // "casebook"

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { max_connections: 8 }
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`:
    /// `sqlite://PATH` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        Self::open_with(url, StoreOptions::default()).await
    }

    pub async fn open_with(url: &str, opts: StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalize_url(url)?;
        let connect = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Config(format!("cannot use database URL: {e}")))?
            .disable_statement_logging();
        let store = match backend {
            Backend::Sqlite => {
                // One connection first, outside any pool: a database that cannot be written
                // is said at once, not after the pool has retried for its whole timeout.
                let mut probe = connect.connect().await.map_err(open_error(&url))?;
                probe.execute(SQLITE_PRAGMAS).await.map_err(|e| read_only_said(e.into(), &url))?;
                let _ = probe.close().await;
                let pool = |max: u32| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .min_connections(1)
                        .acquire_timeout(Duration::from_secs(10))
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                conn.execute(SQLITE_PRAGMAS).await?;
                                Ok(())
                            })
                        })
                };
                let write = pool(1).connect_with(connect.clone()).await.map_err(open_error(&url))?;
                let read = pool(opts.max_connections.max(1)).connect_with(connect).await.map_err(open_error(&url))?;
                Store { read, write, backend, secret_key: None, scorecard: None }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(connect)
                    .await
                    .map_err(open_error(&url))?;
                Store { read: pool.clone(), write: pool, backend, secret_key: None, scorecard: None }
            }
        };
        store.migrate().await.map_err(|e| read_only_said(e, &url))?;
        store.fill_reason_keys().await.map_err(|e| read_only_said(e, &url))?;
        store.fill_report_days().await.map_err(|e| read_only_said(e, &url))?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads (reports, benchmarks and tests may query it directly).
    /// The store, sealing and opening secrets with `key`.
    pub fn with_secret_key(mut self, key: secrets::SecretKey) -> Store {
        self.secret_key = Some(std::sync::Arc::new(key));
        self
    }

    /// The store, scoring reviews on `card` (checked by the caller).
    pub fn with_scorecard(mut self, card: crate::domain::scorecard::Scorecard) -> Store {
        self.scorecard = Some(std::sync::Arc::new(card));
        self
    }

    /// What reviews are scored on: the one given at start, else the built-in RASA scorecard.
    pub fn scorecard(&self) -> std::sync::Arc<crate::domain::scorecard::Scorecard> {
        self.scorecard.clone().unwrap_or_else(|| std::sync::Arc::new(crate::domain::scorecard::default_scorecard()))
    }

    pub(crate) fn secret_key(&self) -> Result<&secrets::SecretKey> {
        self.secret_key.as_deref().ok_or_else(|| {
            StoreError::Config(
                "no secret key: start `casebook serve` (or the admin command) with --secret-key-file, or let it make one in the data dir".into(),
            )
        })
    }

    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so that it never fails half-way on a lock upgrade.
    pub async fn begin_write(&self) -> Result<Tx> {
        let inner = match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        };
        Ok(Tx::new(inner))
    }

    async fn migrate(&self) -> Result<()> {
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let mut conn = self.write.acquire().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await?;
        }
        let result = apply_migrations(&mut conn, self.backend, migrations).await;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await?;
        }
        result
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

async fn apply_migrations(
    conn: &mut sqlx::pool::PoolConnection<Any>,
    backend: Backend,
    migrations: &[(i64, &str, &str)],
) -> Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut **conn)
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(&mut **conn).await?;
    let known = migrations.iter().map(|m| m.0).max().unwrap_or(0);
    if let Some(newest) = applied.iter().max().filter(|n| **n > known) {
        return Err(StoreError::Config(format!(
            "the database has schema version {newest}, newer than this casebook knows ({known}): upgrade casebook"
        )));
    }
    for (version, name, sql) in migrations {
        if applied.contains(version) {
            continue;
        }
        let mut tx = match backend {
            Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => conn.begin().await?,
        };
        for stmt in statements(sql) {
            sqlx::query(stmt).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(*version)
            .bind(name.to_string())
            .bind(crate::domain::time::to_micros(crate::domain::time::now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}

/// The statements of a migration file, split at `;` ending a line (migrations keep no such
/// semicolon inside a literal or a body). One by one rather than through `sqlx::raw_sql`,
/// whose future is not `Send` for every lifetime and would keep `Store::open` out of spawned
/// tasks.
fn statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n")
        .map(str::trim)
        .filter(|s| s.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--")))
}

fn open_error(url: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| StoreError::Config(format!("cannot open database {}: {e}", redact(url)))
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// SQLite's "read-only" (code 8 and its extended codes), said as what to do.
fn read_only_said(e: StoreError, url: &str) -> StoreError {
    if e.is_read_only() {
        return StoreError::Config(format!("the database {} is read-only: {READ_ONLY_ADVICE}", redact(url)));
    }
    e
}

/// SQLite makes its -wal and -shm files beside the database: a folder this user cannot write
/// is said plainly (a file it cannot write is caught by the first connection, as code 8).
fn check_folder_writable(file: &Path) -> Result<()> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let probe = dir.join(format!(".casebook-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied || e.raw_os_error() == Some(30) => {
            Err(StoreError::Config(format!("the database folder {} is read-only: {READ_ONLY_ADVICE}", dir.display())))
        }
        Err(_) => Ok(()),
    }
}

/// Checks a database URL and prepares it: SQLite files get their folder created and are
/// opened read-write-create.
pub fn normalize_url(url: &str) -> Result<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_string()));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).ok_or_else(|| {
        StoreError::Config(format!(
            "`{}` is not a database URL casebook knows: use sqlite://PATH or postgres://USER@HOST/DB",
            redact(url)
        ))
    })?;
    let (file, query) = match path.split_once('?') {
        Some((f, q)) => (f, Some(q)),
        None => (path, None),
    };
    if file.is_empty() {
        return Err(StoreError::Config("the SQLite URL names no file: use sqlite://PATH".into()));
    }
    if file != ":memory:" {
        if let Some(dir) = Path::new(file).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Config(format!("cannot create the database folder {}: {e}", dir.display()))
                })?;
            }
        }
        check_folder_writable(Path::new(file))?;
    }
    let query = query.map(str::to_string).unwrap_or_else(|| "mode=rwc".to_string());
    Ok((Backend::Sqlite, format!("sqlite://{file}?{query}")))
}

/// SQL text and the arguments that go with it, for queries whose shape depends on the request
/// (filters, multi-row inserts). Placeholders are `?` on SQLite — sqlx looks every named
/// parameter up by name, which costs quadratic time in a statement with thousands of them —
/// and `$N` on PostgreSQL.
pub(crate) struct Sql {
    pub text: String,
    args: AnyArguments<'static>,
    n: usize,
    backend: Backend,
}

/// Cuts a keyset page read with `LIMIT limit + 1`: an extra row means there is a next page,
/// which starts after the last row kept.
pub(crate) fn cut_page<T, C>(mut rows: Vec<T>, limit: u32, cursor: impl Fn(&T) -> C) -> (Vec<T>, Option<C>) {
    if rows.len() <= limit as usize {
        return (rows, None);
    }
    rows.truncate(limit as usize);
    let next = rows.last().map(cursor);
    (rows, next)
}

/// Whether `table` has a row with this id (inside a transaction, so that the answer holds
/// for the writes that follow).
pub(crate) async fn row_exists(tx: &mut Tx, table: &'static str, id: uuid::Uuid) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(&format!("SELECT 1 FROM {table} WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

/// Which of these ids `table` holds, read in statements of many ids each.
pub(crate) async fn existing_ids(tx: &mut Tx, table: &str, ids: &[uuid::Uuid]) -> Result<HashSet<uuid::Uuid>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(backend_of(tx), &format!("SELECT id FROM {table} WHERE id IN ("));
        sql.bind_list(chunk.iter().map(|id| id.to_string())).push(")");
        let (text, args) = sql.finish();
        for row in sqlx::query_with(&text, args).fetch_all(&mut **tx).await? {
            found.insert(col_uuid(&row, "id")?);
        }
    }
    Ok(found)
}

/// Which database a transaction talks to.
pub(crate) fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

impl Sql {
    pub fn new(backend: Backend, text: &str) -> Self {
        Sql { text: text.to_string(), args: AnyArguments::default(), n: 0, backend }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + Encode<'static, Any> + Type<Any> + Send,
    {
        self.n += 1;
        match self.backend {
            Backend::Sqlite => self.text.push('?'),
            Backend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.n.to_string());
            }
        }
        // Encoding into the Any buffer only fails for types Any does not support, which the
        // bounds above rule out.
        self.args.add(value).expect("a value Any can encode");
        self
    }

    /// Appends one parenthesised row per item, separated by commas (for `VALUES …`): `row`
    /// binds the item's columns through [`Row::bind`] (or writes a literal with
    /// [`Row::literal`]), which puts the commas between them.
    pub fn rows<T>(&mut self, items: &[T], mut row: impl FnMut(&mut Row<'_>, &T)) -> &mut Self {
        for (i, item) in items.iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            row(&mut Row { sql: self, first: true }, item);
            self.push(")");
        }
        self
    }

    /// Appends placeholders for `values`, separated by commas (for `IN (…)`).
    pub fn bind_list(&mut self, values: impl IntoIterator<Item = String>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self
    }

    /// Appends ` AND column IN (…)` for `values`; nothing when there are none (no filter).
    pub fn and_in(&mut self, column: &str, values: &[String]) -> &mut Self {
        if !values.is_empty() {
            self.push(&format!(" AND {column} IN ("));
            self.bind_list(values.iter().cloned());
            self.push(")");
        }
        self
    }

    /// The text and its arguments: `let (text, args) = sql.finish(); sqlx::query_with(&text, args)`.
    pub fn finish(self) -> (String, AnyArguments<'static>) {
        (self.text, self.args)
    }
}

/// One row of [`Sql::rows`].
pub(crate) struct Row<'a> {
    sql: &'a mut Sql,
    first: bool,
}

impl Row<'_> {
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.sql.push(", ");
        }
    }

    /// The next column, as a placeholder for `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + Encode<'static, Any> + Type<Any> + Send,
    {
        self.comma();
        self.sql.bind(value);
        self
    }

    /// The next column, as SQL written as is (a constant).
    pub fn literal(&mut self, sql: &str) -> &mut Self {
        self.comma();
        self.sql.push(sql);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_split_into_statements() {
        assert_eq!(SQLITE_MIGRATIONS.len(), POSTGRES_MIGRATIONS.len());
        for (s, p) in SQLITE_MIGRATIONS.iter().zip(POSTGRES_MIGRATIONS) {
            assert_eq!((s.0, s.1), (p.0, p.1));
            assert_eq!(statements(s.2).count(), statements(p.2).count(), "both backends get the same schema");
        }
        assert!(statements(SQLITE_MIGRATIONS[0].2).count() > 10);
        assert!(statements("-- only a comment\n;\n").next().is_none());
    }

    #[test]
    fn urls() {
        assert_eq!(
            normalize_url("sqlite:///tmp/x/a.db").unwrap(),
            (Backend::Sqlite, "sqlite:///tmp/x/a.db?mode=rwc".into())
        );
        assert_eq!(normalize_url("postgres://u@h/db").unwrap().0, Backend::Postgres);
        assert!(normalize_url("mysql://x").unwrap_err().to_string().contains("sqlite://PATH or postgres://"));
        assert_eq!(redact("postgres://bob:secret@h/db"), "postgres://bob:***@h/db");
        assert_eq!(redact("postgres://bob@h/db"), "postgres://bob@h/db");
    }
}
