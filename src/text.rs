//! Text as the service stores it: Unicode NFC without surrounding whitespace, so that
//! Vietnamese typed with composed or combining accents compares equal.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use validator::ValidationError;

pub fn normalize(text: &str) -> String {
    let text = text.trim();
    // Most text arrives composed already: the quick check spares composing it again.
    match unicode_normalization::is_nfc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => text.to_string(),
        _ => text.nfc().collect(),
    }
}

/// Normalises every string inside a JSON document, keys excepted.
pub fn normalize_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(text) => *text = normalize(text),
        Value::Array(items) => items.iter_mut().for_each(normalize_json),
        Value::Object(fields) => fields.values_mut().for_each(normalize_json),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Where a JSON document holds a string with a NUL character, which PostgreSQL text cannot
/// store, as field paths (`moves[2].barcode`).
pub fn paths_with_nul(value: &serde_json::Value) -> Vec<String> {
    fn walk(value: &serde_json::Value, path: String, found: &mut Vec<String>) {
        use serde_json::Value;
        match value {
            Value::String(text) if text.contains('\0') => {
                found.push(if path.is_empty() { "body".into() } else { path })
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, format!("{path}[{index}]"), found);
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    walk(item, if path.is_empty() { key.clone() } else { format!("{path}.{key}") }, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, String::new(), &mut found);
    found
}

/// Validation rule for names, codes and barcodes: no control characters (line breaks included).
pub fn single_line(text: &str) -> Result<(), ValidationError> {
    if text.chars().any(char::is_control) {
        return Err(ValidationError::new("control_characters")
            .with_message(Cow::Borrowed("must not contain control characters or line breaks")));
    }
    Ok(())
}
