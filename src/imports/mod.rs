//! Bulk import of the lists archives already keep (locations, boxes, files) from CSV or JSON
//! lines: validated as a whole, imported all or nothing, every bad row named by line.

pub mod model;
pub mod repo;
pub mod routes;
