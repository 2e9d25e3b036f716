//! The reading room's handlers: parse → authorise → one transaction → respond.

mod calendar;
mod readers;

use crate::http::router::Router;

pub fn register(router: &mut Router) {
    readers::register(router);
    calendar::register(router);
}
