//! A real browser for the app's journeys: Debian's `chromium`, driven through its
//! `chromium-driver` over the W3C WebDriver protocol — a handful of JSON calls over HTTP, made
//! here with the tests' blocking HTTP client (no async runtime, no browser download).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

const DRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// axe-core 4.10.2, unmodified (Mozilla Public License 2.0: tests/vendor/axe-LICENSE.txt).
const AXE: &str = include_str!("../../vendor/axe-4.10.2.min.js");

pub struct Browser {
    driver: Child,
    http: Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
}

impl Browser {
    /// A headless browser, or `None` with a line saying the journeys were skipped when the
    /// driver is not installed (`.ci/run` installs it, so in CI they always run).
    pub fn open() -> Option<Browser> {
        if !std::path::Path::new(DRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
            eprintln!(
                "SKIPPED: the browser journeys need chromium and chromium-driver (apt-get install chromium chromium-driver)"
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(DRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium-driver starts");
        let http = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM,
            // As root in a container, Chromium needs these.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--lang=vi-VN"],
            // A Vietnamese archive's browser.
            "prefs": {"intl.accept_languages": "vi-VN,vi"}
        }}}});
        let started = Instant::now();
        let session = loop {
            match http.post(format!("{base}/session")).json(&capabilities).send().and_then(|r| r.json::<Value>()) {
                Ok(answer) if answer["value"]["sessionId"].is_string() => {
                    break answer["value"]["sessionId"].as_str().unwrap().to_string();
                }
                other if started.elapsed() > Duration::from_secs(20) => panic!("no browser session: {other:?}"),
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        Some(Browser { driver, http, session: format!("{base}/session/{session}") })
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().unwrap().json().unwrap();
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    pub fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})));
    }

    pub fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).as_str().unwrap().to_string()
    }

    fn element(&self, css: &str) -> String {
        let found = self.call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})));
        found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).unwrap().to_string()
    }

    /// Types `text` into the element (`\n` presses Enter).
    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.call(reqwest::Method::POST, &format!("/element/{element}/value"), Some(json!({"text": text})));
    }

    /// Presses `keys` on whatever has the focus, as a keyboard does (`\u{E004}` is Tab,
    /// `\u{E007}` Enter, `\u{E008}` Shift held until the end).
    pub fn press(&self, keys: &str) {
        let mut actions: Vec<Value> = Vec::new();
        for key in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": key.to_string()}));
            if key != '\u{E008}' {
                actions.push(json!({"type": "keyUp", "value": key.to_string()}));
            }
        }
        if keys.contains('\u{E008}') {
            actions.push(json!({"type": "keyUp", "value": "\u{E008}"}));
        }
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]});
        self.call(reqwest::Method::POST, "/actions", Some(body));
    }

    /// Presses `key` until the focused element matches `css` (at most 30 times): what a person
    /// does with Tab. Fails if it never gets there.
    pub fn press_until(&self, key: &str, css: &str) {
        let focused = format!("return document.activeElement.matches({})", json!(css));
        for _ in 0..30 {
            if self.run(&focused) == json!(true) {
                return;
            }
            self.press(key);
        }
        panic!("the keyboard never reached {css}");
    }

    pub fn click(&self, css: &str) {
        let element = self.element(css);
        self.call(reqwest::Method::POST, &format!("/element/{element}/click"), Some(json!({})));
    }

    /// Runs `script` in the page and gives back what it returns.
    pub fn run(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []})))
    }

    /// The text of every element matching `css`, in document order.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let script = format!(
            "return Array.from(document.querySelectorAll({})).map(e => e.innerText.trim().replace(/\\s+/g, ' '))",
            json!(css)
        );
        serde_json::from_value(self.run(&script)).unwrap()
    }

    /// Waits (up to 10 s) until `done` holds.
    pub fn wait_until(&self, what: &str, done: impl Fn(&Browser) -> bool) {
        let started = Instant::now();
        while !done(self) {
            assert!(started.elapsed() < Duration::from_secs(10), "waited 10 s for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Saves the page at 1280 and at 390 px wide, `target/journeys/NAME-WIDTH.png`, and checks
    /// that at 360 px (a small phone, or 720 px at 200 % zoom) nothing needs scrolling sideways.
    pub fn screenshots(&self, name: &str) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/journeys");
        std::fs::create_dir_all(&dir).unwrap();
        for width in [1280, 390] {
            self.call(reqwest::Method::POST, "/window/rect", Some(json!({"width": width, "height": 900})));
            let png = self.call(reqwest::Method::GET, "/screenshot", None);
            let bytes = base64_decode(png.as_str().unwrap());
            std::fs::write(dir.join(format!("{name}-{width}.png")), bytes).unwrap();
        }
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({"width": 360, "height": 900})));
        let sideways = "const e = document.documentElement; return e.scrollWidth - e.clientWidth";
        assert_eq!(self.run(sideways), json!(0), "{name} at 360 px scrolls sideways");
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({"width": 1280, "height": 900})));
    }

    /// The page printed to PDF on paper of this size (cm), without margins: what the browser's
    /// Print gives.
    pub fn print_pdf(&self, width_cm: f64, height_cm: f64) -> Vec<u8> {
        let asked = json!({"page": {"width": width_cm, "height": height_cm}, "background": true, "shrinkToFit": false,
                           "margin": {"top": 0, "bottom": 0, "left": 0, "right": 0}});
        let pdf = self.call(reqwest::Method::POST, "/print", Some(asked));
        base64_decode(pdf.as_str().unwrap())
    }

    /// Runs axe-core on the page (WCAG 2.0–2.2 A and AA); fails with every violation found.
    pub fn assert_accessible(&self, page: &str) {
        self.run(&format!("{AXE}\nreturn true;"));
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']})
               .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', '))));";
        let violations =
            self.call(reqwest::Method::POST, "/execute/async", Some(json!({"script": script, "args": []})));
        assert_eq!(violations, json!([]), "axe on {page}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.session).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}
