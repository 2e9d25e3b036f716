//! TLS to the database. The pool (libpq) and the pipelined connections (tokio-postgres over
//! rustls, `db::tls`) follow the same `sslmode` and `sslrootcert`, against a server on 127.0.0.1
//! presenting a certificate for `localhost` signed by a test authority.

use std::net::TcpListener;
use std::path::PathBuf;

use diesel::sql_types::Bool;
use diesel::{Connection, PgConnection, RunQueryDsl};
use paperkeep::db::local::{LocalPostgres, TlsListener};
use paperkeep::db::tls::Target;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use serde_json::json;

use crate::support::service::serve;

const DATABASE: &str = "archive";

struct TlsServer {
    server: LocalPostgres,
    port: u16,
    /// The authority that signed the server's certificate.
    authority: PathBuf,
    /// An authority that signed nothing of it.
    stranger: PathBuf,
}

impl TlsServer {
    fn start() -> Self {
        let authority = certificate_authority("paperkeep test authority");
        let mut server_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        server_params.use_authority_key_identifier_extension = true;
        let server_key = KeyPair::generate().unwrap();
        let certificate = server_params.signed_by(&server_key, &authority).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let listener = TlsListener { port, certificate_pem: certificate.pem(), key_pem: server_key.serialize_pem() };
        let server = LocalPostgres::start_scratch_with_tls(listener).expect("a PostgreSQL with TLS starts");
        server.ensure_database(DATABASE).unwrap();
        let write = |name: &str, pem: String| {
            let path = server.socket_dir().parent().unwrap().join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };
        let authority = write("authority.pem", authority.pem());
        let stranger = write("stranger.pem", certificate_authority("a stranger").pem());
        TlsServer { server, port, authority, stranger }
    }

    /// The URL of the test database over TCP to `host`, with `options` as its query string.
    fn url(&self, host: &str, options: &str) -> String {
        let options = options.replace("{authority}", self.authority.to_str().unwrap());
        let options = options.replace("{stranger}", self.stranger.to_str().unwrap());
        format!("postgresql://postgres@{host}:{}/{DATABASE}?{options}", self.port)
    }
}

fn certificate_authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// Whether a pipelined connection to `url` is encrypted, or why it cannot be opened.
fn pipelined_encrypted(url: &str) -> Result<bool, String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut conn = Target::of(url)?.connect().await?;
        let encrypted = diesel::dsl::sql::<Bool>("(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())");
        Ok(diesel_async::RunQueryDsl::get_result(diesel::select(encrypted), &mut conn).await.unwrap())
    })
}

/// Whether a libpq connection to `url` is encrypted, or why it cannot be opened.
fn libpq_encrypted(url: &str) -> Result<bool, String> {
    let mut conn = PgConnection::establish(url).map_err(|err| err.to_string())?;
    let encrypted = diesel::dsl::sql::<Bool>("(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())");
    Ok(diesel::select(encrypted).get_result(&mut conn).unwrap())
}

#[test]
fn pipelined_connections_encrypt_and_check_certificates_as_libpq_does() {
    let tls = TlsServer::start();
    let encrypted = [
        // Encrypted when the server offers it (the default is `prefer`), unchecked without roots.
        ("127.0.0.1", ""),
        ("127.0.0.1", "sslmode=prefer"),
        ("127.0.0.1", "sslmode=require"),
        // The chain, not the name.
        ("127.0.0.1", "sslmode=verify-ca&sslrootcert={authority}"),
        ("127.0.0.1", "sslmode=require&sslrootcert={authority}"),
        // The chain and the name.
        ("localhost", "sslmode=verify-full&sslrootcert={authority}"),
    ];
    for (host, options) in encrypted {
        let url = tls.url(host, options);
        assert_eq!(pipelined_encrypted(&url), Ok(true), "{url}");
        assert_eq!(libpq_encrypted(&url), Ok(true), "libpq agrees: {url}");
    }
    let plain = tls.url("127.0.0.1", "sslmode=disable");
    assert_eq!((pipelined_encrypted(&plain), libpq_encrypted(&plain)), (Ok(false), Ok(false)));

    let refused = [
        // The certificate names localhost, not 127.0.0.1.
        ("127.0.0.1", "sslmode=verify-full&sslrootcert={authority}", "not valid for name"),
        // Signed by another authority: refused whenever a root file is given, as libpq does.
        ("localhost", "sslmode=verify-full&sslrootcert={stranger}", "UnknownIssuer"),
        ("localhost", "sslmode=verify-ca&sslrootcert={stranger}", "UnknownIssuer"),
        ("localhost", "sslmode=require&sslrootcert={stranger}", "UnknownIssuer"),
        // No root file: nothing to check against.
        ("localhost", "sslmode=verify-ca&sslrootcert=/nonexistent.pem", "\"/nonexistent.pem\" does not exist"),
    ];
    for (host, options, why) in refused {
        let url = tls.url(host, options);
        let refusal = pipelined_encrypted(&url).expect_err(&url);
        assert!(refusal.contains(why), "{url}: {refusal}");
        assert!(libpq_encrypted(&url).is_err(), "libpq refuses too: {url}");
    }
}

/// The whole service over `verify-full`: every connection it opens is encrypted, the look-up's
/// and the writes' pipelined ones too.
#[test]
fn the_service_runs_over_tls_with_verify_full() {
    let tls = TlsServer::start();
    let url = tls.url("localhost", "sslmode=verify-full&sslrootcert={authority}");
    let key = "tls-admin-key-0123456789abcdef";
    let mut service = serve(&[("DATABASE_URL", &url), ("PAPERKEEP_BOOTSTRAP_KEY", key)]);
    let client = reqwest::blocking::Client::new();
    let created = client
        .post(format!("{}/api/v1/locations", service.url))
        .bearer_auth(key)
        .json(&json!({"kind": "building", "code": "K1", "name": "Kho 1"}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201, "a write, its key checked on a pipelined connection");
    assert_eq!(service.get("/api/v1/boxes/by-barcode/HS-0001", key), 404, "a look-up on a pipelined connection");

    let mut admin = PgConnection::establish(&tls.server.url(DATABASE)).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Connections {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        opened: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        encrypted: i64,
    }
    let connections: Connections = diesel::sql_query(
        "SELECT count(*) AS opened, count(*) FILTER (WHERE ssl) AS encrypted \
         FROM pg_stat_activity JOIN pg_stat_ssl USING (pid) \
         WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
    )
    .get_result(&mut admin)
    .unwrap();
    assert!(connections.opened >= 2, "the pool's and the pipelined connections are open");
    assert_eq!(connections.encrypted, connections.opened);
    assert!(service.terminate().success());
}
