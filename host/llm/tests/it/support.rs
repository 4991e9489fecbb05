//! Loopback model servers for the tests: an axum server on 127.0.0.1:0 (plain, or https with
//! a certificate of a test CA) whose every request is recorded (method, path, headers, JSON
//! body) and answered by the test's handler.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use llm::{
    ApiKey, Completion, CompletionRequest, KeyError, KeyResolver, KeySource, LlmRouter,
    ProviderConfig, ProviderKind, Tier,
};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The text of the last user message (either wire format).
    pub fn prompt(&self) -> String {
        self.body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

type Handler =
    Arc<dyn Fn(Recorded, usize) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

pub struct Server {
    pub url: String,
    pub log: Arc<Mutex<Vec<Recorded>>>,
    pub max_in_flight: Arc<AtomicUsize>,
    /// TLS handshakes completed (https servers only).
    handshakes: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().expect("log").clone()
    }

    pub fn count(&self) -> usize {
        self.log.lock().expect("log").len()
    }

    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

/// Starts a server; `handler(request, n)` answers the n-th request (from 0).
pub async fn serve<F, Fut>(handler: F) -> Server
where
    F: Fn(Recorded, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    serve_on(None, handler).await
}

/// [`serve`] over TLS with `identity`'s certificate: the URL is `https://localhost:PORT`.
pub async fn serve_tls<F, Fut>(identity: &ServerIdentity, handler: F) -> Server
where
    F: Fn(Recorded, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    serve_on(Some(identity.acceptor()), handler).await
}

async fn serve_on<F, Fut>(tls: Option<tokio_rustls::TlsAcceptor>, handler: F) -> Server
where
    F: Fn(Recorded, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let handler: Handler = Arc::new(move |r, n| Box::pin(handler(r, n)));
    let log: Arc<Mutex<Vec<Recorded>>> = Arc::default();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let app = {
        let (log, in_flight, max_in_flight) =
            (log.clone(), in_flight.clone(), max_in_flight.clone());
        axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (handler, log) = (handler.clone(), log.clone());
                let (in_flight, max_in_flight) = (in_flight.clone(), max_in_flight.clone());
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max_in_flight.fetch_max(now, Ordering::SeqCst);
                    let recorded = Recorded {
                        method,
                        path: uri.path().to_owned(),
                        headers,
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    };
                    let n = {
                        let mut log = log.lock().expect("log");
                        log.push(recorded.clone());
                        log.len() - 1
                    };
                    let response = handler(recorded, n).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    response
                }
            },
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let (url, task) = match tls {
        None => (
            format!("http://127.0.0.1:{port}"),
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            }),
        ),
        Some(acceptor) => (format!("https://localhost:{port}"), {
            let handshakes = handshakes.clone();
            tokio::spawn(async move {
                let tls = TlsListener {
                    listener,
                    acceptor,
                    handshakes,
                };
                let _ = axum::serve(tls, app).await;
            })
        }),
    };
    Server {
        url,
        log,
        max_in_flight,
        handshakes,
        task,
    }
}

/// An address where nothing listens (bound, then released).
pub fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// A server that accepts connections and never answers.
pub async fn hanging_url() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

/// A chat-completions success body, as OpenAI documents it.
pub fn openai_reply(text: &str) -> Response {
    let body = json!({
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "served-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A messages-API success body, as Anthropic documents it.
pub fn anthropic_reply(text: &str) -> Response {
    let body = json!({
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 25}
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

pub fn openai_error(status: u16, kind: &str, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": null}});
    (
        StatusCode::from_u16(status).expect("status"),
        axum::Json(body),
    )
        .into_response()
}

pub fn anthropic_error(status: u16, kind: &str, message: &str) -> Response {
    let body = json!({"type": "error", "error": {"type": kind, "message": message}});
    (
        StatusCode::from_u16(status).expect("status"),
        axum::Json(body),
    )
        .into_response()
}

pub fn openai(name: &str, url: &str) -> ProviderConfig {
    let mut config = ProviderConfig::new(
        name,
        ProviderKind::OpenAiCompatible,
        Some(url),
        "test-model",
    );
    config.timeout_ms = 2_000;
    config.connect_timeout_ms = 1_000;
    config
}

pub fn anthropic(name: &str, url: &str) -> ProviderConfig {
    let mut config = ProviderConfig::new(
        name,
        ProviderKind::Anthropic,
        Some(url),
        "claude-sonnet-4-20250514",
    );
    config.timeout_ms = 2_000;
    config.connect_timeout_ms = 1_000;
    config
}

/// A resolver with fixed secrets, standing in for the host's (mcplocal's) resolver.
#[derive(Debug, Default)]
pub struct FixedKeys(pub Vec<(String, String, String)>);

impl FixedKeys {
    pub fn with(secret: &str, key: &str, value: &str) -> Arc<FixedKeys> {
        Arc::new(FixedKeys(vec![(secret.into(), key.into(), value.into())]))
    }
}

impl KeyResolver for FixedKeys {
    fn resolve<'a>(
        &'a self,
        source: &'a KeySource,
    ) -> BoxFuture<'a, Result<Option<ApiKey>, KeyError>> {
        Box::pin(async move {
            match source {
                KeySource::None => Ok(None),
                KeySource::Env(var) => Err(KeyError::EnvMissing(var.clone())),
                KeySource::Secret { secret, key } => self
                    .0
                    .iter()
                    .find(|(s, k, _)| s == secret && k == key)
                    .map(|(_, _, v)| Some(ApiKey::new(v.clone())))
                    .ok_or_else(|| KeyError::KeyMissing {
                        secret: secret.clone(),
                        key: key.clone(),
                    }),
            }
        })
    }
}

/// A small request to `tier` that must be answered.
pub async fn answer(router: &LlmRouter, tier: Tier) -> Completion {
    router
        .complete(tier, &CompletionRequest::new("Summarize.", 20))
        .await
        .expect("an answer")
}

/// A test certificate authority, its PEM file (a provider's `caFile`), and what it signs.
pub struct TestCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem_file: tempfile::NamedTempFile,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("CA certificate");
        let pem_file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(pem_file.path(), cert.pem()).expect("write CA");
        TestCa {
            issuer: rcgen::Issuer::new(params, key),
            pem_file,
        }
    }

    /// The PEM file of the CA certificate, as a `caFile` value.
    pub fn file(&self) -> String {
        self.pem_file.path().display().to_string()
    }

    /// A server certificate for `names` (DNS names or IP addresses), signed by this CA.
    pub fn identity(&self, names: &[&str]) -> ServerIdentity {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let params = rcgen::CertificateParams::new(names).expect("params");
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("certificate");
        ServerIdentity {
            cert: cert.der().clone(),
            key: key.serialize_der(),
        }
    }
}

/// A server's certificate and private key.
pub struct ServerIdentity {
    cert: rustls::pki_types::CertificateDer<'static>,
    key: Vec<u8>,
}

impl ServerIdentity {
    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.key.clone().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![self.cert.clone()], key)
        .expect("server config");
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }
}

/// TCP connections after a TLS handshake; failed handshakes (a client refusing the
/// certificate) are dropped and the next connection accepted.
struct TlsListener {
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    handshakes: Arc<AtomicUsize>,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.listener.accept().await else {
                continue;
            };
            let handshake = self.acceptor.accept(tcp);
            if let Ok(Ok(tls)) =
                tokio::time::timeout(std::time::Duration::from_secs(5), handshake).await
            {
                self.handshakes.fetch_add(1, Ordering::SeqCst);
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}
