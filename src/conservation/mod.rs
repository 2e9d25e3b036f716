//! Conservation: vocabularies, condition assessments of page ranges, treatments with their
//! workflow, and what follows from them (a file's condition, a page's history, the queue).

pub mod model;
pub mod repo;
pub mod routes;
