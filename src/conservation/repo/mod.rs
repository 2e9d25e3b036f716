//! All SQL of conservation, and what is computed from it.

pub mod assessments;
pub mod condition;
pub mod treatments;
pub mod vocabularies;
