//! Vocabulary terms: listing, adding, retiring, and checking the codes records use.

use std::collections::{HashMap, HashSet};

use diesel::dsl::now;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::conservation::model::{NewTerm, Term, TermOf, TermPatch, Vocabulary, VocabularyTerms};
use crate::error::{Error, FieldError, Result};
use crate::events::model::Change;
use crate::events::repo as events;
use crate::keys::model::Actor;
use crate::schema::vocabulary_terms as terms;

pub fn all(conn: &mut PgConnection) -> Result<Vec<VocabularyTerms>> {
    let rows: Vec<(Vocabulary, Term)> = terms::table
        .order((terms::vocabulary, terms::position))
        .select((terms::vocabulary, Term::as_select()))
        .load(conn)?;
    Ok(Vocabulary::ALL
        .iter()
        .map(|&name| VocabularyTerms {
            name,
            extensible: name.extensible(),
            terms: rows.iter().filter(|(v, _)| *v == name).map(|(_, term)| term.clone()).collect(),
        })
        .collect())
}

pub fn one(conn: &mut PgConnection, name: Vocabulary) -> Result<VocabularyTerms> {
    let terms =
        terms::table.filter(terms::vocabulary.eq(name)).order(terms::position).select(Term::as_select()).load(conn)?;
    Ok(VocabularyTerms { name, extensible: name.extensible(), terms })
}

fn category_fits(name: Vocabulary, category: Option<&str>) -> Result<()> {
    match (name, category) {
        (Vocabulary::Material, _) | (_, None) => Ok(()),
        (_, Some(_)) => Err(Error::invalid("category", "only materials have a category")),
    }
}

/// One term of a vocabulary.
pub fn term(conn: &mut PgConnection, name: Vocabulary, code: &str) -> Result<Term> {
    terms::table
        .find((name, code))
        .select(Term::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("the {name} vocabulary has no term `{code}`")))
}

pub fn add(conn: &mut PgConnection, name: Vocabulary, new: &NewTerm, actor: &Actor) -> Result<Term> {
    if !name.extensible() {
        return Err(Error::Conflict(format!("the {name} vocabulary is fixed; terms cannot be added")));
    }
    category_fits(name, new.category.as_deref())?;
    let position: Option<i32> =
        terms::table.filter(terms::vocabulary.eq(name)).select(diesel::dsl::max(terms::position)).first(conn)?;
    let added = diesel::insert_into(terms::table)
        .values((
            terms::vocabulary.eq(name),
            terms::code.eq(&new.code),
            terms::label_vi.eq(&new.label_vi),
            terms::label_en.eq(&new.label_en),
            terms::category.eq(&new.category),
            terms::position.eq(position.unwrap_or(0) + 1),
            terms::created_by.eq(actor.key_id),
            terms::updated_by.eq(actor.key_id),
        ))
        .returning(Term::as_returning())
        .get_result(conn)
        .map_err(|err| match err {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(format!("the {name} vocabulary already has a term `{}`", new.code))
            }
            other => other.into(),
        })?;
    events::record(conn, &[Change::created(&TermOf(name, &added))])?;
    Ok(added)
}

/// Changes labels or category, or retires a term (it stays for the records that use it).
pub fn update(
    conn: &mut PgConnection,
    name: Vocabulary,
    code: &str,
    patch: &TermPatch,
    expected: Option<i32>,
    actor: &Actor,
) -> Result<Term> {
    let key = terms::table.find((name, code));
    let current: Term = key
        .select(Term::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("the {name} vocabulary has no term `{code}`")))?;
    if expected.is_some_and(|version| version != current.version) {
        return Err(Error::Stale { current: current.version });
    }
    if patch.retired.is_some() && !name.extensible() {
        return Err(Error::Conflict(format!("the {name} vocabulary is fixed; its terms cannot be retired")));
    }
    if let Some(category) = &patch.category {
        category_fits(name, category.as_deref())?;
    }
    let retired_at = match patch.retired {
        Some(true) => Some(current.retired_at.unwrap_or_else(chrono::Utc::now)),
        Some(false) => None,
        None => current.retired_at,
    };
    let after = diesel::update(key)
        .set((
            terms::label_vi.eq(patch.label_vi.as_ref().unwrap_or(&current.label_vi)),
            terms::label_en.eq(patch.label_en.as_ref().unwrap_or(&current.label_en)),
            terms::category.eq(patch.category.clone().unwrap_or(current.category.clone())),
            terms::retired_at.eq(retired_at),
            terms::version.eq(terms::version + 1),
            terms::updated_at.eq(now),
            terms::updated_by.eq(actor.key_id),
        ))
        .returning(Term::as_returning())
        .get_result(conn)?;
    events::record(conn, &[Change::updated(&TermOf(name, &current), &TermOf(name, &after))])?;
    Ok(after)
}

/// The terms new records may use, loaded once per request.
pub struct Terms(HashMap<Vocabulary, HashSet<String>>);

impl Terms {
    pub fn load(conn: &mut PgConnection, vocabularies: &[Vocabulary]) -> Result<Self> {
        let rows: Vec<(Vocabulary, String)> = terms::table
            .filter(terms::vocabulary.eq_any(vocabularies))
            .filter(terms::retired_at.is_null())
            .select((terms::vocabulary, terms::code))
            .load(conn)?;
        let mut usable: HashMap<Vocabulary, HashSet<String>> = HashMap::new();
        for (vocabulary, code) in rows {
            usable.entry(vocabulary).or_default().insert(code);
        }
        Ok(Terms(usable))
    }

    /// Adds an error for `field` unless `code` is a usable term of `vocabulary`.
    pub fn check(&self, vocabulary: Vocabulary, code: &str, field: String, errors: &mut Vec<FieldError>) {
        if !self.0.get(&vocabulary).is_some_and(|codes| codes.contains(code)) {
            errors
                .push(FieldError::new(field, format!("`{code}` is not a term of the {vocabulary} vocabulary in use")));
        }
    }
}
