//! Storage handlers: parse → authorise → one transaction → respond.

mod audits;
mod boxes;
mod locations;
mod moves;
mod space;

use crate::http::router::Router;

pub fn register(router: &mut Router) {
    locations::register(router);
    boxes::register(router);
    moves::register(router);
    audits::register(router);
    space::register(router);
}
