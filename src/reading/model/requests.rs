use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::text_enum;
use crate::error::FieldError;
use crate::events::model::Resource;
use crate::http::body::Rules;
use crate::http::etag::Versioned;
use crate::schema::reading_requests;

/// The most lines a request may have: the most files the rules may let a reader have at once.
pub const MOST_LINES: usize = 100;

text_enum! {
    /// What a request asks for: to read the documents, or copies of them (certified or not).
    pub enum RequestKind {
        Read = "read",
        Copy = "copy",
        CopyCertified = "copy_certified",
    }
}

text_enum! {
    pub enum Channel {
        Desk = "desk",
        Online = "online",
        Post = "post",
    }
}

text_enum! {
    /// What copies are made as.
    pub enum CopyFormat {
        Paper = "paper",
        Pdf = "pdf",
    }
}

text_enum! {
    /// Where a copy order stands: its fee estimated, accepted, the copies made, handed over.
    pub enum CopyStatus {
        Estimated = "estimated",
        Approved = "approved",
        Produced = "produced",
        Delivered = "delivered",
        Cancelled = "cancelled",
    }
}

impl CopyStatus {
    /// The steps an order may take from here.
    pub fn next(self) -> &'static [CopyStatus] {
        match self {
            CopyStatus::Estimated => &[CopyStatus::Approved, CopyStatus::Cancelled],
            CopyStatus::Approved => &[CopyStatus::Produced, CopyStatus::Cancelled],
            CopyStatus::Produced => &[CopyStatus::Delivered],
            CopyStatus::Delivered | CopyStatus::Cancelled => &[],
        }
    }
}

/// The copies a copy request orders.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CopyOrder {
    pub format: CopyFormat,
    /// Pages to copy: those asked for of every servable line (a whole file: all its pages).
    pub pages: i32,
    /// In đồng, from the price list: the pages at the format's price, and for certified copies
    /// each file's certification.
    pub fee: i32,
    pub status: CopyStatus,
}

/// A step of a copy order.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyStep {
    pub to: CopyStatus,
}

impl Rules for CopyStep {}

text_enum! {
    /// Where a request, and each of its lines, stands.
    pub enum RequestStatus {
        Submitted = "submitted",
        /// A line of conditional access waits for its approval.
        AwaitingApproval = "awaiting_approval",
        Approved = "approved",
        Refused = "refused",
        InRetrieval = "in_retrieval",
        Ready = "ready",
        InUse = "in_use",
        /// Kept for the reader's next day.
        Held = "held",
        Returned = "returned",
        Closed = "closed",
        Cancelled = "cancelled",
        /// Nothing of it can be served; each line says why.
        NotServable = "not_servable",
    }
}

text_enum! {
    /// How a line can be served.
    pub enum Servable {
        Original = "original",
        Copy = "copy",
        NotServable = "not_servable",
    }
}

text_enum! {
    /// Why a line cannot be served as asked.
    pub enum Reason {
        /// The file is closed to readers.
        ClosedAccess = "closed_access",
        /// Conditional access: served once approved.
        NeedsApproval = "needs_approval",
        /// Pages unusable, or with live mould or insects.
        Condition = "condition",
        /// An open treatment of the file.
        InTreatment = "in_treatment",
        /// The file is in no box.
        NoBox = "no_box",
        /// Its box is missing or lost.
        BoxMissing = "box_missing",
        /// Its box is out elsewhere: the lab, digitization, an exhibition, a loan, quarantine.
        BoxAway = "box_away",
        /// Another reader has it.
        InUseElsewhere = "in_use_elsewhere",
        /// The reader has as many files as they may.
        ReaderLimit = "reader_limit",
        /// The file is digitized: served as its digital copy, not the original.
        DigitalCopy = "digital_copy",
    }
}

impl Reason {
    /// Whether the line can still be served (once approved) for this reason.
    pub fn blocks(self) -> bool {
        !matches!(self, Reason::NeedsApproval | Reason::DigitalCopy)
    }

    /// What a reader is told, in Vietnamese and in English.
    pub fn said(self) -> (&'static str, &'static str) {
        match self {
            Reason::ClosedAccess => ("Hồ sơ thuộc loại không được phục vụ độc giả.", "This file is closed to readers."),
            Reason::NeedsApproval => (
                "Hồ sơ thuộc loại sử dụng có điều kiện: cần được lãnh đạo duyệt trước khi phục vụ.",
                "This file is of conditional access: it is served once approved.",
            ),
            Reason::Condition => (
                "Tài liệu hư hỏng nặng hoặc đang bị nấm mốc, côn trùng: không thể phục vụ bản gốc.",
                "The documents are too damaged, or have live mould or insects: the original cannot be served.",
            ),
            Reason::InTreatment => ("Hồ sơ đang được tu bổ.", "The file is being conserved."),
            Reason::NoBox => ("Hồ sơ chưa được xếp vào hộp trong kho.", "The file is not yet shelved in a box."),
            Reason::BoxMissing => ("Hộp chứa hồ sơ đang thất lạc.", "The box holding the file is missing."),
            Reason::BoxAway => (
                "Hộp chứa hồ sơ đang ở ngoài kho (tu bổ, số hoá, trưng bày, cho mượn hoặc cách ly).",
                "The box holding the file is out (conservation, digitization, an exhibition, a loan or quarantine).",
            ),
            Reason::InUseElsewhere => ("Hồ sơ đang được độc giả khác sử dụng.", "Another reader has the file."),
            Reason::DigitalCopy => (
                "Hồ sơ đã được số hoá: độc giả sử dụng bản sao số, không sử dụng bản gốc.",
                "The file is digitized: the reader is served its digital copy, not the original.",
            ),
            Reason::ReaderLimit => (
                "Độc giả đã có số hồ sơ tối đa được sử dụng cùng lúc theo nội quy phòng đọc.",
                "The reader already has as many files as the reading room's rules allow at once.",
            ),
        }
    }
}

/// A reason, with what a reader is told.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineReason {
    pub code: Reason,
    pub vi: &'static str,
    pub en: &'static str,
}

impl From<Reason> for LineReason {
    fn from(code: Reason) -> Self {
        let (vi, en) = code.said();
        LineReason { code, vi, en }
    }
}

/// One file asked for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestLine {
    pub line_no: i32,
    pub file_id: i64,
    /// For copies: the pages to copy; none: the whole file.
    pub pages: Option<String>,
    pub servable: Servable,
    pub reasons: Vec<LineReason>,
    pub status: RequestStatus,
}

/// A request as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reading_requests, check_for_backend(diesel::pg::Pg))]
pub struct RequestRow {
    pub id: i64,
    pub reader_id: i64,
    pub kind: RequestKind,
    pub channel: Channel,
    pub purpose: Option<String>,
    pub status: RequestStatus,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    pub decision_note: Option<String>,
    pub cancel_reason: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub copy_format: Option<CopyFormat>,
    pub copy_pages: Option<i32>,
    pub fee: Option<i32>,
    pub copy_status: Option<CopyStatus>,
}

/// A reader's request (phiếu yêu cầu), its lines decided by the service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadingRequest {
    pub id: i64,
    pub reader_id: i64,
    pub kind: RequestKind,
    pub channel: Channel,
    pub purpose: Option<String>,
    pub status: RequestStatus,
    pub received_at: DateTime<Utc>,
    /// In working days from `received_at`: 1 to read, 2 for copies, 7 when a line is of
    /// conditional access.
    pub due_at: DateTime<Utc>,
    pub lines: Vec<RequestLine>,
    /// For copies: the order, its fee and where it stands.
    pub copy: Option<CopyOrder>,
    /// Why it was cancelled, when it was.
    pub cancel_reason: Option<String>,
    /// The decision on its lines of conditional access: when, by whom, why.
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    pub decision_note: Option<String>,
    /// When its first box reached the reading room.
    pub delivered_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: i64,
}

impl ReadingRequest {
    pub fn of(row: RequestRow, lines: Vec<RequestLine>) -> Self {
        ReadingRequest {
            id: row.id,
            reader_id: row.reader_id,
            kind: row.kind,
            channel: row.channel,
            purpose: row.purpose,
            status: row.status,
            received_at: row.received_at,
            due_at: row.due_at,
            lines,
            copy: match (row.copy_format, row.copy_pages, row.fee, row.copy_status) {
                (Some(format), Some(pages), Some(fee), Some(status)) => Some(CopyOrder { format, pages, fee, status }),
                _ => None,
            },
            cancel_reason: row.cancel_reason,
            decided_at: row.decided_at,
            decided_by: row.decided_by,
            decision_note: row.decision_note,
            delivered_at: row.delivered_at,
            version: row.version,
            created_at: row.created_at,
            created_by: row.created_by,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
        }
    }
}

impl Versioned for ReadingRequest {
    fn version(&self) -> i32 {
        self.version
    }
}

impl Resource for ReadingRequest {
    const KIND: &'static str = "reading_request";

    fn subject(&self) -> String {
        format!("/api/v1/reading-requests/{}", self.id)
    }
}

/// A file asked for.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    pub file_id: i64,
    /// For copies only: the pages to copy (`1-20, 25`); none: the whole file.
    #[validate(length(min = 1, max = 1000, message = "must be 1 to 1000 characters"))]
    #[schema(min_length = 1, max_length = 1000, example = "1-20")]
    pub pages: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub reader_id: i64,
    pub kind: RequestKind,
    /// `desk` when left out.
    pub channel: Option<Channel>,
    #[validate(length(min = 1, max = 1000, message = "must be 1 to 1000 characters"))]
    #[schema(min_length = 1, max_length = 1000)]
    pub purpose: Option<String>,
    /// For copies (required), what they are made as.
    pub format: Option<CopyFormat>,
    /// When the request came; now when left out (not in the future).
    pub received_at: Option<DateTime<Utc>>,
    /// Files, each once: at least one, at most as many as the rules let a reader have at once.
    #[validate(nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<NewLine>,
}

impl Rules for NewRequest {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors = distinct_lines(&self.lines);
        if self.lines.is_empty() || self.lines.len() > MOST_LINES {
            errors.push(FieldError::new("lines", "must name 1 to 100 files"));
        }
        for (index, line) in self.lines.iter().enumerate() {
            if line.pages.is_some() && self.kind == RequestKind::Read {
                errors.push(FieldError::new(format!("lines[{index}].pages"), "is only for copies"));
            }
        }
        match (self.kind, self.format) {
            (RequestKind::Read, Some(_)) => errors.push(FieldError::new("format", "is only for copies")),
            (RequestKind::Copy | RequestKind::CopyCertified, None) => {
                errors.push(FieldError::new("format", "is required for copies: paper or pdf"))
            }
            _ => {}
        }
        if self.received_at.is_some_and(crate::clock::is_future) {
            errors.push(FieldError::new("received_at", crate::clock::FUTURE));
        }
        errors
    }
}

/// Files to check for a reader before asking: decided as a request's lines would be, nothing
/// recorded.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServabilityCheck {
    /// The reader the files are for: their state and limit of files count. None: any reader's
    /// hand counts as elsewhere, and no limit is checked.
    pub reader_id: Option<i64>,
    /// Files, each once, 1 to 100.
    #[validate(nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<NewLine>,
}

impl Rules for ServabilityCheck {
    fn broken_rules(&self) -> Vec<FieldError> {
        let mut errors = distinct_lines(&self.lines);
        if self.lines.is_empty() || self.lines.len() > MOST_LINES {
            errors.push(FieldError::new("lines", "must name 1 to 100 files"));
        }
        errors
    }
}

/// Each line's file named once.
fn distinct_lines(lines: &[NewLine]) -> Vec<FieldError> {
    (0..lines.len())
        .filter(|&index| lines[..index].iter().any(|other| other.file_id == lines[index].file_id))
        .map(|index| FieldError::new(format!("lines[{index}].file_id"), "names a file already asked for"))
        .collect()
}

/// How each file would be served: the lines a request for them would have (`status`: what the
/// line would start as).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Servability {
    pub reader_id: Option<i64>,
    pub lines: Vec<RequestLine>,
}

/// The decision on a request's lines of conditional access.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub approved: bool,
    /// Why: required to refuse.
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    #[schema(min_length = 1, max_length = 2000, example = "Đúng mục đích nghiên cứu trong giấy giới thiệu")]
    pub note: Option<String>,
}

impl Rules for Decision {
    fn broken_rules(&self) -> Vec<FieldError> {
        match (self.approved, &self.note) {
            (false, None) => vec![FieldError::new("note", "is required to refuse: the reader is told why")],
            _ => Vec::new(),
        }
    }
}

/// Why a request is withdrawn.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    #[schema(min_length = 1, max_length = 2000, example = "Độc giả không đến")]
    pub reason: String,
}

impl Rules for Cancellation {}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestFilter {
    pub reader_id: Option<i64>,
    pub status: Option<RequestStatus>,
}

/// A box to fetch, and the lines it serves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pull {
    pub box_id: i64,
    #[schema(example = "STNV-H003")]
    pub barcode: String,
    /// Where it stands: building, room, unit, bay, shelf.
    #[schema(example = "K1-P02-G05-3-4")]
    pub path_code: String,
    pub position: Option<i32>,
    /// The files of it asked for: request, line, file.
    pub lines: Vec<PullLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PullLine {
    pub request_id: i64,
    pub line_no: i32,
    pub file_id: i64,
    pub due_at: DateTime<Utc>,
    /// `in_retrieval` once the box is taken from the list.
    pub status: RequestStatus,
}

/// Boxes of the pull list taken to fetch.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Take {
    /// The boxes taken; the whole list when left out or empty.
    #[serde(default)]
    #[schema(max_items = 1000)]
    #[validate(length(max = 1000, message = "must name at most 1000 boxes"))]
    pub box_ids: Vec<i64>,
}

impl Rules for Take {}

/// The boxes to fetch for the open requests, one each, in one walk's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PullList {
    pub boxes: Vec<Pull>,
    /// Lines asked for in all.
    pub lines: usize,
}
