use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::text_enum;
use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::{Rules, nullable};
use crate::http::etag::Versioned;
use crate::schema::readers;

text_enum! {
    /// The identity document a reader registers with.
    pub enum IdentityType {
        /// Căn cước công dân: 12 digits.
        Cccd = "cccd",
        /// Chứng minh nhân dân: 9 or 12 digits.
        Cmnd = "cmnd",
        /// A passport: 6 to 12 letters and digits.
        Passport = "passport",
        /// Anything else: 5 to 20 letters and digits.
        Other = "other",
    }
}

text_enum! {
    /// Why a reader uses the documents: official research comes with a referral letter.
    pub enum ReadingPurpose {
        Personal = "personal",
        Official = "official",
    }
}

text_enum! {
    /// `expired`: the reader card's last day has passed.
    pub enum ReaderStatus {
        Active = "active",
        Suspended = "suspended",
        Expired = "expired",
        /// Their personal data removed after the rules' time; their visits and requests still count.
        Anonymised = "anonymised",
    }
}

/// A reader as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = readers, check_for_backend(diesel::pg::Pg))]
pub struct ReaderRow {
    pub id: i64,
    pub reader_no: String,
    pub full_name: String,
    pub identity_type: IdentityType,
    pub identity_no: String,
    pub nationality: String,
    pub organisation: Option<String>,
    pub purpose: ReadingPurpose,
    pub referral: Option<String>,
    pub topic: Option<String>,
    pub card_expires_on: Option<NaiveDate>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspended_why: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
    pub anonymised_at: Option<DateTime<Utc>>,
}

/// A registered reader (phiếu đăng ký độc giả).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reader {
    pub id: i64,
    /// Printed on the reader card as a barcode; what the desk scans.
    #[schema(example = "DG-000123")]
    pub reader_no: String,
    #[schema(example = "Trần Văn Minh")]
    pub full_name: String,
    pub identity_type: IdentityType,
    /// Whole for the roles that serve readers; otherwise only its last four characters show
    /// (`••••••••7890`), as in the change feed and the audit trail.
    #[schema(example = "001234567890")]
    pub identity_no: String,
    /// ISO 3166 code, e.g. `VN`.
    #[schema(example = "VN")]
    pub nationality: String,
    pub organisation: Option<String>,
    pub purpose: ReadingPurpose,
    /// The referral letter's reference, for official research.
    #[schema(example = "Giấy giới thiệu số 12/GGT-ĐHKHXH ngày 02/12/2026")]
    pub referral: Option<String>,
    /// The research topic.
    pub topic: Option<String>,
    /// The reader card's last day, for readers of five days or more.
    pub card_expires_on: Option<NaiveDate>,
    pub status: ReaderStatus,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspended_why: Option<String>,
    /// When their personal data was removed.
    pub anonymised_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
}

impl From<ReaderRow> for Reader {
    fn from(row: ReaderRow) -> Reader {
        let today = Utc::now().date_naive();
        let status = match (row.suspended_at, row.card_expires_on) {
            _ if row.anonymised_at.is_some() => ReaderStatus::Anonymised,
            (Some(_), _) => ReaderStatus::Suspended,
            (None, Some(last)) if last < today => ReaderStatus::Expired,
            _ => ReaderStatus::Active,
        };
        Reader {
            id: row.id,
            reader_no: row.reader_no,
            full_name: row.full_name,
            identity_type: row.identity_type,
            identity_no: row.identity_no,
            nationality: row.nationality,
            organisation: row.organisation,
            purpose: row.purpose,
            referral: row.referral,
            topic: row.topic,
            card_expires_on: row.card_expires_on,
            status,
            suspended_at: row.suspended_at,
            suspended_why: row.suspended_why,
            anonymised_at: row.anonymised_at,
            version: row.version,
            created_at: row.created_at,
            created_by: row.created_by,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
        }
    }
}

impl Reader {
    /// The reader as those who do not serve readers see them: the identity number's last four
    /// characters only.
    pub fn masked(mut self) -> Reader {
        let shown = self.identity_no.len().saturating_sub(4);
        self.identity_no = format!("{}{}", "•".repeat(shown), &self.identity_no[shown..]);
        self
    }

    /// Whole or masked, as `whole` says.
    pub fn shown(self, whole: bool) -> Reader {
        if whole { self } else { self.masked() }
    }
}

impl Versioned for Reader {
    fn version(&self) -> i32 {
        self.version
    }
}

/// A reader's events carry them masked: the feed is read by every key.
impl Resource for Reader {
    const KIND: &'static str = "reader";

    fn subject(&self) -> String {
        format!("/api/v1/readers/{}", self.id)
    }
}

/// A registration, as the desk fills it in.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReader {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 200, example = "Trần Văn Minh")]
    pub full_name: String,
    pub identity_type: IdentityType,
    /// Spaces, dots and dashes are dropped and letters upper-cased (the answer shows the number
    /// kept); anything else that does not fit the type is refused.
    #[validate(length(min = 1, max = 40, message = "must be 1 to 40 characters"))]
    #[schema(min_length = 1, max_length = 40, example = "0012 3456 7890")]
    pub identity_no: String,
    /// ISO 3166 code; `VN` when left out.
    #[schema(pattern = "^[A-Za-z]{2}$", example = "VN")]
    pub nationality: Option<String>,
    #[validate(length(min = 1, max = 300, message = "must be 1 to 300 characters"))]
    #[schema(min_length = 1, max_length = 300)]
    pub organisation: Option<String>,
    pub purpose: ReadingPurpose,
    /// Required for official research.
    #[validate(length(min = 1, max = 300, message = "must be 1 to 300 characters"))]
    #[schema(min_length = 1, max_length = 300)]
    pub referral: Option<String>,
    #[validate(length(min = 1, max = 1000, message = "must be 1 to 1000 characters"))]
    #[schema(min_length = 1, max_length = 1000)]
    pub topic: Option<String>,
    /// A reader card's last day, for use of five days or more: today at the earliest, within
    /// five years.
    pub card_expires_on: Option<NaiveDate>,
}

impl NewReader {
    /// The identity number as kept, and the nationality.
    pub fn normalised(&self) -> Result<(String, String), Vec<FieldError>> {
        let mut errors = self.broken_rules();
        let identity = identity_number(self.identity_type, &self.identity_no)
            .map_err(|why| errors.push(FieldError::new("identity_no", why)))
            .ok();
        let nationality = nationality(self.nationality.as_deref())
            .map_err(|why| errors.push(FieldError::new("nationality", why)))
            .ok();
        match (identity, nationality) {
            (Some(identity), Some(nationality)) if errors.is_empty() => Ok((identity, nationality)),
            _ => Err(errors),
        }
    }
}

impl Rules for NewReader {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors = purpose_rules(self.purpose, self.referral.as_deref());
        errors.extend(card_rules(self.card_expires_on));
        errors
    }
}

/// Official research comes with its referral letter; personal use has none.
fn purpose_rules(purpose: ReadingPurpose, referral: Option<&str>) -> Vec<FieldError> {
    match (purpose, referral) {
        (ReadingPurpose::Official, None) => vec![FieldError::new("referral", "is required for official research")],
        (ReadingPurpose::Personal, Some(_)) => vec![FieldError::new("referral", "is only for official research")],
        _ => Vec::new(),
    }
}

/// A card's last day is today at the earliest and within five years.
fn card_rules(last: Option<NaiveDate>) -> Vec<FieldError> {
    let Some(last) = last else { return Vec::new() };
    let today = Utc::now().date_naive();
    if crate::clock::is_past_date(last) {
        vec![FieldError::new("card_expires_on", "must not be before today")]
    } else if last > today + chrono::Duration::days(5 * 366) {
        vec![FieldError::new("card_expires_on", "must be within five years")]
    } else {
        Vec::new()
    }
}

/// An identity number as kept: spaces, dots and dashes dropped, letters upper-cased; refused
/// when what remains does not fit the document's type.
pub fn identity_number(kind: IdentityType, typed: &str) -> Result<String, &'static str> {
    let kept: String =
        typed.chars().filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-')).collect::<String>().to_uppercase();
    let digits = kept.chars().all(|c| c.is_ascii_digit());
    let alphanumeric = kept.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let fits = match kind {
        IdentityType::Cccd => digits && kept.len() == 12,
        IdentityType::Cmnd => digits && (kept.len() == 9 || kept.len() == 12),
        IdentityType::Passport => alphanumeric && (6..=12).contains(&kept.len()),
        IdentityType::Other => alphanumeric && (5..=20).contains(&kept.len()),
    };
    match (fits, kind) {
        (true, _) => Ok(kept),
        (false, IdentityType::Cccd) => Err("a CCCD number is 12 digits"),
        (false, IdentityType::Cmnd) => Err("a CMND number is 9 or 12 digits"),
        (false, IdentityType::Passport) => Err("a passport number is 6 to 12 letters and digits"),
        (false, IdentityType::Other) => Err("must be 5 to 20 letters and digits"),
    }
}

/// A country's ISO 3166 code, upper-cased; `VN` when none is given.
fn nationality(typed: Option<&str>) -> Result<String, &'static str> {
    let code = typed.unwrap_or("VN").trim().to_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err("must be a two-letter country code (ISO 3166), e.g. VN")
    }
}

/// Changes to a registration; `null` clears an optional field. The identity document is not
/// changed: a reader with another document registers again.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReaderPatch {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::text::single_line")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 300, message = "must be 1 to 300 characters"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub organisation: Option<Option<String>>,
    pub purpose: Option<ReadingPurpose>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 300, message = "must be 1 to 300 characters"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub referral: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 1000, message = "must be 1 to 1000 characters"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 1000)]
    pub topic: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub card_expires_on: Option<Option<NaiveDate>>,
    /// true suspends the reader (with `suspended_why`); false lifts it.
    pub suspended: Option<bool>,
    #[validate(length(min = 1, max = 1000, message = "must be 1 to 1000 characters"))]
    #[schema(min_length = 1, max_length = 1000)]
    pub suspended_why: Option<String>,
}

impl Rules for ReaderPatch {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors = card_rules(self.card_expires_on.flatten());
        match (self.suspended, &self.suspended_why) {
            (Some(true), None) => errors.push(FieldError::new("suspended_why", "is required to suspend a reader")),
            (Some(false) | None, Some(_)) => {
                errors.push(FieldError::new("suspended_why", "is only given when suspending"))
            }
            _ => {}
        }
        errors
    }
}

impl ReaderPatch {
    /// The purpose's rules against what the reader has now.
    pub fn purpose_errors(&self, current: &ReaderRow) -> Vec<FieldError> {
        let purpose = self.purpose.unwrap_or(current.purpose);
        let referral = self.referral.clone().unwrap_or(current.referral.clone());
        purpose_rules(purpose, referral.as_deref())
    }
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReaderFilter {
    /// A reader number (`DG-000123`), or words of the full name in any order, ignoring case
    /// and accents.
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    pub status: Option<ReaderStatus>,
}

/// Readers to anonymise: one now (their personal data removed at their request), or every
/// reader whose last visit, request or registration is older than the rules allow.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Anonymisation {
    /// This reader only, however recent; every reader due when left out.
    pub reader_id: Option<i64>,
}

impl Rules for Anonymisation {}

/// The readers anonymised.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Anonymised {
    pub reader_ids: Vec<i64>,
}
