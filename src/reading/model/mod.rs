mod calendar;
mod readers;
mod requests;
mod visits;

pub use calendar::*;
pub use readers::*;
pub use requests::*;
pub use visits::*;
