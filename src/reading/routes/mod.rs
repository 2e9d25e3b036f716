//! The reading room's handlers: parse → authorise → one transaction → respond.

mod calendar;
mod handovers;
mod readers;
mod requests;
mod rules;
mod visits;

use crate::http::router::Router;

pub fn register(router: &mut Router) {
    readers::register(router);
    calendar::register(router);
    requests::register(router);
    visits::register(router);
    handovers::register(router);
    rules::register(router);
}
