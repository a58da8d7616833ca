//! The terminal console: state and its changes ([`app`]), keys and the help made from them
//! ([`keymap`]), drawing ([`view`]), themes ([`theme`]).

pub mod app;
pub mod case_view;
pub mod config;
pub mod conflicts_view;
pub mod followups_view;
pub mod form_view;
pub mod forms;
pub mod guidance;
pub mod keymap;
pub mod lead;
pub mod lead_view;
pub mod paste;
pub mod run;
pub mod theme;
pub mod view;
pub mod workspace;
