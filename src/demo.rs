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
use crate::reading::model::{CheckOut, NewHandover, NewVisit, ReadingRequest, RequestStatus};
use crate::reading::repo::{flow, handovers, readers, requests, visits};
use crate::schema::{api_keys, fonds as fonds_table};
use crate::storage::repo::{audits, boxes, locations, moves};

/// What was loaded, for the command to print.
pub struct Loaded {
    pub fonds: usize,
    pub boxes: usize,
    pub files: usize,
    pub assessments: usize,
    pub treatments: usize,
    pub readers: usize,
    pub visits: usize,
    pub requests: usize,
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

/// The reading room's year: readers' names (family, middle and given names combined), where
/// official readers come from, and how many visits the year has — more than 80 in nine months.
const FAMILY: [&str; 6] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ"];
const GIVEN: [&str; 4] = ["Văn An", "Thị Bình", "Minh Châu", "Đức Dũng"];
const ORGANISATIONS: [&str; 3] =
    ["Trường Đại học Khoa học Xã hội và Nhân văn", "Viện Sử học", "Ủy ban nhân dân huyện Tiên Lữ"];
const VISITS: u64 = 120;
/// Việt Nam's offset from UTC, in hours: the reading room opens at 7:30 there.
const VIETNAM: i64 = 7;

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
    // The first box's files were digitized last year: readers are served their copies, even
    // with the box in the lab.
    for (n, file_id) in file_ids.iter().take(FILES_PER_BOX).enumerate() {
        let digitized = input(json!({"digital_copy": format!("SO-STNV-1-{}", n + 1)}));
        files::update(conn, *file_id, &digitized, None, actor)?;
    }
    let (readers, visits, requests) = reading_year(conn, actor, &mut dice, &file_ids, first_day, days)?;
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
        readers,
        visits,
        requests,
        year,
    })
}

/// A year in the reading room: readers registered, and a visit on 120 working days with a
/// request at each, decided by the service as it came (received at the visit). The requests'
/// service that day — its boxes delivered to the reading room and taken home, its files issued
/// and given back — is written as the records stand after it: the service stamps a movement and a
/// hand-over with the moment it is recorded, so a past day cannot be replayed through it. Then
/// today's work under way, through the service: a request being served (its box delivered, a
/// file in the reader's hands), one waiting on the pull list, one late.
fn reading_year(
    conn: &mut PgConnection,
    actor: &Actor,
    dice: &mut Dice,
    file_ids: &[i64],
    first_day: NaiveDate,
    days: u64,
) -> Result<(usize, usize, usize)> {
    let today = Utc::now().date_naive();
    let mut who = Vec::new();
    for (n, (family, given)) in FAMILY.iter().flat_map(|f| GIVEN.iter().map(move |g| (f, g))).enumerate() {
        let official = n % 4 == 0;
        let reader = json!({
            "full_name": format!("{family} {given}"), "identity_type": "cccd", "identity_no": format!("0010{:08}", 19_760_000 + n),
            "purpose": if official { "official" } else { "personal" },
            "referral": official.then(|| format!("Giấy giới thiệu số {}/GGT", 10 + n)),
            "organisation": official.then(|| ORGANISATIONS[n % ORGANISATIONS.len()]),
            "topic": "Lịch sử tổ chức bộ máy chính quyền tỉnh 1976–2005",
            "card_expires_on": (n % 3 == 0).then(|| today + Days::new(365)),
        });
        who.push(readers::create(conn, &input(reader), actor)?.id);
    }
    // Vietnamese local time on a working day, as UTC.
    let at = |date: NaiveDate, hours: i64, minutes: i64| -> DateTime<Utc> {
        let working = match date.weekday() {
            chrono::Weekday::Sat => date - Days::new(1),
            chrono::Weekday::Sun => date + Days::new(1),
            _ => date,
        };
        working.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
            + chrono::Duration::minutes((hours - VIETNAM) * 60 + minutes)
    };
    let (mut visited, mut asked) = (0, 0);
    for v in 0..VISITS {
        let date = first_day + Days::new(v * days / VISITS);
        let reader = who[dice.roll(who.len() as u64) as usize];
        let came = at(date, 8, 30 * (v % 5) as i64);
        let left = came + chrono::Duration::minutes(120 + 15 * dice.roll(8) as i64);
        if left > Utc::now() {
            continue;
        }
        let visit = visits::create(conn, &NewVisit { reader_id: reader, location_id: None, at: Some(came) }, actor)?;
        visits::check_out(conn, visit.id, &CheckOut { at: Some(left) }, actor)?;
        visited += 1;
        let lines: Vec<Value> = (0..1 + dice.roll(3))
            .map(|_| json!({"file_id": file_ids[dice.roll(file_ids.len() as u64) as usize]}))
            .collect();
        let lines: Vec<Value> =
            lines.iter().enumerate().filter(|(i, l)| !lines[..*i].contains(l)).map(|(_, l)| l.clone()).collect();
        let (kind, format) = match v % 12 {
            5 => ("copy", Some("pdf")),
            11 => ("copy_certified", Some("paper")),
            _ => ("read", None),
        };
        let request = requests::create(
            conn,
            &input(json!({"reader_id": reader, "kind": kind, "format": format, "lines": lines,
                          "received_at": came + chrono::Duration::minutes(10)})),
            actor,
        )?;
        // Its boxes in the reading room 20 to 80 minutes after it came, before the reader left.
        served_that_day(conn, actor, &request, came + chrono::Duration::minutes(30 + dice.roll(60) as i64), left)?;
        asked += 1;
    }
    // Each reader registered on the day they first came.
    diesel::sql_query(
        "UPDATE readers r SET created_at = first.came FROM \
         (SELECT reader_id, min(checked_in_at) AS came FROM visits GROUP BY reader_id) first WHERE first.reader_id = r.id",
    )
    .execute(conn)?;
    asked += todays_work(conn, actor, &who, file_ids)?;
    Ok((who.len(), visited, asked))
}

/// A past request served on its day: its boxes delivered at `delivered` and home after the
/// reader left, its files issued and given back whole, its copies made and handed over.
fn served_that_day(
    conn: &mut PgConnection,
    actor: &Actor,
    request: &ReadingRequest,
    delivered: DateTime<Utc>,
    left: DateTime<Utc>,
) -> Result<()> {
    use diesel::sql_types::{BigInt, Timestamptz};
    if request.status == RequestStatus::NotServable {
        return Ok(());
    }
    let statements = [
        // Boxes at home go to the reading room, and back after the reader left.
        "WITH delivered AS ( \
           INSERT INTO movements (box_id, from_location_id, to_location_id, reason, moved_at, moved_by) \
           SELECT b.id, b.home_location_id, rr.id, 'reading_room', $2, $4 FROM boxes b, locations rr \
           WHERE rr.purpose = 'reading_room' AND b.current_location_id = b.home_location_id AND b.id IN \
             (SELECT f.box_id FROM request_lines l JOIN files f ON f.id = l.file_id \
              WHERE l.request_id = $1 AND l.status = 'submitted') \
           RETURNING box_id, from_location_id, to_location_id) \
         INSERT INTO movements (box_id, from_location_id, to_location_id, reason, moved_at, moved_by) \
         SELECT box_id, to_location_id, from_location_id, 'return', $3 + interval '15 minutes', $4 FROM delivered",
        // Digital copies (ready at once) are shown too.
        "INSERT INTO handovers (request_id, line_no, file_id, reader_id, issued_at, issued_by, leaves_issued, \
                                returned_at, returned_by, leaves_returned, kept, copy) \
         SELECT l.request_id, l.line_no, l.file_id, q.reader_id, $2 + interval '5 minutes', $4, f.page_count, \
                $3, $4, f.page_count, false, l.servable = 'copy' \
         FROM request_lines l JOIN reading_requests q ON q.id = l.request_id JOIN files f ON f.id = l.file_id \
         WHERE l.request_id = $1 AND l.status IN ('submitted', 'ready') AND q.kind = 'read'",
        "UPDATE request_lines SET status = 'closed' WHERE request_id = $1 AND status IN ('submitted', 'ready')",
        "UPDATE reading_requests SET status = 'closed', delivered_at = coalesce(delivered_at, $2), \
                copy_status = CASE WHEN kind = 'read' THEN NULL ELSE 'delivered' END WHERE id = $1",
    ];
    for statement in statements {
        diesel::sql_query(statement)
            .bind::<BigInt, _>(request.id)
            .bind::<Timestamptz, _>(delivered)
            .bind::<Timestamptz, _>(left)
            .bind::<BigInt, _>(actor.key_id)
            .execute(conn)?;
    }
    Ok(())
}

/// Today's work, through the service: a reader in with a file in hand from a box just
/// delivered; a request waiting on the pull list; and one received three days ago not yet served.
fn todays_work(conn: &mut PgConnection, actor: &Actor, who: &[i64], file_ids: &[i64]) -> Result<usize> {
    let now = Utc::now();
    let ask = |conn: &mut PgConnection, reader: i64, asked: &[i64], received: DateTime<Utc>| {
        let lines: Vec<Value> = asked.iter().map(|f| json!({"file_id": f})).collect();
        requests::create(
            conn,
            &input(json!({"reader_id": reader, "kind": "read", "lines": lines, "received_at": received})),
            actor,
        )
    };
    // Files of boxes on their shelves, not surveyed: two of the 40th box, one of the 77th, one
    // of the 82nd.
    let near = &file_ids[39 * FILES_PER_BOX..39 * FILES_PER_BOX + 2];
    let (far, late) = (file_ids[76 * FILES_PER_BOX], file_ids[81 * FILES_PER_BOX]);
    ask(conn, who[1], &[late], now - chrono::Duration::days(5))?;
    ask(conn, who[3], &[far], now - chrono::Duration::minutes(30))?;
    let serving = ask(conn, who[2], near, now - chrono::Duration::hours(2))?;
    let box_id = files::get(conn, near[0])?.box_id.expect("the demo's files are boxed");
    flow::take(conn, &[box_id], actor)?;
    let reading_room = visits::reading_room(conn, None)?;
    moves::move_many(
        conn,
        &input(json!({"reason": "reading_room", "moves": [{"box_id": box_id, "to_location_id": reading_room}]})),
        actor,
    )?;
    visits::create(conn, &NewVisit { reader_id: who[2], location_id: None, at: None }, actor)?;
    handovers::issue(conn, &NewHandover { request_id: serving.id, line_no: 1, leaves: None }, actor)?;
    Ok(3)
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
