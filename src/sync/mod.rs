//! Offline sync: how the server applies pushed operations ([`apply`]), the console's engine
//! that pushes its outbox and pulls the change feed ([`engine`]), and `casebook sync`
//! ([`command`]). The operations themselves travel as [`crate::wire::sync`]; the change feed
//! lives in [`crate::store::changes`], the console's outbox in [`crate::local`].

pub mod apply;
pub mod command;
pub mod engine;
