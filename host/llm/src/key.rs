//! API keys: where a provider's key comes from, and the host's resolver that fetches it.
//!
//! A key lives only in an [`ApiKey`], whose `Debug` prints `ApiKey(****)` and which has no
//! `Display`: it reaches an HTTP header and nothing else (no log, error or status).

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;

/// Where a provider's key comes from (from its config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The provider needs no key (a local server).
    None,
    /// An environment variable of the host process.
    Env(String),
    /// A key inside an mcpd secret.
    Secret { secret: String, key: String },
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::None => f.write_str("no key"),
            KeySource::Env(var) => write!(f, "environment variable {var}"),
            KeySource::Secret { secret, key } => write!(f, "key {key} of mcpd secret {secret}"),
        }
    }
}

/// A secret value. Deliberately not `Display`; `Debug` is masked.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(value: impl Into<String>) -> ApiKey {
        ApiKey(value.into())
    }

    /// The value, for the request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(****)")
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("environment variable {0} is not set")]
    EnvMissing(String),
    #[error("mcpd secret {secret} has no key {key}")]
    KeyMissing { secret: String, key: String },
    #[error("cannot read mcpd secret {secret}: {reason}")]
    SecretUnavailable { secret: String, reason: String },
    #[error("{0} cannot be resolved here: this host has no mcpd connection")]
    NoMcpd(String),
}

/// Resolves a [`KeySource`] into a key. The host supplies one: mcplocal resolves secrets
/// through mcpd (`McpdSecrets`), a host without mcpd uses `EnvKeys`.
pub trait KeyResolver: Send + Sync {
    fn resolve<'a>(
        &'a self,
        source: &'a KeySource,
    ) -> BoxFuture<'a, Result<Option<ApiKey>, KeyError>>;
}

fn from_env(var: &str) -> Result<Option<ApiKey>, KeyError> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(Some(ApiKey(value))),
        _ => Err(KeyError::EnvMissing(var.to_owned())),
    }
}

/// Keys from the environment only; secret sources are an error.
#[derive(Debug, Default, Clone, Copy)]
pub struct EnvKeys;

impl KeyResolver for EnvKeys {
    fn resolve<'a>(
        &'a self,
        source: &'a KeySource,
    ) -> BoxFuture<'a, Result<Option<ApiKey>, KeyError>> {
        Box::pin(async move {
            match source {
                KeySource::None => Ok(None),
                KeySource::Env(var) => from_env(var),
                KeySource::Secret { .. } => Err(KeyError::NoMcpd(source.to_string())),
            }
        })
    }
}

/// Keys from mcpd secrets (`GET {mcpd}/api/v1/secrets/NAME?reveal=true`) and the environment.
#[derive(Debug, Clone)]
pub struct McpdSecrets {
    base_url: String,
    http: reqwest::Client,
}

/// Largest secret document read from mcpd.
const MAX_SECRET_BYTES: usize = 1 << 20;

impl McpdSecrets {
    pub fn new(mcpd_url: &str) -> McpdSecrets {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        McpdSecrets {
            base_url: mcpd_url.trim_end_matches('/').to_owned(),
            http,
        }
    }

    async fn secret_key(&self, secret: &str, key: &str) -> Result<Option<ApiKey>, KeyError> {
        let unavailable = |reason: String| KeyError::SecretUnavailable {
            secret: secret.to_owned(),
            reason,
        };
        let mut url = reqwest::Url::parse(&self.base_url)
            .map_err(|e| unavailable(format!("bad mcpd address {}: {e}", self.base_url)))?;
        url.path_segments_mut()
            .map_err(|_| unavailable(format!("bad mcpd address {}", self.base_url)))?
            .extend(["api", "v1", "secrets", secret]);
        url.set_query(Some("reveal=true"));
        let response =
            self.http.get(url).send().await.map_err(|e| {
                unavailable(format!("mcpd at {} did not answer: {e}", self.base_url))
            })?;
        let status = response.status();
        let body = read_limited(response, MAX_SECRET_BYTES)
            .await
            .map_err(|e| unavailable(format!("reading mcpd's answer: {e}")))?;
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .and_then(|m| m.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| status.to_string());
            return Err(unavailable(format!("mcpd answered {status}: {message}")));
        }
        let doc: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| unavailable(format!("mcpd's answer is not JSON: {e}")))?;
        // The flat document has `data` at the top; accept a `spec.data` form too.
        let data = doc.get("data").or_else(|| doc.pointer("/spec/data"));
        match data.and_then(|d| d.get(key)).and_then(|v| v.as_str()) {
            Some(value) if !value.is_empty() => Ok(Some(ApiKey(value.to_owned()))),
            _ => Err(KeyError::KeyMissing {
                secret: secret.to_owned(),
                key: key.to_owned(),
            }),
        }
    }
}

/// A response body of at most `limit` bytes.
async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let too_large = || format!("larger than {limit} bytes");
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl KeyResolver for McpdSecrets {
    fn resolve<'a>(
        &'a self,
        source: &'a KeySource,
    ) -> BoxFuture<'a, Result<Option<ApiKey>, KeyError>> {
        Box::pin(async move {
            match source {
                KeySource::Secret { secret, key } => self.secret_key(secret, key).await,
                other => EnvKeys.resolve(other).await,
            }
        })
    }
}
