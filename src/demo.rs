//! `paperkeep demo`: a small provincial historical archive with a year of work, so that a
//! newcomer sees a living system. Everything goes through the same repository functions as the
//! API (so every rule holds and every change is in the feed), in one transaction.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::conservation::repo::{assessments, treatments};
use crate::error::{Error, Result};
use crate::holdings::repo::{files, fonds};
use crate::keys::model::{Actor, Role};
use crate::people::model::NewPerson;
use crate::people::repo as people;
use crate::schema::{api_keys, fonds as fonds_table};
use crate::storage::repo::{audits, boxes, locations, moves};

/// What was loaded, for the command to print.
pub struct Loaded {
    pub fonds: usize,
    pub boxes: usize,
    pub files: usize,
    pub assessments: usize,
    pub treatments: usize,
    pub year: i32,
    /// The staff accounts made, one per role people have (username, role), all with `password`.
    pub people: Vec<(String, Role)>,
    pub password: String,
}

/// The demo's staff: usernames, names and roles.
const PEOPLE: [(&str, &str, Role); 6] = [
    ("quantri", "Trần Văn Quản", Role::Admin),
    ("kho", "Lê Thị Kho", Role::StorageManager),
    ("tubo", "Nguyễn Thị Lan", Role::Conservator),
    ("truongtubo", "Phạm Văn Minh", Role::HeadConservator),
    ("phongdoc", "Đỗ Thị Hằng", Role::ReadingRoom),
    ("xem", "Hoàng Thị Xem", Role::Viewer),
];

const FONDS: [(&str, &str, &str, i32, i32, usize); 3] = [
    ("STNV", "Phông Sở Nội vụ", "Sở Nội vụ tỉnh", 1976, 2005, 40),
    ("UBND", "Phông Ủy ban nhân dân tỉnh", "Ủy ban nhân dân tỉnh", 1976, 2010, 30),
    ("SGD", "Phông Sở Giáo dục và Đào tạo", "Sở Giáo dục và Đào tạo tỉnh", 1980, 2000, 20),
];

const TITLES: [&str; 8] = [
    "Hồ sơ về việc tuyển dụng cán bộ, công chức năm {y}",
    "Tập quyết định của Ủy ban nhân dân tỉnh về tổ chức bộ máy năm {y}",
    "Báo cáo tổng kết công tác năm {y}",
    "Hồ sơ về việc thành lập, chia tách đơn vị hành chính cấp xã năm {y}",
    "Tập công văn trao đổi về công tác thi đua, khen thưởng năm {y}",
    "Hồ sơ hội nghị tổng kết công tác cải cách hành chính năm {y}",
    "Tập biên bản họp Ủy ban nhân dân tỉnh năm {y}",
    "Hồ sơ về việc xếp lương, nâng bậc lương năm {y}",
];

const FILES_PER_BOX: usize = 8;
const BOXES_PER_SHELF: usize = 6;
const CONSERVATORS: [&str; 2] = ["Nguyễn Thị Lan", "Trần Văn Minh"];

/// A small, fixed pseudo-random sequence: the same demo every time.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn input<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("the demo's own records are well formed")
}

/// Loads the demo archive, acting as the first admin key; refuses if it is there already.
pub fn load(conn: &mut PgConnection) -> Result<Loaded> {
    conn.transaction(|conn| {
        let loaded: i64 = fonds_table::table.filter(fonds_table::code.eq("STNV")).count().get_result(conn)?;
        if loaded > 0 {
            return Err(Error::Conflict("the demo archive is loaded already (fonds STNV exists)".into()));
        }
        let key_id: i64 = api_keys::table
            .filter(api_keys::role.eq("admin").and(api_keys::revoked_at.is_null()))
            .order(api_keys::id)
            .select(api_keys::id)
            .first(conn)?;
        diesel::sql_query(format!("SELECT set_config('paperkeep.actor', '{key_id}', true)")).execute(conn)?;
        let actor = Actor { key_id, role: Role::Admin };
        populate(conn, &actor)
    })
}

fn populate(conn: &mut PgConnection, actor: &Actor) -> Result<Loaded> {
    let mut dice = Dice(1976);
    let (shelves, lab, reading_room, digitization) = building(conn, actor)?;
    let (year, first_day, days) = working_year(Utc::now().date_naive());
    let day = |n: u64| -> DateTime<Utc> {
        (first_day + Days::new(n)).and_hms_opt(8 + (n % 8) as u32, 30, 0).expect("a time of day").and_utc()
    };

    let mut box_barcodes = Vec::new();
    let mut file_ids = Vec::new();
    let mut shelf_slot = 0;
    for (code, name, creator, from, to, box_count) in FONDS {
        let fonds = fonds::create(
            conn,
            &input(json!({"code": code, "name": name, "creator": creator, "year_from": from, "year_to": to})),
            actor,
        )?;
        for b in 1..=box_count {
            let barcode = format!("{code}-H{b:03}");
            let home = shelves[shelf_slot / BOXES_PER_SHELF];
            shelf_slot += 1;
            let box_id = boxes::create(
                conn,
                &input(json!({"barcode": barcode, "label": format!("Hộp {b}"), "fonds_id": fonds.id,
                              "home_location_id": home})),
                actor,
            )?
            .id;
            box_barcodes.push(barcode);
            for f in 1..=FILES_PER_BOX {
                let file_no = (b - 1) * FILES_PER_BOX + f;
                let year_of_file = from + ((file_no as i32 * 7) % (to - from + 1));
                let title = TITLES[(file_no + b) % TITLES.len()].replace("{y}", &year_of_file.to_string());
                let id = files::create(
                    conn,
                    &input(json!({"fonds_id": fonds.id, "inventory_no": 1, "file_no": file_no, "title": title,
                                  "date_from": format!("{year_of_file}-01-01"), "date_to": format!("{year_of_file}-12-31"),
                                  "page_count": 10 + dice.roll(70), "box_id": box_id})),
                    actor,
                )?
                .file
                .id;
                file_ids.push(id);
            }
        }
    }

    // A year of surveys of the first 200 files (the oldest fonds first), and the backing of the
    // worst of them; the rest waits in the queue.
    let (mut assessed, mut treated) = (0, 0);
    for (n, file_id) in file_ids.iter().take(200).enumerate() {
        let when = (n as u64 * days) / 200;
        let grade = [1, 2, 2, 3, 3, 3, 4, 2, 3, 1][dice.roll(10) as usize];
        let mut damages = Vec::new();
        if grade >= 3 {
            damages.push(json!({"type": "brittle", "severity": grade - 1}));
            damages.push(json!({"type": "acid", "severity": 2}));
        }
        if dice.roll(12) == 0 {
            damages.push(json!({"type": "mould", "severity": 2, "pages": "1-5", "active": dice.roll(2) == 0}));
        }
        if dice.roll(25) == 0 {
            damages.push(json!({"type": "laminated", "severity": 1, "pages": "1-3"}));
        }
        let recommended: Vec<&str> = match grade {
            3 | 4 => vec!["backing"],
            2 => vec!["mending"],
            _ => vec![],
        };
        let survey = assessments::create(
            conn,
            &input(json!({"file_id": file_id, "grade": grade, "damages": damages,
                          "ph": 4.0 + dice.roll(28) as f64 / 10.0, "recommended_treatments": recommended,
                          "assessed_at": day(when)})),
            actor,
        )?
        .id;
        assessed += 1;
        if grade < 3 {
            continue;
        }
        let mut treatment = json!({"file_id": file_id, "type": "backing", "method": "manual", "before_assessment_id": survey,
            "materials": [{"code": "do_paper", "detail": "9 g/m²"}, {"code": "cmc", "detail": "CMC 3 %"}],
            "conservators": [CONSERVATORS[n % 2]], "reversible": true});
        // Two weeks after the survey the file is backed, unless that is still to come.
        let done_at = when + 14;
        if done_at + 20 < days {
            treatment["status"] = json!("completed");
            treatment["started_at"] = json!(day(when + 7));
            treatment["completed_at"] = json!(day(done_at));
            treatment["after"] = json!({"grade": 2, "damages": [{"type": "brittle", "severity": 1}]});
        }
        treatments::create(conn, &input(treatment), actor)?;
        treated += 1;
    }

    // Boxes out today: in the lab, the reading room and the digitization room.
    for (reason, to, which) in [
        ("conservation", lab, &[0, 1, 2][..]),
        ("reading_room", reading_room, &[50, 51]),
        ("digitization", digitization, &[75]),
    ] {
        let items: Vec<Value> =
            which.iter().map(|&i| json!({"barcode": box_barcodes[i], "to_location_id": to})).collect();
        moves::move_many(conn, &input(json!({"reason": reason, "moves": items})), actor)?;
    }
    let audited = input(json!({"location_id": shelves[5], "scanned": box_barcodes[30..35]}));
    audits::create(conn, &audited, actor)?;
    // One password for the demo's people, made now and shown once.
    let password = crate::keys::model::Secret::generate().reveal()[3..19].to_string();
    for (username, name, role) in PEOPLE {
        let new = NewPerson {
            username: username.into(),
            display_name: name.into(),
            role,
            password: password.clone(),
            language: None,
        };
        people::create(conn, &new, Some(actor.key_id))?;
    }
    Ok(Loaded {
        people: PEOPLE.iter().map(|(username, _, role)| (username.to_string(), *role)).collect(),
        password,
        fonds: FONDS.len(),
        boxes: box_barcodes.len(),
        files: file_ids.len(),
        assessments: assessed,
        treatments: treated,
        year,
    })
}

/// The demo's working year: this year up to yesterday, or all of last year early in January.
fn working_year(today: NaiveDate) -> (i32, NaiveDate, u64) {
    let this_year = NaiveDate::from_ymd_opt(today.year(), 1, 2).expect("2 January");
    let days = (today - this_year).num_days();
    if days >= 60 {
        (today.year(), this_year, days as u64 - 1)
    } else {
        let last_year = NaiveDate::from_ymd_opt(today.year() - 1, 1, 2).expect("2 January");
        (today.year() - 1, last_year, 360)
    }
}

/// Kho 1 with two stack rooms of three shelving units (3 bays of 5 one-metre shelves each),
/// and the lab, reading room and digitization room. Returns the shelves in path order and the
/// three workspaces.
fn building(conn: &mut PgConnection, actor: &Actor) -> Result<(Vec<i64>, i64, i64, i64)> {
    let location = |conn: &mut PgConnection, body: Value| -> Result<i64> {
        Ok(locations::create(conn, &input(body), actor)?.location.id)
    };
    let building = location(conn, json!({"kind": "building", "code": "K1", "name": "Kho lưu trữ lịch sử tỉnh"}))?;
    let mut shelves = Vec::new();
    for room in 1..=2 {
        let room = location(
            conn,
            json!({"parent_id": building, "kind": "room", "code": format!("P0{room}"),
                                         "name": format!("Phòng kho 0{room}")}),
        )?;
        for unit in 1..=3 {
            let unit = location(
                conn,
                json!({"parent_id": room, "kind": "unit", "code": format!("G0{unit}"),
                                             "name": format!("Giá {unit}")}),
            )?;
            let shelving = locations::add_shelving(
                conn,
                unit,
                &input(json!({"bays": 3, "shelves_per_bay": 5, "capacity_mm": 1000})),
                actor,
            )?;
            shelves.extend(shelving.shelves.iter().map(|shelf| shelf.id));
        }
    }
    let workspace = |conn: &mut PgConnection, code: &str, name: &str, purpose: &str| {
        location(
            conn,
            json!({"parent_id": building, "kind": "workspace", "code": code, "name": name, "purpose": purpose}),
        )
    };
    let lab = workspace(conn, "LAB", "Phòng tu bổ, bồi nền", "conservation_lab")?;
    let reading_room = workspace(conn, "DOC", "Phòng đọc", "reading_room")?;
    let digitization = workspace(conn, "SO", "Phòng số hoá", "digitization")?;
    Ok((shelves, lab, reading_room, digitization))
}
