//! What travels over the wire between the console and the server, used by both sides: the
//! request bodies of case work ([`requests`]), problem details ([`problem`]) and the change
//! feed's entries ([`changes`]), lead mode's queues, report and bulk changes ([`leads`]), who
//! else has a case open ([`presence`]). The server's side and the console's side import
//! these, never each other (`tests/layers.rs`).

pub mod changes;
pub mod leads;
pub mod presence;
pub mod problem;
pub mod requests;
