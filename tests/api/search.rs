//! Search by words: every word, in any order, ignoring case and accents; phrases in quotes;
//! part of a code; best first. The same on files, fonds, boxes and locations.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::fixtures::{fonds, id, location, new_box, repository};

fn titles(app: &TestApp, q: &str) -> Vec<String> {
    let encoded: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
    app.get(&format!("/api/v1/files?q={encoded}")).strings("title")
}

#[track_caller]
fn new_file(app: &TestApp, fonds_id: i64, file_no: i32, extra: Value) -> i64 {
    let mut body = json!({"fonds_id": fonds_id, "inventory_no": 1, "file_no": file_no, "page_count": 10});
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    let answer = app.post("/api/v1/files", body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    id(&answer.body)
}

#[test]
fn readers_find_files_by_their_words_in_any_order_without_accents() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let title = "Tập công văn của Sở Nội vụ về công tác cán bộ năm 1976";
    new_file(&app, snv, 1, json!({"title": title}));
    new_file(&app, snv, 2, json!({"title": "Báo cáo của Ủy ban về công tác thi đua năm 1980"}));
    new_file(
        &app,
        snv,
        3,
        json!({"title": "Hồ sơ về việc xếp lương", "date_from": "1976-01-01", "date_to": "1977-12-31"}),
    );
    for q in ["cong van so noi vu", "noi vu cong van", "1976 can bo", "CÔNG VĂN sở nội vụ", "\"so noi vu\" cong"]
    {
        assert_eq!(titles(&app, q), [title], "{q}");
    }
    // Typed with a Vietnamese keyboard that sends combining accents (decomposed): the same.
    assert_eq!(titles(&app, "co\u{302}ng va\u{306}n"), [title]);
    // Every word must be there; a phrase in its order.
    assert!(titles(&app, "cong van uy ban").is_empty());
    assert!(titles(&app, "\"noi vu so\"").is_empty());
    assert_eq!(titles(&app, "cong tac").len(), 2);
    // Years count as words of a file; so does its number.
    assert_eq!(titles(&app, "1977 luong"), ["Hồ sơ về việc xếp lương"]);
    assert_eq!(titles(&app, "1/2"), ["Báo cáo của Ủy ban về công tác thi đua năm 1980"]);
    // NOT and OR are not operators here: a leading `-` and a lone `or` are text.
    assert_eq!(titles(&app, "-cong -van so noi vu"), [title]);
    assert!(titles(&app, "cong or thi").is_empty());
}

#[test]
fn the_code_as_typed_comes_first_then_titles_then_the_rest() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    // In archival order: a year in the codes only, a title, the code itself, part of a code.
    new_file(&app, snv, 1, json!({"title": "Hồ sơ cán bộ", "date_from": "1976-03-01"}));
    new_file(&app, snv, 2, json!({"title": "Báo cáo năm 1976"}));
    new_file(&app, snv, 3, json!({"title": "Mã hồ sơ", "archive_code": "1976"}));
    new_file(&app, snv, 4, json!({"title": "Khác", "archive_code": "HS-19760"}));
    new_file(&app, snv, 5, json!({"title": "Báo cáo năm 1980"}));
    let ranked = ["Mã hồ sơ", "Báo cáo năm 1976", "Hồ sơ cán bộ", "Khác"];
    assert_eq!(titles(&app, "1976"), ranked);
    // Page by page, the same order.
    let paged: Vec<String> = app
        .all_pages("/api/v1/files?q=1976&limit=1")
        .iter()
        .map(|f| f["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paged, ranked);
}

#[test]
fn fonds_boxes_and_locations_are_found_the_same_way() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    fonds(&app, "UBND", "Phông Ủy ban nhân dân tỉnh");
    let codes = |path: &str, field: &str| app.get(path).strings(field);
    assert_eq!(codes("/api/v1/fonds?q=noi%20vu%20so", "code"), ["SNV"]);
    assert_eq!(codes("/api/v1/fonds?q=ubnd", "code"), ["UBND"]);
    new_box(&app, "SNV-0001", repo.shelves[0], json!({"label": "Hộp công văn 1976", "fonds_id": snv}));
    new_box(&app, "SNV-0002", repo.shelves[0], json!({"label": "Hộp SNV-0001 cũ"}));
    // The barcode as typed first, then the label's words.
    assert_eq!(codes("/api/v1/boxes?q=snv-0001", "barcode"), ["SNV-0001", "SNV-0002"]);
    assert_eq!(codes("/api/v1/boxes?q=1976%20cong%20van", "barcode"), ["SNV-0001"]);
    assert_eq!(codes("/api/v1/boxes?q=0002", "barcode"), ["SNV-0002"], "part of a barcode");
    let vault =
        id(&location(&app, Some(repo.room), "workspace", "KHO", json!({"purpose": "other", "name": "Kho tạm số 2"})));
    let found = app.get("/api/v1/locations?q=tam%20kho");
    assert_eq!(found.items().iter().map(id).collect::<Vec<_>>(), [vault]);
    let shelf = app.get(&format!("/api/v1/locations/{}", repo.shelves[4])).body["path_code"].clone();
    let exact = app.get(&format!("/api/v1/locations?q={}", shelf.as_str().unwrap().to_lowercase()));
    assert_eq!(exact.items()[0]["id"], repo.shelves[4], "the path code as typed first");
}

#[test]
fn any_query_is_answered_cleanly() {
    let app = TestApp::spawn();
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    new_file(&app, snv, 1, json!({"title": "Hồ sơ 100% đầy_đủ", "archive_code": "AB-1234"}));
    for (q, expected) in [
        ("...", 0),
        ("!@#$^&*()", 0),
        ("\u{301}", 0),
        ("'; DROP TABLE files; --", 0),
        ("\\", 0),
        ("\"", 0),
        ("%", 0),
        ("_", 0),
        ("or", 0),
        // Part of a code: three letters or digits in a row at least, wildcards taken as text.
        ("b-123", 1),
        ("b%234", 0),
        ("b_1234", 0),
        ("12", 0),
        ("100%", 1),
    ] {
        for list in ["files", "fonds", "boxes", "locations"] {
            let encoded: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let answer = app.get(&format!("/api/v1/{list}?q={encoded}"));
            assert_eq!(answer.status, 200, "{list} {q}: {}", answer.text);
            if list == "files" {
                assert_eq!(answer.items().len(), expected, "{q}");
            }
        }
    }
    // Too long to be a query: 1,000 words, a 10,000-character word.
    for q in [vec!["so"; 1000].join(" "), "x".repeat(10_000)] {
        assert_eq!(app.get(&format!("/api/v1/files?q={q}")).invalid_fields(), ["q"]);
    }
}

#[test]
fn a_search_finds_the_same_whether_matches_are_many_or_few() {
    // 3,000 files: every file a `hồ sơ`, every 40th about `thủy lợi`, one about `mối mọt`, near
    // the end. Walks of the list and the words' index must agree with the list's order.
    let app = TestApp::spawn();
    fonds(&app, "SNV", "Phông Sở Nội vụ");
    let mut csv = String::from("fonds_code,inventory_no,file_no,title,leaves\n");
    for n in 1..=3000 {
        let topic = match n {
            2_950 => "phòng chống mối mọt",
            n if n % 40 == 0 => "công tác thủy lợi",
            _ => "công tác văn thư",
        };
        csv.push_str(&format!("SNV,1,{n},Hồ sơ số {n} về {topic},10\n"));
    }
    let imported =
        app.request(reqwest::Method::POST, "/api/v1/imports/files").header("Content-Type", "text/csv").body(csv).send();
    assert_eq!(imported.unwrap().status().as_u16(), 201);
    let numbers = |q: &str, limit: usize| -> Vec<i64> {
        let files = app.all_pages(&format!("/api/v1/files?q={q}&limit={limit}"));
        files.iter().map(|f| f["file_no"].as_i64().unwrap()).collect()
    };
    assert_eq!(numbers("ho%20so", 500), (1..=3000).collect::<Vec<_>>());
    assert_eq!(numbers("thuy%20loi", 50), (1..=75).map(|n| n * 40).collect::<Vec<_>>());
    assert_eq!(numbers("thuy%20loi", 7), (1..=75).map(|n| n * 40).collect::<Vec<_>>());
    assert_eq!(numbers("moi%20mot", 50), [2950]);
    assert!(numbers("moi%20thuy", 50).is_empty());
}
