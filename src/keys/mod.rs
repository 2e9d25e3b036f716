//! API keys: who may call the service, and as what role.

pub mod access;
pub mod model;
pub mod repo;
pub mod routes;
pub mod sealing;
