//! People: the staff who sign in to the app, each acting through an actor of its own (an
//! `api_keys` row no bearer key opens), and their sessions.

pub mod model;
pub mod repo;
pub mod routes;
