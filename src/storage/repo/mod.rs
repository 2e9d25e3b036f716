//! All SQL of storage: plain functions on a connection, inside the caller's transaction.

pub mod audits;
pub mod boxes;
pub mod locations;
pub mod moves;
pub mod space;
