//! The reading room's SQL: plain functions on a connection.

pub mod calendar;
pub mod flow;
pub mod handovers;
pub mod readers;
pub mod requests;
pub mod rules;
pub mod visits;
