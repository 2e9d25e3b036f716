use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::text_enum;
use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::{Rules, nullable};
use crate::http::etag::Versioned;
use crate::schema::vocabulary_terms;

text_enum! {
    /// The controlled vocabularies.
    pub enum Vocabulary {
        /// 1 tốt … 4 không sử dụng được; fixed.
        ConditionGrade = "condition_grade",
        DamageType = "damage_type",
        TreatmentType = "treatment_type",
        /// Lining papers, adhesives, deacidifying agents…
        Material = "material",
        /// Why boxes move; fixed.
        MovementReason = "movement_reason",
    }
}

impl Vocabulary {
    /// Whether an archive may add its own terms.
    pub fn extensible(self) -> bool {
        matches!(self, Vocabulary::DamageType | Vocabulary::TreatmentType | Vocabulary::Material)
    }
}

/// Groups of materials.
pub const MATERIAL_CATEGORIES: [&str; 5] = ["lining_paper", "adhesive", "deacidifying_agent", "film", "other"];

/// A term with its Vietnamese and English labels. Retired terms stay for the records that use
/// them but are refused in new ones.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = vocabulary_terms, check_for_backend(diesel::pg::Pg))]
pub struct Term {
    #[schema(example = "backing")]
    pub code: String,
    #[schema(example = "bồi nền")]
    pub label_vi: String,
    #[schema(example = "lining, backing")]
    pub label_en: String,
    /// For materials: lining_paper, adhesive, deacidifying_agent, film or other.
    pub category: Option<String>,
    pub retired_at: Option<DateTime<Utc>>,
    pub version: i32,
}

impl Versioned for Term {
    fn version(&self) -> i32 {
        self.version
    }
}

/// A term of a vocabulary, as its events carry it: the term alone, as `GET …/terms/{code}`
/// answers.
pub struct TermOf<'a>(pub Vocabulary, pub &'a Term);

impl Serialize for TermOf<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.1.serialize(serializer)
    }
}

impl Resource for TermOf<'_> {
    const KIND: &'static str = "vocabulary_term";

    fn subject(&self) -> String {
        format!("/api/v1/vocabularies/{}/terms/{}", self.0, self.1.code)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VocabularyTerms {
    pub name: Vocabulary,
    /// Whether an admin may add terms.
    pub extensible: bool,
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTerm {
    /// Lower-case letters, digits and `_`.
    #[validate(custom(function = "term_code"))]
    #[schema(pattern = "^[a-z0-9_]{1,40}$", example = "japanese_tissue_3g")]
    pub code: String,
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub label_vi: String,
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub label_en: String,
    /// Materials only.
    pub category: Option<String>,
}

impl Rules for NewTerm {
    fn broken_rules(&self) -> Vec<FieldError> {
        category_rule(self.category.as_deref())
    }
}

fn category_rule(category: Option<&str>) -> Vec<FieldError> {
    match category {
        Some(category) if !MATERIAL_CATEGORIES.contains(&category) => {
            vec![FieldError::new("category", format!("must be one of {}", MATERIAL_CATEGORIES.join(", ")))]
        }
        _ => Vec::new(),
    }
}

/// Changes to a term: its labels, its category, or whether it is retired.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermPatch {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub label_vi: Option<String>,
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub label_en: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    /// true retires the term (refused in new records from now on); false brings it back.
    pub retired: Option<bool>,
}

impl Rules for TermPatch {
    fn broken_rules(&self) -> Vec<FieldError> {
        category_rule(self.category.clone().flatten().as_deref())
    }
}

fn term_code(code: &str) -> Result<(), validator::ValidationError> {
    let fits = (1..=40).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if fits {
        Ok(())
    } else {
        Err(validator::ValidationError::new("term_code")
            .with_message("must be 1 to 40 lower-case letters, digits or `_`".into()))
    }
}
