//! Conservation handlers: parse → authorise → one transaction → respond.

mod assessments;
mod condition;
mod treatments;
mod vocabularies;

use crate::http::router::Router;

pub fn register(router: &mut Router) {
    vocabularies::register(router);
    assessments::register(router);
    treatments::register(router);
    condition::register(router);
}
