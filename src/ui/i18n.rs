//! The app's words: one Fluent catalogue per language (`i18n/vi.ftl`, `i18n/en.ftl`), compiled
//! in; Vietnamese first. Dates and numbers as each language writes them.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

use crate::people::model::Language;

const VI: &str = include_str!("../../i18n/vi.ftl");
const EN: &str = include_str!("../../i18n/en.ftl");

/// The catalogue of `language`.
fn bundle(language: Language) -> &'static FluentBundle<FluentResource> {
    static VI_BUNDLE: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    static EN_BUNDLE: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    let (cell, source, id) = match language {
        Language::Vi => (&VI_BUNDLE, VI, "vi"),
        Language::En => (&EN_BUNDLE, EN, "en"),
    };
    cell.get_or_init(|| {
        let resource = FluentResource::try_new(source.to_string()).expect("the catalogue parses (tested)");
        let mut bundle = FluentBundle::new_concurrent(vec![id.parse().expect("a language id")]);
        // Plain text into HTML that askama escapes: no bidi isolation marks around arguments.
        bundle.set_use_isolating(false);
        bundle.add_resource(resource).expect("no message is defined twice (tested)");
        bundle
    })
}

/// The message `key` in `language`, with `args` filled in; the key itself if it is missing
/// (a test checks that none is).
pub fn text(language: Language, key: &str, args: &[(&str, &str)]) -> String {
    let bundle = bundle(language);
    let Some(pattern) = bundle.get_message(key).and_then(|message| message.value()) else {
        return key.to_string();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.to_string());
    }
    let mut errors = Vec::new();
    bundle.format_pattern(pattern, Some(&fluent_args), &mut errors).into_owned()
}

/// `dd/mm/yyyy HH:MM` in Vietnam's time (UTC+7) for Vietnamese; ISO-like for English.
pub fn date_time(language: Language, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7"));
    match language {
        Language::Vi => local.format("%d/%m/%Y %H:%M").to_string(),
        Language::En => local.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// A day: `30/06/2026` in Vietnamese, `2026-06-30` in English.
pub fn date(language: Language, day: chrono::NaiveDate) -> String {
    match language {
        Language::Vi => day.format("%d/%m/%Y").to_string(),
        Language::En => day.format("%Y-%m-%d").to_string(),
    }
}

/// A number with `decimals` digits: `1.234,5` in Vietnamese, `1,234.5` in English.
pub fn number(language: Language, value: f64, decimals: usize) -> String {
    let plain = format!("{value:.decimals$}");
    let (whole, fraction) = plain.split_once('.').map_or((plain.as_str(), None), |(w, f)| (w, Some(f)));
    let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |rest| ("-", rest));
    let (group, point) = match language {
        Language::Vi => ('.', ','),
        Language::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}{point}{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// The message ids of a catalogue's source, for the test that both have the same.
pub fn keys(language: Language) -> Vec<String> {
    let source = match language {
        Language::Vi => VI,
        Language::En => EN,
    };
    let mut keys: Vec<String> = source
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|line| line.split_once(" =").map(|(key, _)| key.trim().to_string()))
        .collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_in_both_languages_and_parses() {
        assert_eq!(keys(Language::Vi), keys(Language::En));
        for language in [Language::Vi, Language::En] {
            for key in keys(language) {
                assert_ne!(text(language, &key, &[]), key, "{key} in {language}");
            }
        }
    }

    #[test]
    fn numbers_and_dates_are_written_as_each_language_writes_them() {
        assert_eq!(number(Language::Vi, 1234.5, 1), "1.234,5");
        assert_eq!(number(Language::En, 1234.5, 1), "1,234.5");
        assert_eq!(number(Language::Vi, -1234567.0, 0), "-1.234.567");
        assert_eq!(number(Language::Vi, 12.0, 2), "12,00");
        let at = DateTime::parse_from_rfc3339("2026-12-03T20:05:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(date_time(Language::Vi, at), "04/12/2026 03:05");
        assert_eq!(text(Language::Vi, "shelf-heading", &[("path", "K1-G1-1")]), "Giá K1-G1-1");
    }
}
