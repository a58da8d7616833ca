//! The commands: the command line ([`cli`]) and what its subcommands run — `demo` (embedded
//! server, seeded data, console), `seed`, `import`, `export`, `sync` (drain the outbox now, list what
//! waits), `admin webhook` ([`webhooks`]), `bench <api|console|leads|sync>` — and the user's `config.toml` ([`config`]).
//! Commands may use every layer; no layer uses them.

pub mod articles;
pub mod bench;
pub mod cli;
pub mod config;
pub mod demo;
pub mod export;
pub mod import;
pub mod macros;
pub mod report;
pub mod rules;
pub mod schedules;
pub mod seed;
pub mod sync;
pub mod webhooks;
