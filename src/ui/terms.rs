//! Vocabulary terms as a form offers them: the live ones (retired terms stay on old records but
//! are not offered), labelled in the page's language.

use diesel::PgConnection;

use crate::conservation::model::Vocabulary;
use crate::conservation::repo::vocabularies;
use crate::error::Result;
use crate::people::model::Language;

pub struct Choice {
    pub code: String,
    pub label: String,
}

/// The live terms of `vocabulary`, in their order: what a form offers.
pub fn offered(conn: &mut PgConnection, lang: Language, vocabulary: Vocabulary) -> Result<Vec<Choice>> {
    labelled(conn, lang, vocabulary, true)
}

/// Every term of `vocabulary`, retired too: what a record may name.
pub fn all(conn: &mut PgConnection, lang: Language, vocabulary: Vocabulary) -> Result<Vec<Choice>> {
    labelled(conn, lang, vocabulary, false)
}

fn labelled(conn: &mut PgConnection, lang: Language, vocabulary: Vocabulary, live_only: bool) -> Result<Vec<Choice>> {
    Ok(vocabularies::one(conn, vocabulary)?
        .terms
        .into_iter()
        .filter(|term| !live_only || term.retired_at.is_none())
        .map(|term| Choice { label: if lang == Language::Vi { term.label_vi } else { term.label_en }, code: term.code })
        .collect())
}

/// The label of `code` among `choices`; the code itself for a term not among them.
pub fn label<'a>(choices: &'a [Choice], code: &'a str) -> &'a str {
    choices.iter().find(|choice| choice.code == code).map_or(code, |choice| choice.label.as_str())
}
