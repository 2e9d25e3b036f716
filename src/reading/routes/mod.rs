//! The reading room's handlers: parse → authorise → one transaction → respond.

mod calendar;
mod readers;
mod requests;

use crate::http::router::Router;

pub fn register(router: &mut Router) {
    readers::register(router);
    calendar::register(router);
    requests::register(router);
}
