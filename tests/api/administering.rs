//! Quản trị / Administration in the app: API keys (the secret shown once) and revoking them,
//! webhooks and their delivery log, vocabularies' terms added, relabelled and retired, and the
//! audit trail narrowed by kind, person and days.

use paperkeep::keys::model::Role;
use reqwest::Method;
use serde_json::json;

use crate::support::TestApp;
use crate::support::staff::{open, person, post_form, signed_in};

/// The secret an answer shows in its read-only field.
fn secret(page: &str) -> String {
    let start = page.find("id=\"secret\" value=\"").expect("the secret shown") + 19;
    page[start..].split('"').next().unwrap().to_string()
}

#[test]
fn an_admin_makes_a_key_shown_once_and_revokes_it() {
    let app = TestApp::spawn();
    person(&app, "quantri", Role::Admin);
    let admin = signed_in(&app, "quantri");

    let (status, _, refused) = post_form(&app, &admin, "/admin/keys", &[("name", "  "), ("role", "viewer")]);
    assert_eq!(status, 422);
    assert!(refused.contains("Hãy nhập tên khoá (1–100 ký tự, trên một dòng)."), "{refused}");

    let (status, _, made) =
        post_form(&app, &admin, "/admin/keys", &[("name", "Máy tra cứu phòng đọc"), ("role", "viewer")]);
    assert_eq!(status, 201);
    assert!(made.contains("chỉ hiện nó lần này"), "{made}");
    let key = secret(&made);
    assert!(key.starts_with("pk_") && key.len() == 67, "{key}");
    let with_key =
        |key: &str| app.request_as(Some(key), Method::GET, "/api/v1/boxes").send().unwrap().status().as_u16();
    assert_eq!(with_key(&key), 200, "the key works");
    let listed = open(&app, &admin, "/admin/keys");
    assert!(listed.contains("Máy tra cứu phòng đọc") && listed.contains(&format!("{}…", &key[..11])), "{listed}");
    assert!(!listed.contains(&key), "the secret is never shown again");

    let id = app.get("/api/v1/api-keys").items().iter().find(|k| k["name"] == "Máy tra cứu phòng đọc").unwrap()["id"]
        .to_string();
    let (status, to, _) = post_form(&app, &admin, &format!("/admin/keys/{id}/revoke"), &[]);
    assert_eq!((status, to.as_str()), (303, format!("/admin/keys?revoked={id}").as_str()));
    assert!(open(&app, &admin, &to).contains(&format!("Đã thu hồi khoá số {id}.")));
    assert_eq!(with_key(&key), 401, "revoked at once");
    assert_eq!(post_form(&app, &admin, "/admin/keys/999999/revoke", &[]).0, 404);
}

#[test]
fn an_admin_subscribes_a_webhook_reads_its_log_and_stops_it() {
    let app = TestApp::spawn();
    person(&app, "quantri", Role::Admin);
    let admin = signed_in(&app, "quantri");

    let (status, _, refused) =
        post_form(&app, &admin, "/admin/webhooks", &[("url", "ftp://mucluc.example"), ("types", "nothing")]);
    assert_eq!(status, 422);
    assert!(
        refused.contains("bắt đầu bằng http:// hoặc https://") && refused.contains("Hãy chọn các loại bản ghi"),
        "{refused}"
    );
    assert!(refused.contains("value=\"ftp://mucluc.example\""), "what was typed is kept");

    let fields =
        [("url", "http://127.0.0.1:9/paperkeep"), ("types", "box"), ("types", "treatment"), ("description", "Mục lục")];
    let (status, _, made) = post_form(&app, &admin, "/admin/webhooks", &fields);
    assert_eq!(status, 201);
    assert!(secret(&made).starts_with("whsec_"), "{made}");
    let hooks = app.get("/api/v1/webhooks");
    let hook = &hooks.items()[0];
    assert_eq!(hook["types"], json!(["box", "treatment"]));
    let id = hook["id"].to_string();
    let listed = open(&app, &admin, "/admin/webhooks");
    assert!(listed.contains("box, treatment") && listed.contains("đang hoạt động"), "{listed}");
    assert!(!listed.contains(&secret(&made)), "the secret is never shown again");
    assert!(open(&app, &admin, &format!("/admin/webhooks/{id}")).contains("Nhật ký gửi"));

    let (status, to, _) = post_form(&app, &admin, &format!("/admin/webhooks/{id}/deactivate"), &[]);
    assert_eq!(status, 303);
    assert!(open(&app, &admin, &to).contains("đã dừng"));
    assert_eq!(app.get(&format!("/api/v1/webhooks/{id}")).body["active"], false);
    assert_eq!(admin.get(format!("{}/admin/webhooks/999999", app.url)).send().unwrap().status().as_u16(), 404);
}

#[test]
fn an_admin_adds_relabels_and_retires_terms() {
    let app = TestApp::spawn();
    person(&app, "quantri", Role::Admin);
    let admin = signed_in(&app, "quantri");
    let materials = open(&app, &admin, "/admin/vocabularies?name=material");
    assert!(materials.contains("value=\"giấy dó\"") && materials.contains("giấy bồi"), "{materials}");

    let add = |fields: &[(&str, &str)]| post_form(&app, &admin, "/admin/vocabularies/material", fields);
    let (status, _, refused) = add(&[("code", "Giấy Bản"), ("label_vi", ""), ("label_en", "Hanoi bản paper")]);
    assert_eq!(status, 422);
    assert!(refused.contains("Mã gồm 1–40 chữ thường") && refused.contains("Hãy nhập nhãn tiếng Việt"), "{refused}");
    let kozo = [
        ("code", "giay_ban_ha_noi"),
        ("label_vi", "giấy bản Hà Nội"),
        ("label_en", "Hanoi bản paper"),
        ("category", "lining_paper"),
    ];
    let (status, to, _) = add(&kozo);
    assert_eq!((status, to.as_str()), (303, "/admin/vocabularies?name=material&added=giay_ban_ha_noi"));
    let term = app.get("/api/v1/vocabularies/material/terms/giay_ban_ha_noi").body;
    assert_eq!((term["label_vi"].clone(), term["category"].clone()), (json!("giấy bản Hà Nội"), json!("lining_paper")));
    let (status, _, taken) = add(&kozo);
    assert_eq!(status, 409);
    assert!(taken.contains("Danh mục này đã có mã “giay_ban_ha_noi”."), "{taken}");

    // Relabelled; a change made from a page read before another's is refused.
    let change =
        |fields: &[(&str, &str)]| post_form(&app, &admin, "/admin/vocabularies/material/giay_ban_ha_noi", fields);
    let labels = [("label_vi", "giấy bản (Hà Nội)"), ("label_en", "Hanoi bản paper")];
    let (status, _, _) = change(&[&[("version", "1"), ("action", "save")], &labels[..]].concat());
    assert_eq!(status, 303);
    assert_eq!(app.get("/api/v1/vocabularies/material/terms/giay_ban_ha_noi").body["label_vi"], "giấy bản (Hà Nội)");
    let (status, _, stale) = change(&[&[("version", "1"), ("action", "save")], &labels[..]].concat());
    assert_eq!(status, 409);
    assert!(stale.contains("vừa được người khác sửa"), "{stale}");
    let (status, _, refused) = change(&[("version", "2"), ("action", "save"), ("label_vi", ""), ("label_en", "x")]);
    assert_eq!(status, 422);
    assert!(refused.contains("Mỗi nhãn có 1–200 ký tự"), "{refused}");

    // Retired: kept, no longer offered to a proposal; brought back.
    assert_eq!(change(&[&[("version", "2"), ("action", "retire")], &labels[..]].concat()).0, 303);
    assert!(app.get("/api/v1/vocabularies/material/terms/giay_ban_ha_noi").body["retired_at"].is_string());
    person(&app, "lan", Role::Conservator);
    let lan = signed_in(&app, "lan");
    let f = crate::support::fixtures::file(
        &app,
        crate::support::fixtures::fonds(&app, "SNV", "Phông Sở Nội vụ"),
        1,
        10,
        json!({}),
    );
    assert!(!open(&app, &lan, &format!("/treatments/new?file={f}")).contains("giay_ban_ha_noi"));
    assert_eq!(change(&[&[("version", "3"), ("action", "restore")], &labels[..]].concat()).0, 303);
    assert!(open(&app, &lan, &format!("/treatments/new?file={f}")).contains("value=\"giay_ban_ha_noi\""));

    // A fixed vocabulary: labels only.
    let grades = open(&app, &admin, "/admin/vocabularies?name=condition_grade");
    assert!(
        grades.contains("chỉ sửa được nhãn")
            && !grades.contains("value=\"retire\"")
            && !grades.contains("Thêm thuật ngữ")
    );
}

#[test]
fn the_audit_trail_is_narrowed_by_kind_person_and_days() {
    let app = TestApp::spawn();
    let admin_person = person(&app, "quantri", Role::Admin);
    let admin = signed_in(&app, "quantri");
    post_form(&app, &admin, "/admin/keys", &[("name", "Máy quét kho 2"), ("role", "storage_manager")]);
    assert_eq!(app.post("/api/v1/fonds", json!({"code": "SNV", "name": "Phông Sở Nội vụ"})).status, 201);

    let everything = open(&app, &admin, "/admin/trail");
    assert!(everything.contains("api_key.created") && everything.contains("fonds.created"), "{everything}");
    let keys = open(&app, &admin, "/admin/trail?kind=api_key");
    assert!(keys.contains("Máy quét kho 2") && !keys.contains("fonds.created"), "{keys}");
    let by = open(&app, &admin, &format!("/admin/trail?actor={}", admin_person.actor_id));
    assert!(by.contains("api_key.created") && !by.contains("fonds.created"), "by the admin only: {by}");
    let today = chrono::Utc::now().date_naive();
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    assert!(open(&app, &admin, &format!("/admin/trail?from={tomorrow}")).contains("Không có thay đổi nào khớp."));
    let answer = admin.get(format!("{}/admin/trail?from={tomorrow}&to={today}", app.url)).send().unwrap();
    assert_eq!(answer.status().as_u16(), 422);
    assert!(answer.text().unwrap().contains("Ngày kết thúc phải không trước ngày bắt đầu."));
}
