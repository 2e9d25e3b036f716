use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::text_enum;
use crate::events::model::Resource;
use crate::http::body::Rules;
use crate::schema::api_keys;

text_enum! {
    /// What a key may do. Every role reads; writing depends on the role.
    pub enum Role {
        Admin = "admin",
        StorageManager = "storage_manager",
        Conservator = "conservator",
        HeadConservator = "head_conservator",
        /// The reading room's desk: readers, their requests, issuing and returning.
        ReadingRoom = "reading_room",
        Integration = "integration",
        Viewer = "viewer",
    }
}

/// What a request needs to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    ManageKeys,
    WriteLocations,
    /// Register and change boxes, move any box, audit shelves.
    WriteBoxes,
    /// Move boxes; without `WriteBoxes`, only into or out of a conservation lab.
    MoveBoxes,
    /// Fonds and files.
    WriteHoldings,
    /// Condition assessments.
    WriteAssessments,
    /// Propose, start, complete, cancel and log treatments.
    WriteTreatments,
    ApproveTreatments,
    /// Withdraw an assessment recorded in error.
    WithdrawAssessments,
    ManageVocabularies,
    /// Export the whole archive.
    Archive,
    /// Subscribe webhooks and read their delivery logs.
    ManageWebhooks,
    /// Read the audit trail of every write.
    ReadAuditTrail,
    /// Create, change, disable and enable staff accounts, and set their passwords.
    ManagePeople,
    /// Register readers and change their registration; see their identity documents whole.
    ServeReaders,
    /// The reading room's rules, and the days the archive is closed, which working-day
    /// deadlines skip.
    SetReadingRoom,
    /// Approve or refuse requests for documents of conditional access.
    ApproveAccess,
}

impl Role {
    /// The one place that says which role may do what.
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        matches!(
            (self, permission),
            (_, Read)
                | (Role::Admin, _)
                | (Role::StorageManager, WriteLocations | WriteBoxes | MoveBoxes | WriteHoldings)
                | (Role::Conservator, MoveBoxes | WriteAssessments | WriteTreatments)
                | (Role::ReadingRoom, ServeReaders)
                | (
                    Role::HeadConservator,
                    MoveBoxes | WriteAssessments | WriteTreatments | ApproveTreatments | WithdrawAssessments
                )
        )
    }
}

/// The key behind a request, once authenticated.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub key_id: i64,
    pub role: Role,
}

/// An API key as listed: never the secret, only its first characters.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The first characters of the key, to tell keys apart.
    #[schema(example = "pk_3f9a1c2e")]
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i64>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<i64>,
}

impl Resource for ApiKey {
    const KIND: &'static str = "api_key";
    const INTERNAL: bool = true;

    fn subject(&self) -> String {
        format!("/api/v1/api-keys/{}", self.id)
    }
}

/// A key just created: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The secret to send as `Authorization: Bearer <key>`. Shown once; store it now.
    #[schema(example = "pk_3f9a1c2e5b7d4a6f8e0c1b2a3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6")]
    pub key: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// Who or what uses the key, e.g. `Reading room kiosk` or `Nguyễn Thị Lan`.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub role: Role,
}

impl Rules for NewApiKey {}

/// The secret part of a key and what is stored of it.
pub struct Secret(String);

impl Secret {
    const PREFIX_LEN: usize = 11;

    /// A new random key: `pk_` and 64 hex digits (256 bits).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system provides randomness");
        Secret(format!("pk_{}", hex::encode(bytes)))
    }

    /// A key chosen by the operator (PAPERKEEP_BOOTSTRAP_KEY).
    pub fn given(key: &str) -> Self {
        Secret(key.to_string())
    }

    pub fn hash(&self) -> Vec<u8> {
        hash(&self.0)
    }

    pub fn prefix(&self) -> String {
        self.0.chars().take(Self::PREFIX_LEN).collect()
    }

    pub fn reveal(self) -> String {
        self.0
    }
}

/// SHA-256 of a presented key: what the database is searched by.
pub fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}
