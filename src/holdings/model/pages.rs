//! Page sets: which numbered units (pages or leaves) of a file a record is about.
//!
//! Taken as text (`1-250, 300, 302-310`) or JSON (`[[1, 250], 300, [302, 310]]`), checked
//! against the file's page count, normalised (parts sorted, overlapping and touching parts
//! merged) and stored as a PostgreSQL `int4multirange`.

use std::collections::Bound;
use std::fmt;

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::Int4multirange;
use serde::{Deserialize, Serialize, Serializer};
use utoipa::ToSchema;

/// Most parts a page set may be written with.
pub const MAX_PARTS: usize = 10_000;

/// Pages as given in a request: text, or a list of pages and `[from, to]` pairs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(example = "1-250, 300, 302-310")]
pub enum PagesInput {
    Text(String),
    List(Vec<PagePart>),
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PagePart {
    Page(i64),
    Range(i64, i64),
}

/// A normalised set of pages: inclusive runs, in order, neither overlapping nor touching.
#[derive(Debug, Clone, Default, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Int4multirange)]
pub struct PageSet(Vec<(i32, i32)>);

impl PageSet {
    /// Every page of a file of `page_count` pages.
    pub fn whole(page_count: i32) -> Self {
        PageSet(vec![(1, page_count)])
    }

    /// The pages named by `input` in a file of `page_count` pages, or why they cannot be.
    pub fn parse(input: &PagesInput, page_count: i32) -> Result<Self, String> {
        let parts: Vec<(String, i64, i64)> = match input {
            PagesInput::Text(text) => {
                if text.trim().is_empty() {
                    return Err("is empty: give pages such as `1-250, 300`, or leave it out for the whole file".into());
                }
                text.split(',').map(|part| parse_part(part.trim())).collect::<Result<_, _>>()?
            }
            PagesInput::List(items) => {
                if items.is_empty() {
                    return Err(
                        "is empty: give pages such as [[1, 250], 300], or leave it out for the whole file".into()
                    );
                }
                items
                    .iter()
                    .map(|item| match *item {
                        PagePart::Page(page) => (page.to_string(), page, page),
                        PagePart::Range(from, to) => (format!("[{from}, {to}]"), from, to),
                    })
                    .collect()
            }
        };
        if parts.len() > MAX_PARTS {
            return Err(format!("has {} parts; at most {MAX_PARTS}", parts.len()));
        }
        let mut runs = Vec::with_capacity(parts.len());
        for (shown, from, to) in parts {
            if from < 1 {
                return Err(format!("`{shown}`: pages are numbered from 1"));
            }
            if from > to {
                return Err(format!("`{shown}`: the range is reversed"));
            }
            if to > i64::from(page_count) {
                return Err(format!("`{shown}`: the file has {page_count} pages"));
            }
            runs.push((from as i32, to as i32));
        }
        Ok(PageSet::from_runs(runs))
    }

    /// Runs in any order, possibly overlapping, made canonical.
    fn from_runs(mut runs: Vec<(i32, i32)>) -> Self {
        runs.sort_unstable();
        let mut merged: Vec<(i32, i32)> = Vec::with_capacity(runs.len());
        for (from, to) in runs {
            match merged.last_mut() {
                Some(last) if from <= last.1.saturating_add(1) => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        PageSet(merged)
    }

    pub fn runs(&self) -> &[(i32, i32)] {
        &self.0
    }

    /// How many pages.
    pub fn count(&self) -> i64 {
        self.0.iter().map(|(from, to)| i64::from(to - from + 1)).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, page: i32) -> bool {
        self.0.iter().any(|(from, to)| (*from..=*to).contains(&page))
    }

    pub fn union(&self, other: &PageSet) -> PageSet {
        PageSet::from_runs(self.0.iter().chain(&other.0).copied().collect())
    }

    pub fn intersection(&self, other: &PageSet) -> PageSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let (from, to) = (a.0.max(b.0), a.1.min(b.1));
            if from <= to {
                out.push((from, to));
            }
            if a.1 < b.1 { i += 1 } else { j += 1 }
        }
        PageSet(out)
    }

    pub fn difference(&self, other: &PageSet) -> PageSet {
        let mut out = Vec::new();
        for &(from, to) in &self.0 {
            let mut start = from;
            for &(cut_from, cut_to) in other.0.iter().filter(|(f, t)| *t >= from && *f <= to) {
                if cut_from > start {
                    out.push((start, cut_from - 1));
                }
                start = start.max(cut_to + 1);
            }
            if start <= to {
                out.push((start, to));
            }
        }
        PageSet(out)
    }

    pub fn is_subset_of(&self, other: &PageSet) -> bool {
        self.difference(other).is_empty()
    }
}

fn parse_part(part: &str) -> Result<(String, i64, i64), String> {
    let number = |text: &str| -> Option<i64> {
        let text = text.trim();
        (!text.is_empty() && text.len() <= 12 && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
    };
    let bad = || format!("`{part}` is not a page or a range of pages such as `5` or `5-10`");
    if part.is_empty() {
        return Err("has an empty part between commas".into());
    }
    match part.split_once(['-', '–', '—']) {
        Some((from, to)) => Ok((part.to_string(), number(from).ok_or_else(bad)?, number(to).ok_or_else(bad)?)),
        None => number(part).map(|page| (part.to_string(), page, page)).ok_or_else(bad),
    }
}

impl fmt::Display for PageSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (from, to)) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            if from == to { write!(f, "{from}")? } else { write!(f, "{from}-{to}")? }
        }
        Ok(())
    }
}

impl Serialize for PageSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl ToSql<Int4multirange, Pg> for PageSet {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
        let ranges: Vec<(Bound<i32>, Bound<i32>)> =
            self.0.iter().map(|&(from, to)| (Bound::Included(from), Bound::Excluded(to + 1))).collect();
        <Vec<(Bound<i32>, Bound<i32>)> as ToSql<Int4multirange, Pg>>::to_sql(&ranges, &mut out.reborrow())
    }
}

impl FromSql<Int4multirange, Pg> for PageSet {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let ranges = <Vec<(Bound<i32>, Bound<i32>)> as FromSql<Int4multirange, Pg>>::from_sql(bytes)?;
        let runs = ranges
            .into_iter()
            .map(|(lower, upper)| {
                let from = match lower {
                    Bound::Included(n) => n,
                    Bound::Excluded(n) => n + 1,
                    Bound::Unbounded => return Err("an unbounded page range"),
                };
                let to = match upper {
                    Bound::Included(n) => n,
                    Bound::Excluded(n) => n - 1,
                    Bound::Unbounded => return Err("an unbounded page range"),
                };
                Ok((from, to))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PageSet::from_runs(runs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(input: &str, pages: i32) -> Result<String, String> {
        PageSet::parse(&PagesInput::Text(input.into()), pages).map(|set| set.to_string())
    }

    #[test]
    fn text_is_normalised() {
        assert_eq!(text("1-250, 300, 302-310", 400).unwrap(), "1-250, 300, 302-310");
        assert_eq!(text("302-310,300, 1 - 250 ", 400).unwrap(), "1-250, 300, 302-310");
        assert_eq!(text("1-10, 5-20, 21, 30–31", 40).unwrap(), "1-21, 30-31", "overlapping and touching parts merge");
        assert_eq!(text("7,7,7", 40).unwrap(), "7");
        assert_eq!(PageSet::parse(&PagesInput::Text("1-10, 15".into()), 20).unwrap().count(), 11);
    }

    #[test]
    fn bad_parts_are_named() {
        for (input, says) in [
            ("0", "`0`: pages are numbered from 1"),
            ("50-10", "`50-10`: the range is reversed"),
            ("401", "`401`: the file has 400 pages"),
            ("1-1000000000", "`1-1000000000`: the file has 400 pages"),
            ("1-a", "`1-a` is not a page"),
            ("--", "`--` is not a page"),
            ("-5", "`-5` is not a page"),
            ("1,,2", "empty part"),
            ("", "is empty"),
            ("   ", "is empty"),
            ("99999999999999999999", "is not a page"),
        ] {
            let error = text(input, 400).unwrap_err();
            assert!(error.contains(says), "{input:?}: {error}");
        }
    }

    #[test]
    fn lists_take_pages_and_pairs() {
        let list = PagesInput::List(vec![PagePart::Range(5, 10), PagePart::Page(1), PagePart::Range(9, 12)]);
        assert_eq!(PageSet::parse(&list, 20).unwrap().to_string(), "1, 5-12");
        let reversed = PagesInput::List(vec![PagePart::Range(10, 5)]);
        assert!(PageSet::parse(&reversed, 20).unwrap_err().contains("reversed"));
        assert!(PageSet::parse(&PagesInput::List(vec![]), 20).unwrap_err().contains("empty"));
    }

    #[test]
    fn set_operations() {
        let set = |s: &str| PageSet::parse(&PagesInput::Text(s.into()), 100).unwrap();
        assert_eq!(set("1-10, 20-30").intersection(&set("5-25")).to_string(), "5-10, 20-25");
        assert_eq!(set("1-30").difference(&set("5-10, 20")).to_string(), "1-4, 11-19, 21-30");
        assert_eq!(set("1-5").union(&set("6-8, 20")).to_string(), "1-8, 20");
        assert!(set("3-4").is_subset_of(&set("1-10")));
        assert!(!set("3-14").is_subset_of(&set("1-10")));
        assert!(set("1-10").difference(&set("1-10")).is_empty());
        assert!(set("2, 4").contains(4) && !set("2, 4").contains(3));
    }
}
