use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::db::text_enum;
use crate::events::model::Resource;
use crate::keys::model::Role;
use crate::schema::people;

text_enum! {
    /// The language a person reads the app in: Vietnamese first.
    pub enum Language {
        Vi = "vi",
        En = "en",
    }
}

/// Someone who signs in to the app (never their password, only when it was last set).
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = people, check_for_backend(diesel::pg::Pg))]
pub struct Person {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Their own choice, not an account's setting: not shown, and changing it is no event.
    #[serde(skip)]
    pub language: Language,
    /// What their writes are recorded as (`created_by`, the feed's `actor`).
    pub actor_id: i64,
    pub disabled_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<i64>,
    pub password_changed_at: DateTime<Utc>,
}

impl Resource for Person {
    const KIND: &'static str = "person";
    const INTERNAL: bool = true;

    fn subject(&self) -> String {
        format!("/api/v1/people/{}", self.id)
    }
}

/// A new staff account.
#[derive(Debug, Clone, Deserialize, Validate)]
pub struct NewPerson {
    /// 2 to 40 of `a-z 0-9 . _ -`, starting with a letter or digit; compared in lower case.
    #[validate(custom(function = "username"))]
    pub username: String,
    #[validate(custom(function = "display_name"))]
    pub display_name: String,
    pub role: Role,
    #[validate(custom(function = "password"))]
    pub password: String,
    pub language: Option<Language>,
}

/// What an admin changes of an account.
#[derive(Debug, Clone, Deserialize, Validate)]
pub struct PersonChanges {
    #[validate(custom(function = "display_name"))]
    pub display_name: String,
    pub role: Role,
}

fn display_name(name: &str) -> Result<(), ValidationError> {
    if (1..=100).contains(&name.chars().count()) && name == name.trim() {
        Ok(())
    } else {
        Err(ValidationError::new("display_name")
            .with_message("must be 1 to 100 characters, without spaces around".into()))
    }
}

/// The shortest password accepted: long enough that guessing it online is hopeless at the
/// sign-in rate limit.
pub const MIN_PASSWORD_CHARS: usize = 10;

fn username(name: &str) -> Result<(), ValidationError> {
    let valid = (2..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(ValidationError::new("username")
            .with_message("must be 2 to 40 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit".into()))
    }
}

pub fn password(password: &str) -> Result<(), ValidationError> {
    let chars = password.chars().count();
    if (MIN_PASSWORD_CHARS..=200).contains(&chars) {
        Ok(())
    } else {
        Err(ValidationError::new("password")
            .with_message(format!("must be {MIN_PASSWORD_CHARS} to 200 characters").into()))
    }
}

/// A signed-in session's person, as every app request sees it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub person: Person,
    /// The session's token against cross-site requests, sent back by its forms.
    pub csrf_token: String,
}
