//! Text as the service stores it: Unicode NFC without surrounding whitespace, so that
//! Vietnamese typed with composed or combining accents compares equal.

use unicode_normalization::UnicodeNormalization;

pub fn normalize(text: &str) -> String {
    text.trim().nfc().collect()
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

/// True when the text holds a control character; only line breaks and tabs are allowed, and
/// only in free text such as notes.
pub fn has_control_chars(text: &str, allow_line_breaks: bool) -> bool {
    text.chars().any(|c| c.is_control() && !(allow_line_breaks && matches!(c, '\n' | '\r' | '\t')))
}
