//! Imports go through the same rules as the API: each row becomes the request body it stands
//! for (references by code resolved to ids), is validated as one, and is stored by the domain's
//! own repository code; files in bulk, locations and boxes one by one. Exports and restores of
//! the whole archive are in `archive`.

pub mod archive;

pub use archive::{Restored, Sealer, export, restore};

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use serde_json::{Map, Value};

use super::model::{ImportKind, ImportSummary, Row};
use crate::error::{Error, FieldError, Result};
use crate::holdings::model::NewFile;
use crate::holdings::repo::files;
use crate::http::body::from_value;
use crate::keys::model::Actor;
use crate::storage::model::{NewBox, NewLocation};
use crate::storage::repo::{boxes as box_repo, locations as location_repo};

/// How long one statement of an import, or the work between two, may take.
const IMPORT_TIMEOUT: &str = "5min";

/// Imports `rows`, all or nothing; on a dry run everything is checked and nothing kept.
/// `unreadable` are the problems of the rows that could not be read: the others are still
/// checked, so that one answer lists every bad row.
pub fn import(
    conn: &mut PgConnection,
    kind: ImportKind,
    rows: Vec<Row>,
    unreadable: Vec<FieldError>,
    dry_run: bool,
    actor: &Actor,
) -> Result<ImportSummary> {
    let count = rows.len() + unreadable.iter().filter_map(|e| e.line).collect::<std::collections::HashSet<_>>().len();
    // An import's statements, and the checks between them, grow with its rows (100,000 files:
    // about 10 s on 2 cores), so they get a bound of their own instead of the one for requests.
    diesel::sql_query(
        "SELECT set_config('statement_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $1, true)",
    )
    .bind::<diesel::sql_types::Text, _>(IMPORT_TIMEOUT)
    .execute(conn)?;
    let outcome = conn.transaction::<usize, Rollback, _>(|conn| {
        let mut problems = Problems(unreadable);
        let created = match kind {
            ImportKind::Files => import_files(conn, rows, &mut problems, actor)?,
            ImportKind::Boxes => import_boxes(conn, rows, &mut problems, actor)?,
            ImportKind::Locations => import_locations(conn, rows, &mut problems, actor)?,
        };
        if dry_run { Err(Rollback::DryRun) } else { Ok(created) }
    });
    let created = match outcome {
        Ok(created) => created,
        Err(Rollback::DryRun) => 0,
        Err(Rollback::Failed(err)) => return Err(err),
    };
    Ok(ImportSummary { kind, dry_run, rows: count, created })
}

/// Why the import's savepoint was rolled back.
enum Rollback {
    DryRun,
    Failed(Error),
}

impl From<Error> for Rollback {
    fn from(err: Error) -> Self {
        Rollback::Failed(err)
    }
}

impl From<diesel::result::Error> for Rollback {
    fn from(err: diesel::result::Error) -> Self {
        Rollback::Failed(err.into())
    }
}

/// Errors found so far, each with its line.
struct Problems(Vec<FieldError>);

impl Problems {
    fn add(&mut self, line: u64, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message).on_line(line));
    }

    /// Takes the errors of storing one row; anything but a refusal stops the import.
    fn refused(&mut self, line: u64, err: Error, renames: &[(&str, &str)]) -> Result<()> {
        match err {
            Error::Invalid(errors) => {
                for e in errors {
                    let field =
                        renames.iter().find(|(from, _)| *from == e.field).map_or(e.field.as_str(), |(_, to)| to);
                    self.add(line, field, e.message);
                }
            }
            Error::Conflict(message) | Error::NotFound(message) | Error::Forbidden(message) => {
                self.add(line, "row", message)
            }
            Error::Conflicts(errors) => errors.into_iter().for_each(|e| self.add(line, &e.field, e.message)),
            other => return Err(other),
        }
        Ok(())
    }

    /// The row as the body `T`, or its errors noted (with the body's field names renamed to
    /// the columns they came from).
    fn body<T>(&mut self, line: u64, cells: Map<String, Value>, renames: &[(&str, &str)]) -> Option<T>
    where
        T: serde::de::DeserializeOwned + validator::Validate + crate::http::body::Rules + utoipa::ToSchema,
    {
        match from_value::<T>(Value::Object(cells)) {
            Ok(body) => Some(body),
            Err(errors) => {
                let _ = self.refused(line, Error::Invalid(errors), renames);
                None
            }
        }
    }

    /// Fails with every problem, in line order, if there is any.
    fn finish(&mut self) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut errors = std::mem::take(&mut self.0);
        errors.sort_by_key(|e| e.line);
        Err(Error::Invalid(errors))
    }
}

/// Looks up the ids of `codes` (compared folded: case and accents ignored by `key`).
fn ids_of(conn: &mut PgConnection, sql: &str, codes: Vec<String>) -> Result<HashMap<String, (i64, Option<i64>)>> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        key: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        owner: Option<i64>,
    }
    let found: Vec<Found> = diesel::sql_query(sql).bind::<Array<Text>, _>(codes).load(conn)?;
    Ok(found.into_iter().map(|f| (f.key, (f.id, f.owner))).collect())
}

fn texts(rows: &[Row], column: &str) -> Vec<String> {
    rows.iter().filter_map(|row| row.cells.get(column)?.as_str().map(str::to_lowercase)).collect()
}

const FONDS_BY_CODE: &str =
    "SELECT lower(code) AS key, id, NULL::bigint AS owner FROM fonds WHERE lower(code) = ANY($1)";
const BOXES_BY_BARCODE: &str =
    "SELECT lower(barcode) AS key, id, fonds_id AS owner FROM boxes WHERE lower(barcode) = ANY($1)";
const LOCATIONS_BY_PATH: &str =
    "SELECT lower(path_code) AS key, id, NULL::bigint AS owner FROM locations WHERE lower(path_code) = ANY($1)";

/// Replaces the code in `column` by the id it names, in `field`.
fn resolve(
    problems: &mut Problems,
    line: u64,
    cells: &mut Map<String, Value>,
    (column, field): (&str, &str),
    known: &HashMap<String, (i64, Option<i64>)>,
    what: &str,
) -> Option<(i64, Option<i64>)> {
    let code = cells.remove(column)?;
    let code = code.as_str().unwrap_or_default();
    match known.get(&code.to_lowercase()) {
        Some(&(id, owner)) => {
            cells.insert(field.into(), Value::from(id));
            Some((id, owner))
        }
        None => {
            problems.add(line, column, format!("no {what} `{code}`"));
            // A stand-in, so that the row's other fields are still checked; a row with a
            // problem is never stored.
            cells.insert(field.into(), Value::from(0));
            None
        }
    }
}

fn import_files(conn: &mut PgConnection, rows: Vec<Row>, problems: &mut Problems, actor: &Actor) -> Result<usize> {
    let fonds_ids = ids_of(conn, FONDS_BY_CODE, texts(&rows, "fonds_code"))?;
    let box_ids = ids_of(conn, BOXES_BY_BARCODE, texts(&rows, "box_barcode"))?;
    let mut new_files: Vec<(u64, NewFile)> = Vec::with_capacity(rows.len());
    const RENAMES: &[(&str, &str)] = &[("fonds_id", "fonds_code"), ("box_id", "box_barcode")];
    for Row { line, mut cells } in rows {
        let fonds = resolve(problems, line, &mut cells, ("fonds_code", "fonds_id"), &fonds_ids, "fonds has the code");
        let held_in = resolve(problems, line, &mut cells, ("box_barcode", "box_id"), &box_ids, "box has the barcode");
        if let (Some((fonds_id, _)), Some((_, Some(box_fonds)))) = (fonds, held_in)
            && box_fonds != fonds_id
        {
            problems.add(line, "box_barcode", "the box holds files of another fonds");
        }
        if let Some(years) = cells.remove("years") {
            years_to_dates(problems, line, &mut cells, years.as_str().unwrap_or_default());
        }
        if let Some(leaves) = cells.remove("leaves") {
            if cells.contains_key("page_count") {
                problems.add(line, "leaves", "give leaves or page_count, not both");
            }
            cells.insert("page_count".into(), leaves);
            cells.entry("numbering").or_insert_with(|| Value::from("leaf"));
        }
        if !cells.contains_key("page_count") {
            problems.add(line, "page_count", "is required (or leaves)");
            continue;
        }
        if let Some(file) = problems.body::<NewFile>(line, cells, RENAMES) {
            new_files.push((line, file));
        }
    }
    problems.finish()?;
    files::create_many(conn, &new_files, actor)
}

/// `1976` or `1976-1980` → the first and last day of those years.
fn years_to_dates(problems: &mut Problems, line: u64, cells: &mut Map<String, Value>, years: &str) {
    if cells.contains_key("date_from") || cells.contains_key("date_to") {
        problems.add(line, "years", "give years or date_from/date_to, not both");
        return;
    }
    let (from, to) = years.split_once('-').unwrap_or((years, years));
    match (from.trim().parse::<u16>(), to.trim().parse::<u16>()) {
        (Ok(from), Ok(to)) => {
            cells.insert("date_from".into(), Value::from(format!("{from:04}-01-01")));
            cells.insert("date_to".into(), Value::from(format!("{to:04}-12-31")));
        }
        _ => problems.add(line, "years", "must be a year or two, like 1976 or 1976-1980"),
    }
}

fn import_boxes(conn: &mut PgConnection, rows: Vec<Row>, problems: &mut Problems, actor: &Actor) -> Result<usize> {
    let fonds_ids = ids_of(conn, FONDS_BY_CODE, texts(&rows, "fonds_code"))?;
    let homes = ids_of(conn, LOCATIONS_BY_PATH, texts(&rows, "home"))?;
    const RENAMES: &[(&str, &str)] = &[("fonds_id", "fonds_code"), ("home_location_id", "home")];
    let mut created = 0;
    for Row { line, mut cells } in rows {
        let before = problems.0.len();
        resolve(problems, line, &mut cells, ("fonds_code", "fonds_id"), &fonds_ids, "fonds has the code");
        resolve(problems, line, &mut cells, ("home", "home_location_id"), &homes, "location has the path");
        let Some(new) = problems.body::<NewBox>(line, cells, RENAMES) else { continue };
        if problems.0.len() > before {
            continue;
        }
        match conn.transaction(|conn| box_repo::create(conn, &new, actor)) {
            Ok(_) => created += 1,
            Err(err) => problems.refused(line, err, RENAMES)?,
        }
    }
    problems.finish()?;
    Ok(created)
}

/// Row by row, so that a row may name as `parent` a location made by an earlier row.
fn import_locations(conn: &mut PgConnection, rows: Vec<Row>, problems: &mut Problems, actor: &Actor) -> Result<usize> {
    const RENAMES: &[(&str, &str)] = &[("parent_id", "parent")];
    let mut created = Vec::new();
    for Row { line, mut cells } in rows {
        let before = problems.0.len();
        if let Some(parent) = cells.get("parent").and_then(Value::as_str).map(str::to_lowercase) {
            let parents = ids_of(conn, LOCATIONS_BY_PATH, vec![parent])?;
            resolve(problems, line, &mut cells, ("parent", "parent_id"), &parents, "location has the path");
        }
        let Some(new) = problems.body::<NewLocation>(line, cells, RENAMES) else { continue };
        if problems.0.len() > before {
            continue;
        }
        match conn.transaction(|conn| location_repo::insert(conn, &new, actor)) {
            Ok(id) => created.push(id),
            Err(err) => problems.refused(line, err, RENAMES)?,
        }
    }
    problems.finish()?;
    // Once all are in: a bay's event says what shelves it has.
    location_repo::record_created(conn, &created)?;
    Ok(created.len())
}
