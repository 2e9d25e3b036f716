//! Storage: the location tree (buildings, stack rooms, shelving units, bays, shelves and
//! workspaces).

pub mod model;
pub mod repo;
pub mod routes;
