//! Types that cross the API, and the rows behind them.

mod assessments;
mod condition;
mod treatments;
mod vocabularies;

pub use assessments::*;
pub use condition::*;
pub use treatments::*;
pub use vocabularies::*;
