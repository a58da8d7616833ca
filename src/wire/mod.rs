//! What travels over the wire, used by both sides: the request bodies of case work
//! ([`requests`]), problem details ([`problem`]), the change feed's entries ([`changes`]), the
//! operations an offline console pushes and their outcomes ([`sync`]), lead mode's queues,
//! report and bulk changes ([`leads`]), who else has a case open ([`presence`]), and
//! CloudEvents 1.0 as other systems send them ([`cloudevents`]) and as casebook sends them to
//! webhook subscribers ([`webhooks`]), rules as admins manage them ([`rules`]), and the
//! customer card ([`card`]), the knowledge base's lists ([`articles`]), business-hours schedules ([`schedules`]). The server's side and the console's side import
//! these, never each other (`tests/layers.rs`).

pub mod articles;
pub mod card;
pub mod changes;
pub mod cloudevents;
pub mod leads;
pub mod merges;
pub mod presence;
pub mod problem;
pub mod requests;
pub mod reviews;
pub mod rules;
pub mod schedules;
pub mod sync;
pub mod webhooks;
