//! Types that cross the API, and the rows behind them.

mod files;
mod fonds;
mod pages;

pub use files::*;
pub use fonds::*;
pub use pages::*;
