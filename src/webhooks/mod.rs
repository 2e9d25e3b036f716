//! Webhooks: subscriptions to the change feed, delivered signed (Standard Webhooks) and
//! retried with exponential backoff for a day, every attempt logged.

pub mod delivery;
pub mod model;
pub mod repo;
pub mod routes;
