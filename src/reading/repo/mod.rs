//! The reading room's SQL: plain functions on a connection.

pub mod calendar;
pub mod readers;
pub mod requests;
pub mod visits;
