//! mcplocal's language models: the `llm:` providers of `$MCPCTL_HOME/config.yaml`, behind
//! the tiered router of the `llm` crate, with API keys from mcpd's secrets (or the
//! environment). Served as `GET /llm/providers` and switched with `PUT /llm/preferred`.
//!
//! A broken `llm:` section does not stop mcplocal: it runs without providers (stages fall
//! back to their extractive paths) and the error is shown by `/llm/providers` and
//! `mcpctl status`.

use std::path::Path;
use std::sync::Arc;

use llm::{LlmError, LlmRouter, LlmStatus, McpdSecrets, RouterOptions, Tier};
use serde::{Deserialize, Serialize};

/// The router, and why it has no providers when the configuration was refused.
#[derive(Debug)]
pub struct Models {
    router: Arc<LlmRouter>,
    error: Option<String>,
}

/// What `GET /llm/providers` answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelsStatus {
    #[serde(flatten)]
    pub status: LlmStatus,
    /// Why the configured providers could not be loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_error: Option<String>,
}

/// What `PUT /llm/preferred` takes: the provider to ask first for a tier (`null`: back to
/// the configured order).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    pub tier: Tier,
    pub provider: Option<String>,
}

impl Models {
    /// The providers configured under `home`; keys through mcpd at `mcpd_url`.
    pub fn load(home: Option<&Path>, mcpd_url: &str) -> Models {
        let resolver = Arc::new(McpdSecrets::new(mcpd_url));
        let Some(home) = home else {
            return Models::none(resolver);
        };
        match LlmRouter::from_home(home, resolver.clone()) {
            Ok(router) => {
                if !router.is_empty() {
                    let names: Vec<&str> = router.providers().iter().map(|p| p.name()).collect();
                    tracing::info!(?names, "LLM providers configured");
                }
                Models {
                    router: Arc::new(router),
                    error: None,
                }
            }
            Err(error) => {
                tracing::error!(%error, "LLM providers not loaded; running without them");
                Models {
                    error: Some(error.to_string()),
                    ..Models::none(resolver)
                }
            }
        }
    }

    fn none(resolver: Arc<McpdSecrets>) -> Models {
        Models {
            router: Arc::new(LlmRouter::new(
                Vec::new(),
                resolver,
                RouterOptions::default(),
            )),
            error: None,
        }
    }

    /// The router stages use.
    pub fn router(&self) -> &Arc<LlmRouter> {
        &self.router
    }

    /// Providers, their state and the preferences.
    pub fn status(&self) -> ModelsStatus {
        ModelsStatus {
            status: self.router.status(),
            config_error: self.error.clone(),
        }
    }

    /// Applies a preference at once, without restart.
    pub fn prefer(&self, preference: &Preference) -> Result<(), LlmError> {
        match &preference.provider {
            Some(name) => self.router.set_preferred(preference.tier, name),
            None => {
                self.router.clear_preferred(preference.tier);
                Ok(())
            }
        }
    }
}
