//! paperkeep: conservation and shelf-inventory service for archives.
//!
//! The binary (`main.rs`) only parses the command line; everything it runs lives here so that
//! the tests drive exactly the same application.

pub mod app;
pub mod clock;
pub mod config;
pub mod conservation;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod holdings;
pub mod http;
pub mod imports;
pub mod keys;
pub mod people;
pub mod reading;
pub mod reports;
pub mod schema;
pub mod storage;
pub mod text;
pub mod trail;
pub mod ui;
pub mod upkeep;
pub mod webhooks;
