//! Holdings handlers: parse → authorise → one transaction → respond.

mod files;
mod fonds;

use crate::http::router::Router;

pub fn register(router: &mut Router) {
    fonds::register(router);
    files::register(router);
}
