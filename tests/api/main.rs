//! API tests: the real service over real HTTP against a real PostgreSQL.

mod support;

mod api_keys;
mod contract;
mod errors;
mod locations;
mod operations;
mod readme;
mod startup;
