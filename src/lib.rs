//! casebook: a terminal console for customer-support teams, and the shared API behind it.
//!
//! Layers (kept by `tests/layers.rs`):
//! - [`domain`]: the types and rules, no I/O; imports nothing else of the crate;
//! - [`wire`]: what travels between the console and the server (requests, problems, the
//!   change feed, sync operations, lead mode's reports, CloudEvents), used by both sides;
//! - the server's side: [`server`] (the HTTP API), [`store`] (SQLite and PostgreSQL),
//!   [`casework`] (the write rules, inside store transactions), [`sync::apply`];
//! - the console's side: [`console`], [`client`] (its HTTP client), [`local`] (its local
//!   store), [`sync::engine`];
//! - the commands around them: [`cli`], [`demo`], [`seed`], [`export`], [`bench`](mod@bench),
//!   [`sync::command`].

pub mod bench;
pub mod casework;
pub mod cli;
pub mod client;
pub mod console;
pub mod demo;
pub mod domain;
pub mod export;
pub mod local;
pub mod paths;
pub mod seed;
pub mod server;
pub mod store;
pub mod sync;
pub mod wire;
