use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::FieldError;

/// Most rows one import takes.
pub const MAX_ROWS: usize = 200_000;

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Locations,
    Boxes,
    Files,
}

impl ImportKind {
    /// The columns this kind takes.
    pub fn columns(self) -> &'static [Column] {
        match self {
            ImportKind::Locations => LOCATION_COLUMNS,
            ImportKind::Boxes => BOX_COLUMNS,
            ImportKind::Files => FILE_COLUMNS,
        }
    }

    /// The columns that identify a row: two rows with the same values are duplicates.
    fn key(self) -> &'static [&'static str] {
        match self {
            ImportKind::Locations => &["parent", "code"],
            ImportKind::Boxes => &["barcode"],
            ImportKind::Files => &["fonds_code", "inventory_no", "file_no"],
        }
    }
}

const LOCATION_COLUMNS: &[Column] = &[
    Column::required("kind", Cell::Text),
    Column::required("code", Cell::Text),
    Column::optional("parent", Cell::Text),
    Column::optional("name", Cell::Text),
    Column::optional("barcode", Cell::Text),
    Column::optional("capacity_mm", Cell::Whole),
    Column::optional("purpose", Cell::Text),
    Column::optional("notes", Cell::Text),
];

const BOX_COLUMNS: &[Column] = &[
    Column::required("barcode", Cell::Text),
    Column::required("home", Cell::Text),
    Column::optional("label", Cell::Text),
    Column::optional("fonds_code", Cell::Text),
    Column::optional("container_type", Cell::Text),
    Column::optional("width_mm", Cell::Whole),
    Column::optional("position", Cell::Whole),
    Column::optional("notes", Cell::Text),
];

const FILE_COLUMNS: &[Column] = &[
    Column::required("fonds_code", Cell::Text),
    Column::required("inventory_no", Cell::Whole),
    Column::required("file_no", Cell::Whole),
    Column::required("title", Cell::Text),
    Column::optional("archive_code", Cell::Text),
    Column::optional("date_from", Cell::Text),
    Column::optional("date_to", Cell::Text),
    Column::optional("years", Cell::Text),
    Column::optional("page_count", Cell::Whole),
    Column::optional("leaves", Cell::Whole),
    Column::optional("numbering", Cell::Text),
    Column::optional("box_barcode", Cell::Text),
    Column::optional("access", Cell::Text),
    Column::optional("notes", Cell::Text),
];

#[derive(Debug, Clone, Copy)]
pub enum Cell {
    Text,
    /// A whole number.
    Whole,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub cell: Cell,
    pub required: bool,
}

impl Column {
    const fn required(name: &'static str, cell: Cell) -> Self {
        Column { name, cell, required: true }
    }
    const fn optional(name: &'static str, cell: Cell) -> Self {
        Column { name, cell, required: false }
    }
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check everything, import nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportSummary {
    pub kind: ImportKind,
    pub dry_run: bool,
    /// Rows read.
    pub rows: usize,
    /// Records created (none on a dry run).
    pub created: usize,
}

/// The format of an upload.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    Csv,
    JsonLines,
}

/// One row: its line in the upload, and its cells by column, typed, empty ones left out.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub cells: Map<String, Value>,
}

/// Reads and checks an upload: UTF-8, known columns, required ones present, cells of the right
/// type, no row twice. An upload that cannot be read at all is an error; otherwise the rows
/// that read well come back with the problems of those that did not, each with its line.
pub fn read_rows(
    kind: ImportKind,
    format: Format,
    bytes: &[u8],
) -> Result<(Vec<Row>, Vec<FieldError>), Vec<FieldError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let columns = kind.columns();
    let raw = match format {
        Format::Csv => csv_rows(bytes, columns)?,
        Format::JsonLines => json_rows(bytes)?,
    };
    if raw.len() > MAX_ROWS {
        return Err(vec![FieldError::new("body", format!("has {} rows; at most {MAX_ROWS} per import", raw.len()))]);
    }
    if raw.is_empty() {
        return Err(vec![FieldError::new("body", "has no rows")]);
    }
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashMap::new();
    // A key no column has is named once, where it first appears (JSON lines have no header).
    let mut unknown = std::collections::HashSet::new();
    for (line, fields) in raw {
        let errors_before = errors.len();
        let mut cells = Map::new();
        for (name, text) in fields {
            let Some(column) = columns.iter().find(|c| c.name == name) else {
                if unknown.insert(name.clone()) {
                    errors.push(FieldError::new(&name, "is not a column of this import").on_line(line));
                }
                continue;
            };
            let text = crate::text::normalize(&text);
            if text.is_empty() {
                continue;
            }
            match column.cell {
                Cell::Text => {
                    cells.insert(name, Value::String(text));
                }
                Cell::Whole => match text.parse::<i64>() {
                    Ok(number) => {
                        cells.insert(name, Value::from(number));
                    }
                    Err(_) => errors.push(FieldError::new(&name, "must be a whole number").on_line(line)),
                },
            }
        }
        let unreadable: Vec<String> = errors[errors_before..].iter().map(|e| e.field.clone()).collect();
        for column in columns.iter().filter(|c| c.required && !cells.contains_key(c.name)) {
            if !unreadable.iter().any(|field| field == column.name) {
                errors.push(FieldError::new(column.name, "is required").on_line(line));
            }
        }
        let key: Vec<String> = kind
            .key()
            .iter()
            .map(|k| cells.get(*k).map(|v| v.to_string().to_lowercase()).unwrap_or_default())
            .collect();
        if let Some(first) = seen.insert(key, line) {
            errors.push(FieldError::new(kind.key().join(", "), format!("repeats line {first}")).on_line(line));
        }
        if errors.len() == errors_before {
            rows.push(Row { line, cells });
        }
    }
    Ok((rows, errors))
}

type RawRow = (u64, Vec<(String, String)>);

fn csv_rows(bytes: &[u8], columns: &[Column]) -> Result<Vec<RawRow>, Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let header_error = |message: String| vec![FieldError::new("header", message).on_line(1)];
    let headers: Vec<String> = match reader.byte_headers() {
        Ok(headers) if headers.iter().all(|h| h.is_empty()) => {
            return Err(header_error("the header row is missing".into()));
        }
        Ok(headers) => headers
            .iter()
            .map(|h| String::from_utf8(h.to_vec()).map(|h| h.trim().to_lowercase()))
            .collect::<Result<_, _>>()
            .map_err(|_| header_error(NOT_UTF8.into()))?,
        Err(err) => return Err(header_error(err.to_string())),
    };
    // What is wrong with the header is said once, on its line, not on every row.
    let mut problems = Vec::new();
    for (index, name) in headers.iter().enumerate() {
        if headers[..index].contains(name) {
            problems.push(FieldError::new(name, "appears twice in the header").on_line(1));
        } else if !columns.iter().any(|column| column.name == name) {
            let known: Vec<&str> = columns.iter().map(|column| column.name).collect();
            let message = format!("is not a column of this import (they are: {})", known.join(", "));
            problems.push(FieldError::new(name, message).on_line(1));
        }
    }
    for column in columns.iter().filter(|column| column.required && !headers.iter().any(|h| h == column.name)) {
        problems.push(FieldError::new(column.name, "is a required column, missing from the header").on_line(1));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.byte_records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                errors.push(FieldError::new("row", err.to_string()).on_line(line));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let mut fields = Vec::with_capacity(headers.len());
        for (name, cell) in headers.iter().zip(record.iter()) {
            match std::str::from_utf8(cell) {
                Ok(text) => fields.push((name.clone(), text.to_string())),
                Err(_) => errors.push(FieldError::new(name, NOT_UTF8).on_line(line)),
            }
        }
        rows.push((line, fields));
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

const NOT_UTF8: &str = "is not UTF-8 text (save the file as CSV UTF-8)";

fn json_rows(bytes: &[u8]) -> Result<Vec<RawRow>, Vec<FieldError>> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line_no = index as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Map<String, Value>>(line) {
            Ok(object) => rows.push((
                line_no,
                object
                    .into_iter()
                    .filter(|(_, value)| !value.is_null())
                    .map(|(name, value)| match value {
                        Value::String(text) => (name, text),
                        other => (name, other.to_string()),
                    })
                    .collect(),
            )),
            Err(err) => errors.push(FieldError::new("row", format!("is not a JSON object: {err}")).on_line(line_no)),
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}
