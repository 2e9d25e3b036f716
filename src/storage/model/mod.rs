//! Types that cross the API, and the rows behind them.

mod audits;
mod boxes;
mod locations;
mod moves;
mod space;

pub use audits::*;
pub use boxes::*;
pub use locations::*;
pub use moves::*;
pub use space::*;
