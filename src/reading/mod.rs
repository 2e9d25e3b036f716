//! The reading room: readers registered at the desk, and the archive's working calendar that
//! the legal deadlines of their requests are counted in.

pub mod model;
pub mod repo;
pub mod routes;
