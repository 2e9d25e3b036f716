//! The change feed: every committed change as an event, in an order a consumer can follow
//! without ever skipping one.

pub mod model;
pub mod repo;
pub mod routes;
