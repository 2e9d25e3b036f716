//! Search by words, the `q` of the lists of files, fonds, boxes and locations.
//!
//! Every word of the query must be a word of the record, in any order, ignoring case and
//! Vietnamese accents; a quoted phrase must be there as typed, its words in that order. A part of
//! a code or barcode is found too. Results come best first, in tiers: the record whose code or
//! barcode is the query as typed; then those with every word in the title (a file's title, a
//! fonds' name or creator, a box's label, a location's name); then the rest (words found among
//! the codes, numbers and years, or a part of a code). Within a tier, the list's own order.
//!
//! A tier is read with the list's order and a limit, so that PostgreSQL walks the list's index
//! when many records match and the words' index when few do: a search costs what it shows, not
//! what it matches (ranking every match by a computed relevance would read every match). The
//! words' index and the functions behind it are in the migration `search_by_words`.

use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::sql_types::{Bool, Text};
use diesel::{BoolExpressionMethods, BoxableExpression};

use crate::error::Result;

/// The tiers of a search, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// The code or barcode is the query, ignoring case.
    Code = 0,
    /// Every word is in the title.
    Title = 1,
    /// Every word is in the record, not all in the title; or the query is part of a code.
    Elsewhere = 2,
}

const TIERS: [Tier; 3] = [Tier::Code, Tier::Title, Tier::Elsewhere];

/// A query as typed (`q`).
#[derive(Debug, Clone)]
pub struct Search {
    /// What the words' index is asked: words and quoted phrases only; none when the query has
    /// no letter or digit (only punctuation, a lone accent mark).
    words: Option<String>,
    /// The query as typed, for codes.
    text: String,
    /// Whether to look for the query within codes: only with three letters or digits in a row,
    /// which the codes' trigram index can find (shorter parts would take a walk of every code).
    in_codes: bool,
}

impl Search {
    pub fn new(q: &str) -> Self {
        let text = q.trim().to_string();
        let has_words = text.chars().any(char::is_alphanumeric);
        let in_codes = text.split(|c: char| !c.is_alphanumeric()).any(|run| run.chars().count() >= 3);
        Search { words: has_words.then(|| words_and_phrases(q)), text, in_codes }
    }

    /// Whether anything can be in `tier`.
    fn may_find(&self, tier: Tier) -> bool {
        match tier {
            Tier::Code => !self.text.is_empty(),
            Tier::Title => self.words.is_some(),
            Tier::Elsewhere => self.words.is_some() || self.in_codes,
        }
    }

    /// The records of `table` in `tier`; `code` is the SQL of the table's code or barcode in
    /// lower case, which an index must serve (`lower(files.archive_code)`). `walked`: read
    /// while walking the list's order, never by an index of words or codes (see `tier_rows`).
    pub fn tier<QS: 'static>(&self, table: &str, code: &str, tier: Tier, walked: bool) -> Condition<QS> {
        // `(before $n after)`; with `not`, `… IS NOT TRUE` (a code may be null).
        let test = |before: String, value: String, after: &str, not: bool| -> Condition<QS> {
            let not = if not { " IS NOT TRUE" } else { "" };
            Box::new(sql::<Bool>(&format!("({before}")).bind::<Text, _>(value).sql(&format!("{after}){not}")))
        };
        let always = |value: bool| -> Condition<QS> { Box::new(sql::<Bool>(if value { "true" } else { "false" })) };
        // Every word, by `query` (pk_words, pk_title_words). Walking, the operators are called as
        // the functions behind them, which no index answers.
        let words = |query: &str, not| match &self.words {
            None => always(not),
            Some(words) if walked => {
                test(format!("ts_match_vq({table}.search_words, {query}("), words.clone(), "))", not)
            }
            Some(words) => test(format!("{table}.search_words @@ {query}("), words.clone(), ")", not),
        };
        let part_of_code = || match (self.in_codes, walked) {
            (false, _) => always(false),
            (true, true) => {
                let before = format!("textlike({table}.search_key, '%' || pk_fold(");
                test(before, like_literally(&self.text), ") || '%')", false)
            }
            (true, false) => {
                let before = format!("{table}.search_key LIKE '%' || pk_fold(");
                test(before, like_literally(&self.text), ") || '%'", false)
            }
        };
        let is_code = |not| test(format!("{code} = lower("), self.text.clone(), ")", not);
        match tier {
            Tier::Code => is_code(false),
            Tier::Title => Box::new(words("pk_title_words", false).and(is_code(true))),
            Tier::Elsewhere => Box::new(
                words("pk_words", false).or(part_of_code()).and(words("pk_title_words", true)).and(is_code(true)),
            ),
        }
    }
}

/// A condition on a list's rows.
pub type Condition<QS> = Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>>;

/// `q` as `websearch_to_tsquery` reads it, with nothing but words and quoted phrases: a `-`
/// before a word and a lone `or`, which it would read as NOT and OR, are taken as text.
fn words_and_phrases(q: &str) -> String {
    let mut words = Vec::new();
    for (index, part) in q.split('"').enumerate() {
        // Between quotes (every other part): a phrase, whatever it holds.
        if index % 2 == 1 {
            words.push(format!("\"{part}\""));
            continue;
        }
        for word in part.split_whitespace() {
            let word = word.trim_start_matches('-');
            if word.eq_ignore_ascii_case("or") {
                words.push(format!("\"{word}\""));
            } else if !word.is_empty() {
                words.push(word.to_string());
            }
        }
    }
    words.join(" ")
}

/// `text` for LIKE, its wildcards taken literally.
pub fn like_literally(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A list that can be searched, as `ranked` reads it: in the list's own order, whose keys
/// (`Key`) a cursor holds.
pub trait Listed {
    type Row;
    type Key: Clone;

    /// The rows in a tier of a search (`None`: all) in the list's order, with keys after
    /// `after` up to and including `until`, `limit` at most.
    fn rows(
        &mut self,
        tier: Option<(&Search, Tier)>,
        after: Option<&Self::Key>,
        until: Option<&Self::Key>,
        limit: i64,
    ) -> Result<Vec<Self::Row>>;

    /// The key of the `n`th row after `after`, of any tier; `None` if fewer rows follow.
    fn nth_key(&mut self, after: Option<&Self::Key>, n: i64) -> Result<Option<Self::Key>>;
}

/// Whether rows are read by walking the list's order (its index) — the whole list, or a
/// window of it — rather than looked up by the indexes of words and codes and then sorted. A
/// list sorts the rows it looks up by an expression its index does not serve, for PostgreSQL
/// would walk that index otherwise, taking many matches for granted (see `tier_rows`).
pub fn walks<K>(tier: Option<(&Search, Tier)>, until: Option<&K>) -> bool {
    tier.is_none() || until.is_some()
}

/// Rows walked in the list's order before the words' index is asked, at first and at most.
const FIRST_WALK: i64 = 1_000;
const LONGEST_WALK: i64 = 20_000;

/// The rows of a list, best tier first when `search` is given (each with its tier: 0 without
/// a search), up to `limit + 1`, after `after` (a tier and a key of the list's order).
pub fn ranked<L: Listed>(
    list: &mut L,
    search: Option<&Search>,
    after: Option<(u8, L::Key)>,
    limit: i64,
) -> Result<Vec<(u8, L::Row)>> {
    let wanted = limit + 1;
    let (from, key) = match after {
        Some((tier, key)) => (tier, Some(key)),
        None => (0, None),
    };
    let Some(search) = search else {
        return Ok(list.rows(None, key.as_ref(), None, wanted)?.into_iter().map(|row| (0, row)).collect());
    };
    let mut rows = Vec::new();
    for tier in TIERS.into_iter().filter(|tier| *tier as u8 >= from && search.may_find(*tier)) {
        let after = key.clone().filter(|_| tier as u8 == from);
        let found = match tier {
            Tier::Code => list.rows(Some((search, tier)), after.as_ref(), None, wanted - rows.len() as i64)?,
            _ => tier_rows(list, (search, tier), after, wanted - rows.len() as i64)?,
        };
        rows.extend(found.into_iter().map(|row| (tier as u8, row)));
        if rows.len() as i64 >= wanted {
            break;
        }
    }
    Ok(rows)
}

/// Up to `wanted` rows of `tier` after `after`, at a cost bounded whatever share of the list
/// matches. The list's own order is walked a window at a time while matches come often enough
/// to fill the page soon (when many match, a walk finds them at once where the words' index
/// would gather them all); when they come too rarely to fill the page within `LONGEST_WALK`
/// rows, the words' index finds the rest (few match: it has few to gather). PostgreSQL's
/// planner makes this choice badly here: it takes the words of a query as independent, while the words of a
/// title go together (`công tác cán bộ`), and so expects a hundredth of what matches.
fn tier_rows<L: Listed>(
    list: &mut L,
    tier: (&Search, Tier),
    mut after: Option<L::Key>,
    wanted: i64,
) -> Result<Vec<L::Row>> {
    let (mut found, mut walked, mut window) = (Vec::new(), 0, FIRST_WALK);
    while walked < LONGEST_WALK {
        let until = list.nth_key(after.as_ref(), window)?;
        found.extend(list.rows(Some(tier), after.as_ref(), until.as_ref(), wanted - found.len() as i64)?);
        walked += window;
        if found.len() as i64 >= wanted || until.is_none() {
            return Ok(found);
        }
        after = until;
        // Enough to fill the page at the rate seen so far, and a third more, if that is not
        // too long a walk.
        let missing = wanted - found.len() as i64;
        match (missing * walked * 4).checked_div(found.len() as i64 * 3) {
            Some(enough) if enough <= LONGEST_WALK - walked => window = enough.max(FIRST_WALK),
            _ => break,
        }
    }
    found.extend(list.rows(Some(tier), after.as_ref(), None, wanted - found.len() as i64)?);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::words_and_phrases;

    #[test]
    fn only_words_and_phrases_reach_the_index() {
        assert_eq!(words_and_phrases("công văn  sở nội vụ"), "công văn sở nội vụ");
        assert_eq!(words_and_phrases("\"sở nội vụ\" 1976"), "\"sở nội vụ\" 1976");
        assert_eq!(words_and_phrases("-mốc or -"), "mốc \"or\"");
        assert_eq!(words_and_phrases("HS-12 \"open"), "HS-12 \"open\"");
    }
}
