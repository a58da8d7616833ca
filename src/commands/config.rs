//! `config.toml` in the config dir: the server, the token and the theme the console starts
//! with. `casebook login` writes it; `CASEBOOK_SERVER`, `CASEBOOK_TOKEN` and `--theme`
//! override it. The file holds a token: it is written readable by its owner only.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: Option<String>,
    pub token: Option<String>,
    pub theme: Option<String>,
    /// The language of the RASA guidance: `en`, `it` or `hu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The agent's own keys: action name = key or [keys] (`snooze = "Z"`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub keys: std::collections::BTreeMap<String, crate::console::keymap::KeyList>,
    /// Home's sections (`[[views]]`); the defaults when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<crate::domain::views::HomeView>,
}

pub fn path() -> PathBuf {
    crate::paths::config_dir().join("config.toml")
}

impl Config {
    /// Reads the file; a missing file is an empty config. A broken one is an error naming
    /// the file and line.
    pub fn load(path: &Path) -> Result<Config, String> {
        let src = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(format!("{}: cannot read it: {e}", path.display())),
        };
        toml::from_str(&src).map_err(|e| {
            let line = e.span().map(|s| src[..s.start.min(src.len())].matches('\n').count() + 1);
            let at = line.map(|l| format!(":{l}")).unwrap_or_default();
            format!("{}{at}: {} (fix it, or run `casebook login` to write it again)", path.display(), e.message())
        })
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("toml.tmp");
        {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            std::io::Write::write_all(&mut opts.open(&tmp)?, text.as_bytes())?;
        }
        std::fs::rename(tmp, path)
    }
}

/// The server and token to use: those given (flags or environment), else config.toml's. An
/// error says how to sign in when neither has them.
pub fn signed_in(server: Option<String>, token: Option<String>) -> anyhow::Result<(String, String)> {
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let (server, token) = (nonempty(server), nonempty(token));
    if let (Some(s), Some(t)) = (&server, &token) {
        return Ok((s.clone(), t.clone()));
    }
    let saved = Config::load(&path()).map_err(|e| anyhow::anyhow!(e))?;
    match (server.or(saved.server), token.or(saved.token)) {
        (Some(s), Some(t)) => Ok((s, t)),
        _ => anyhow::bail!(
            "not signed in: run `casebook login`, or give --server and --token (or CASEBOOK_SERVER and CASEBOOK_TOKEN)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_privately_and_reports_broken_files_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("casebook/config.toml");
        assert_eq!(Config::load(&p).unwrap(), Config::default());
        let c = Config {
            server: Some("http://127.0.0.1:7878".into()),
            token: Some("cba_x".into()),
            theme: None,
            language: Some("it".into()),
            keys: [("snooze".to_string(), crate::console::keymap::KeyList::One("Z".into()))].into(),
            // Views survive a save (login writes the file again).
            views: vec![crate::domain::views::HomeView::defaults().remove(1)],
        };
        c.save(&p).unwrap();
        assert_eq!(Config::load(&p).unwrap(), c);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&p, "server = \"x\"\ntokn = \"y\"\n").unwrap();
        let e = Config::load(&p).unwrap_err();
        assert!(e.contains("config.toml:2:") && e.contains("tokn"), "{e}");
    }
}
