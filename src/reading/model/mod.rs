mod calendar;
mod readers;
mod requests;

pub use calendar::*;
pub use readers::*;
pub use requests::*;
