//! The app's static files, embedded in the binary and served at content-hashed URLs
//! (`/assets/app.3f9a1c2e.css`) that browsers may keep forever: a new build with a changed file
//! has a new URL. The stylesheet's own references to fonts are rewritten to theirs.

use std::sync::OnceLock;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

/// A font file of `assets/fonts`.
macro_rules! font {
    ($name:literal) => {
        (concat!("fonts/", $name), "font/woff2", include_bytes!(concat!("../../assets/fonts/", $name)))
    };
}

/// Name (as templates and the stylesheet refer to it), content type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/app.js")),
    // htmx 2.0.4, unmodified (BSD Zero Clause licence: assets/vendor/htmx-LICENSE.txt).
    ("htmx.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/vendor/htmx-2.0.4.min.js")),
    // Be Vietnam Pro, SIL Open Font License 1.1 (assets/fonts/OFL.txt): its Vietnamese, Latin
    // and Latin Extended subsets, regular and bold.
    font!("be-vietnam-pro-vietnamese-400-normal.woff2"),
    font!("be-vietnam-pro-vietnamese-700-normal.woff2"),
    font!("be-vietnam-pro-latin-400-normal.woff2"),
    font!("be-vietnam-pro-latin-700-normal.woff2"),
    font!("be-vietnam-pro-latin-ext-400-normal.woff2"),
    font!("be-vietnam-pro-latin-ext-700-normal.woff2"),
];

/// A file as served: its hashed path and its bytes (the stylesheet's rewritten).
struct Served {
    name: &'static str,
    path: String,
    content_type: &'static str,
    bytes: Vec<u8>,
}

fn served() -> &'static [Served] {
    static SERVED: OnceLock<Vec<Served>> = OnceLock::new();
    SERVED.get_or_init(|| {
        let mut files: Vec<Served> = FILES
            .iter()
            .map(|&(name, content_type, bytes)| Served {
                name,
                path: hashed(name, bytes),
                content_type,
                bytes: bytes.to_vec(),
            })
            .collect();
        let fonts: Vec<(String, String)> = files
            .iter()
            .filter(|file| file.name.starts_with("fonts/"))
            .map(|file| (format!("/assets/{}", file.name), file.path.clone()))
            .collect();
        for file in files.iter_mut().filter(|file| file.name.ends_with(".css")) {
            let mut css = String::from_utf8(file.bytes.clone()).expect("the stylesheet is UTF-8");
            for (plain, hashed) in &fonts {
                css = css.replace(&format!("\"{plain}\""), &format!("\"{hashed}\""));
            }
            file.path = hashed(file.name, css.as_bytes());
            file.bytes = css.into_bytes();
        }
        files
    })
}

/// `/assets/app.css` → `/assets/app.<first 8 hex digits of its SHA-256>.css`.
fn hashed(name: &str, bytes: &[u8]) -> String {
    let digest = hex::encode(&Sha256::digest(bytes)[..4]);
    match name.rsplit_once('.') {
        Some((stem, extension)) => format!("/assets/{stem}.{digest}.{extension}"),
        None => format!("/assets/{name}.{digest}"),
    }
}

/// The URL of the asset `name` (`app.css`, `htmx.js`).
pub fn url(name: &str) -> &'static str {
    served().iter().find(|file| file.name == name).map_or("/assets/missing", |file| file.path.as_str())
}

/// `GET /assets/{path}`: a hashed URL, kept for a year; anything else is 404.
pub async fn serve(path: web::Path<String>) -> HttpResponse {
    let wanted = format!("/assets/{}", path.into_inner());
    match served().iter().find(|file| file.path == wanted) {
        Some(file) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, file.content_type))
            .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(file.bytes.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}
