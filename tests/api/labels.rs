//! In nhãn / Labels in the app: box and shelf labels chosen by place, fonds or scanned codes,
//! on A4 sheets or thermal labels, with every bad choice said on its field.

use paperkeep::keys::model::Role;
use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{fonds, new_box, repository};
use crate::support::staff::{person, signed_in};

#[test]
fn labels_are_laid_out_by_place_fonds_or_codes_and_bad_choices_are_said_on_their_fields() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    for n in 1..=3 {
        new_box(&app, &format!("NH-{n}"), repo.shelves[0], json!({"fonds_id": snv, "label": format!("Hộp {n}")}));
    }
    new_box(&app, "LẠ-1", repo.shelves[1], json!({}));
    person(&app, "kho", Role::StorageManager);
    let kho = signed_in(&app, "kho");
    let labels = |query: &[(&str, &str)]| {
        let mut asked = form_urlencoded::Serializer::new(String::from("print=1&"));
        asked.extend_pairs(query);
        let answer = kho.get(format!("{}/labels?{}", app.url, asked.finish())).send().unwrap();
        (answer.status().as_u16(), answer.text().unwrap())
    };
    let shelf = app.get(&format!("/api/v1/locations/{}", repo.shelves[0])).body;
    let shelf_label = shelf["barcode"].as_str().unwrap();
    let svgs = |page: &str| page.matches("<svg width=").count();

    let form = kho.get(format!("{}/labels", app.url)).send().unwrap().text().unwrap();
    assert!(form.contains("Tờ A4, 2 × 7 nhãn 99,1 × 38,1 mm") && form.contains("Nhãn nhiệt 100 × 50 mm"), "{form}");

    // A shelf's boxes, in shelf order, each with its fonds, label, Code 128 and home.
    let (status, sheet) = labels(&[("kind", "boxes"), ("place", shelf_label), ("sheet", "a4")]);
    assert_eq!(status, 200);
    assert_eq!(svgs(&sheet), 3);
    let order: Vec<usize> =
        ["NH-1", "NH-2", "NH-3"].iter().map(|b| sheet.find(&format!("\"code\">{b}<")).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "in shelf order");
    assert!(sheet.contains("SNV · Phông Sở Nội vụ") && sheet.contains("Vị trí gốc: K1-P02-G05-1-1"), "{sheet}");
    assert!(sheet.contains("class=\"sheets sheet-a4\"") && sheet.contains("3 nhãn"), "{sheet}");
    // By fonds, two copies each on thermal labels: one label a page.
    let (status, thermal) = labels(&[("fonds", "snv"), ("sheet", "thermal"), ("copies", "2")]);
    assert_eq!(status, 200);
    assert_eq!((svgs(&thermal), thermal.matches("<section class=\"page\"").count()), (6, 6));
    // Shelves of the unit; scanned codes, in the order scanned.
    let unit = app.get(&format!("/api/v1/locations/{}", repo.unit)).body;
    let (_, shelves) = labels(&[("kind", "shelves"), ("place", unit["path_code"].as_str().unwrap())]);
    assert_eq!(svgs(&shelves), 6, "{shelves}");
    let (_, scanned) = labels(&[("codes", "NH-3\nnh-1\n")]);
    assert!(scanned.find("\"code\">NH-3<").unwrap() < scanned.find("\"code\">NH-1<").unwrap());
    // A code a barcode cannot hold is printed as text, saying so.
    let (status, accented) = labels(&[("codes", "LẠ-1")]);
    assert_eq!((status, svgs(&accented)), (200, 0));
    assert!(accented.contains("Mã có ký tự ngoài bảng mã vạch"), "{accented}");

    // Bad choices: each on its field, nothing laid out.
    for (query, field, message) in [
        (vec![], "place", "Hãy cho biết in nhãn nào"),
        (vec![("place", shelf_label), ("fonds", "SNV")], "place", "Chỉ chọn một cách"),
        (vec![("place", "K9-NOWHERE")], "place", "Không có giá hay nơi làm việc nào"),
        (vec![("fonds", "KHÔNG")], "fonds", "Không có phông nào mã này"),
        (vec![("codes", "NH-1\nNOPE-1\nNOPE-2")], "codes", "Không tìm thấy: NOPE-1, NOPE-2"),
        (vec![("place", shelf_label), ("copies", "0")], "copies", "Số bản là một số từ 1 đến 20"),
        (vec![("place", shelf_label), ("copies", "100000")], "copies", "Số bản là một số từ 1 đến 20"),
        (vec![("kind", "shelves"), ("fonds", "SNV")], "fonds", "Nhãn giá không chọn theo phông"),
    ] {
        let (status, page) = labels(&query);
        assert_eq!(status, 422, "{query:?}");
        assert!(page.contains(message) && page.contains(&format!("id=\"{field}-problem\"")), "{query:?}: {page}");
        assert_eq!(svgs(&page), 0);
    }
    // An empty shelf; more labels than one print takes.
    let empty = app.get(&format!("/api/v1/locations/{}", repo.shelves[5])).body;
    let (status, page) = labels(&[("place", empty["barcode"].as_str().unwrap())]);
    assert!(status == 422 && page.contains("Không có nhãn nào để in"), "{page}");
    let many: String = (0..60).map(|_| "NH-1\n").collect();
    let (status, page) = labels(&[("codes", many.as_str()), ("copies", "20")]);
    assert_eq!((status, svgs(&page)), (200, 20), "a code listed twice is one label");
    let (status, page) = labels(&[("fonds", "SNV"), ("copies", "20"), ("kind", "boxes")]);
    assert_eq!(status, 200, "60 labels");
    assert_eq!(svgs(&page), 60);
    for n in 4..=51 {
        new_box(&app, &format!("NH-{n}"), repo.shelves[2 + n % 3], json!({"fonds_id": snv, "width_mm": 50}));
    }
    let (status, page) = labels(&[("fonds", "SNV"), ("copies", "20")]);
    assert!(status == 422 && page.contains("1.020 nhãn, nhiều hơn mức 1.000 nhãn"), "{page}");

    // Labels are for those who register boxes.
    person(&app, "xem", Role::Viewer);
    assert_eq!(signed_in(&app, "xem").get(format!("{}/labels", app.url)).send().unwrap().status().as_u16(), 403);
}
