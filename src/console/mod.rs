//! The terminal console. Its state and how messages change it ([`app`], [`msg`]); where keys go
//! ([`mode`]) and the tables that name them and make the help ([`keymap`]); one module per view,
//! each with its state, its pure key handling and its drawing: [`home`], [`search`],
//! [`timeline`], [`case`], [`followups`], [`conflicts`], the [`forms`], the [`knowledge`] base, and lead mode's
//! [`lead`] views; what they share to draw ([`widgets`], [`list`], [`theme`], [`draw`]); and the
//! one place with I/O, the terminal loop and its tasks ([`run`]).

pub mod app;
pub mod card;
pub mod case;
pub mod conflicts;
pub mod draw;
pub mod followups;
pub mod forms;
pub mod guidance;
pub mod home;
pub mod hours;
pub mod keymap;
pub mod knowledge;
pub mod lead;
pub mod list;
pub mod macros;
pub mod mode;
pub mod msg;
pub mod palette;
pub mod paste;
pub mod reviews;
pub mod run;
pub mod search;
#[cfg(test)]
mod testing;
pub mod theme;
pub mod timeline;
pub mod widgets;
