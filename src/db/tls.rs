//! How the pipelined connections (tokio-postgres, see `db::pipelined`) reach the database: from
//! the same `DATABASE_URL` as the pool's (libpq), with TLS done the way libpq does it, over rustls.
//!
//! libpq's rules, kept here: `sslmode` is `disable`, `allow`, `prefer` (the default), `require`,
//! `verify-ca` or `verify-full`. The server's certificate chain is checked against the root
//! certificates of `sslrootcert` (default `~/.postgresql/root.crt`) whenever that file exists, in
//! any mode that encrypts; `verify-ca` and `verify-full` refuse to start without it, and only
//! `verify-full` also checks that the certificate names the host. `sslrootcert=system` trusts
//! the usual public roots and asks for `verify-full`. Over a Unix socket there is no TLS.
//! tokio-postgres reads `sslmode` only up to `require`, and no `sslrootcert`: in the URL form
//! both are taken out before it parses the rest.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diesel_async::AsyncPgConnection;
use percent_encoding::percent_decode_str;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

/// A database to connect to, and how.
#[derive(Clone)]
pub struct Target {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
}

impl Target {
    /// What `url` says, or why it cannot be followed.
    pub fn of(url: &str) -> Result<Target, String> {
        let (rest, sslmode, sslrootcert) = take_tls_options(url);
        let mut config: tokio_postgres::Config = rest.parse().map_err(|err| describe(&err))?;
        // libpq splits `?host=a,b`; tokio-postgres takes it for one host named "a,b".
        if config
            .get_hosts()
            .iter()
            .any(|host| matches!(host, Host::Unix(path) if path.to_string_lossy().contains(',')))
        {
            return Err("several hosts go before the path (postgresql://user@%2Frun%2Fa,%2Frun%2Fb/db or \
                        postgresql://user@db1:5432,db2:5432/db), not in ?host="
                .into());
        }
        // Given, or read by tokio-postgres from a `key=value` string (where `prefer` is its default).
        let given = match sslmode {
            Some(mode) => Some(Mode::parse(&mode)?),
            None => Some(Mode::of(config.get_ssl_mode())).filter(|mode| *mode != Mode::Prefer),
        };
        let only_sockets = config.get_hosts().iter().all(|host| matches!(host, Host::Unix(_)));
        let (mode, check) = if only_sockets || given == Some(Mode::Disable) {
            (Mode::Disable, Check::Nothing)
        } else {
            checked(given, sslrootcert)?
        };
        config.ssl_mode(mode.ssl_mode());
        Ok(Target { config, tls: MakeRustlsConnect::new(client_config(check)?) })
    }

    /// A new connection.
    pub async fn connect(&self) -> Result<AsyncPgConnection, String> {
        let (client, connection) = self.config.connect(self.tls.clone()).await.map_err(|err| describe(&err))?;
        AsyncPgConnection::try_from_client_and_connection(client, connection).await.map_err(|err| err.to_string())
    }
}

/// tokio-postgres's error with its cause (its own text alone says "invalid connection string"
/// or "error performing TLS handshake", not which part or why).
fn describe(err: &tokio_postgres::Error) -> String {
    match std::error::Error::source(err) {
        Some(cause) => format!("{err}: {cause}"),
        None => err.to_string(),
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

const MODES: [(&str, Mode); 6] = [
    ("disable", Mode::Disable),
    ("allow", Mode::Allow),
    ("prefer", Mode::Prefer),
    ("require", Mode::Require),
    ("verify-ca", Mode::VerifyCa),
    ("verify-full", Mode::VerifyFull),
];

impl Mode {
    fn parse(value: &str) -> Result<Mode, String> {
        let named = MODES.iter().find(|(name, _)| *name == value);
        named.map(|&(_, mode)| mode).ok_or_else(|| format!("invalid sslmode value: \"{value}\""))
    }

    fn name(self) -> &'static str {
        MODES.iter().find(|(_, mode)| *mode == self).map_or("", |(name, _)| name)
    }

    /// What tokio-postgres read in a `key=value` string.
    fn of(mode: SslMode) -> Mode {
        match mode {
            SslMode::Disable => Mode::Disable,
            SslMode::Require => Mode::Require,
            _ => Mode::Prefer,
        }
    }

    /// What tokio-postgres is told: whether to ask for TLS, and to give up without it. `allow`
    /// (plain first, TLS if refused) encrypts when it can, as `prefer` does.
    fn ssl_mode(self) -> SslMode {
        match self {
            Mode::Disable => SslMode::Disable,
            Mode::Allow | Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        }
    }

    fn verifies(self) -> bool {
        matches!(self, Mode::VerifyCa | Mode::VerifyFull)
    }
}

/// What is checked of the server's certificate.
enum Check {
    Nothing,
    /// Its chain up to one of these roots.
    Chain(RootCertStore),
    /// Its chain, and that it names the host.
    ChainAndName(RootCertStore),
}

/// The mode (`prefer` unless `given`; `verify-full` with `sslrootcert=system`) and what it
/// checks, given the roots.
fn checked(given: Option<Mode>, sslrootcert: Option<String>) -> Result<(Mode, Check), String> {
    if sslrootcert.as_deref() == Some("system") {
        if let Some(weak) = given.filter(|mode| *mode != Mode::VerifyFull) {
            let weak = weak.name();
            return Err(format!(
                "weak sslmode \"{weak}\" may not be used with sslrootcert=system (use \"verify-full\")"
            ));
        }
        let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        return Ok((Mode::VerifyFull, Check::ChainAndName(roots)));
    }
    let mode = given.unwrap_or(Mode::Prefer);
    let file = match sslrootcert {
        Some(path) => PathBuf::from(path),
        None => std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".postgresql/root.crt"),
    };
    let check = match (file.exists(), mode) {
        (false, mode) if mode.verifies() => {
            return Err(format!(
                "root certificate file \"{}\" does not exist; either provide the file, use the system's trusted \
                 roots with sslrootcert=system, or change sslmode to disable server certificate verification",
                file.display()
            ));
        }
        (false, _) => Check::Nothing,
        (true, Mode::VerifyFull) => Check::ChainAndName(roots_in(&file)?),
        (true, _) => Check::Chain(roots_in(&file)?),
    };
    Ok((mode, check))
}

fn roots_in(file: &Path) -> Result<RootCertStore, String> {
    let unreadable =
        |err: &dyn std::fmt::Display| format!("cannot read root certificates from \"{}\": {err}", file.display());
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(file).map_err(|e| unreadable(&e))? {
        roots.add(certificate.map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
    }
    if roots.is_empty() {
        return Err(unreadable(&"no certificate in it"));
    }
    Ok(roots)
}

fn client_config(check: Check) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::ChainAndName(roots) => WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|err| err.to_string())?,
        Check::Chain(roots) => Arc::new(ChainOnly { roots: Some(roots), algorithms }),
        Check::Nothing => Arc::new(ChainOnly { roots: None, algorithms }),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

/// libpq's check below `verify-full`: the chain up to the roots when there are any, never the
/// name. The handshake's signatures are always checked, so the connection is encrypted to
/// whoever holds the certificate's key.
#[derive(Debug)]
struct ChainOnly {
    roots: Option<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let certificate = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &certificate,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signed: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, certificate, signed, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signed: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, certificate, signed, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A URL's query without libpq's `sslmode` and `sslrootcert`, and their values. Only the URL
/// form (`postgresql://…?sslmode=…`) has them taken out; in the `key=value` form tokio-postgres
/// reads `sslmode` itself (up to `require`).
fn take_tls_options(url: &str) -> (String, Option<String>, Option<String>) {
    let is_url = url.starts_with("postgresql://") || url.starts_with("postgres://");
    let Some((base, query)) = url.split_once('?').filter(|_| is_url) else {
        return (url.to_string(), None, None);
    };
    let (mut sslmode, mut sslrootcert, mut kept) = (None, None, Vec::new());
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = || Some(percent_decode_str(value).decode_utf8_lossy().into_owned());
        match key {
            "sslmode" => sslmode = value(),
            "sslrootcert" => sslrootcert = value(),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    (rest, sslmode, sslrootcert)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_tls_options_are_taken_out_of_a_url_and_the_rest_kept() {
        let (rest, mode, root) = take_tls_options(
            "postgresql://u:p@db.example/archive?sslmode=verify-full&application_name=pk&sslrootcert=%2Fetc%2Fca.pem",
        );
        assert_eq!(rest, "postgresql://u:p@db.example/archive?application_name=pk");
        assert_eq!((mode.as_deref(), root.as_deref()), (Some("verify-full"), Some("/etc/ca.pem")));
        let (rest, mode, _) = take_tls_options("postgresql://db.example/archive?sslmode=require");
        assert_eq!((rest.as_str(), mode.as_deref()), ("postgresql://db.example/archive", Some("require")));
        let key_value = "host=db.example sslmode=require";
        assert_eq!(take_tls_options(key_value), (key_value.to_string(), None, None));
    }

    #[test]
    fn modes_and_roots_follow_libpq() {
        let absent = "sslrootcert=/nonexistent/root.crt";
        assert!(Target::of(&format!("postgresql://db.example/a?sslmode=require&{absent}")).is_ok());
        let missing = Target::of(&format!("postgresql://db.example/a?sslmode=verify-ca&{absent}")).err().unwrap();
        assert!(missing.contains("root certificate file \"/nonexistent/root.crt\" does not exist"), "{missing}");
        let weak = Target::of("postgresql://db.example/a?sslmode=require&sslrootcert=system").err().unwrap();
        assert!(weak.contains("weak sslmode \"require\""), "{weak}");
        assert!(Target::of("postgresql://db.example/a?sslmode=prefer&sslrootcert=system").is_err());
        assert!(Target::of("postgresql://db.example/a?sslrootcert=system").is_ok());
        let bad = Target::of("postgresql://db.example/a?sslmode=sometimes").err().unwrap();
        assert_eq!(bad, "invalid sslmode value: \"sometimes\"");
        // Over a Unix socket there is no TLS, so nothing to verify with.
        assert!(Target::of(&format!("postgresql:///a?host=/run/postgresql&sslmode=verify-full&{absent}")).is_ok());
    }
}
