//! `casebook articles …`: the knowledge base (`domain::articles`), for admins with the database
//! in hand — list or search the articles, load a folder (or one file) of Markdown articles (each
//! checked; one of the same slug replaced), remove one. Agents find them in the console (`k` in
//! a case).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use super::cli::DatabaseArg;
use crate::domain::articles::{parse_markdown, search_terms, slug_from_file_name, Article, Match, MAX_TERMS};
use crate::store::agents::AdminError;
use crate::store::Store;

#[derive(Subcommand)]
pub(super) enum ArticlesCommand {
    /// The articles, by title; with words, those that hold every word, best first
    List {
        /// Words to look for
        words: Vec<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Load Markdown articles: every `.md` file of a folder (not its subfolders), or one file;
    /// the file's name is the article's slug, a `# ` heading its title (see README)
    Load {
        path: PathBuf,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Remove an article
    Remove {
        slug: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

pub(super) async fn run(command: ArticlesCommand) -> anyhow::Result<()> {
    match command {
        ArticlesCommand::List { words, db } => {
            let terms = search_terms(&words.join(" "), MAX_TERMS);
            for a in db.open().await?.articles(&terms, Match::All, None, 200).await? {
                let lang = a.language.as_deref().unwrap_or("any");
                println!("{:<32} {lang:<4} {}", a.slug, a.title);
            }
        }
        ArticlesCommand::Load { path, db } => {
            let articles = read_articles(&path)?;
            let n = load(&db.open().await?, articles).await?;
            eprintln!("Loaded {n} article{} from {}.", if n == 1 { "" } else { "s" }, path.display());
        }
        ArticlesCommand::Remove { slug, db } => {
            if !db.open().await?.remove_article(&slug).await? {
                anyhow::bail!("no article `{slug}`: `casebook articles list` shows them");
            }
            eprintln!("Removed article `{slug}`.");
        }
    }
    Ok(())
}

/// Every article of a folder's `.md` files (by name), or of one file; each checked, the first
/// that is not says its file and what to fix — nothing is loaded then.
pub fn read_articles(path: &Path) -> anyhow::Result<Vec<Article>> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading the folder {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("md")))
            .collect();
        files.sort();
        if files.is_empty() {
            anyhow::bail!(
                "{} holds no .md files: an article is a Markdown file whose name is its slug",
                path.display()
            );
        }
        files
    } else {
        vec![path.to_path_buf()]
    };
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            parse_markdown(&slug_from_file_name(stem), &text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))
        })
        .collect()
}

/// Sets each article in the store; how many.
pub async fn load(store: &Store, articles: Vec<Article>) -> anyhow::Result<usize> {
    let n = articles.len();
    for a in articles {
        let slug = a.slug.clone();
        store.put_article(a).await.map_err(|e| match e {
            AdminError::Invalid(i) => anyhow::anyhow!("{slug}: {i}"),
            other => anyhow::anyhow!("{other}"),
        })?;
    }
    Ok(n)
}
