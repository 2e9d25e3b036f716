use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use super::model::{Format, ImportKind, ImportQuery, ImportSummary, read_rows};
use super::repo;
use crate::error::Error;
use crate::http::AppState;
use crate::http::answer::Answer;
use crate::http::auth::{Caller, bearer_key};
use crate::http::idempotency::remember_body;
use crate::http::problem::ApiError;
use crate::http::query::Query;
use crate::http::router::Router;

pub fn register(router: &mut Router) {
    router.add(__path_import_locations, import_locations);
    router.add(__path_import_boxes, import_boxes);
    router.add(__path_import_files, import_files);
    router.add(__path_export, export);
}

/// One import route per kind: its own path, columns and example in the contract, and the
/// permission of that kind in the access table.
macro_rules! import_route {
    ($(#[$doc:meta])* $name:ident, $path:literal, $kind:expr, $example:literal) => {
        $(#[$doc])*
        ///
        /// All or nothing; every bad row is named by line and column, and `dry_run=true` keeps
        /// nothing.
        #[utoipa::path(post, path = $path, tag = "imports", params(ImportQuery),
            request_body(description = "The rows", content(
                (String = "text/csv", example = $example), (String = "application/x-ndjson"))),
            responses(
                (status = 201, description = "Imported", body = ImportSummary),
                (status = 200, description = "Dry run: everything checked, nothing kept", body = ImportSummary)))]
        async fn $name(
            caller: Caller,
            req: HttpRequest,
            query: Query<ImportQuery>,
            payload: web::Payload,
        ) -> Result<Answer, ApiError> {
            import($kind, caller, req, query, payload).await
        }
    };
}

import_route!(
    /// Imports locations: columns `kind, code, parent, name, capacity_mm, purpose, notes`; a
    /// parent is given by its path code and may be made by a row above.
    import_locations, "/api/v1/imports/locations", ImportKind::Locations,
    "kind,code,parent,name\nbuilding,K1,,Kho lưu trữ số 1\nroom,P02,K1,Phòng kho 2\n"
);

import_route!(
    /// Imports boxes: columns `barcode, home, label, fonds_code, container_type, width_mm,
    /// position, notes`; `home` is a shelf's path code.
    import_boxes, "/api/v1/imports/boxes", ImportKind::Boxes,
    "barcode,home,label,fonds_code\nSNV-H012,K1-P02-G05-3-4,Hộp 12,SNV\n"
);

import_route!(
    /// Imports files (hồ sơ): columns `fonds_code, inventory_no, file_no, title, archive_code,
    /// date_from, date_to, years, page_count, leaves, numbering, box_barcode, access, notes`.
    import_files, "/api/v1/imports/files", ImportKind::Files,
    "fonds_code,inventory_no,file_no,title,years,leaves,box_barcode\nSNV,1,37,Hồ sơ về việc tuyển dụng cán bộ,1976-1980,250,SNV-H012\n"
);

/// Imports rows of `kind` from CSV (UTF-8, a header row) or JSON lines, all or nothing. Every
/// bad row is listed with its line and column. With `dry_run=true` everything is checked and
/// nothing kept. Columns: see the README.
async fn import(
    kind: ImportKind,
    caller: Caller,
    req: HttpRequest,
    query: Query<ImportQuery>,
    payload: web::Payload,
) -> Result<Answer, ApiError> {
    let dry_run = query.0.dry_run;
    let format = match req.mime_type().ok().flatten() {
        Some(m) if m.type_() == "text" && m.subtype() == "csv" => Format::Csv,
        Some(m) if ["x-ndjson", "jsonl", "json-lines"].contains(&m.subtype().as_str()) => Format::JsonLines,
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "send CSV (Content-Type: text/csv) or JSON lines (application/x-ndjson)".into(),
            ));
        }
    };
    let limit = req.app_data::<web::Data<AppState>>().map_or(usize::MAX, |state| state.max_import_bytes);
    let bytes = read_limited(&req, payload, limit).await?;
    remember_body(&req, &bytes);
    let (rows, unreadable) = read_rows(kind, format, &bytes).map_err(Error::Invalid)?;
    drop(bytes);
    let status = if dry_run { StatusCode::OK } else { StatusCode::CREATED };
    caller
        .run(move |conn, actor| Ok(Answer::json(status, &repo::import(conn, kind, rows, unreadable, dry_run, actor)?)))
        .await
}

/// The whole upload, refused with 413 as soon as it is known to be over `limit` bytes.
async fn read_limited(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    let declared =
        req.headers().get(actix_web::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| ApiError::Malformed(format!("the upload could not be read: {err}"), vec![]))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Everything, as JSON lines, streamed from one consistent snapshot: a header line, one line
/// `{"table", "row"}` per record (history, events and webhooks included), and a closing line
/// with the count of each table. Webhook secrets are sealed with the API key that asks for the
/// export. `paperkeep restore` loads it into an empty database (with that key: the webhooks
/// keep their secrets). Admin only.
#[utoipa::path(get, path = "/api/v1/export", tag = "imports",
    responses((status = 200, description = "The archive", content_type = "application/x-ndjson", body = String)))]
async fn export(caller: Caller, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let actor = caller.check_pipelined().await?;
    let api_key = bearer_key(req.headers()).expect("a Caller has sent a key");
    let sealer = repo::Sealer::of(actor.key_id, api_key);
    let state = req.app_data::<web::Data<AppState>>().cloned().expect("AppState is registered");
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
    actix_web::rt::spawn(async move {
        let written = state.with_read_connection(move |conn| {
            Ok(repo::export(conn, &sealer, |chunk| sender.blocking_send(chunk).is_ok())?)
        });
        if let Err(err) = written.await {
            // The reader sees the export end without its closing line.
            log::error!("the export stopped: {err}");
        }
    });
    let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), receiver))
    });
    Ok(HttpResponse::Ok().content_type("application/x-ndjson").streaming(chunks))
}
