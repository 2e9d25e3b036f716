//! The staff app over HTTP, as a browser sees it: signing in and out, sessions and cross-site
//! requests, languages, the locate screen, every screen for every role.

use paperkeep::keys::access::{Access, ROUTES};
use paperkeep::keys::model::Role;
use serde_json::json;

use crate::support::TestApp;
use crate::support::fixtures::{file, fonds, id, move_box, new_box, repository};
use crate::support::staff::{PASSWORD, browser, csrf, location, person, sign_in, signed_in, token};

#[test]
fn a_person_signs_in_to_the_frame_and_out_again() {
    let app = TestApp::spawn();
    person(&app, "lan", Role::Conservator);
    let browser = browser();
    let front = browser.get(format!("{}/", app.url)).send().unwrap();
    assert_eq!((front.status().as_u16(), location(&front)), (303, "/sign-in".into()));
    let asked = browser.get(format!("{}/locate?q=SNV", app.url)).send().unwrap();
    assert_eq!((asked.status().as_u16(), location(&asked)), (303, "/sign-in?next=%2Flocate%3Fq%3DSNV".into()));

    let form = browser.get(format!("{}/sign-in", app.url)).send().unwrap();
    let headers = form.headers().clone();
    let page = form.text().unwrap();
    assert!(page.contains("<html lang=\"vi\">") && page.contains("Tên đăng nhập"), "Vietnamese first: {page}");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(headers["x-frame-options"], "DENY");

    let signed_in = sign_in(&app, &browser, "LAN", PASSWORD);
    assert_eq!((signed_in.status().as_u16(), location(&signed_in)), (303, "/locate".into()));
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("pk_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let page = browser.get(format!("{}/locate", app.url)).send().unwrap().text().unwrap();
    assert!(page.contains("Nguyễn Văn lan (tu bổ)"), "the person and their role: {page}");
    assert!(page.contains("aria-current=\"page\""), "{page}");

    let token = csrf(&page);
    let forged = browser.post(format!("{}/sign-out", app.url)).form(&[("csrf", "not-the-token")]).send().unwrap();
    assert_eq!(forged.status().as_u16(), 403, "a form without the session's token");
    let out = browser.post(format!("{}/sign-out", app.url)).form(&[("csrf", token.as_str())]).send().unwrap();
    assert_eq!((out.status().as_u16(), location(&out)), (303, "/sign-in".into()));
    let after = browser.get(format!("{}/locate", app.url)).send().unwrap();
    assert_eq!(after.status().as_u16(), 303, "signed out");
}

#[test]
fn wrong_passwords_disabled_accounts_and_guessing_are_refused() {
    let app = TestApp::spawn();
    person(&app, "minh", Role::StorageManager);
    let browser = browser();
    let wrong = sign_in(&app, &browser, "minh", "not the password");
    assert_eq!(wrong.status().as_u16(), 422);
    let page = wrong.text().unwrap();
    assert!(
        page.contains("mật khẩu không đúng") && page.contains("value=\"minh\""),
        "the message, the name kept: {page}"
    );
    assert!(!page.contains("not the password"), "a password is never sent back");
    diesel::RunQueryDsl::execute(diesel::sql_query("UPDATE people SET disabled_at = now()"), &mut app.db()).unwrap();
    assert_eq!(sign_in(&app, &browser, "minh", PASSWORD).status().as_u16(), 422, "a disabled account");
    let statuses: Vec<u16> = (0..12).map(|_| sign_in(&app, &browser, "minh", "guess").status().as_u16()).collect();
    assert_eq!(statuses.last(), Some(&429), "guessing is slowed down: {statuses:?}");
}

#[test]
fn a_request_from_another_site_is_refused() {
    let app = TestApp::spawn();
    person(&app, "lan", Role::Conservator);
    let browser = browser();
    let sign_in_with = |header: &str, value: &str| {
        let request = browser.post(format!("{}/sign-in", app.url)).header(header, value);
        request.form(&[("username", "lan"), ("password", PASSWORD)]).send().unwrap().status().as_u16()
    };
    assert_eq!(sign_in_with("Origin", "https://evil.example"), 403);
    assert_eq!(sign_in_with("Sec-Fetch-Site", "cross-site"), 403);
    assert_eq!(sign_in_with("Sec-Fetch-Site", "same-origin"), 303);
}

#[test]
fn the_language_is_switched_and_remembered_per_person() {
    let app = TestApp::spawn();
    person(&app, "lan", Role::Conservator);
    let browser = browser();
    let before =
        browser.get(format!("{}/sign-in", app.url)).header("Accept-Language", "en-GB,en;q=0.8").send().unwrap();
    assert!(before.text().unwrap().contains("<html lang=\"en\">"), "the browser's language before signing in");
    sign_in(&app, &browser, "lan", PASSWORD);
    let page = browser.get(format!("{}/locate", app.url)).send().unwrap().text().unwrap();
    assert!(page.contains("<html lang=\"vi\">"), "a person's own language once signed in");
    let token = csrf(&page);
    let unknown =
        browser.post(format!("{}/language", app.url)).form(&[("lang", "fr"), ("csrf", token.as_str())]).send().unwrap();
    assert_eq!(unknown.status().as_u16(), 422);
    let switched = browser
        .post(format!("{}/language", app.url))
        .header("Referer", format!("{}/locate?q=x", app.url))
        .form(&[("lang", "en"), ("csrf", token.as_str())])
        .send()
        .unwrap();
    assert_eq!((switched.status().as_u16(), location(&switched)), (303, "/locate?q=x".into()));
    // A new browser: the person's choice comes with them.
    let elsewhere = signed_in(&app, "lan");
    let page = elsewhere.get(format!("{}/locate", app.url)).send().unwrap().text().unwrap();
    assert!(page.contains("<html lang=\"en\">") && page.contains("Sign out"), "{page}");
}

#[test]
fn locate_finds_a_box_a_shelf_or_words() {
    let app = TestApp::spawn();
    let repo = repository(&app);
    let snv = fonds(&app, "SNV", "Phông Sở Nội vụ");
    let b = id(&new_box(&app, "SNV-0001", repo.shelves[0], json!({"label": "Hộp 1", "fonds_id": snv})));
    new_box(&app, "SNV-0002", repo.shelves[0], json!({}));
    file(&app, snv, 37, 250, json!({"box_id": b, "title": "Tập công văn về công tác cán bộ năm 1976"}));
    move_box(&app, b, json!({"to_location_id": repo.reading_room, "reason": "reading_room"}));
    person(&app, "lan", Role::Viewer);
    let browser = signed_in(&app, "lan");
    let locate = |q: &str| {
        let url = format!("{}/locate?q={}", app.url, form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
        let answer = browser.get(url).header("HX-Request", "true").send().unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        answer.text().unwrap()
    };
    let found = locate("snv-0001");
    assert!(!found.contains("<html"), "only the answer for the scan queue");
    assert!(found.contains("Hộp SNV-0001") && found.contains("Phòng đọc") && found.contains("đang ở ngoài"), "{found}");
    assert!(found.contains("1/37 · Tập công văn về công tác cán bộ năm 1976</a> · 250 tờ"), "its files: {found}");
    assert!(found.contains("→ K1-RR (phục vụ độc giả)"), "its last movement, its reason in words: {found}");
    let shelf = locate(&format!("LOC-{:06}", repo.shelves[0]));
    assert!(shelf.contains("Giá K1-P02-G05-1-1") && shelf.contains("SNV-0002"), "{shelf}");
    let words = locate("cong tac can bo");
    assert!(words.contains("Tập công văn về công tác cán bộ năm 1976"), "{words}");
    let decomposed = locate("Pho\u{302}ng So\u{31b}\u{309} No\u{323}i vu\u{323}");
    assert!(decomposed.contains("SNV · Phông Sở Nội vụ"), "typed decomposed: {decomposed}");
    assert!(locate("XYZ-404").contains("Không tìm thấy gì"), "nothing");
    assert!(locate(&"9".repeat(10_000)).contains("quá dài"), "a scanner's stray burst");
    let page = browser.get(format!("{}/locate?q=SNV-0002", app.url)).send().unwrap().text().unwrap();
    assert!(page.contains("<html lang=\"vi\">") && page.contains("Hộp SNV-0002"), "without script: the whole page");
}

#[test]
fn every_screen_answers_every_role_as_the_access_table_says() {
    let app = TestApp::spawn();
    // Signing out last: it ends the session the others use.
    let mut screens: Vec<&(&str, &str, Access)> =
        ROUTES.iter().filter(|(_, _, a)| matches!(a, Access::Person(_))).collect();
    screens.sort_by_key(|(_, path, _)| *path == "/sign-out");
    assert!(!screens.is_empty());
    let someone = person(&app, "someone", Role::Viewer).id.to_string();
    // An audit for the audit's screens to show.
    let repo = repository(&app);
    let shelf = repo.shelves[0];
    let audit = app.post("/api/v1/audits", json!({"location_id": shelf, "scanned": []})).body["id"].to_string();
    let a_file = file(&app, fonds(&app, "TT", "Phông thử"), 1, 10, json!({})).to_string();
    // A reader with a file in hand, for the reading room's screens.
    let held = crate::support::fixtures::new_box(&app, "RR-1", shelf, json!({}));
    let lent = file(&app, fonds(&app, "DG", "Phông đọc"), 1, 10, json!({"box_id": held["id"]}));
    let reader_body =
        json!({"full_name": "Độc giả", "identity_type": "other", "identity_no": "READER1", "purpose": "personal"});
    let reader = app.post("/api/v1/readers", reader_body).body["id"].to_string();
    let asked = json!({"reader_id": reader.parse::<i64>().unwrap(), "kind": "read", "lines": [{"file_id": lent}]});
    let request = app.post("/api/v1/reading-requests", asked).body["id"].as_i64().unwrap();
    let to_reading_room = json!({"to_location_id": repo.reading_room, "reason": "reading_room"});
    assert_eq!(crate::support::fixtures::move_box(&app, held["id"].as_i64().unwrap(), to_reading_room).status, 201);
    assert_eq!(app.post("/api/v1/visits", json!({"reader_id": reader.parse::<i64>().unwrap()})).status, 201);
    let handover = app.post("/api/v1/handovers", json!({"request_id": request, "line_no": 1}));
    let handover = handover.body["id"].as_i64().expect("a file issued").to_string();
    let proposed = json!({"file_id": a_file.parse::<i64>().unwrap(), "type": "backing"});
    let treatment = app.post("/api/v1/treatments", proposed).body["id"].to_string();
    let key = app.post("/api/v1/api-keys", json!({"name": "kiosk", "role": "viewer"})).body["id"].to_string();
    let hook = json!({"url": "http://127.0.0.1:9/hook"});
    let webhook = app.post("/api/v1/webhooks", hook).body["id"].to_string();
    let id_in = |path: &str| {
        let path = path.replace("{name}", "damage_type").replace("{code}", "mould");
        let id = match path.as_str() {
            _ if path.starts_with("/audit/") => &audit,
            _ if path.starts_with("/treatments/") => &treatment,
            _ if path.starts_with("/admin/keys/") => &key,
            _ if path.starts_with("/admin/webhooks/") => &webhook,
            _ if path.starts_with("/files/") => &a_file,
            _ if path.starts_with("/readers/") => &reader,
            _ if path.starts_with("/handovers/") => &handover,
            _ => &someone,
        };
        path.replace("{id}", id)
    };
    for role in Role::ALL {
        let username = format!("u-{}", role.as_str().replace('_', "-"));
        person(&app, &username, *role);
        let browser = signed_in(&app, &username);
        let token = token(&app, &browser);
        for (method, path, access) in &screens {
            let Access::Person(permission) = access else { unreachable!() };
            let url = format!("{}{}", app.url, id_in(path));
            let answer = match *method {
                "GET" => browser.get(url).send().unwrap(),
                // Only the token: a screen's form refuses what is missing, once it is reached.
                _ => browser.post(url).form(&[("csrf", token.as_str())]).send().unwrap(),
            };
            let status = answer.status().as_u16();
            let to = answer.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
            if role.may(*permission) {
                let reached = match *method {
                    "GET" => status == 200,
                    _ => (status == 303 && !to.starts_with("/sign-in?")) || status == 400 || status == 422,
                };
                assert!(reached, "{method} {path} as {role}: {status} {to}");
            } else {
                assert_eq!(status, 403, "{method} {path} as {role}");
            }
        }
    }
    // Without a session, every screen sends to sign in.
    for (method, path, _) in &screens {
        let url = format!("{}{}", app.url, id_in(path));
        let answer = match *method {
            "GET" => browser().get(url).send().unwrap(),
            _ => browser().post(url).form(&[("csrf", "x")]).send().unwrap(),
        };
        assert_eq!(answer.status().as_u16(), 303, "{method} {path}");
    }
}

#[test]
fn assets_are_served_at_hashed_urls_kept_for_a_year() {
    let app = TestApp::spawn();
    let page = browser().get(format!("{}/sign-in", app.url)).send().unwrap().text().unwrap();
    let css = page.split("href=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(
        css.starts_with("/assets/app.") && css.ends_with(".css") && css.len() > "/assets/app..css".len() + 7,
        "{css}"
    );
    let answer = browser().get(format!("{}{css}", app.url)).send().unwrap();
    assert_eq!(answer.headers()["cache-control"], "public, max-age=31536000, immutable");
    let stylesheet = answer.text().unwrap();
    let font = stylesheet.split("url(\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(
        font.starts_with("/assets/fonts/be-vietnam-pro-vietnamese-400-normal.") && font.ends_with(".woff2"),
        "{font}"
    );
    assert_eq!(browser().get(format!("{}{font}", app.url)).send().unwrap().status().as_u16(), 200);
    assert_eq!(browser().get(format!("{}/assets/app.css", app.url)).send().unwrap().status().as_u16(), 404);
}
