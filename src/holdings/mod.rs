//! Holdings: fonds (phông) and their files (hồ sơ), and the page sets records are about.

pub mod model;
pub mod repo;
pub mod routes;
