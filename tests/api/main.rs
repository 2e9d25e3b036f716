//! API tests: the real service over real HTTP against a real PostgreSQL.

mod support;

mod api_keys;
mod audits;
mod boxes;
mod contract;
mod errors;
mod locations;
mod moves;
mod operations;
mod readme;
mod space;
mod startup;
