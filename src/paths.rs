//! Where casebook keeps things, from `directories::ProjectDirs`: the data dir (the server's
//! SQLite database) and the cache dir (benchmark databases). The console adds the config dir
//! (config.toml, themes/) and its local store.

use std::path::PathBuf;

use directories::ProjectDirs;

fn dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "casebook")
}

fn or_local(p: Option<PathBuf>, fallback: &str) -> PathBuf {
    p.unwrap_or_else(|| PathBuf::from(fallback))
}

pub fn data_dir() -> PathBuf {
    or_local(dirs().map(|d| d.data_dir().to_path_buf()), ".casebook/data")
}

pub fn cache_dir() -> PathBuf {
    or_local(dirs().map(|d| d.cache_dir().to_path_buf()), ".casebook/cache")
}

/// The console's config dir: `config.toml` and the user's own `themes/`.
pub fn config_dir() -> PathBuf {
    or_local(dirs().map(|d| d.config_dir().to_path_buf()), ".casebook/config")
}

/// The server's default database: `server.db` in the data dir.
pub fn default_database_url() -> String {
    format!("sqlite://{}", data_dir().join("server.db").display())
}
