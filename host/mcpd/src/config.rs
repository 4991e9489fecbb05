//! mcpd's settings: defaults < `$MCPCTL_HOME/config.yaml` (its `mcpd:` section) < `MCPD_*`
//! environment variables < command-line flags, merged with figment.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Serialized};
use serde::{Deserialize, Serialize};

/// Where all of mcpctl's state lives: `$MCPCTL_HOME`, else `~/.mcpctl`.
pub fn mcpctl_home() -> PathBuf {
    if let Some(home) = std::env::var_os("MCPCTL_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(home);
    }
    std::env::home_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".mcpctl")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Address the REST API listens on.
    pub listen: String,
    /// `postgres://...` for PostgreSQL; anything else is a SQLite file path.
    pub database_url: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Pooled database connections.
    pub max_connections: usize,
    /// File holding the key that seals secrets (created on first start).
    pub secret_key_file: PathBuf,
    /// The key itself, base64; when set, the key file is not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    /// Docker or Podman API socket (e.g. `/run/podman/podman.sock`); unset: `DOCKER_HOST`
    /// or `/var/run/docker.sock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_socket: Option<String>,
    /// How often the reconciler checks instances when nothing changed, in milliseconds.
    pub reconcile_interval_ms: u64,
}

impl Config {
    pub fn defaults(home: &Path) -> Config {
        Config {
            listen: "127.0.0.1:3000".into(),
            database_url: home.join("mcpd.db").display().to_string(),
            max_body_bytes: 8 * 1024 * 1024,
            max_connections: 8,
            secret_key_file: home.join("secret.key"),
            secret_key: None,
            docker_socket: None,
            reconcile_interval_ms: 2000,
        }
    }
}

/// Settings given on the command line; unset ones leave the lower layers in force.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: resource_model::ModelError,
    },
    #[error("configuration: {0}")]
    Invalid(String),
}

/// The settings environment variables may set (`MCPD_LISTEN`, ...); other `MCPD_*` variables
/// belong to someone else.
const ENV_KEYS: [&str; 8] = [
    "listen",
    "database_url",
    "max_body_bytes",
    "max_connections",
    "secret_key_file",
    "secret_key",
    "docker_socket",
    "reconcile_interval_ms",
];

/// `DATABASE_URL` → `databaseUrl`.
fn env_key_to_field(key: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn file_section(path: &Path) -> Result<serde_json::Value, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(serde_json::json!({})),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let parse = |source| ConfigError::Parse {
        path: path.to_owned(),
        source,
    };
    let values = resource_model::document::parse_values(&text).map_err(parse)?;
    Ok(values
        .into_iter()
        .next()
        .and_then(|v| v.get("mcpd").cloned())
        .unwrap_or_else(|| serde_json::json!({})))
}

/// Loads the settings for `home` with `overrides` from the command line on top.
pub fn load(home: &Path, overrides: Overrides) -> Result<Config, ConfigError> {
    let file = file_section(&home.join("config.yaml"))?;
    Figment::from(Serialized::defaults(Config::defaults(home)))
        .merge(Serialized::globals(file))
        .merge(
            Env::prefixed("MCPD_")
                .only(&ENV_KEYS)
                .map(|k| env_key_to_field(k.as_str()).into()),
        )
        .merge(Serialized::globals(overrides))
        .extract()
        .map_err(|e| ConfigError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_keys_become_field_names() {
        assert_eq!(env_key_to_field("DATABASE_URL"), "databaseUrl");
        assert_eq!(env_key_to_field("LISTEN"), "listen");
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("config.yaml"),
            "mcpd:\n  listen: 127.0.0.1:4000\n  maxConnections: 3\n",
        )
        .expect("write");
        let config = load(dir.path(), Overrides::default()).expect("load");
        assert_eq!(config.listen, "127.0.0.1:4000");
        assert_eq!(config.max_connections, 3);
        assert!(config.database_url.ends_with("mcpd.db"));
        let config = load(
            dir.path(),
            Overrides {
                listen: Some("127.0.0.1:5000".into()),
                database_url: None,
            },
        )
        .expect("load");
        assert_eq!(config.listen, "127.0.0.1:5000");
    }

    #[test]
    fn a_broken_config_file_names_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.yaml"), "mcpd:\n  listen: [\n").expect("write");
        let err = load(dir.path(), Overrides::default()).expect_err("broken");
        assert!(err.to_string().contains("config.yaml: line"), "{err}");
    }

    #[test]
    fn unknown_settings_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.yaml"), "mcpd:\n  lisen: x\n").expect("write");
        let err = load(dir.path(), Overrides::default()).expect_err("typo");
        assert!(err.to_string().contains("lisen"), "{err}");
    }
}
