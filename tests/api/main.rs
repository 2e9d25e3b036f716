//! API tests: the real service over real HTTP against a real PostgreSQL.

mod support;

mod access;
mod accounts;
mod api_keys;
mod app;
mod audits;
mod boxes;
mod concurrency;
mod conservation;
mod contract;
mod errors;
mod events;
mod faults;
mod found;
mod holdings;
mod idempotency;
mod imports;
mod journeys;
mod lab;
mod locations;
mod moves;
mod moving;
mod operations;
mod out;
mod people;
mod positions;
mod readme;
mod reports;
mod search;
mod security;
mod space;
mod startup;
mod tls;
mod trail;
mod webhooks;
