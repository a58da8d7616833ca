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

/// Creates `dir` and any missing parents readable by this user only (0700 on Unix), and
/// makes `dir` itself 0700 if it existed more open (older casebook versions made 0755).
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes `file` readable and writable by this user only (0600 on Unix), creating it empty if
/// it is missing. Files SQLite makes beside a database (`-wal`, `-shm`) take its mode.
pub fn make_private_file(file: &std::path::Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    drop(opts.open(file)?);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
