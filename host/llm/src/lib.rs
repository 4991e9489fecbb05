//! Language models for the content pipeline.
//!
//! - [`config`]: the `llm:` providers of `$MCPCTL_HOME/config.yaml`.
//! - [`key`]: where API keys come from ([`KeyResolver`]: the environment, mcpd secrets).
//! - [`http`]: the providers' HTTP client (hyper over rustls; the system CA store and a
//!   provider's `caFile`).
//! - [`provider`]: one provider (openai-compatible or anthropic wire format), its timeouts,
//!   concurrency bound, circuit breaker ([`breaker`]) and status.
//! - [`router`]: tiered routing with failover ([`LlmRouter`]), status for
//!   `GET /llm/providers`, switching the preferred provider at run time.
//! - [`summarize`]: the `summarize-tree` engine, with the extractive fallback.
//!
//! ARCHITECTURE.md ("LLM providers") describes routing, failover and key handling.

pub mod breaker;
pub mod clock;
pub mod config;
pub mod http;
pub mod key;
pub mod provider;
pub mod router;
pub mod summarize;
mod wire;

pub use breaker::BreakerState;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    ConfigError, ProviderConfig, ProviderKind, Tier, load_providers, parse_providers,
};
pub use http::TlsSetupError;
pub use key::{ApiKey, EnvKeys, KeyError, KeyResolver, KeySource, McpdSecrets};
pub use provider::{Completion, CompletionRequest, ProviderError, ProviderStatus};
pub use router::{LlmError, LlmRouter, LlmStatus, RouterOptions};
pub use summarize::{
    Completer, Method, ModelAnswer, Section, SummarizeOptions, SummaryTree, summarize_tree,
    summarize_tree_with,
};
