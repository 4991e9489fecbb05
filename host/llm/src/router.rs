//! Tiered routing over the configured providers: a request names a tier, the first available
//! provider of that tier answers, and a failure moves on to the next.
//!
//! Order for a tier: its preferred provider (set at run time with `set_preferred`), then the
//! providers that serve the tier (theirs, or no tier) in config order. When no provider
//! serves the tier at all, every provider is a candidate. A provider whose breaker is open is
//! skipped without a request. When every candidate failed, the round is repeated after a
//! backoff (200 ms, then doubling; a 429's `Retry-After` is waited for up to 10 s), at most
//! `rounds` times (2). A request the provider rejected as such (400, 413, 422) is not sent
//! elsewhere: another provider would reject it too.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;

use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigError, ProviderConfig, Tier, load_providers};
use crate::key::KeyResolver;
use crate::provider::{Completion, CompletionRequest, Provider, ProviderError, ProviderStatus};

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum LlmError {
    #[error("no LLM provider is configured (add one under llm: in config.yaml)")]
    NoProviders,
    #[error("no {tier}-tier LLM provider answered: {}", failures.iter().map(|(name, e)| format!("{name}: {e}")).collect::<Vec<_>>().join("; "))]
    AllFailed {
        tier: Tier,
        failures: Vec<(String, ProviderError)>,
    },
    #[error("LLM provider {provider} rejected the request: {error}")]
    Rejected {
        provider: String,
        error: ProviderError,
    },
    #[error("no LLM provider named {0:?}; configured: {1}")]
    UnknownProvider(String, String),
}

/// Failover timing.
#[derive(Debug, Clone)]
pub struct RouterOptions {
    /// Passes over the candidates before giving up (default 2).
    pub rounds: u32,
    /// Wait before the second pass; doubles per further pass (default 200 ms).
    pub backoff: Duration,
    /// Longest `Retry-After` honoured between passes (default 10 s).
    pub max_retry_after: Duration,
    /// The breakers' clock.
    pub clock: Arc<dyn Clock>,
}

impl Default for RouterOptions {
    fn default() -> Self {
        RouterOptions {
            rounds: 2,
            backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(10),
            clock: Arc::new(SystemClock),
        }
    }
}

/// What `GET /llm/providers` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmStatus {
    pub providers: Vec<ProviderStatus>,
    /// The provider set to answer first, per tier.
    pub preferred: BTreeMap<Tier, String>,
}

#[derive(Debug)]
pub struct LlmRouter {
    providers: Vec<Arc<Provider>>,
    preferred: RwLock<BTreeMap<Tier, String>>,
    options: RouterOptions,
}

impl LlmRouter {
    pub fn new(
        configs: Vec<ProviderConfig>,
        resolver: Arc<dyn KeyResolver>,
        options: RouterOptions,
    ) -> LlmRouter {
        let providers = configs
            .into_iter()
            .map(|config| {
                Arc::new(Provider::new(
                    config,
                    resolver.clone(),
                    options.clock.clone(),
                ))
            })
            .collect();
        LlmRouter {
            providers,
            preferred: RwLock::new(BTreeMap::new()),
            options,
        }
    }

    /// The providers of `$MCPCTL_HOME/config.yaml` (none when it does not exist).
    pub fn from_home(
        home: &Path,
        resolver: Arc<dyn KeyResolver>,
    ) -> Result<LlmRouter, ConfigError> {
        let configs = load_providers(&home.join("config.yaml"))?;
        Ok(LlmRouter::new(configs, resolver, RouterOptions::default()))
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    pub fn providers(&self) -> &[Arc<Provider>] {
        &self.providers
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.providers.iter().map(|p| p.name()).collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }

    /// Makes `name` the first provider asked for `tier`, at once and without restart.
    pub fn set_preferred(&self, tier: Tier, name: &str) -> Result<(), LlmError> {
        if !self.providers.iter().any(|p| p.name() == name) {
            return Err(LlmError::UnknownProvider(name.to_owned(), self.names()));
        }
        self.preferred
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tier, name.to_owned());
        Ok(())
    }

    /// Back to config order for `tier`.
    pub fn clear_preferred(&self, tier: Tier) {
        self.preferred
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&tier);
    }

    /// The providers asked for `tier`, in order.
    pub fn candidates(&self, tier: Tier) -> Vec<Arc<Provider>> {
        let mut list: Vec<Arc<Provider>> = self
            .providers
            .iter()
            .filter(|p| p.config().serves(tier))
            .cloned()
            .collect();
        if list.is_empty() {
            list = self.providers.clone();
        }
        let preferred = self
            .preferred
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&tier)
            .cloned();
        if let Some(name) = preferred {
            list.retain(|p| p.name() != name);
            if let Some(p) = self.providers.iter().find(|p| p.name() == name) {
                list.insert(0, p.clone());
            }
        }
        list
    }

    /// How many requests `tier` takes at once: the bound of the provider that would answer
    /// first (summarize-tree runs that many sections side by side; more would only queue).
    pub fn concurrency(&self, tier: Tier) -> usize {
        self.candidates(tier)
            .iter()
            .find(|p| p.available())
            .map_or(1, |p| p.max_concurrent())
    }

    /// Asks the first provider of `tier` that answers.
    pub async fn complete(
        &self,
        tier: Tier,
        request: &CompletionRequest,
    ) -> Result<Completion, LlmError> {
        let candidates = self.candidates(tier);
        if candidates.is_empty() {
            return Err(LlmError::NoProviders);
        }
        let mut failures: Vec<(String, ProviderError)> = Vec::new();
        for round in 0..self.options.rounds.max(1) {
            let mut sent_any = false;
            let mut retry_after: Option<Duration> = None;
            for provider in &candidates {
                match provider.complete(request).await {
                    Ok(completion) => return Ok(completion),
                    Err(error) if error.is_request_fault() => {
                        return Err(LlmError::Rejected {
                            provider: provider.name().to_owned(),
                            error,
                        });
                    }
                    Err(error) => {
                        if !matches!(
                            error,
                            ProviderError::CircuitOpen { .. } | ProviderError::Unsupported(_)
                        ) {
                            sent_any = true;
                        }
                        if let Some(wait) = error.retry_after() {
                            retry_after = Some(retry_after.map_or(wait, |w| w.min(wait)));
                        }
                        tracing::debug!(provider = provider.name(), %error, "LLM provider failed");
                        failures.retain(|(name, _)| name != provider.name());
                        failures.push((provider.name().to_owned(), error));
                    }
                }
            }
            let last = round + 1 >= self.options.rounds.max(1);
            if last || !sent_any {
                break;
            }
            let backoff = self.options.backoff * 2u32.saturating_pow(round);
            let wait = match retry_after {
                Some(wait) => wait.min(self.options.max_retry_after).max(backoff),
                None => backoff,
            };
            tokio::time::sleep(wait).await;
        }
        Err(LlmError::AllFailed { tier, failures })
    }

    pub fn status(&self) -> LlmStatus {
        LlmStatus {
            providers: self.providers.iter().map(|p| p.status()).collect(),
            preferred: self
                .preferred
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}
