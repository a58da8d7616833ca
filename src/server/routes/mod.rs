//! The API's handlers, one module per resource.

pub mod articles;
pub mod cases;
pub mod customers;
pub mod events;
pub mod followups;
pub mod hooks;
pub mod leads;
pub mod macros;
pub mod merges;
pub mod meta;
pub mod reviews;
pub mod rules;
pub mod schedules;
pub mod sync;
pub mod webhooks;
