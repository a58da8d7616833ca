//! Offline sync: the operations an offline console pushes, and how the server applies them.
//! The change feed they pull lives in [`crate::store::changes`].

pub mod apply;
pub mod protocol;
