//! Loopback model servers for the tests: an axum server on 127.0.0.1:0 whose every request is
//! recorded (method, path, headers, JSON body) and answered by the test's handler.

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
}

/// Starts a server; `handler(request, n)` answers the n-th request (from 0).
pub async fn serve<F, Fut>(handler: F) -> Server
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
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        url,
        log,
        max_in_flight,
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
