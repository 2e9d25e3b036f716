//! Period figures for the six- and nine-month reviews and the annual report, straight from
//! the records.

pub mod model;
pub mod repo;
pub mod routes;
