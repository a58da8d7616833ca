//! casebook: a terminal console for customer-support teams, and the shared API behind it.
//!
//! Layers (kept by `tests/layers.rs`):
//! - [`domain`]: the types and rules, no I/O; imports nothing else of the crate;
//! - [`wire`]: what travels between the console and the server (requests, problems, the
//!   change feed, sync operations, lead mode's reports, CloudEvents), used by both sides;
//! - the server's side: [`server`] (the HTTP API), [`store`] (SQLite and PostgreSQL),
//!   [`casework`] (the write rules inside store transactions, and applying pushed operations),
//!   [`integrations`] (bridges to other systems: webhook mappings and signatures);
//! - the console's side: [`console`], [`client`] (its HTTP client and the sync engine),
//!   [`local`] (its local store);
//! - the [`commands`] around them (`serve`, `demo`, `seed`, `export`, `sync`, `bench`, …),
//!   which may use any layer and which no layer uses; [`paths`], where files live.

pub mod casework;
pub mod client;
pub mod commands;
pub mod console;
pub mod domain;
pub mod integrations;
pub mod local;
pub mod paths;
pub mod server;
pub mod store;
pub mod wire;
