//! Bridges to the systems a team already runs. Incoming webhooks in their own JSON: each hook
//! has a [`mapping`] (where the id, type, time and customer are; how the timeline reads) and a
//! [`signature`] scheme it is checked by. Server side: the route is `server/routes/hooks.rs`,
//! the hooks and their sealed secrets are `store/hooks.rs`. Events out: [`outbound`] delivers
//! what happened in casebook to subscribed URLs, signed (Standard Webhooks), with retries.

pub mod import;
pub mod intake;
pub mod mapping;
pub mod outbound;
pub mod signature;
