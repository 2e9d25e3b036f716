//! The audit trail: every write, read from the events table whole (the feed's events, the row
//! before each change, and the trail-only events of keys and webhooks), for admins. Nothing
//! changes it: the table refuses updates and deletes, and no route writes it.

pub mod model;
pub mod repo;
pub mod routes;
