//! Health, readiness, metrics and the documentation page: no key needed.

use reqwest::Method;

use crate::support::{Answer, TestApp};

#[test]
fn health_and_readiness_answer_without_a_key() {
    let app = TestApp::spawn();
    let health: Answer = app.request_as(None, Method::GET, "/healthz").send().into();
    assert_eq!((health.status, &health.body["status"]), (200, &"ok".into()));
    let ready: Answer = app.request_as(None, Method::GET, "/readyz").send().into();
    assert_eq!((ready.status, &ready.body["status"]), (200, &"ready".into()));
}

#[test]
fn metrics_count_requests_per_route_in_prometheus_text() {
    let app = TestApp::spawn();
    app.get("/api/v1/locations");
    app.get("/api/v1/locations/12345");
    let metrics: Answer = app.request_as(None, Method::GET, "/metrics").send().into();
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    assert!(
        metrics
            .text
            .contains("paperkeep_http_requests_total{endpoint=\"/api/v1/locations\",method=\"GET\",status=\"200\"} 1"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("endpoint=\"/api/v1/locations/{id}\",method=\"GET\",status=\"404\""),
        "routes are labelled by pattern, not by id"
    );
}

#[test]
fn the_documentation_page_is_served_from_the_binary() {
    let app = TestApp::spawn();
    let redirect = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = redirect.get(format!("{}/docs", app.url)).send().unwrap();
    assert_eq!(answer.status(), 308);
    assert_eq!(answer.headers()["location"], "/docs/");
    let page: Answer = app.request_as(None, Method::GET, "/docs/").send().into();
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger-ui"), "{}", page.text);
    // Every asset comes from the service itself, so the page works offline.
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"] {
        assert!(page.text.contains(&format!("./{asset}")), "{asset} is referenced locally");
        let file: Answer = app.request_as(None, Method::GET, &format!("/docs/{asset}")).send().into();
        assert_eq!(file.status, 200, "{asset}");
    }
    assert!(!page.text.contains("https://"), "no asset is fetched from elsewhere");
    let init: Answer = app.request_as(None, Method::GET, "/docs/swagger-initializer.js").send().into();
    assert!(init.text.contains("/openapi.yaml"), "the page loads this service's contract");
}
