//! The `llm:` section of `$MCPCTL_HOME/config.yaml`: a list of providers.
//!
//! ```yaml
//! llm:
//!   - name: vllm-local
//!     type: openai-compatible
//!     baseUrl: http://localhost:8000/v1
//!     model: Qwen/Qwen3-32B
//!     tier: fast
//!   - name: anthropic
//!     type: anthropic
//!     model: claude-sonnet-4-20250514
//!     tier: heavy
//!     apiKeySecret: llm-keys        # an mcpd secret ...
//!     apiKeyKey: ANTHROPIC_API_KEY  # ... and the key inside it
//!   - name: gateway
//!     type: openai-compatible
//!     baseUrl: https://llm.internal.example/v1
//!     model: qwen3
//!     caFile: /etc/pki/internal-ca.pem  # trusted besides the system's CA store
//! ```
//!
//! Keys are never written in this file: a provider names where its key comes from
//! (`apiKeySecret` + `apiKeyKey`, or `apiKeyEnv`). Unknown fields are refused by name, with the
//! field path (`llm[1].baseURL`).

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::key::KeySource;

pub const DEFAULT_ANTHROPIC_URL: &str = "https://api.anthropic.com";
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";
/// Most providers one config may name.
const MAX_PROVIDERS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{origin}: {path}: {message}")]
    Invalid {
        origin: String,
        path: String,
        message: String,
    },
}

/// What a request asks for: quick summaries or complex analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Fast,
    Heavy,
}

impl Tier {
    pub const ALL: [Tier; 2] = [Tier::Fast, Tier::Heavy];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Fast => "fast",
            Tier::Heavy => "heavy",
        }
    }

    pub fn parse(text: &str) -> Option<Tier> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderKind {
    /// `POST {baseUrl}/chat/completions` (vLLM, llama.cpp server, Ollama, hosted services).
    #[serde(rename = "openai-compatible")]
    OpenAiCompatible,
    /// `POST {baseUrl}/v1/messages` (the Anthropic messages API).
    #[serde(rename = "anthropic")]
    Anthropic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAiCompatible => "openai-compatible",
            ProviderKind::Anthropic => "anthropic",
        }
    }
}

/// One provider as written in `config.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderConfig {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ProviderKind,
    /// Required for openai-compatible; anthropic defaults to https://api.anthropic.com.
    #[serde(default)]
    pub base_url: Option<String>,
    pub model: String,
    /// The tier it serves; without one it serves both.
    #[serde(default)]
    pub tier: Option<Tier>,
    /// Environment variable holding the key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// mcpd secret holding the key (with `apiKeyKey`).
    #[serde(default)]
    pub api_key_secret: Option<String>,
    #[serde(default)]
    pub api_key_key: Option<String>,
    /// Refused with an explanation: keys do not belong in this file.
    #[serde(default)]
    api_key: Option<serde::de::IgnoredAny>,
    /// Requests sent to it at once (default 4).
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// Whole-request timeout (default 60,000 ms).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Connection timeout (default 5,000 ms).
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Failures in a row that open its circuit breaker (default 3).
    #[serde(default = "default_failure_threshold")]
    pub failure_threshold: u32,
    /// How long an open breaker waits before one probe request (default 30,000 ms).
    #[serde(default = "default_cooldown_ms")]
    pub cooldown_ms: u64,
    #[serde(default)]
    pub temperature: Option<f64>,
    /// The `anthropic-version` header (anthropic only; default 2023-06-01).
    #[serde(default)]
    pub anthropic_version: Option<String>,
    /// A PEM file of CA certificates an https `baseUrl` is also trusted by (a private CA, a
    /// TLS-inspecting proxy); the system's CA store is always trusted.
    #[serde(default)]
    pub ca_file: Option<String>,
}

fn default_max_concurrent() -> usize {
    4
}
fn default_timeout_ms() -> u64 {
    60_000
}
fn default_connect_timeout_ms() -> u64 {
    5_000
}
fn default_failure_threshold() -> u32 {
    3
}
fn default_cooldown_ms() -> u64 {
    30_000
}

impl ProviderConfig {
    /// A provider with every optional setting at its default (for hosts building one in code).
    pub fn new(name: &str, kind: ProviderKind, base_url: Option<&str>, model: &str) -> Self {
        ProviderConfig {
            name: name.to_owned(),
            kind,
            base_url: base_url.map(str::to_owned),
            model: model.to_owned(),
            tier: None,
            api_key_env: None,
            api_key_secret: None,
            api_key_key: None,
            api_key: None,
            max_concurrent: default_max_concurrent(),
            timeout_ms: default_timeout_ms(),
            connect_timeout_ms: default_connect_timeout_ms(),
            failure_threshold: default_failure_threshold(),
            cooldown_ms: default_cooldown_ms(),
            temperature: None,
            anthropic_version: None,
            ca_file: None,
        }
    }

    pub fn base_url(&self) -> &str {
        let url = match (&self.base_url, self.kind) {
            (Some(url), _) => url.as_str(),
            (None, ProviderKind::Anthropic) => DEFAULT_ANTHROPIC_URL,
            (None, ProviderKind::OpenAiCompatible) => "",
        };
        url.trim_end_matches('/')
    }

    pub fn key_source(&self) -> KeySource {
        match (&self.api_key_env, &self.api_key_secret, &self.api_key_key) {
            (Some(var), _, _) => KeySource::Env(var.clone()),
            (None, Some(secret), Some(key)) => KeySource::Secret {
                secret: secret.clone(),
                key: key.clone(),
            },
            _ => KeySource::None,
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    pub fn cooldown(&self) -> Duration {
        Duration::from_millis(self.cooldown_ms)
    }

    pub fn serves(&self, tier: Tier) -> bool {
        self.tier.is_none_or(|t| t == tier)
    }

    /// The checks serde cannot express; `Err((field, message))`.
    fn check(&self) -> Result<(), (&'static str, String)> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 63
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            return Err((
                "name",
                format!(
                    "{:?} is not a provider name (1-63 letters, digits, '-', '_', '.')",
                    self.name
                ),
            ));
        }
        if self.api_key.is_some() {
            return Err((
                "apiKey",
                "API keys are not read from config.yaml; name an mcpd secret (apiKeySecret + apiKeyKey) or an environment variable (apiKeyEnv)".into(),
            ));
        }
        if self.model.trim().is_empty() {
            return Err(("model", "must not be empty".into()));
        }
        match (&self.base_url, self.kind) {
            (None, ProviderKind::OpenAiCompatible) => {
                return Err((
                    "baseUrl",
                    "required for openai-compatible providers (e.g. http://localhost:8000/v1)"
                        .into(),
                ));
            }
            (Some(url), _) => match reqwest::Url::parse(url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
                    if url.parse::<http::Uri>().is_err() {
                        return Err(("baseUrl", format!("{url:?} is not an HTTP request URL")));
                    }
                }
                Ok(_) => return Err(("baseUrl", format!("{url:?} is not an http(s) URL"))),
                Err(e) => return Err(("baseUrl", format!("{url:?} is not a URL: {e}"))),
            },
            (None, ProviderKind::Anthropic) => {}
        }
        match (&self.api_key_env, &self.api_key_secret, &self.api_key_key) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err((
                    "apiKeyEnv",
                    "give either apiKeyEnv or apiKeySecret + apiKeyKey, not both".into(),
                ));
            }
            (None, Some(_), None) => {
                return Err((
                    "apiKeyKey",
                    "apiKeySecret needs apiKeyKey: the key inside the secret".into(),
                ));
            }
            (None, None, Some(_)) => {
                return Err((
                    "apiKeySecret",
                    "apiKeyKey needs apiKeySecret: the mcpd secret that holds it".into(),
                ));
            }
            _ => {}
        }
        if !(1..=256).contains(&self.max_concurrent) {
            return Err(("maxConcurrent", "must be between 1 and 256".into()));
        }
        if self.timeout_ms == 0 || self.connect_timeout_ms == 0 {
            return Err((
                if self.timeout_ms == 0 {
                    "timeoutMs"
                } else {
                    "connectTimeoutMs"
                },
                "must be more than 0".into(),
            ));
        }
        if self.failure_threshold == 0 {
            return Err(("failureThreshold", "must be at least 1".into()));
        }
        if self.anthropic_version.is_some() && self.kind != ProviderKind::Anthropic {
            return Err((
                "anthropicVersion",
                "only anthropic providers take it".into(),
            ));
        }
        if let Some(path) = &self.ca_file {
            let path = Path::new(path);
            if !path.is_absolute() {
                return Err((
                    "caFile",
                    format!("{:?} must be an absolute path", path.display()),
                ));
            }
            crate::http::read_ca_file(path).map_err(|e| ("caFile", e.to_string()))?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    llm: Option<Vec<ProviderConfig>>,
}

/// The providers of `config.yaml` text (`origin` names the file in errors). Other top-level
/// sections belong to other components and are ignored here.
pub fn parse_providers(text: &str, origin: &str) -> Result<Vec<ProviderConfig>, ConfigError> {
    let invalid = |path: String, message: String| ConfigError::Invalid {
        origin: origin.to_owned(),
        path,
        message,
    };
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let file: ConfigFile = serde_path_to_error::deserialize(serde_yaml_ng::Deserializer::from_str(
        text,
    ))
    .map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { "llm".to_owned() } else { path };
        let message = e.into_inner().to_string();
        // serde_yaml_ng starts its message with the (shorter) path it knows.
        let message = match message.split_once(": ") {
            Some((head, rest)) if path.starts_with(head) => rest.to_owned(),
            _ => message,
        };
        invalid(path, message)
    })?;
    let providers = file.llm.unwrap_or_default();
    if providers.len() > MAX_PROVIDERS {
        return Err(invalid(
            "llm".into(),
            format!("at most {MAX_PROVIDERS} providers"),
        ));
    }
    let mut names = HashSet::new();
    for (i, provider) in providers.iter().enumerate() {
        provider
            .check()
            .map_err(|(field, message)| invalid(format!("llm[{i}].{field}"), message))?;
        if !names.insert(provider.name.as_str()) {
            return Err(invalid(
                format!("llm[{i}].name"),
                format!("provider {:?} is named twice", provider.name),
            ));
        }
    }
    Ok(providers)
}

/// The providers of a `config.yaml` file; none when the file does not exist.
pub fn load_providers(path: &Path) -> Result<Vec<ProviderConfig>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_providers(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(ConfigError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}
