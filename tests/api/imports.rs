//! Bulk import from CSV and JSON lines: all or nothing, every bad row named by line.

use std::io::{Read, Write};

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{fonds, repository};
use crate::support::{Answer, TestApp, count_rows};
use paperkeep::config::{HttpConfig, PoolConfig};

fn upload(app: &TestApp, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Answer {
    // A 100,000-row import takes a while on a busy two-core machine: more than the client's
    // 30 seconds for an ordinary request.
    let request = app.request(Method::POST, path).timeout(std::time::Duration::from_secs(120));
    request.header("Content-Type", content_type).body(body.into()).send().into()
}

/// The (line, field) of each error of a 422.
fn bad_lines(answer: &Answer) -> Vec<(u64, String)> {
    answer.problem(422)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap_or(0), e["field"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_file_list_from_a_spreadsheet_comes_in_whole() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let places = upload(
        &app,
        "/api/v1/imports/boxes",
        "text/csv",
        "barcode,home,label,fonds_code\nSNV-H001,K1-P02-G05-1-1,Hộp 1,snv\nSNV-H002,K1-P02-G05-1-1,Hộp 2,SNV\n",
    );
    assert_eq!(places.status, 201, "{}", places.text);
    assert_eq!(places.body, json!({"kind": "boxes", "dry_run": false, "rows": 2, "created": 2}));
    assert_eq!(app.get("/api/v1/boxes/by-barcode/SNV-H002").body["current_location"]["id"], repo.shelves[0]);

    let csv = "\u{feff}Fonds_Code,inventory_no,file_no,title,years,leaves,box_barcode\n\
               SNV,1,1,\"Hồ sơ về việc tuyển dụng cán bộ, công chức\",1976-1980,250,SNV-H001\n\
               SNV,1,2,Tập quyết định năm 1981,1981,40,snv-h002\n\
               SNV,2,1,Báo cáo tổng kết,,12,\n";
    let dry = upload(&app, "/api/v1/imports/files?dry_run=true", "text/csv", csv);
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(dry.body, json!({"kind": "files", "dry_run": true, "rows": 3, "created": 0}));
    assert_eq!(count_rows(&app, "files"), 0);

    let done = upload(&app, "/api/v1/imports/files", "text/csv", csv);
    assert_eq!(done.status, 201, "{}", done.text);
    assert_eq!(done.body["created"], 3);
    let files = app.get(&format!("/api/v1/files?fonds_id={snv}&q=tuyen dung"));
    let first = &files.items()[0];
    assert_eq!(first["title"], "Hồ sơ về việc tuyển dụng cán bộ, công chức");
    assert_eq!(first["date_from"], "1976-01-01");
    assert_eq!(first["date_to"], "1980-12-31");
    assert_eq!(first["page_count"], 250);
    assert_eq!(first["numbering"], "leaf");
    assert_eq!(count_rows(&app, "events WHERE type = 'file.created'"), 3);

    // Importing it again: every row's number is taken; nothing more is stored.
    let again = upload(&app, "/api/v1/imports/files", "text/csv", csv);
    assert_eq!(bad_lines(&again), [(2, "file_no".into()), (3, "file_no".into()), (4, "file_no".into())]);
    assert_eq!(count_rows(&app, "files"), 3);
}

#[test]
fn json_lines_import_a_location_tree_parents_first() {
    let app = TestApp::spawn();
    let lines = [
        json!({"kind": "building", "code": "K2", "name": "Kho 2"}),
        json!({"kind": "room", "code": "P01", "parent": "K2", "name": "Phòng kho 01"}),
        json!({"kind": "unit", "code": "G01", "parent": "K2-P01"}),
        json!({"kind": "shelf", "code": "1", "parent": "K2-P01-G01", "capacity_mm": 1000}),
    ]
    .iter()
    .map(|l| l.to_string())
    .collect::<Vec<_>>()
    .join("\n");
    let answer = upload(&app, "/api/v1/imports/locations", "application/x-ndjson", lines);
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["created"], 4);
    let shelves = app.get("/api/v1/locations?q=K2-P01-G01-1");
    assert_eq!(shelves.items()[0]["path_code"], "K2-P01-G01-1");

    // A row that breaks a rule of the tree is named; nothing of the upload is kept.
    let bad = [json!({"kind": "building", "code": "K3"}), json!({"kind": "shelf", "code": "1", "parent": "K3"})]
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let refused = upload(&app, "/api/v1/imports/locations", "application/x-ndjson", bad);
    assert_eq!(bad_lines(&refused).iter().map(|(line, _)| *line).collect::<Vec<_>>(), [2]);
    assert_eq!(count_rows(&app, "locations WHERE code = 'K3'"), 0);
}

#[test]
fn every_bad_row_is_named_and_nothing_is_imported() {
    let app = TestApp::spawn();
    fonds(&app, "SNV", "Phông Sở Nội vụ");
    let csv = "fonds_code,inventory_no,file_no,title,leaves,box_barcode,date_from,date_to\n\
               SNV,1,1,Một,10,,,\n\
               XYZ,1,2,Hai,10,,,\n\
               SNV,one,3,Ba,10,,,\n\
               SNV,1,4,,10,,,\n\
               SNV,1,1,Một lần nữa,10,,,\n\
               SNV,1,6,Sáu,10,,1990-02-30,\n\
               SNV,1,7,Bảy,10,,1990-01-01,1980-01-01\n";
    let answer = upload(&app, "/api/v1/imports/files", "text/csv", csv);
    assert_eq!(
        bad_lines(&answer),
        [
            (3, "fonds_code".into()),
            (4, "inventory_no".into()),
            (5, "title".into()),
            (6, "fonds_code, inventory_no, file_no".into()),
            (7, "date_from".into()),
            (8, "date_to".into()),
        ],
        "{}",
        answer.text
    );
    assert_eq!(count_rows(&app, "files"), 0);
}

#[test]
fn bad_uploads_are_refused() {
    let app = TestApp::spawn();
    fonds(&app, "SNV", "Phông Sở Nội vụ");
    let header = "fonds_code,inventory_no,file_no,title,leaves";
    // An unknown column, a missing required one, one twice, no header at all: each named once,
    // on the header's line, however many rows follow.
    let rows: String = (1..=20_000).map(|n| format!("SNV,1,{n},Một,10,đỏ\n")).collect();
    let unknown = upload(&app, "/api/v1/imports/files", "text/csv", format!("{header},colour\n{rows}"));
    assert_eq!(bad_lines(&unknown), [(1, "colour".into())]);
    let missing = upload(&app, "/api/v1/imports/files", "text/csv", "fonds_code,file_no,title,leaves\nSNV,1,Một,10\n");
    assert_eq!(bad_lines(&missing), [(1, "inventory_no".into())]);
    let twice =
        upload(&app, "/api/v1/imports/files", "text/csv", format!("{header},title,bogus\nSNV,1,1,Một,10,Hai,x\n"));
    assert_eq!(bad_lines(&twice), [(1, "title".into()), (1, "bogus".into())]);
    // JSON lines have no header: a key no column has is named once, where it first shows.
    let lines: String =
        (1..=100).map(|n| format!("{{\"code\":\"B{n}\",\"kind\":\"building\",\"colour\":\"đỏ\"}}\n")).collect();
    let unknown = upload(&app, "/api/v1/imports/locations", "application/x-ndjson", lines);
    assert_eq!(bad_lines(&unknown), [(1, "colour".into())]);
    assert_eq!(bad_lines(&upload(&app, "/api/v1/imports/files", "text/csv", "")), [(1, "header".into())]);
    // Windows-1258 (the title "Hồ sơ" saved in a legacy code page) is not UTF-8.
    let mut legacy = format!("{header}\nSNV,1,1,H").into_bytes();
    legacy.extend([0xD2, 0x20, 0x73, 0xF5]);
    legacy.extend(b",10\n");
    assert_eq!(bad_lines(&upload(&app, "/api/v1/imports/files", "text/csv", legacy)), [(2, "title".into())]);
    // A format that is neither CSV nor JSON lines.
    upload(&app, "/api/v1/imports/files", "application/pdf", "%PDF").problem(415);
    // An unknown kind.
    upload(&app, "/api/v1/imports/people", "text/csv", "a\n1\n").problem(404);
    // Roles: a conservator imports nothing.
    let conservator = app.key("conservator");
    let answer: Answer = app
        .request_as(Some(&conservator), Method::POST, "/api/v1/imports/files")
        .header("Content-Type", "text/csv")
        .body(format!("{header}\nSNV,1,1,Một,10\n"))
        .send()
        .into();
    answer.problem(403);
    assert_eq!(count_rows(&app, "files"), 0);
}

#[test]
fn a_bad_row_at_line_99999_of_100000_stops_the_whole_import() {
    let app = TestApp::spawn();
    fonds(&app, "SNV", "Phông Sở Nội vụ");
    let mut csv = String::from("fonds_code,inventory_no,file_no,title,leaves\n");
    for n in 1..=100_000 {
        // Line n + 1 holds file n; line 99,999 is file 99,998.
        let leaves = if n == 99_998 { "many".to_string() } else { (n % 300 + 1).to_string() };
        csv.push_str(&format!("SNV,{},{},Hồ sơ số {n},{leaves}\n", n / 10_000 + 1, n));
    }
    let answer = upload(&app, "/api/v1/imports/files", "text/csv", csv.clone());
    assert_eq!(bad_lines(&answer), [(99_999, "leaves".into())]);
    assert_eq!(count_rows(&app, "files"), 0);
    let fixed = csv.replace("Hồ sơ số 99998,many", "Hồ sơ số 99998,12");
    let answer = upload(&app, "/api/v1/imports/files", "text/csv", fixed);
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(count_rows(&app, "files"), 100_000);
}

/// An import outlasts the per-statement timeout made for requests: it has its own.
#[test]
fn an_import_is_not_cut_off_by_the_statement_timeout_of_requests() {
    let pool = PoolConfig { statement_timeout_ms: 100, ..PoolConfig::default() };
    let app = TestApp::spawn_with(HttpConfig::default(), pool);
    fonds(&app, "SNV", "Phông Sở Nội vụ");
    let mut csv = String::from("fonds_code,inventory_no,file_no,title,leaves\n");
    for n in 1..=20_000 {
        csv.push_str(&format!("SNV,1,{n},Hồ sơ số {n},{}\n", n % 300 + 1));
    }
    let started = std::time::Instant::now();
    let answer = upload(&app, "/api/v1/imports/files", "text/csv", csv);
    assert_eq!(answer.status, 201, "{}", answer.text);
    // Longer than a request's statement may run, so the import's own bound was in force.
    assert!(started.elapsed().as_millis() > 100, "took {:?}", started.elapsed());
    assert_eq!(count_rows(&app, "files"), 20_000);
}

#[test]
fn an_upload_over_the_limit_is_refused_before_it_is_read() {
    let app = TestApp::spawn();
    let address = app.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST /api/v1/imports/files HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        app.admin_key,
        200 * 1024 * 1024
    )
    .unwrap();
    stream.write_all(b"fonds_code,inventory_no\n").unwrap();
    let mut answer = vec![0; 4096];
    let read = stream.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

/// The export of the database behind `url`, by the library (without its header line).
/// The lines of an export of `database` after its header, with the events' transaction numbers
/// left out: a restore gives the restored events new ones, in the same order.
fn export_of(database: &str) -> Vec<String> {
    use diesel::Connection;
    let mut conn = diesel::PgConnection::establish(&crate::support::database_url(database)).unwrap();
    let mut out = Vec::new();
    let sealer = paperkeep::imports::repo::Sealer::of(1, "pk_test_exporter");
    paperkeep::imports::repo::export(&mut conn, &sealer, |chunk| {
        out.extend(chunk);
        true
    })
    .unwrap();
    String::from_utf8(out).unwrap().lines().skip(1).map(without_tx).collect()
}

fn without_tx(line: &str) -> String {
    let mut value: Value = serde_json::from_str(line).unwrap();
    if value["table"] == "events" {
        value["row"].as_object_mut().unwrap().remove("tx");
    }
    value.to_string()
}

#[test]
fn every_table_of_records_is_exported() {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Table {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
    }
    let app = TestApp::spawn();
    let tables: Vec<String> = diesel::sql_query(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()
           AND table_type = 'BASE TABLE' ORDER BY table_name",
    )
    .load::<Table>(&mut app.db())
    .unwrap()
    .into_iter()
    .map(|t| t.table_name)
    .collect();
    // Not records: sessions end, idempotency keys expire, and the report's day counts are
    // counted again by triggers as the records are restored.
    let kept_out = ["__diesel_schema_migrations", "activity_days", "idempotency_keys", "sessions"];
    let exported: Vec<&str> = paperkeep::imports::repo::archive::ARCHIVE.iter().map(|(table, _)| *table).collect();
    for table in &tables {
        assert!(exported.contains(&table.as_str()) || kept_out.contains(&table.as_str()), "{table} is not exported");
    }
}

#[test]
fn an_export_restored_into_an_empty_database_gives_the_same_records() {
    use diesel::Connection;
    let app = TestApp::spawn();
    paperkeep::demo::load(&mut app.db()).unwrap();
    let reader = json!({"full_name": "Trần Văn Minh", "identity_type": "cccd", "identity_no": "001234567890",
                        "purpose": "personal"});
    let reader = app.post("/api/v1/readers", reader);
    let file = app.get("/api/v1/files?limit=1").items()[0]["id"].clone();
    let asked = json!({"reader_id": reader.body["id"], "kind": "read", "lines": [{"file_id": file}]});
    assert_eq!(app.post("/api/v1/reading-requests", asked).status, 201);
    assert_eq!(app.post("/api/v1/closures", json!({"first_day": "2027-02-05", "name": "Tết"})).status, 201);
    let viewer = app.key("viewer");
    app.key("conservator");
    let keys = app.get("/api/v1/api-keys").items().clone();
    let revoked_id = keys.iter().find(|k| k["role"] == "conservator").unwrap()["id"].as_i64().unwrap();
    assert_eq!(app.post(&format!("/api/v1/api-keys/{revoked_id}/revoke"), json!(null)).status, 200);

    let denied = app.request_as(Some(&viewer), Method::GET, "/api/v1/export").send().unwrap();
    assert_eq!(denied.status().as_u16(), 403);
    let answer = app.request(Method::GET, "/api/v1/export").send().unwrap();
    assert_eq!(answer.headers()["content-type"], "application/x-ndjson");
    let exported = answer.text().unwrap();
    let lines: Vec<&str> = exported.lines().collect();
    assert!(lines[0].contains("\"paperkeep_export\":2"));
    assert!(lines.last().unwrap().contains("\"end\":true"), "{}", lines.last().unwrap());
    assert!(lines.len() > 2_000, "the demo's records, history and events: {}", lines.len());

    let empty = crate::support::fresh_database();
    let mut conn = diesel::PgConnection::establish(&crate::support::database_url(&empty)).unwrap();
    // A cut-off export is refused, and leaves nothing.
    let cut = lines[..lines.len() - 1].join("\n");
    assert!(paperkeep::imports::repo::restore(&mut conn, cut.as_bytes(), None).is_err());
    let restored =
        paperkeep::imports::repo::restore(&mut conn, exported.as_bytes(), None).expect("the export restores");
    assert_eq!(restored.counts["files"], 720);
    // The same records: the restored database exports the same lines (the events in the same
    // order, with new transaction numbers).
    assert_eq!(export_of(&empty), lines[1..].iter().map(|l| without_tx(l)).collect::<Vec<_>>());
    // Into a database that is not empty: refused.
    assert!(paperkeep::imports::repo::restore(&mut conn, exported.as_bytes(), None).is_err());
    // New records continue after the restored ids.
    let next: i64 = {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        diesel::sql_query(
            "INSERT INTO fonds (code, name, created_by, updated_by) VALUES ('NEW', 'Mới', 1, 1) RETURNING id",
        )
        .get_result::<Id>(&mut conn)
        .unwrap()
        .id
    };
    assert_eq!(next, 4);
    let next_reader: String = {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Number {
            #[diesel(sql_type = diesel::sql_types::Text)]
            n: String,
        }
        diesel::sql_query("SELECT 'DG-' || lpad(nextval('reader_numbers')::text, 6, '0') AS n")
            .get_result::<Number>(&mut conn)
            .unwrap()
            .n
    };
    // The demo's 24 readers and this one.
    assert_eq!(next_reader, "DG-000026", "reader numbers continue after the restored ones");
    drop(conn);
    crate::support::drop_database(&empty);
}

#[test]
fn an_export_made_before_a_column_existed_restores_with_its_default() {
    use diesel::{Connection, RunQueryDsl};
    let app = TestApp::spawn();
    let repo = crate::support::fixtures::repository(&app);
    for barcode in ["OLD-1", "OLD-2", "OLD-3"] {
        crate::support::fixtures::new_box(&app, barcode, repo.shelves[0], json!({}));
    }
    let exported = app.request(Method::GET, "/api/v1/export").send().unwrap().text().unwrap();
    // The boxes as an export made before boxes could give their space up or be lost, or had
    // positions of their own: two at position 2, one with none.
    let older: Vec<String> = exported
        .lines()
        .map(|line| {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            if record["table"] == "boxes" {
                let row = record["row"].as_object_mut().unwrap();
                assert!(row.remove("holds_space").is_some() && row.remove("lost_at").is_some());
                assert!(row.remove("space_shelf_id").is_some());
                let position = if row["barcode"] == "OLD-3" { json!(null) } else { json!(2) };
                row.insert("position".into(), position);
            }
            record.to_string()
        })
        .collect();

    let empty = crate::support::fresh_database();
    let mut conn = diesel::PgConnection::establish(&crate::support::database_url(&empty)).unwrap();
    paperkeep::imports::repo::restore(&mut conn, older.join("\n").as_bytes(), None).expect("the older export restores");
    #[derive(diesel::QueryableByName)]
    struct Restored {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        holds_space: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        lost: bool,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        position: i32,
    }
    let restored: Vec<Restored> = diesel::sql_query(
        "SELECT holds_space, lost_at IS NOT NULL AS lost, position FROM boxes WHERE space_shelf_id IS NOT NULL ORDER BY id",
    )
    .load(&mut conn)
    .unwrap();
    assert!(restored.iter().all(|r| r.holds_space && !r.lost), "the column's default, as an INSERT without it gives");
    let positions: Vec<i32> = restored.iter().map(|r| r.position).collect();
    assert_eq!(positions, [2, 1, 3], "a box without a place of its own takes the lowest free one");
    drop(conn);
    crate::support::drop_database(&empty);
}
