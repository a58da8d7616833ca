//! Offline sync: the operations an offline console pushes and how the server applies them
//! ([`protocol`], [`apply`]), and the console's engine that pushes its outbox and pulls the
//! change feed ([`engine`]). The change feed itself lives in [`crate::store::changes`], the
//! console's outbox in [`crate::local`].

pub mod apply;
pub mod command;
pub mod engine;
pub mod protocol;
