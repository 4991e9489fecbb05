//! One configured provider: its HTTP client and timeouts, its concurrency bound, its circuit
//! breaker, its key, and the figures `GET /llm/providers` shows.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode, Uri};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::breaker::{Breaker, BreakerState, Refusal};
use crate::clock::Clock;
use crate::config::{DEFAULT_ANTHROPIC_VERSION, ProviderConfig, ProviderKind, Tier};
use crate::http::{Failure, HttpClient};
use crate::key::{ApiKey, KeyError, KeyResolver, KeySource};
use crate::wire::{self, Answer};

/// Largest prompt accepted (characters of system + prompt).
pub const MAX_PROMPT_CHARS: usize = 1 << 20;
/// Largest answer body read.
const MAX_RESPONSE_BYTES: usize = 8 << 20;
/// Latencies kept for the p50.
const LATENCY_WINDOW: usize = 64;
/// A resolved key is reused this long (an auth failure drops it sooner).
const KEY_TTL: Duration = Duration::from_secs(300);

/// What a stage asks a model.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRequest {
    pub system: Option<String>,
    pub prompt: String,
    pub max_tokens: u32,
    pub temperature: Option<f64>,
}

impl CompletionRequest {
    pub fn new(prompt: impl Into<String>, max_tokens: u32) -> CompletionRequest {
        CompletionRequest {
            system: None,
            prompt: prompt.into(),
            max_tokens,
            temperature: None,
        }
    }
}

/// A model's answer and who gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    pub text: String,
    pub provider: String,
    pub model: String,
    pub finish_reason: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    #[serde(serialize_with = "as_ms")]
    pub latency: Duration,
}

fn as_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// Why one provider did not answer. Never contains a key (error bodies are scrubbed of it).
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ProviderError {
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("no answer from {url} within {timeout_ms} ms")]
    Timeout { url: String, timeout_ms: u64 },
    #[error("request to {url} failed: {reason}")]
    Transport { url: String, reason: String },
    #[error("HTTP {status} (server error): {message}")]
    Server { status: u16, message: String },
    #[error("HTTP 429 (rate limited{}): {message}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("HTTP {status} (key refused; check {source_of_key}): {message}")]
    Auth {
        status: u16,
        message: String,
        source_of_key: String,
    },
    #[error("HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("HTTP {status} (request rejected): {message}")]
    Rejected { status: u16, message: String },
    #[error("malformed answer: {0}")]
    Malformed(String),
    #[error("API key: {0}")]
    Key(KeyError),
    #[error("{0}")]
    Unsupported(String),
    #[error("prompt of {0} characters is over the limit of {MAX_PROMPT_CHARS}")]
    PromptTooLarge(usize),
    #[error("circuit open after {failures} failures in a row (next probe in {} s)", retry_in.as_secs())]
    CircuitOpen { failures: u32, retry_in: Duration },
}

impl ProviderError {
    /// The request itself is at fault: another provider would refuse it too.
    pub fn is_request_fault(&self) -> bool {
        matches!(
            self,
            ProviderError::Rejected { .. } | ProviderError::PromptTooLarge(_)
        )
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether an HTTP answer came back (the provider is reachable).
    fn answered(&self) -> bool {
        matches!(
            self,
            ProviderError::Server { .. }
                | ProviderError::RateLimited { .. }
                | ProviderError::Auth { .. }
                | ProviderError::Http { .. }
                | ProviderError::Rejected { .. }
                | ProviderError::Malformed(_)
        )
    }
}

/// The last error of a provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentError {
    pub message: String,
    /// Unix milliseconds.
    pub at_ms: u64,
}

/// One provider's state for `GET /llm/providers` and `mcpctl status`. Carries no key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderStatus {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub model: String,
    pub base_url: String,
    /// None: serves every tier.
    pub tier: Option<Tier>,
    /// Whether the last request got an HTTP answer; none before the first request.
    pub reachable: Option<bool>,
    /// The breaker: closed (healthy), open (turned away), half-open (probing).
    pub state: BreakerState,
    pub consecutive_failures: u32,
    pub requests: u64,
    pub errors: u64,
    pub in_flight: usize,
    pub max_concurrent: usize,
    /// Median of the last 64 successful requests.
    pub latency_p50_ms: Option<f64>,
    pub last_error: Option<RecentError>,
    /// Set when the provider cannot be used at all (e.g. its TLS cannot be set up: no CA
    /// certificates, an unreadable `caFile`).
    pub unusable: Option<String>,
    /// Where its key comes from (never the key).
    pub key_source: String,
}

#[derive(Debug, Default)]
struct Figures {
    latencies: VecDeque<Duration>,
    reachable: Option<bool>,
    last_error: Option<RecentError>,
}

pub struct Provider {
    config: ProviderConfig,
    url: String,
    /// The endpoint and its client, or why the provider cannot be used.
    client: Result<(Uri, HttpClient), String>,
    semaphore: Semaphore,
    breaker: Breaker,
    resolver: Arc<dyn KeyResolver>,
    key: tokio::sync::Mutex<Option<(Option<ApiKey>, Instant)>>,
    requests: AtomicU64,
    errors: AtomicU64,
    in_flight: AtomicUsize,
    figures: Mutex<Figures>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.config.name)
            .field("kind", &self.config.kind)
            .field("url", &self.url)
            .field("model", &self.config.model)
            .field("key_source", &self.config.key_source())
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `Retry-After` in seconds (the HTTP-date form is not used by model APIs).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

impl Provider {
    pub fn new(
        config: ProviderConfig,
        resolver: Arc<dyn KeyResolver>,
        clock: Arc<dyn Clock>,
    ) -> Provider {
        let endpoint = match config.kind {
            ProviderKind::OpenAiCompatible => "/chat/completions",
            ProviderKind::Anthropic => "/v1/messages",
        };
        let url = format!("{}{endpoint}", config.base_url());
        let client = url
            .parse::<Uri>()
            .map_err(|e| format!("{url} is not a request URL: {e}"))
            .and_then(|uri| {
                let ca_file = config.ca_file.as_deref().map(std::path::Path::new);
                HttpClient::new(&uri, ca_file, config.timeout(), config.connect_timeout())
                    .map(|client| (uri, client))
                    .map_err(|e| e.to_string())
            });
        Provider {
            semaphore: Semaphore::new(config.max_concurrent),
            breaker: Breaker::new(config.failure_threshold, config.cooldown(), clock),
            url,
            client,
            resolver,
            key: tokio::sync::Mutex::new(None),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            figures: Mutex::new(Figures::default()),
            config,
        }
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    pub fn max_concurrent(&self) -> usize {
        self.config.max_concurrent
    }

    /// Whether the breaker would let a request through now.
    pub fn available(&self) -> bool {
        self.client.is_ok() && self.breaker.state() != BreakerState::Open
    }

    fn figures(&self) -> std::sync::MutexGuard<'_, Figures> {
        self.figures.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn status(&self) -> ProviderStatus {
        let figures = self.figures();
        let mut sorted: Vec<Duration> = figures.latencies.iter().copied().collect();
        sorted.sort();
        ProviderStatus {
            name: self.config.name.clone(),
            kind: self.config.kind.as_str(),
            model: self.config.model.clone(),
            base_url: self.config.base_url().to_owned(),
            tier: self.config.tier,
            reachable: figures.reachable,
            state: self.breaker.state(),
            consecutive_failures: self.breaker.consecutive_failures(),
            requests: self.requests.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            max_concurrent: self.config.max_concurrent,
            latency_p50_ms: sorted
                .get(sorted.len().saturating_sub(1) / 2)
                .map(|d| d.as_secs_f64() * 1000.0),
            last_error: figures.last_error.clone(),
            unusable: self.client.as_ref().err().cloned(),
            key_source: self.config.key_source().to_string(),
        }
    }

    async fn key(&self) -> Result<Option<ApiKey>, KeyError> {
        let source = self.config.key_source();
        if source == KeySource::None {
            return Ok(None);
        }
        let mut cached = self.key.lock().await;
        if let Some((key, at)) = cached.as_ref()
            && at.elapsed() < KEY_TTL
        {
            return Ok(key.clone());
        }
        let key = self.resolver.resolve(&source).await?;
        *cached = Some((key.clone(), Instant::now()));
        Ok(key)
    }

    /// Sends one request, within the breaker and the concurrency bound.
    pub async fn complete(&self, request: &CompletionRequest) -> Result<Completion, ProviderError> {
        let (uri, http) = match &self.client {
            Ok(client) => client,
            Err(reason) => return Err(ProviderError::Unsupported(reason.clone())),
        };
        let chars = request.prompt.chars().count()
            + request.system.as_deref().map_or(0, |s| s.chars().count());
        if chars > MAX_PROMPT_CHARS {
            return Err(ProviderError::PromptTooLarge(chars));
        }
        let ticket = self
            .breaker
            .try_acquire()
            .map_err(
                |Refusal { failures, retry_in }| ProviderError::CircuitOpen { failures, retry_in },
            )?;
        let Ok(_permit) = self.semaphore.acquire().await else {
            return Err(ProviderError::Unsupported("provider closed".into()));
        };
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let result = self.send(uri, http, request).await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        match &result {
            Ok(_) => {
                {
                    let mut figures = self.figures();
                    figures.reachable = Some(true);
                    if figures.latencies.len() == LATENCY_WINDOW {
                        figures.latencies.pop_front();
                    }
                    figures.latencies.push_back(started.elapsed());
                }
                ticket.succeeded();
            }
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                {
                    let mut figures = self.figures();
                    figures.reachable = Some(e.answered());
                    figures.last_error = Some(RecentError {
                        message: e.to_string(),
                        at_ms: now_ms(),
                    });
                }
                if e.is_request_fault() {
                    ticket.succeeded();
                } else {
                    ticket.failed();
                }
                if matches!(e, ProviderError::Auth { .. }) {
                    *self.key.lock().await = None;
                }
            }
        }
        result.map(|answer| Completion {
            text: answer.text,
            provider: self.config.name.clone(),
            model: answer.model.unwrap_or_else(|| self.config.model.clone()),
            finish_reason: answer.finish_reason,
            input_tokens: answer.input_tokens,
            output_tokens: answer.output_tokens,
            latency: started.elapsed(),
        })
    }

    async fn send(
        &self,
        uri: &Uri,
        http: &HttpClient,
        request: &CompletionRequest,
    ) -> Result<Answer, ProviderError> {
        let key = self.key().await.map_err(ProviderError::Key)?;
        let temperature = self.config.temperature;
        let secret = |value: String| {
            HeaderValue::try_from(value)
                .map(|mut value| {
                    value.set_sensitive(true);
                    value
                })
                .map_err(|_| {
                    ProviderError::Unsupported(format!(
                        "the key from {} is not a valid HTTP header value",
                        self.config.key_source()
                    ))
                })
        };
        let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
        let body = match self.config.kind {
            ProviderKind::OpenAiCompatible => {
                if let Some(key) = &key {
                    headers.push((AUTHORIZATION, secret(format!("Bearer {}", key.expose()))?));
                }
                wire::openai_body(&self.config.model, request, temperature)
            }
            ProviderKind::Anthropic => {
                let version = self
                    .config
                    .anthropic_version
                    .as_deref()
                    .unwrap_or(DEFAULT_ANTHROPIC_VERSION);
                let version = HeaderValue::from_str(version).map_err(|_| {
                    ProviderError::Unsupported(format!(
                        "anthropicVersion {version:?} is not an HTTP header value"
                    ))
                })?;
                headers.push((HeaderName::from_static("anthropic-version"), version));
                if let Some(key) = &key {
                    headers.push((
                        HeaderName::from_static("x-api-key"),
                        secret(key.expose().to_owned())?,
                    ));
                }
                wire::anthropic_body(&self.config.model, request, temperature)
            }
        };
        let scrub = |text: String| match &key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "****"),
            _ => text,
        };
        let body = serde_json::to_vec(&body)
            .map_err(|e| ProviderError::Malformed(format!("cannot write the request: {e}")))?;
        let answered = http
            .post_json(uri, headers, body, MAX_RESPONSE_BYTES)
            .await
            .map_err(|failure| self.transport_error(failure))?;
        let (status, body) = (answered.status, answered.body);
        let wait = retry_after(&answered.headers);
        if status.is_success() {
            let parsed = match self.config.kind {
                ProviderKind::OpenAiCompatible => wire::openai_answer(&body),
                ProviderKind::Anthropic => wire::anthropic_answer(&body),
            };
            return parsed.map_err(|e| ProviderError::Malformed(scrub(e)));
        }
        let message = scrub(wire::error_message(&body));
        let code = status.as_u16();
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => ProviderError::RateLimited {
                retry_after: wait,
                message,
            },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ProviderError::Auth {
                status: code,
                message,
                source_of_key: self.config.key_source().to_string(),
            },
            StatusCode::BAD_REQUEST
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNPROCESSABLE_ENTITY => ProviderError::Rejected {
                status: code,
                message,
            },
            s if s.is_server_error() || code == 529 => ProviderError::Server {
                status: code,
                message,
            },
            _ => ProviderError::Http {
                status: code,
                message,
            },
        })
    }

    fn transport_error(&self, failure: Failure) -> ProviderError {
        let url = self.url.clone();
        match failure {
            Failure::Timeout => ProviderError::Timeout {
                url,
                timeout_ms: self.config.timeout_ms,
            },
            Failure::Connect(reason) => ProviderError::Connect { url, reason },
            Failure::Transport(reason) => ProviderError::Transport { url, reason },
            Failure::TooLarge(limit) => {
                ProviderError::Malformed(format!("answer larger than {limit} bytes"))
            }
        }
    }
}
