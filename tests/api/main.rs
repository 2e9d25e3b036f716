//! API tests: the real service over real HTTP against a real PostgreSQL.

mod support;

mod access;
mod api_keys;
mod audits;
mod boxes;
mod conservation;
mod contract;
mod errors;
mod events;
mod holdings;
mod idempotency;
mod imports;
mod locations;
mod moves;
mod operations;
mod readme;
mod reports;
mod space;
mod startup;
mod trail;
mod webhooks;
