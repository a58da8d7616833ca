//! The terminal console (issue 4 builds it out): so far its themes.

pub mod theme;
