//! What to run for one server: its effective definition with secrets resolved into plain
//! environment values, and a hash that changes whenever anything that matters changes.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use resource_model::effective::EffectiveServer;
use resource_model::spec::{ServerSpec, SessionMode, Transport};
use resource_model::{Kind, Resource, Spec};
use store::Store;

use crate::error::RuntimeError;

/// Default caps for a container that sets none.
pub const DEFAULT_MEMORY_MB: u32 = 512;
pub const DEFAULT_CPUS: f64 = 1.0;

/// Which backend runs a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    Docker,
    Process,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Docker => "docker",
            BackendKind::Process => "process",
        }
    }
}

/// Everything a backend needs to start one instance of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchSpec {
    pub server: String,
    pub backend: BackendKind,
    pub image: Option<String>,
    pub command: Option<String>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub transport: Transport,
    pub port: Option<u16>,
    pub endpoint_path: String,
    pub memory_mb: u32,
    pub cpus: f64,
    pub network_isolation: bool,
    pub read_only_root: bool,
    pub replicas: u32,
    pub session_mode: SessionMode,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub failure_threshold: u32,
    pub probe_tool: Option<(String, serde_json::Value)>,
}

impl LaunchSpec {
    /// A short stable digest of what an instance runs (not of how many replicas there are):
    /// an instance whose hash differs from its server's is replaced.
    pub fn hash(&self) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &self.image,
            &self.command,
            &self.args,
            &self.env,
            self.transport.as_str(),
            self.port,
            &self.endpoint_path,
            self.memory_mb,
            self.cpus.to_bits(),
            self.network_isolation,
            self.read_only_root,
        )
            .hash(&mut h);
        format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
    }

    /// The URL of an HTTP instance reached at `host`.
    pub fn url(&self, host: &str, port: u16) -> String {
        format!("http://{host}:{port}{}", self.endpoint_path)
    }
}

fn secret_data(resources: &[Resource], name: &str) -> Option<BTreeMap<String, String>> {
    resources.iter().find_map(|r| match &r.spec {
        Spec::Secret(s) if r.name == name => Some(s.data.clone()),
        _ => None,
    })
}

/// The launch spec of every server (or why it cannot run), from one read of the servers,
/// templates and secrets in the store.
pub async fn resolve_all(
    store: &Store,
) -> Result<std::collections::BTreeMap<String, Result<LaunchSpec, String>>, RuntimeError> {
    let servers = store.list(Kind::Server, None).await?;
    let templates = store.list(Kind::Template, None).await?;
    let secrets = store.list(Kind::Secret, None).await?;
    Ok(servers
        .iter()
        .filter_map(|server| match &server.spec {
            Spec::Server(spec) => Some((server.name.clone(), spec)),
            _ => None,
        })
        .map(|(name, spec)| {
            let template = spec.from_template.as_ref().map(|wanted| {
                templates.iter().find_map(|t| match &t.spec {
                    Spec::Template(t_spec) if &t.name == wanted => Some(t_spec),
                    _ => None,
                })
            });
            let launch = match template {
                Some(None) => Err(format!(
                    "server {name}: template {} does not exist",
                    spec.from_template.as_deref().unwrap_or_default()
                )),
                Some(Some(t)) => build(&name, spec, Some(t), &secrets).map_err(|e| e.to_string()),
                None => build(&name, spec, None, &secrets).map_err(|e| e.to_string()),
            };
            (name, launch)
        })
        .collect())
}

fn build(
    name: &str,
    spec: &ServerSpec,
    template: Option<&resource_model::spec::TemplateSpec>,
    secrets: &[Resource],
) -> Result<LaunchSpec, RuntimeError> {
    let effective = EffectiveServer::resolve(spec, template);
    let mut env = BTreeMap::new();
    for from in &spec.env_from {
        let data = secret_data(secrets, &from.secret_ref.name).ok_or_else(|| {
            RuntimeError::Config(format!(
                "server {name}: secret {} does not exist",
                from.secret_ref.name
            ))
        })?;
        env.extend(data);
    }
    for var in &effective.env {
        let value = match (&var.value, &var.value_from) {
            (Some(v), _) => v.clone(),
            (None, Some(from)) => {
                let r = &from.secret_key_ref;
                secret_data(secrets, &r.name)
                    .and_then(|d| d.get(&r.key).cloned())
                    .ok_or_else(|| {
                        RuntimeError::Config(format!(
                            "server {name}: secret {} has no key {}",
                            r.name, r.key
                        ))
                    })?
            }
            (None, None) => continue,
        };
        env.insert(var.name.clone(), value);
    }
    let backend = if effective.docker_image.is_some() {
        BackendKind::Docker
    } else {
        BackendKind::Process
    };
    let default_path = match effective.transport {
        Transport::Sse => "/sse",
        _ => "/mcp",
    };
    let limits = spec.limits.clone().unwrap_or_default();
    let health = &effective.health_check;
    Ok(LaunchSpec {
        server: name.to_owned(),
        backend,
        image: effective.docker_image,
        command: effective.command,
        args: effective.args,
        env,
        transport: effective.transport,
        port: effective.container_port,
        endpoint_path: spec
            .endpoint_path
            .clone()
            .unwrap_or_else(|| default_path.to_owned()),
        memory_mb: limits.memory_mb.unwrap_or(DEFAULT_MEMORY_MB),
        cpus: limits.cpus.unwrap_or(DEFAULT_CPUS),
        network_isolation: spec.network_isolation,
        read_only_root: spec.read_only_root_filesystem,
        replicas: spec.replicas,
        session_mode: spec.session_mode,
        interval_seconds: health.interval_seconds,
        timeout_seconds: health.timeout_seconds,
        failure_threshold: health.failure_threshold,
        probe_tool: health.tool.clone().map(|t| {
            (
                t,
                serde_json::Value::Object(health.arguments.clone().unwrap_or_default()),
            )
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use resource_model::spec::{EnvFromSource, SecretRef, SecretSpec};

    #[test]
    fn secrets_become_environment_and_change_the_hash() {
        let secret = |value: &str| {
            Resource::new(
                "creds",
                Spec::Secret(SecretSpec {
                    data: [("TOKEN".to_owned(), value.to_owned())].into(),
                }),
            )
        };
        let server = ServerSpec {
            command: Some("python".into()),
            env_from: vec![EnvFromSource {
                secret_ref: SecretRef {
                    name: "creds".into(),
                },
            }],
            replicas: 2,
            ..ServerSpec::default()
        };
        let a = build("s", &server, None, &[secret("one")]).expect("builds");
        assert_eq!(a.env.get("TOKEN").map(String::as_str), Some("one"));
        assert_eq!(a.backend, BackendKind::Process);
        let b = build("s", &server, None, &[secret("two")]).expect("builds");
        assert_ne!(a.hash(), b.hash(), "a new secret value restarts instances");
        let scaled = build(
            "s",
            &ServerSpec {
                replicas: 5,
                ..server.clone()
            },
            None,
            &[secret("one")],
        )
        .expect("builds");
        assert_eq!(a.hash(), scaled.hash(), "scaling keeps instances");
        assert!(build("s", &server, None, &[]).is_err());
    }
}
