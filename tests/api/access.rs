//! The authorization matrix: every route of the access table, called by every role, without a
//! key and with a revoked key. Each call is a request that would succeed but for the caller
//! (real ids, valid bodies), so a refused role gets 403 and nothing else.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use paperkeep::keys::access::{Access, ROUTES};
use paperkeep::keys::model::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{self, Repository, id};
use crate::support::{Answer, TestApp, count_rows};

/// Records every call needs: a repository, a fonds with a file, a box, an audit, a treatment.
struct World {
    repository: Repository,
    fonds: i64,
    file: i64,
    archive_box: i64,
    /// Moved in bulk, so that the first bulk move is not refused as a move to where it is.
    bulk_box: i64,
    barcode: String,
    shelf_path: String,
    unit_path: String,
    audit: i64,
    treatment: i64,
    webhook: i64,
    person: i64,
    reader: i64,
    reader_no: String,
    request: i64,
    visit: i64,
    /// Makes codes, barcodes and page numbers unique from call to call.
    counter: AtomicUsize,
}

impl World {
    fn build(app: &TestApp) -> World {
        let repository = fixtures::repository(app);
        let fonds = fixtures::fonds(app, "F0", "Phông thử");
        let file = fixtures::file(app, fonds, 1, 5000, json!({}));
        let barcode = "ACC-BOX".to_string();
        let archive_box = id(&fixtures::new_box(app, &barcode, repository.shelves[0], json!({})));
        let bulk_box = id(&fixtures::new_box(app, "ACC-BULK", repository.shelves[0], json!({})));
        let path_code = |location: i64| app.get(&format!("/api/v1/locations/{location}")).body["path_code"].clone();
        let shelf_path = path_code(repository.shelves[1]).as_str().unwrap().to_string();
        let unit_path = path_code(repository.unit).as_str().unwrap().to_string();
        let audit = id(&app.post("/api/v1/audits", json!({"location_id": repository.shelves[0], "scanned": []})).body);
        let treatment = id(&app.post("/api/v1/treatments", json!({"file_id": file, "type": "mending"})).body);
        let webhook = id(&app.post("/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook"})).body);
        let person = crate::support::staff::person(app, "lan", paperkeep::keys::model::Role::Viewer).id;
        let reader = app.post(
            "/api/v1/readers",
            json!({"full_name": "Trần Văn Minh", "identity_type": "cccd", "identity_no": "001234567890", "purpose": "personal"}),
        );
        let asked = json!({"reader_id": id(&reader.body), "kind": "read", "lines": [{"file_id": file}]});
        let request = id(&app.post("/api/v1/reading-requests", asked).body);
        let visitor = app.post(
            "/api/v1/readers",
            json!({"full_name": "Lê Thị Thu", "identity_type": "other", "identity_no": "VISIT0001", "purpose": "personal"}),
        );
        let visit = id(&app.post("/api/v1/visits", json!({"reader_id": id(&visitor.body)})).body);
        World {
            person,
            request,
            visit,
            reader: id(&reader.body),
            reader_no: reader.body["reader_no"].as_str().unwrap().to_string(),
            repository,
            fonds,
            file,
            archive_box,
            bulk_box,
            barcode,
            shelf_path,
            unit_path,
            audit,
            treatment,
            webhook,
            counter: AtomicUsize::new(1),
        }
    }
}

/// One call: method, concrete path, and a JSON or CSV body.
struct Call {
    path: String,
    json: Option<Value>,
    csv: Option<String>,
}

impl Call {
    fn to(path: impl Into<String>) -> Call {
        Call { path: path.into(), json: None, csv: None }
    }

    fn json(path: impl Into<String>, body: Value) -> Call {
        Call { path: path.into(), json: Some(body), csv: None }
    }

    fn csv(path: impl Into<String>, body: String) -> Call {
        Call { path: path.into(), json: None, csv: Some(body) }
    }
}

/// A request to `method route` that only the caller's role could spoil. Deleting and revoking
/// get a fresh target each time, made by the admin.
fn call(app: &TestApp, world: &World, method: &str, route: &str) -> Call {
    let n = world.counter.fetch_add(1, Ordering::SeqCst);
    let r = &world.repository;
    let (file, fonds, archive_box, audit, treatment) =
        (world.file, world.fonds, world.archive_box, world.audit, world.treatment);
    match (method, route) {
        (_, "/healthz" | "/readyz" | "/openapi.yaml" | "/docs" | "/metrics") => Call::to(route),
        ("POST", "/api/v1/api-keys") => Call::json(route, json!({"name": format!("key {n}"), "role": "viewer"})),
        ("GET", "/api/v1/api-keys/{id}") => Call::to("/api/v1/api-keys/1"),
        ("POST", "/api/v1/api-keys/{id}/revoke") => {
            let key = app.post("/api/v1/api-keys", json!({"name": format!("doomed {n}"), "role": "viewer"}));
            Call::to(format!("/api/v1/api-keys/{}/revoke", id(&key.body)))
        }
        ("POST", "/api/v1/locations") => {
            Call::json(route, json!({"parent_id": r.unit, "kind": "bay", "code": format!("B{n}")}))
        }
        ("GET" | "PATCH", "/api/v1/locations/{id}") => {
            Call::json(format!("/api/v1/locations/{}", r.room), json!({"name": format!("Phòng kho {n}")}))
        }
        ("DELETE", "/api/v1/locations/{id}") => {
            let doomed = fixtures::location(app, Some(r.unit), "bay", &format!("D{n}"), json!({}));
            Call::to(format!("/api/v1/locations/{}", id(&doomed)))
        }
        ("POST", "/api/v1/locations/{id}/shelving") => Call::json(
            format!("/api/v1/locations/{}/shelving", r.unit),
            json!({"bays": 1, "shelves_per_bay": 1, "capacity_mm": 1000, "first_bay": 100 + n}),
        ),
        ("GET", "/api/v1/locations/{id}/boxes") => Call::to(format!("/api/v1/locations/{}/boxes", r.room)),
        ("GET", "/api/v1/space") => Call::to(format!("/api/v1/space?within={}&boxes=1", r.room)),
        ("POST", "/api/v1/boxes") => {
            Call::json(route, json!({"barcode": format!("ACC-{n}"), "home_location_id": r.shelves[1]}))
        }
        ("GET", "/api/v1/locations/by-barcode/{barcode}") => Call::to("/api/v1/locations/by-barcode/LOC-000001"),
        ("GET", "/api/v1/boxes/by-barcode/{barcode}") => {
            Call::to(format!("/api/v1/boxes/by-barcode/{}", world.barcode))
        }
        ("GET" | "PATCH", "/api/v1/boxes/{id}") => {
            Call::json(format!("/api/v1/boxes/{archive_box}"), json!({"label": format!("Hộp {n}")}))
        }
        ("POST" | "GET", "/api/v1/boxes/{id}/moves") => Call::json(
            format!("/api/v1/boxes/{archive_box}/moves"),
            json!({"to_location_id": r.lab, "reason": "conservation"}),
        ),
        ("POST", "/api/v1/boxes/{id}/found" | "/api/v1/boxes/{id}/lost") => {
            // A box of its own, missing from a shelf of its own.
            let shelf =
                id(&fixtures::location(app, Some(r.bays[1]), "shelf", &format!("M{n}"), json!({"capacity_mm": 500})));
            let missing = id(&fixtures::new_box(app, &format!("MISSING-{n}"), shelf, json!({})));
            fixtures::reconciled_audit(app, shelf, json!([]));
            Call::json(route.replace("{id}", &missing.to_string()), json!({"note": "Kiểm tra kho lần ba"}))
        }
        ("POST", "/api/v1/moves") => Call::json(
            route,
            json!({"reason": "conservation", "moves": [{"box_id": world.bulk_box, "to_location_id": r.lab}]}),
        ),
        ("GET", "/api/v1/moves/{id}") => Call::to("/api/v1/moves/1"),
        ("POST", "/api/v1/audits") => Call::json(route, json!({"location_id": r.shelves[2], "scanned": []})),
        ("GET", "/api/v1/audits/{id}") => Call::to(format!("/api/v1/audits/{audit}")),
        ("POST", "/api/v1/audits/{id}/reconcile") => Call::to(format!("/api/v1/audits/{audit}/reconcile")),
        ("POST", "/api/v1/fonds") => Call::json(route, json!({"code": format!("F{n}"), "name": format!("Phông {n}")})),
        ("GET" | "PATCH", "/api/v1/fonds/{id}") => {
            Call::json(format!("/api/v1/fonds/{fonds}"), json!({"name": format!("Phông thử {n}")}))
        }
        ("POST", "/api/v1/files") => Call::json(
            route,
            json!({"fonds_id": fonds, "inventory_no": 2, "file_no": n, "title": "Hồ sơ", "page_count": 10}),
        ),
        ("GET" | "PATCH", "/api/v1/files/{id}") => {
            Call::json(format!("/api/v1/files/{file}"), json!({"title": format!("Hồ sơ {n}")}))
        }
        ("GET", "/api/v1/files/{id}/pages/{page}") => Call::to(format!("/api/v1/files/{file}/pages/1")),
        ("GET", "/api/v1/vocabularies/{name}") => Call::to("/api/v1/vocabularies/damage_type"),
        ("POST", "/api/v1/vocabularies/{name}/terms") => Call::json(
            "/api/v1/vocabularies/damage_type/terms",
            json!({"code": format!("term_{n}"), "label_vi": "Hư hại", "label_en": "Damage"}),
        ),
        ("GET" | "PATCH", "/api/v1/vocabularies/{name}/terms/{code}") => {
            Call::json("/api/v1/vocabularies/damage_type/terms/torn", json!({"label_en": format!("torn {n}")}))
        }
        ("POST", "/api/v1/assessments") => Call::json(route, json!({"file_id": file, "grade": 2})),
        ("GET", "/api/v1/assessments/{id}") => Call::to("/api/v1/assessments/1"),
        ("POST", "/api/v1/assessments/{id}/withdrawal") => {
            // An assessment of its own: each is withdrawn once.
            let assessed = app.post("/api/v1/assessments", json!({"file_id": file, "grade": 2}));
            Call::json(format!("/api/v1/assessments/{}/withdrawal", id(&assessed.body)), json!({"reason": "Ghi nhầm"}))
        }
        ("POST", "/api/v1/treatments") => {
            Call::json(route, json!({"file_id": file, "pages": n.to_string(), "type": "cleaning"}))
        }
        ("POST", "/api/v1/treatments/batch") => Call::json(
            route,
            json!({"entries": [{"file_id": file, "pages": (2500 + n).to_string(), "type": "cleaning"}]}),
        ),
        ("GET", "/api/v1/treatments/{id}") => Call::to(format!("/api/v1/treatments/{treatment}")),
        ("POST", "/api/v1/treatments/{id}/transitions") => {
            Call::json(format!("/api/v1/treatments/{treatment}/transitions"), json!({"to": "cancelled"}))
        }
        ("GET", "/api/v1/reports/activity") => Call::to("/api/v1/reports/activity?from=2026-01-01&to=2026-12-31"),
        ("POST", "/api/v1/imports/locations") => Call::csv(
            "/api/v1/imports/locations?dry_run=true",
            format!("kind,code,parent\nbay,I{n},{}\n", world.unit_path),
        ),
        ("POST", "/api/v1/imports/boxes") => {
            Call::csv("/api/v1/imports/boxes?dry_run=true", format!("barcode,home\nIMP-{n},{}\n", world.shelf_path))
        }
        ("POST", "/api/v1/imports/files") => Call::csv(
            "/api/v1/imports/files?dry_run=true",
            format!("fonds_code,inventory_no,file_no,title,page_count\nF0,3,{n},Hồ sơ,5\n"),
        ),
        ("POST", "/api/v1/webhooks") => Call::json(route, json!({"url": "http://127.0.0.1:9/hook"})),
        ("GET", "/api/v1/webhooks/{id}") => Call::to(format!("/api/v1/webhooks/{}", world.webhook)),
        ("POST", "/api/v1/webhooks/{id}/deactivate") => {
            let doomed = app.post("/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/doomed"}));
            Call::to(format!("/api/v1/webhooks/{}/deactivate", id(&doomed.body)))
        }
        ("GET", "/api/v1/webhooks/{id}/deliveries") => {
            Call::to(format!("/api/v1/webhooks/{}/deliveries", world.webhook))
        }
        ("GET", "/api/v1/people/{id}") => Call::to(format!("/api/v1/people/{}", world.person)),
        ("POST", "/api/v1/readers") => Call::json(
            route,
            json!({"full_name": format!("Độc giả {n}"), "identity_type": "other", "identity_no": format!("ACC{n:05}"),
                   "purpose": "personal"}),
        ),
        ("GET", "/api/v1/readers/by-number/{reader_no}") => {
            Call::to(format!("/api/v1/readers/by-number/{}", world.reader_no))
        }
        ("GET" | "PATCH", "/api/v1/readers/{id}") => {
            Call::json(format!("/api/v1/readers/{}", world.reader), json!({"topic": format!("Đề tài {n}")}))
        }
        ("POST", "/api/v1/closures") => {
            let day = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap() + chrono::Duration::days(n as i64);
            Call::json(route, json!({"first_day": day, "name": format!("Nghỉ {n}")}))
        }
        ("GET", "/api/v1/closures/{id}") => {
            let day = chrono::NaiveDate::from_ymd_opt(2034, 1, 1).unwrap() + chrono::Duration::days(n as i64);
            let kept = app.post("/api/v1/closures", json!({"first_day": day, "name": "Nghỉ lễ"}));
            Call::to(format!("/api/v1/closures/{}", id(&kept.body)))
        }
        ("DELETE", "/api/v1/closures/{id}") => {
            let day = chrono::NaiveDate::from_ymd_opt(2032, 1, 1).unwrap() + chrono::Duration::days(n as i64);
            let doomed = app.post("/api/v1/closures", json!({"first_day": day, "name": "Nghỉ bù"}));
            Call::to(format!("/api/v1/closures/{}", id(&doomed.body)))
        }
        ("POST", "/api/v1/reading-requests") => {
            Call::json(route, json!({"reader_id": world.reader, "kind": "read", "lines": [{"file_id": file}]}))
        }
        ("POST", "/api/v1/reading-requests/check") => {
            Call::json(route, json!({"reader_id": world.reader, "lines": [{"file_id": file}]}))
        }
        ("GET", "/api/v1/reading-requests/{id}") => Call::to(format!("/api/v1/reading-requests/{}", world.request)),
        ("POST", "/api/v1/reading-requests/{id}/decision") => {
            let restricted = shelved_file(app, world, n, "restricted");
            let asked = json!({"reader_id": world.reader, "kind": "read", "lines": [{"file_id": restricted}]});
            let asked = id(&app.post("/api/v1/reading-requests", asked).body);
            Call::json(format!("/api/v1/reading-requests/{asked}/decision"), json!({"approved": true}))
        }
        ("POST", "/api/v1/reading-requests/{id}/cancel") => {
            let servable = shelved_file(app, world, n, "open");
            let asked = json!({"reader_id": world.reader, "kind": "read", "lines": [{"file_id": servable}]});
            let asked = id(&app.post("/api/v1/reading-requests", asked).body);
            Call::json(format!("/api/v1/reading-requests/{asked}/cancel"), json!({"reason": "Độc giả không đến"}))
        }
        ("POST", "/api/v1/reading-requests/{id}/copy-transitions") => {
            let file = shelved_file(app, world, n, "open");
            let asked = json!({"reader_id": new_reader(app, n), "kind": "copy", "format": "pdf",
                               "lines": [{"file_id": file, "pages": "1-2"}]});
            let asked = id(&app.post("/api/v1/reading-requests", asked).body);
            Call::json(format!("/api/v1/reading-requests/{asked}/copy-transitions"), json!({"to": "approved"}))
        }
        ("POST", "/api/v1/pull-list/take") => {
            asked_for(app, world, n);
            Call::json(route, json!({}))
        }
        ("POST", "/api/v1/handovers") => {
            let request = delivered(app, world, n);
            Call::json(route, json!({"request_id": request, "line_no": 1, "leaves": 5}))
        }
        ("GET", "/api/v1/handovers/{id}") | ("POST", "/api/v1/handovers/{id}/return") => {
            let request = delivered(app, world, n);
            let issued = app.post("/api/v1/handovers", json!({"request_id": request, "line_no": 1, "leaves": 5}));
            Call::json(
                format!("/api/v1/handovers/{}", id(&issued.body)) + if method == "POST" { "/return" } else { "" },
                json!({"leaves": 5}),
            )
        }
        ("POST", "/api/v1/readers/anonymise") => Call::json(route, json!({"reader_id": new_reader(app, n)})),
        ("PATCH", "/api/v1/reading-rules") => Call::json(route, json!({"keep_days": 14})),
        ("POST", "/api/v1/visits") => Call::json(route, json!({"reader_id": world.reader})),
        ("GET", "/api/v1/visits/{id}") => Call::to(format!("/api/v1/visits/{}", world.visit)),
        ("POST", "/api/v1/visits/{id}/check-out") => {
            let body = json!({"full_name": format!("Khách {n}"), "identity_type": "other",
                              "identity_no": format!("OUT{n:05}"), "purpose": "personal"});
            let visitor = id(&app.post("/api/v1/readers", body).body);
            let visit = id(&app.post("/api/v1/visits", json!({"reader_id": visitor})).body);
            Call::json(format!("/api/v1/visits/{visit}/check-out"), json!({}))
        }
        ("GET", "/api/v1/calendar/due") => Call::to("/api/v1/calendar/due?from=2026-12-07T03:00:00Z&working_days=1"),
        ("GET", _) if !route.contains('{') => Call::to(route),
        _ => panic!("the access test has no request for {method} {route}: add one"),
    }
}

/// A file of its own, of `access`, in a box of its own on a shelf of its own: servable.
fn shelved_file(app: &TestApp, world: &World, n: usize, access: &str) -> i64 {
    let bay = Some(world.repository.bays[1]);
    let shelf = id(&fixtures::location(app, bay, "shelf", &format!("Q{n}"), json!({"capacity_mm": 500})));
    let shelved = id(&fixtures::new_box(app, &format!("DEC-{n}"), shelf, json!({})));
    let body = json!({"fonds_id": world.fonds, "inventory_no": 4, "file_no": n, "title": "Hồ sơ",
                      "page_count": 5, "access": access, "box_id": shelved});
    id(&app.post("/api/v1/files", body).body)
}

/// A reader of their own who asks for a file of its own, on a shelf: its request's id.
fn asked_for(app: &TestApp, world: &World, n: usize) -> i64 {
    let file = shelved_file(app, world, n, "open");
    let asked = json!({"reader_id": new_reader(app, n), "kind": "read", "lines": [{"file_id": file}]});
    id(&app.post("/api/v1/reading-requests", asked).body)
}

fn new_reader(app: &TestApp, n: usize) -> i64 {
    let body = json!({"full_name": "Độc giả", "identity_type": "other", "identity_no": format!("READER{n}"),
                      "purpose": "personal"});
    id(&app.post("/api/v1/readers", body).body)
}

/// As [`asked_for`], the box then in the reading room and the reader in: ready to issue.
fn delivered(app: &TestApp, world: &World, n: usize) -> i64 {
    let request = asked_for(app, world, n);
    let asked = app.get(&format!("/api/v1/reading-requests/{request}"));
    let file = app.get(&format!("/api/v1/files/{}", asked.body["lines"][0]["file_id"]));
    let to_reading_room = json!({"to_location_id": world.repository.reading_room, "reason": "reading_room"});
    assert_eq!(fixtures::move_box(app, file.body["box_id"].as_i64().unwrap(), to_reading_room).status, 201);
    assert_eq!(app.post("/api/v1/visits", json!({"reader_id": asked.body["reader_id"]})).status, 201);
    request
}

fn send(app: &TestApp, key: Option<&str>, method: &str, call: Call) -> Answer {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.request_as(key, method.clone(), &call.path);
    if method == Method::PATCH {
        request = request.header("If-Match", "*");
    }
    if method == Method::POST || method == Method::PATCH {
        request = match (call.json, call.csv) {
            (_, Some(csv)) => request.header("Content-Type", "text/csv").body(csv),
            (Some(json), _) => request.json(&json),
            (None, None) => request,
        };
    }
    request.send().into()
}

#[test]
fn every_route_answers_every_role_as_the_access_table_says() {
    let app = TestApp::spawn();
    let world = World::build(&app);
    let revoked = app.key("admin");
    let revoked_id = app.get("/api/v1/api-keys?limit=500").items().last().unwrap()["id"].as_i64().unwrap();
    assert_eq!(app.post(&format!("/api/v1/api-keys/{revoked_id}/revoke"), json!(null)).status, 200);
    let keys: Vec<(Role, String)> = Role::ALL.iter().map(|role| (*role, app.key(role.as_str()))).collect();

    // The app's routes are called by tests/api/app.rs, signed in as people.
    for (method, route, access) in ROUTES.iter().filter(|(_, _, access)| is_api(access)) {
        let label = format!("{method} {route}");
        let mut trail_grew = false;
        for (role, key) in &keys {
            let call = call(&app, &world, method, route);
            let events_before = count_rows(&app, "events");
            let answer = send(&app, Some(key), method, call);
            trail_grew |= answer.status < 300 && count_rows(&app, "events") > events_before;
            let allowed = match access {
                Access::Key(permission) => role.may(*permission),
                _ => true,
            };
            if allowed {
                assert!(![401, 403].contains(&answer.status), "{label} as {role}: {} {}", answer.status, answer.text);
                assert!(answer.status < 500, "{label} as {role}: {} {}", answer.status, answer.text);
            } else {
                answer.problem(403);
            }
        }
        // Every write leaves its mark in the audit trail (imports here are dry runs, and a check
        // of files for a reader records nothing: no write).
        let dry = route.starts_with("/api/v1/imports/") || *route == "/api/v1/reading-requests/check";
        let writes = *method != "GET" && !dry;
        assert_eq!(trail_grew, writes, "{label}: a write must leave an event, a read none");
        for (caller, key) in [("no key", None), ("a revoked key", Some(revoked.as_str()))] {
            let answer = send(&app, key, method, call(&app, &world, method, route));
            match access {
                Access::Key(_) => {
                    answer.problem(401);
                }
                _ => assert!(answer.status < 300, "{label} with {caller}: {}", answer.status),
            }
        }
    }
}

#[test]
fn the_access_table_and_the_served_routes_are_the_same() {
    let document: Value = serde_json::to_value(paperkeep::http::openapi()).unwrap();
    let served: BTreeSet<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().unwrap().keys().map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    let api: Vec<_> = ROUTES.iter().filter(|(_, _, access)| is_api(access)).collect();
    let table: BTreeSet<String> = api.iter().map(|(method, path, _)| format!("{method} {path}")).collect();
    assert_eq!(served, table, "a route is missing from keys::access::ROUTES, or an entry has no route");
    assert_eq!(table.len(), api.len(), "a route is listed twice");
}

/// A few cells of the matrix spelled out, so that the table itself cannot drift unnoticed.
#[test]
fn the_matrix_says_what_the_archive_expects() {
    let may = |role: Role, method: &str, path: &str| match paperkeep::keys::access::required(method, path) {
        Some(Access::Key(permission)) => role.may(permission),
        other => panic!("{method} {path}: {other:?}"),
    };
    assert!(may(Role::Viewer, "GET", "/api/v1/boxes/by-barcode/{barcode}"));
    assert!(!may(Role::Viewer, "POST", "/api/v1/boxes"));
    assert!(may(Role::StorageManager, "POST", "/api/v1/moves"));
    assert!(!may(Role::StorageManager, "POST", "/api/v1/treatments"));
    assert!(may(Role::Conservator, "POST", "/api/v1/boxes/{id}/moves"));
    assert!(!may(Role::Conservator, "PATCH", "/api/v1/boxes/{id}"));
    assert!(may(Role::HeadConservator, "POST", "/api/v1/treatments/{id}/transitions"));
    assert!(!may(Role::Integration, "POST", "/api/v1/assessments"));
    assert!(!may(Role::HeadConservator, "GET", "/api/v1/audit-trail"));
    assert!(may(Role::Admin, "GET", "/api/v1/audit-trail"));
    assert!(!may(Role::StorageManager, "GET", "/api/v1/export"));
}

/// Whether a route of the table is the API's (the others are the staff app's screens).
fn is_api(access: &Access) -> bool {
    matches!(access, Access::Public | Access::Key(_))
}
