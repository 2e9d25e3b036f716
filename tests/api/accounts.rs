//! Quản trị / Staff accounts in the app: an admin creates, changes, resets and disables
//! accounts; every form's problems on its fields; the archive never left without an admin.

use paperkeep::keys::model::Role;
use reqwest::blocking::{Client, Response};

use crate::support::TestApp;
use crate::support::staff::{PASSWORD, browser, location, person, sign_in, signed_in, token};

/// Posts `fields` (and the session's token) to `path`.
fn submit(app: &TestApp, browser: &Client, path: &str, fields: &[(&str, &str)]) -> Response {
    let token = token(app, browser);
    let mut form = vec![("csrf", token.as_str())];
    form.extend_from_slice(fields);
    browser.post(format!("{}{path}", app.url)).form(&form).send().unwrap()
}

fn page(app: &TestApp, browser: &Client, path: &str) -> String {
    browser.get(format!("{}{path}", app.url)).send().unwrap().text().unwrap()
}

#[test]
fn an_admin_creates_an_account_and_its_person_signs_in() {
    let app = TestApp::spawn();
    person(&app, "quantri", Role::Admin);
    let admin = signed_in(&app, "quantri");
    let list = page(&app, &admin, "/people");
    assert!(list.contains("Tài khoản nhân viên") && list.contains("quantri"), "{list}");
    assert!(list.contains("href=\"/people\" aria-current=\"page\""), "the frame offers the screen: {list}");

    // Every field wrong at once: each says so on the field, what was typed is kept.
    let wrong = submit(
        &app,
        &admin,
        "/people",
        &[("username", "Lê Lan"), ("display_name", "  "), ("role", "boss"), ("password", "ngắn")],
    );
    assert_eq!(wrong.status().as_u16(), 422);
    let wrong = wrong.text().unwrap();
    for message in ["Tên đăng nhập phải có", "Hãy nhập họ và tên", "Hãy chọn một vai trò", "Mật khẩu phải có"]
    {
        assert!(wrong.contains(message), "{message}: {wrong}");
    }
    assert!(wrong.contains("value=\"lê lan\"") && wrong.contains("aria-invalid=\"true\""), "{wrong}");

    let created = submit(
        &app,
        &admin,
        "/people",
        &[
            ("username", "Lan.Nguyen"),
            ("display_name", "Nguyễn Thị Lan"),
            ("role", "conservator"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(created.status().as_u16(), 303);
    let account = location(&created);
    assert!(account.starts_with("/people/") && account.ends_with("?done=created"), "{account}");
    let shown = page(&app, &admin, &account);
    assert!(shown.contains("Đã tạo tài khoản") && shown.contains("Nguyễn Thị Lan") && shown.contains("lan.nguyen"));
    let lan = signed_in(&app, "lan.nguyen");
    assert!(page(&app, &lan, "/locate").contains("Nguyễn Thị Lan (tu bổ)"));
    assert!(!page(&app, &lan, "/locate").contains("href=\"/people\""), "not offered to a conservator");

    // The same username again, in any case: refused on the field.
    let again = submit(
        &app,
        &admin,
        "/people",
        &[("username", "LAN.NGUYEN"), ("display_name", "Lan khác"), ("role", "viewer"), ("password", PASSWORD)],
    );
    assert_eq!(again.status().as_u16(), 409);
    assert!(again.text().unwrap().contains("Tên đăng nhập này đã có người dùng"));

    // The trail names the admin who did it.
    let id = account.trim_start_matches("/people/").split('?').next().unwrap().to_string();
    let trail = app.get(&format!("/api/v1/audit-trail?subject=/api/v1/people/{id}"));
    assert_eq!(trail.strings("type"), ["person.created"]);
    let admin_actor =
        app.all_pages("/api/v1/people").iter().find(|p| p["username"] == "quantri").unwrap()["actor_id"].clone();
    assert_eq!(trail.items()[0]["actor"], admin_actor);
    assert!(trail.items()[0]["data"].get("password_hash").is_none());
}

#[test]
fn an_admin_changes_resets_disables_and_enables_an_account() {
    let app = TestApp::spawn();
    person(&app, "quantri", Role::Admin);
    let lan = person(&app, "lan", Role::Viewer);
    let admin = signed_in(&app, "quantri");
    let lans_browser = signed_in(&app, "lan");
    let path = format!("/people/{}", lan.id);

    let changed =
        submit(&app, &admin, &path, &[("version", "1"), ("display_name", "Nguyễn Thị Lan"), ("role", "conservator")]);
    assert_eq!((changed.status().as_u16(), location(&changed)), (303, format!("{path}?done=updated")));
    assert!(page(&app, &lans_browser, "/locate").contains("Nguyễn Thị Lan (tu bổ)"), "at once, in her session");
    // A form read before that change: refused, the page shows the account as it is now.
    let stale = submit(&app, &admin, &path, &[("version", "1"), ("display_name", "Lan"), ("role", "viewer")]);
    assert_eq!(stale.status().as_u16(), 409);
    assert!(stale.text().unwrap().contains("vừa được người khác thay đổi"));
    let blank = submit(&app, &admin, &path, &[("version", "2"), ("display_name", ""), ("role", "nobody")]);
    assert_eq!(blank.status().as_u16(), 422);
    let blank = blank.text().unwrap();
    assert!(blank.contains("Hãy nhập họ và tên") && blank.contains("Hãy chọn một vai trò"), "{blank}");

    // A new password: too short is refused; set, it ends her sessions and the old one fails.
    let short = submit(&app, &admin, &format!("{path}/password"), &[("version", "2"), ("password", "123")]);
    assert_eq!(short.status().as_u16(), 422);
    let reset =
        submit(&app, &admin, &format!("{path}/password"), &[("version", "2"), ("password", "mật khẩu mới 2026")]);
    assert_eq!((reset.status().as_u16(), location(&reset)), (303, format!("{path}?done=password")));
    let ended = lans_browser.get(format!("{}/locate", app.url)).send().unwrap();
    assert!(location(&ended).starts_with("/sign-in?"), "her session ended");
    assert_eq!(sign_in(&app, &browser(), "lan", PASSWORD).status().as_u16(), 422);
    assert_eq!(sign_in(&app, &browser(), "lan", "mật khẩu mới 2026").status().as_u16(), 303);

    // Disabled: she cannot sign in; enabled again: she can.
    let disabled = submit(&app, &admin, &format!("{path}/enabled"), &[("version", "3"), ("enabled", "false")]);
    assert_eq!(location(&disabled), format!("{path}?done=disabled"));
    assert!(page(&app, &admin, "/people").contains("đã khoá"));
    assert_eq!(sign_in(&app, &browser(), "lan", "mật khẩu mới 2026").status().as_u16(), 422);
    let enabled = submit(&app, &admin, &format!("{path}/enabled"), &[("version", "4"), ("enabled", "true")]);
    assert_eq!(location(&enabled), format!("{path}?done=enabled"));
    assert_eq!(sign_in(&app, &browser(), "lan", "mật khẩu mới 2026").status().as_u16(), 303);

    let trail = app.get(&format!("/api/v1/audit-trail?subject=/api/v1/people/{}", lan.id));
    assert_eq!(trail.strings("type"), [&["person.updated"; 4][..], &["person.created"]].concat());
    let reset_event = &trail.items()[2];
    assert_ne!(reset_event["before"]["password_changed_at"], reset_event["data"]["password_changed_at"]);
    // Someone who is not there.
    let missing = browser_get(&admin, &format!("{}/people/999999", app.url));
    assert_eq!(missing.status().as_u16(), 404);
    assert!(missing.text().unwrap().contains("Không có trang này"));
}

fn browser_get(browser: &Client, url: &str) -> Response {
    browser.get(url).header("Accept", "text/html").send().unwrap()
}

#[test]
fn the_archive_always_keeps_an_enabled_admin() {
    let app = TestApp::spawn();
    let me = person(&app, "quantri", Role::Admin);
    let admin = signed_in(&app, "quantri");
    let mine = format!("/people/{}", me.id);
    let refused = submit(&app, &admin, &format!("{mine}/enabled"), &[("version", "1"), ("enabled", "false")]);
    assert_eq!(refused.status().as_u16(), 409);
    assert!(refused.text().unwrap().contains("phải luôn còn một tài khoản quản trị"));
    let demoted = submit(&app, &admin, &mine, &[("version", "1"), ("display_name", "Quản trị"), ("role", "viewer")]);
    assert_eq!(demoted.status().as_u16(), 409);
    // Another admin may be disabled while one stays.
    let other = person(&app, "quantri2", Role::Admin);
    let other_path = format!("/people/{}/enabled", other.id);
    let disabled = submit(&app, &admin, &other_path, &[("version", "1"), ("enabled", "false")]);
    assert_eq!(disabled.status().as_u16(), 303);
    let api = app.get(&format!("/api/v1/people/{}", me.id));
    assert_eq!((api.body["role"].as_str(), api.body["disabled_at"].is_null()), (Some("admin"), true));
}

#[test]
fn a_path_nothing_serves_is_a_page_for_a_browser_and_a_problem_for_the_api() {
    let app = TestApp::spawn();
    person(&app, "lan", Role::Viewer);
    let lan = signed_in(&app, "lan");
    let page = browser_get(&lan, &format!("{}/no-such-screen", app.url));
    assert_eq!(page.status().as_u16(), 404);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let page = page.text().unwrap();
    assert!(page.contains("<html lang=\"vi\">") && page.contains("Không có trang này") && page.contains("Đăng xuất"));
    let anonymous = browser_get(&browser(), &format!("{}/nowhere", app.url));
    assert_eq!(anonymous.status().as_u16(), 404);
    for (path, accept) in [("/api/v1/nowhere", "text/html"), ("/nowhere", "application/json")] {
        let answer = browser().get(format!("{}{path}", app.url)).header("Accept", accept).send().unwrap();
        assert_eq!(answer.status().as_u16(), 404);
        assert_eq!(answer.headers()["content-type"], "application/problem+json", "{path}");
    }
}
