mod calendar;
mod handovers;
mod readers;
mod requests;
mod rules;
mod visits;

pub use calendar::*;
pub use handovers::*;
pub use readers::*;
pub use requests::*;
pub use rules::*;
pub use visits::*;
