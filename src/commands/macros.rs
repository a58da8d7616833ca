//! `casebook macros …`: the team's macros (`domain::macros`), for admins with the database in
//! hand — list them, load a TOML file of them (each checked; ones of the same name replaced),
//! remove one. Agents see them in the console's macro picker after their next start.

use anyhow::Context;
use clap::Subcommand;

use super::cli::DatabaseArg;
use crate::domain::macros::parse_file;
use crate::store::agents::AdminError;

#[derive(Subcommand)]
pub(super) enum MacrosCommand {
    /// The team's macros, by name
    List {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Load macros from a TOML file of `[[macro]]` tables (`-`: standard input), each checked
    /// first; a macro of the same name is replaced
    Load {
        file: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Remove a macro
    Remove {
        name: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

pub(super) async fn run(command: MacrosCommand) -> anyhow::Result<()> {
    match command {
        MacrosCommand::List { db } => {
            for m in db.open().await?.macros().await? {
                let lang = m.language.as_deref().unwrap_or("any");
                let step = m.step.map(|s| s.to_string()).unwrap_or_default();
                println!("{:<28} {lang:<5} {step:<10} {}", m.name, m.title);
            }
        }
        MacrosCommand::Load { file, db } => {
            let text = if file == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .context("reading macros from standard input")?;
                s
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("reading macros from {file}"))?
            };
            let macros = parse_file(&text).map_err(|e| anyhow::anyhow!("{file}: {}", e.message))?;
            let store = db.open().await?;
            for m in &macros {
                store.put_macro(m).await.map_err(|e| match e {
                    AdminError::Invalid(i) => anyhow::anyhow!("{}: {}", m.name, i.message),
                    other => anyhow::anyhow!("{other}"),
                })?;
            }
            eprintln!("Loaded {} macro{} from {file}.", macros.len(), if macros.len() == 1 { "" } else { "s" });
        }
        MacrosCommand::Remove { name, db } => {
            if !db.open().await?.remove_macro(&name).await? {
                anyhow::bail!("no macro named `{name}`: `casebook macros list` shows them");
            }
            eprintln!("Removed macro `{name}`.");
        }
    }
    Ok(())
}
