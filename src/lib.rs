//! casebook: a terminal console for customer-support teams, and the shared API behind it.
//!
//! - [`domain`]: the types and rules, no I/O;
//! - [`cloudevents`]: CloudEvents 1.0 JSON → events;
//! - [`store`]: SQLite and PostgreSQL storage;
//! - [`server`]: the HTTP API (`casebook serve`);
//! - [`seed`], [`demo`], [`bench`], [`cli`]: the commands around them.

pub mod bench;
pub mod casework;
pub mod cli;
pub mod client;
pub mod cloudevents;
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
