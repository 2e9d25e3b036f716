use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

/// The period and scope of a report.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
#[validate(schema(function = "from_not_after_to", skip_on_field_errors = true))]
pub struct ActivityQuery {
    /// First day of the period (default: 1 January of `to`'s year).
    pub from: Option<NaiveDate>,
    /// Last day of the period, included (default: today, UTC). Stock figures are as at its end.
    pub to: Option<NaiveDate>,
    /// Only this fonds (shelving and audits stay whole-repository figures).
    pub fonds_id: Option<i64>,
}

fn from_not_after_to(query: &ActivityQuery) -> Result<(), ValidationError> {
    match (query.from, query.to) {
        (Some(from), Some(to)) if from > to => {
            Err(ValidationError::new("from").with_message("`from` must not be after `to`".into()))
        }
        _ => Ok(()),
    }
}

impl ActivityQuery {
    /// The period with its defaults filled in.
    pub fn period(&self, today: NaiveDate) -> Period {
        let to = self.to.unwrap_or(today);
        let from =
            self.from.unwrap_or_else(|| NaiveDate::from_yo_opt(chrono::Datelike::year(&to), 1).expect("1 January"));
        Period { from, to, fonds_id: self.fonds_id }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub fonds_id: Option<i64>,
}

/// Page figures split by the unit a file is numbered in: pages are never added to leaves.
#[derive(Debug, Clone, Default, Serialize, QueryableByName, ToSchema)]
pub struct PageUnits {
    /// Numbered units of files numbered by page.
    #[diesel(sql_type = BigInt)]
    pub pages: i64,
    /// Numbered units of files numbered by leaf (tờ).
    #[diesel(sql_type = BigInt)]
    pub leaves: i64,
}

/// Units treated, the files they belong to, and the time spent.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Units {
    #[serde(flatten)]
    pub units: PageUnits,
    /// Distinct files.
    pub files: i64,
    /// Hours spent, as recorded on the treatments (none recorded: 0).
    pub hours: f64,
}

/// A material used by the treatments completed in the period, in one unit.
#[derive(Debug, Clone, Serialize, QueryableByName, ToSchema)]
pub struct MaterialUsed {
    /// A material term, e.g. `do_paper`.
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    #[schema(example = "m²")]
    pub unit: String,
    #[diesel(sql_type = Double)]
    pub quantity: f64,
    /// Treatments that used it.
    #[diesel(sql_type = BigInt)]
    pub treatments: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TreatedByType {
    /// A treatment_type term.
    #[serde(rename = "type")]
    pub treatment_type: String,
    #[serde(flatten)]
    pub units: Units,
}

/// Treatments completed in the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TreatmentFigures {
    pub by_type: Vec<TreatedByType>,
    /// All types together; `files` counts each file touched once.
    pub total: Units,
    /// Materials whose quantities were recorded, by material and unit.
    pub materials: Vec<MaterialUsed>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessedByGrade {
    pub grade: i16,
    #[serde(flatten)]
    pub units: PageUnits,
}

/// Condition assessments made in the period (corrected ones replaced by their corrections).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentFigures {
    pub by_grade: Vec<AssessedByGrade>,
    pub total: PageUnits,
    /// Files assessed with active mould, insects or termites.
    pub files_with_active_pests: i64,
    /// Previously laminated units found (damage `laminated`).
    pub laminated: PageUnits,
}

#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, QueryableByName, ToSchema)]
pub struct MovedByReason {
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub moves: i64,
    /// Distinct boxes.
    #[diesel(sql_type = BigInt)]
    pub boxes: i64,
}

/// Box movements in the period (first placements of new boxes not included).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementFigures {
    pub by_reason: Vec<MovedByReason>,
    pub total_moves: i64,
    pub boxes_moved: i64,
}

/// Shelf audits made in the period.
#[derive(Debug, Clone, Default, Serialize, QueryableByName, ToSchema)]
pub struct AuditFigures {
    #[diesel(sql_type = BigInt)]
    pub audits: i64,
    #[diesel(sql_type = BigInt)]
    pub reconciled: i64,
    #[diesel(sql_type = BigInt)]
    pub locations_audited: i64,
    /// Expected and not scanned.
    #[diesel(sql_type = BigInt)]
    pub missing: i64,
    /// Scanned here, recorded elsewhere.
    #[diesel(sql_type = BigInt)]
    pub unexpected: i64,
    /// Barcodes the service does not know.
    #[diesel(sql_type = BigInt)]
    pub unknown: i64,
    /// missing + unexpected + unknown.
    #[diesel(sql_type = BigInt)]
    pub discrepancies: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutByPurpose {
    /// The workspace's purpose: conservation_lab, reading_room, digitization…
    pub purpose: String,
    pub boxes: i64,
}

/// Stock figures as at the end of `to`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockFigures {
    /// Boxes in workspaces, by purpose.
    pub boxes_out: Vec<OutByPurpose>,
    pub boxes_out_total: i64,
    #[serde(flatten)]
    pub extent: Extent,
    /// capacity_m − occupied_m.
    pub free_m: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Extent {
    /// Boxes held (of the fonds, when one is asked for), wherever they are.
    pub boxes_held: i64,
    /// Linear metres those boxes take (sum of widths).
    pub held_m: f64,
    /// Linear metres of shelving occupied, by all fonds.
    pub occupied_m: f64,
    /// Linear metres of shelving (the shelves as they are now).
    pub capacity_m: f64,
}

/// Requests received in the period.
#[derive(Debug, Clone, Default, Serialize, QueryableByName, ToSchema)]
pub struct RequestFigures {
    #[diesel(sql_type = BigInt)]
    pub received: i64,
    /// A box delivered for it, or its copies made.
    #[diesel(sql_type = BigInt)]
    pub filled: i64,
    /// Nothing of it could be served, or conditional access refused.
    #[diesel(sql_type = BigInt)]
    pub refused: i64,
    #[diesel(sql_type = BigInt)]
    pub cancelled: i64,
    /// Copy orders made (produced or delivered), plain and certified.
    #[diesel(sql_type = BigInt)]
    pub copies: i64,
    #[diesel(sql_type = BigInt)]
    pub certified_copies: i64,
    #[diesel(sql_type = BigInt)]
    pub pages_copied: i64,
    /// Fees of the copies made, in đồng.
    #[diesel(sql_type = BigInt)]
    pub fees: i64,
}

/// Lines of the period's requests not served, by why.
#[derive(Debug, Clone, Serialize, QueryableByName, ToSchema)]
pub struct RefusedByReason {
    /// A reason of a line (`condition`, `closed_access`…), or `not_approved` for conditional
    /// access refused.
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = BigInt)]
    pub lines: i64,
}

/// How long requests of a kind took to deliver: received → first box in the reading room, in
/// the archive's working hours.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryTimes {
    /// `read`, `copy` or `copy_certified`.
    pub kind: String,
    pub delivered: i64,
    pub median_hours: f64,
    pub p90_hours: f64,
    /// Delivered by their legal deadline.
    pub within_deadline: i64,
    pub share_within_deadline: f64,
}

/// Readers, visits and what was handed over in the period.
#[derive(Debug, Clone, Default, Serialize, QueryableByName, ToSchema)]
pub struct ServiceCounts {
    /// Lượt độc giả: each reader once a calendar day (Việt Nam's days) they checked in.
    #[diesel(sql_type = BigInt)]
    pub user_days: i64,
    /// Hours between check-in and check-out, of the visits checked out.
    #[diesel(sql_type = Double)]
    pub user_hours: f64,
    /// Distinct readers who came.
    #[diesel(sql_type = BigInt)]
    pub readers: i64,
    /// Readers registered.
    #[diesel(sql_type = BigInt)]
    pub new_readers: i64,
    /// Distinct files issued to readers.
    #[diesel(sql_type = BigInt)]
    pub files_served: i64,
    /// Checkouts: each file once per reader per day it was issued.
    #[diesel(sql_type = BigInt)]
    pub checkouts: i64,
    /// Boxes delivered to the reading room (movements with reason `reading_room`).
    #[diesel(sql_type = BigInt)]
    pub boxes_pulled: i64,
}

/// The reading room in the period, for the whole archive (a fonds asked for does not narrow it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadingRoomFigures {
    #[serde(flatten)]
    pub service: ServiceCounts,
    pub requests: RequestFigures,
    pub refused_lines: Vec<RefusedByReason>,
    pub time_to_deliver: Vec<DeliveryTimes>,
}

/// The period figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityReport {
    pub period: Period,
    pub treatments: TreatmentFigures,
    pub assessments: AssessmentFigures,
    pub movements: MovementFigures,
    pub audits: AuditFigures,
    /// As at the end of `to`.
    pub stock: StockFigures,
    pub reading_room: ReadingRoomFigures,
}

impl ActivityReport {
    /// The report as rows a person can paste into the review document.
    pub fn csv(&self) -> String {
        let report = self;
        let mut rows: Vec<(String, String, &str, String)> = Vec::new();
        let mut units = |section: &str, item: String, u: &PageUnits, files: Option<i64>| {
            let measures = [("pages", Some(u.pages)), ("leaves", Some(u.leaves)), ("files", files)];
            for (measure, value) in measures.into_iter().filter_map(|(m, v)| Some((m, v?))) {
                rows.push((section.into(), item.clone(), measure, value.to_string()));
            }
        };
        let treated = &report.treatments;
        for t in &treated.by_type {
            units("treatments", t.treatment_type.clone(), &t.units.units, Some(t.units.files));
        }
        units("treatments", "total".into(), &treated.total.units, Some(treated.total.files));
        for a in &report.assessments.by_grade {
            units("assessments", format!("grade {}", a.grade), &a.units, None);
        }
        units("assessments", "total".into(), &report.assessments.total, None);
        units("assessments", "laminated".into(), &report.assessments.laminated, None);
        for (item, hours) in treated.by_type.iter().map(|t| (t.treatment_type.as_str(), t.units.hours)) {
            rows.push(("treatments".into(), item.into(), "hours", hours.to_string()));
        }
        rows.push(("treatments".into(), "total".into(), "hours", treated.total.hours.to_string()));
        for used in &treated.materials {
            rows.push(("materials".into(), used.code.clone(), &used.unit, used.quantity.to_string()));
            rows.push(("materials".into(), used.code.clone(), "treatments", used.treatments.to_string()));
        }
        let a = &report.assessments;
        rows.push((
            "assessments".into(),
            "active mould or insects".into(),
            "files",
            a.files_with_active_pests.to_string(),
        ));
        for m in &report.movements.by_reason {
            rows.push(("movements".into(), m.reason.clone().unwrap_or_default(), "moves", m.moves.to_string()));
            rows.push(("movements".into(), m.reason.clone().unwrap_or_default(), "boxes", m.boxes.to_string()));
        }
        rows.push(("movements".into(), "total".into(), "moves", report.movements.total_moves.to_string()));
        rows.push(("movements".into(), "total".into(), "boxes", report.movements.boxes_moved.to_string()));
        let audits = &report.audits;
        for (measure, value) in [
            ("audits", audits.audits),
            ("reconciled", audits.reconciled),
            ("locations audited", audits.locations_audited),
            ("missing", audits.missing),
            ("unexpected", audits.unexpected),
            ("unknown", audits.unknown),
            ("discrepancies", audits.discrepancies),
        ] {
            rows.push(("audits".into(), "total".into(), measure, value.to_string()));
        }
        let stock = &report.stock;
        for out in &stock.boxes_out {
            rows.push(("stock".into(), format!("out: {}", out.purpose), "boxes", out.boxes.to_string()));
        }
        rows.push(("stock".into(), "out: total".into(), "boxes", stock.boxes_out_total.to_string()));
        rows.push(("stock".into(), "held".into(), "boxes", stock.extent.boxes_held.to_string()));
        for (item, value) in [
            ("held", stock.extent.held_m),
            ("occupied", stock.extent.occupied_m),
            ("capacity", stock.extent.capacity_m),
            ("free", stock.free_m),
        ] {
            rows.push(("stock".into(), item.into(), "linear metres", format!("{value:.3}")));
        }
        let (room, requests) = (&report.reading_room.service, &report.reading_room.requests);
        for (item, measure, value) in [
            ("visits", "user days", room.user_days),
            ("visits", "readers", room.readers),
            ("readers", "registered", room.new_readers),
            ("files", "served", room.files_served),
            ("files", "checkouts", room.checkouts),
            ("boxes", "pulled", room.boxes_pulled),
            ("requests", "received", requests.received),
            ("requests", "filled", requests.filled),
            ("requests", "refused", requests.refused),
            ("requests", "cancelled", requests.cancelled),
            ("copies", "made", requests.copies),
            ("certified copies", "made", requests.certified_copies),
            ("copies", "pages", requests.pages_copied),
            ("copies", "fees (đồng)", requests.fees),
        ] {
            rows.push(("reading room".into(), item.into(), measure, value.to_string()));
        }
        rows.push(("reading room".into(), "visits".into(), "user hours", format!("{:.2}", room.user_hours)));
        for refused in &report.reading_room.refused_lines {
            rows.push((
                "reading room".into(),
                format!("refused: {}", refused.reason),
                "lines",
                refused.lines.to_string(),
            ));
        }
        for times in &report.reading_room.time_to_deliver {
            let item = format!("time to deliver: {}", times.kind);
            rows.push(("reading room".into(), item.clone(), "delivered", times.delivered.to_string()));
            rows.push((
                "reading room".into(),
                item.clone(),
                "median working hours",
                format!("{:.2}", times.median_hours),
            ));
            rows.push((
                "reading room".into(),
                item.clone(),
                "90th percentile working hours",
                format!("{:.2}", times.p90_hours),
            ));
            rows.push((
                "reading room".into(),
                item,
                "share within deadline",
                format!("{:.3}", times.share_within_deadline),
            ));
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["section", "item", "measure", "value"]).expect("writing to memory");
        for (section, item, measure, value) in rows {
            writer.write_record([section.as_str(), item.as_str(), measure, value.as_str()]).expect("writing to memory");
        }
        String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 text")
    }
}
