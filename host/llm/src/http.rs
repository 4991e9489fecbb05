//! The providers' HTTP client: hyper over rustls (the `ring` provider), for `http` and `https`
//! base URLs alike. An `https` provider trusts the system's CA store (as `SSL_CERT_FILE` /
//! `SSL_CERT_DIR` or the distribution's bundle give it) and the certificates of its `caFile`.
//!
//! Why not reqwest's TLS: reqwest's features are unified across the build, so turning its TLS
//! on here would make every reqwest client of mcpctl, mcpd and mcplocal load the system CA
//! store when it is built (and fail to build on a machine without one). TLS stays in this
//! crate, the only one that talks to hosts off the machine.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Why a provider's client could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read caFile {path}: {reason}")]
    ReadCa { path: String, reason: String },
    #[error("caFile {path} holds no PEM certificate")]
    EmptyCa { path: String },
    #[error("caFile {path}: {reason}")]
    BadCa { path: String, reason: String },
    #[error(
        "no CA certificates found on this machine; install the ca-certificates package, set SSL_CERT_FILE, or give the provider a caFile"
    )]
    NoRoots,
    #[error("TLS setup failed: {0}")]
    Rustls(String),
}

/// What went wrong on the way to an answer.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No answer within the whole-request timeout.
    Timeout,
    /// No connection (refused, unreachable, connect timeout, TLS handshake or certificate).
    Connect(String),
    /// The connection broke after the request went out.
    Transport(String),
    /// The answer is larger than the limit.
    TooLarge(usize),
}

/// An answer: status, headers, whole body.
#[derive(Debug)]
pub(crate) struct Answered {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One provider's connection pool.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

/// The certificates of a PEM file (a CA bundle).
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| TlsSetupError::ReadCa {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError::BadCa {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::EmptyCa { path: shown });
    }
    Ok(certs)
}

/// The system's CA certificates, read once per process (the first https provider pays).
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::debug!(%error, "a system CA certificate could not be read");
        }
        found.certs
    })
}

impl HttpClient {
    /// A client for `url` with a whole-request `timeout` and a `connect_timeout`; an https
    /// `url` trusts the system store and `ca_file`.
    pub fn new(
        url: &Uri,
        ca_file: Option<&Path>,
        timeout: Duration,
        connect_timeout: Duration,
    ) -> Result<HttpClient, TlsSetupError> {
        let mut roots = RootCertStore::empty();
        if url.scheme_str() == Some("https") {
            let system = system_roots();
            let (_, ignored) = roots.add_parsable_certificates(system.iter().cloned());
            if ignored > 0 {
                tracing::debug!(ignored, "system CA certificates rustls could not use");
            }
            if let Some(path) = ca_file {
                for cert in read_ca_file(path)? {
                    roots.add(cert).map_err(|e| TlsSetupError::BadCa {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                }
            }
            if roots.is_empty() {
                return Err(TlsSetupError::NoRoots);
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Rustls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(connect_timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(HttpClient { client, timeout })
    }

    /// POSTs `body` as JSON to `url` with `headers`; reads at most `limit` bytes of answer.
    pub async fn post_json(
        &self,
        url: &Uri,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: Vec<u8>,
        limit: usize,
    ) -> Result<Answered, Failure> {
        let mut request = Request::post(url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Failure::Transport(e.to_string()))?;
        request.headers_mut().extend(headers);
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                if e.is_connect() {
                    Failure::Connect(root_cause(&e))
                } else {
                    Failure::Transport(root_cause(&e))
                }
            })?;
            let (parts, body) = response.into_parts();
            let declared = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|len| len > limit as u64) {
                return Err(Failure::TooLarge(limit));
            }
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<LengthLimitError>().is_some() {
                        Failure::TooLarge(limit)
                    } else {
                        Failure::Transport(root_cause(&*e))
                    }
                })?
                .to_bytes();
            Ok(Answered {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Err(Failure::Timeout))
    }
}

/// The innermost cause of an error ("Connection refused (os error 111)", "invalid peer
/// certificate: UnknownIssuer").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
