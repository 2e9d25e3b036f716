//! All SQL of holdings.

pub mod files;
pub mod fonds;
