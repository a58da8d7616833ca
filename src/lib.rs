//! casebook: a terminal console for customer-support teams, and the shared API behind it.

pub mod cloudevents;
pub mod domain;
pub mod store;
pub mod server;
