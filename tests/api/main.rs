//! API tests: the real service over real HTTP against a real PostgreSQL.

mod support;

mod api_keys;
mod audits;
mod boxes;
mod conservation;
mod contract;
mod errors;
mod holdings;
mod locations;
mod moves;
mod operations;
mod readme;
mod space;
mod startup;
