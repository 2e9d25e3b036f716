mod calendar;
mod readers;

pub use calendar::*;
pub use readers::*;
