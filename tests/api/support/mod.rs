//! The test harness. One private PostgreSQL per test binary (stopped by an exit hook), one
//! migrated template database, and per test a database cloned from it with the real App
//! serving it on 127.0.0.1:0, driven over real HTTP.

pub mod browser;
pub mod fixtures;
pub mod service;
pub mod staff;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use paperkeep::config::{HttpConfig, PoolConfig};
use paperkeep::db::local::LocalPostgres;
use paperkeep::db::{self, Pool, PooledConn};
use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::HeaderMap;
use serde_json::Value;

const TEMPLATE: &str = "paperkeep_template";

/// The server, kept where the exit hook can stop it (statics are never dropped).
static SERVER: Mutex<Option<LocalPostgres>> = Mutex::new(None);
static STARTED: Once = Once::new();
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

extern "C" fn stop_cluster() {
    if let Ok(mut server) = SERVER.lock()
        && let Some(mut server) = server.take()
    {
        server.stop();
    }
}

/// The URL of `database` on the test cluster, starting the cluster on first use.
pub fn database_url(database: &str) -> String {
    STARTED.call_once(|| {
        let server = LocalPostgres::start_scratch().expect("the test PostgreSQL starts");
        server.ensure_database(TEMPLATE).expect("the template database is created");
        let mut conn = PgConnection::establish(&server.url(TEMPLATE)).expect("the template accepts connections");
        db::migrate(&mut conn).expect("migrations apply to the template");
        *SERVER.lock().unwrap() = Some(server);
        // SAFETY: registers a plain extern "C" function that captures nothing.
        unsafe { libc::atexit(stop_cluster) };
    });
    SERVER.lock().unwrap().as_ref().expect("the test cluster runs").url(database)
}

fn admin_connection() -> PgConnection {
    PgConnection::establish(&database_url("postgres")).expect("the test cluster accepts connections")
}

/// A database of its own, cloned from the migrated template (about 0.1 s), with a feed of its
/// own as a database migrated by itself has.
pub fn fresh_database() -> String {
    let name = format!("test_{}", NEXT_DATABASE.fetch_add(1, Ordering::SeqCst));
    diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
        .execute(&mut admin_connection())
        .expect("database cloned");
    let mut conn = PgConnection::establish(&database_url(&name)).expect("the new database accepts connections");
    diesel::sql_query("UPDATE feed SET id = gen_random_uuid()").execute(&mut conn).expect("a feed of its own");
    name
}

pub fn drop_database(name: &str) {
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin_connection());
}

/// Rows in `table` of the app's database (`table` may be anything a FROM takes, with a WHERE).
/// A feed cursor's contents: `[feed id, [position, event id]]`.
pub fn decoded_cursor(cursor: &str) -> Value {
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, cursor).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub fn count_rows(app: &TestApp, table: &str) -> i64 {
    count_rows_in(&app.database, table)
}

/// Rows in `table` of `database` on the test cluster.
pub fn count_rows_in(database: &str, table: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let mut conn = PgConnection::establish(&database_url(database)).expect("a database connection");
    diesel::sql_query(format!("SELECT count(*) AS count FROM {table}")).get_result::<Count>(&mut conn).unwrap().count
}

/// The real service, serving its own database.
pub struct TestApp {
    pub url: String,
    /// The first admin key, as on a fresh installation.
    pub admin_key: String,
    pub database: String,
    pub pool: Pool,
    /// The pool's settings, which a second instance shares.
    pool_config: PoolConfig,
    server: paperkeep::app::Running,
    http: Client,
}

impl TestApp {
    pub fn spawn() -> Self {
        Self::spawn_with(HttpConfig::default(), PoolConfig::default())
    }

    pub fn spawn_with(http_config: HttpConfig, pool_config: PoolConfig) -> Self {
        let database = fresh_database();
        let pool = db::pool(&database_url(&database), &pool_config).expect("pool opens");
        let admin_key = paperkeep::keys::repo::bootstrap(&mut pool.get().unwrap(), None)
            .expect("bootstrap works")
            .expect("a fresh database gets a first admin key");
        Self::start(database, admin_key, (pool, pool_config), http_config)
    }

    /// The service on `database`, made elsewhere (restored, say), with one of its admin keys.
    /// The database is dropped with it.
    pub fn serving(database: String, admin_key: &str) -> Self {
        let pool_config = PoolConfig::default();
        let pool = db::pool(&database_url(&database), &pool_config).expect("pool opens");
        Self::start(database, admin_key.to_string(), (pool, pool_config), HttpConfig::default())
    }

    fn start(
        database: String,
        admin_key: String,
        (pool, pool_config): (Pool, PoolConfig),
        mut http_config: HttpConfig,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        http_config.workers.get_or_insert(2);
        let server = paperkeep::app::spawn(listener, pool.clone(), http_config);
        let http = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        TestApp { url, admin_key, database, pool, pool_config, server, http }
    }

    /// A second instance of the service on the same database (its own pool and workers), as
    /// when two run behind a load balancer. Stops when dropped.
    pub fn second_instance(&self) -> Instance {
        let pool = db::pool(&database_url(&self.database), &self.pool_config).expect("pool opens");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let config = HttpConfig { workers: Some(2), ..HttpConfig::default() };
        Instance { url, _server: paperkeep::app::spawn(listener, pool, config) }
    }

    /// A direct connection to the app's database, to check what is stored.
    pub fn db(&self) -> PgConnection {
        PgConnection::establish(&database_url(&self.database)).expect("a database connection")
    }

    /// A connection taken from the app's own pool (to exhaust it).
    pub fn pooled(&self) -> PooledConn {
        self.pool.get().expect("a pooled connection")
    }

    /// A new key with `role`, created through the API.
    pub fn key(&self, role: &str) -> String {
        let answer = self.post("/api/v1/api-keys", serde_json::json!({"name": format!("{role} key"), "role": role}));
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body["key"].as_str().unwrap().to_string()
    }

    /// A request as the admin.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.request_as(Some(&self.admin_key), method, path)
    }

    /// A request with `key`, or without any key.
    pub fn request_as(&self, key: Option<&str>, method: Method, path: &str) -> RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.url));
        match key {
            Some(key) => builder.bearer_auth(key),
            None => builder,
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.request(Method::GET, path).send().into()
    }

    pub fn post(&self, path: &str, body: Value) -> Answer {
        self.request(Method::POST, path).json(&body).send().into()
    }

    pub fn patch(&self, path: &str, if_match: &str, body: Value) -> Answer {
        self.request(Method::PATCH, path).header("If-Match", if_match).json(&body).send().into()
    }

    pub fn delete(&self, path: &str) -> Answer {
        self.request(Method::DELETE, path).send().into()
    }

    /// The feed's first page (`query` added) once it has settled past every event written so
    /// far: its cursor names the newest event. A transaction elsewhere on the shared test server
    /// (autovacuum's, another test's) may hold the horizon back for a moment.
    pub fn settled_feed(&self, query: &str) -> Answer {
        #[derive(diesel::QueryableByName)]
        struct Newest {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        let newest = diesel::sql_query("SELECT id::text AS id FROM events ORDER BY tx DESC, position DESC LIMIT 1")
            .get_result::<Newest>(&mut self.db())
            .expect("an event")
            .id;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let page = self.get(&format!("/api/v1/events?limit=1000&{query}"));
            assert_eq!(page.status, 200, "{}", page.text);
            let cursor = page.body["next_cursor"].as_str().expect("always a cursor");
            if decoded_cursor(cursor)[1][1] == newest.as_str() || std::time::Instant::now() > deadline {
                return page;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every item of a list, following `next_cursor` page by page.
    pub fn all_pages(&self, path: &str) -> Vec<Value> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut next = path.to_string();
        loop {
            let page = self.get(&next);
            assert_eq!(page.status, 200, "{}", page.text);
            items.extend(page.items().iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(cursor) => next = format!("{path}{separator}cursor={cursor}"),
                None => return items,
            }
        }
    }
}

/// Another instance of the service; see [`TestApp::second_instance`].
pub struct Instance {
    pub url: String,
    _server: paperkeep::app::Running,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.stop();
        drop_database(&self.database);
    }
}

/// What came back: status, headers and the body as JSON (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `items` of a list answer.
    #[track_caller]
    pub fn items(&self) -> &Vec<Value> {
        self.body["items"].as_array().unwrap_or_else(|| panic!("not a list: {}", self.text))
    }

    /// One text field of every item of a list answer.
    #[track_caller]
    pub fn strings(&self, field: &str) -> Vec<String> {
        self.items().iter().map(|item| item[field].as_str().unwrap_or_default().to_string()).collect()
    }

    /// Asserts the answer is an RFC 9457 problem with `status`, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "expected {status}, got {}: {}", self.status, self.text);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{}", self.text);
        for member in ["type", "title", "detail"] {
            assert!(self.body[member].is_string(), "problem lacks `{member}`: {}", self.text);
        }
        assert_eq!(self.body["status"], status, "{}", self.text);
        &self.body
    }

    /// The fields named in a 422 problem's `errors`, sorted.
    #[track_caller]
    pub fn invalid_fields(&self) -> Vec<String> {
        let problem = self.problem(422);
        let mut fields: Vec<String> = problem["errors"]
            .as_array()
            .expect("a 422 lists its errors")
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        fields.sort();
        fields
    }
}

impl From<reqwest::Result<Response>> for Answer {
    fn from(response: reqwest::Result<Response>) -> Self {
        let response = response.expect("the service answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, body, text }
    }
}
