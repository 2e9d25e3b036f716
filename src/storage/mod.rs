//! Storage: the location tree (buildings, stack rooms, shelving units, bays, shelves and
//! workspaces), the boxes on it, every movement of a box, shelf audits and free space.

pub mod model;
pub mod repo;
pub mod routes;
