//! The Docker backend, through bollard. Podman works the same way through its
//! Docker-compatible API socket (`podman system service`, socket `/run/podman/podman.sock`).
//!
//! Every container carries labels naming its owner (one mcpd home), server, instance and spec
//! hash, so a restarted mcpd finds its containers again: it re-attaches to the running ones
//! whose spec is current and removes the rest.

use std::collections::HashMap;
use std::sync::Arc;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder,
    InspectContainerOptions, ListContainersOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::StreamExt;
use tokio_util::io::StreamReader;

use crate::endpoint::{Endpoint, StdioPipes};
use crate::error::RuntimeError;
use crate::launch::LaunchSpec;
use crate::logs::LogBuffer;
use crate::process::Exit;
use resource_model::spec::Transport;

pub const LABEL_OWNER: &str = "io.mcpctl.owner";
pub const LABEL_SERVER: &str = "io.mcpctl.server";
pub const LABEL_INSTANCE: &str = "io.mcpctl.instance";
pub const LABEL_HASH: &str = "io.mcpctl.spec-hash";

/// A container this mcpd owns, found after a restart.
#[derive(Debug, Clone)]
pub struct OwnedContainer {
    pub id: String,
    pub server: String,
    pub instance: String,
    pub spec_hash: String,
    pub running: bool,
}

#[derive(Debug, Clone)]
pub struct DockerBackend {
    docker: Docker,
    owner: String,
}

fn container_name(instance: &str) -> String {
    format!("mcpctl-{instance}")
}

impl DockerBackend {
    /// Connects to the engine at `socket` (a Unix socket path), or the default socket
    /// (`DOCKER_HOST` or `/var/run/docker.sock`), and checks that it answers.
    pub async fn connect(socket: Option<&str>, owner: &str) -> Result<DockerBackend, RuntimeError> {
        let docker = match socket {
            Some(path) => Docker::connect_with_socket(path, 120, bollard::API_DEFAULT_VERSION),
            None => Docker::connect_with_local_defaults(),
        }
        .map_err(|e| RuntimeError::NoEngine(e.to_string()))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| RuntimeError::NoEngine(e.to_string()))?;
        docker
            .ping()
            .await
            .map_err(|e| RuntimeError::NoEngine(e.to_string()))?;
        Ok(DockerBackend {
            docker,
            owner: owner.to_owned(),
        })
    }

    /// Makes sure `image` is present, pulling it if not; `progress` hears about the pull.
    pub async fn ensure_image(
        &self,
        image: &str,
        progress: impl Fn(String),
    ) -> Result<(), RuntimeError> {
        if self.docker.inspect_image(image).await.is_ok() {
            return Ok(());
        }
        progress(format!("pulling image {image}"));
        let options = CreateImageOptionsBuilder::default()
            .from_image(image)
            .build();
        let mut pull = self.docker.create_image(Some(options), None, None);
        let mut last = String::new();
        while let Some(item) = pull.next().await {
            match item {
                Ok(info) => {
                    if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                        return Err(RuntimeError::Image {
                            image: image.to_owned(),
                            message: detail,
                        });
                    }
                    if let Some(status) = info.status
                        && status != last
                    {
                        last = status.clone();
                        progress(format!("{image}: {status}"));
                    }
                }
                Err(e) => {
                    return Err(RuntimeError::Image {
                        image: image.to_owned(),
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    fn labels(&self, spec: &LaunchSpec, instance: &str, hash: &str) -> HashMap<String, String> {
        HashMap::from([
            (LABEL_OWNER.to_owned(), self.owner.clone()),
            (LABEL_SERVER.to_owned(), spec.server.clone()),
            (LABEL_INSTANCE.to_owned(), instance.to_owned()),
            (LABEL_HASH.to_owned(), hash.to_owned()),
        ])
    }

    /// Creates and starts a container for `instance`; returns its id and MCP endpoint.
    pub async fn start(
        &self,
        instance: &str,
        spec: &LaunchSpec,
        hash: &str,
        logs: Arc<LogBuffer>,
    ) -> Result<(String, Endpoint), RuntimeError> {
        let image = spec.image.clone().ok_or_else(|| {
            RuntimeError::Config(format!("server {} has no dockerImage", spec.server))
        })?;
        let name = container_name(instance);
        // A container of the same name left by a crash would block the create.
        let _ = self.remove(&name).await;
        let stdio = spec.transport == Transport::Stdio;
        let mut cmd = Vec::new();
        if let Some(command) = &spec.command {
            cmd.push(command.clone());
        }
        cmd.extend(spec.args.iter().cloned());
        let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        env.push(format!("MCPCTL_INSTANCE={instance}"));
        let host_config = HostConfig {
            privileged: Some(false),
            cap_drop: Some(vec!["ALL".to_owned()]),
            security_opt: Some(vec!["no-new-privileges".to_owned()]),
            memory: Some(i64::from(spec.memory_mb) * 1024 * 1024),
            nano_cpus: Some((spec.cpus * 1e9) as i64),
            pids_limit: Some(512),
            network_mode: Some(
                if spec.network_isolation {
                    "none"
                } else {
                    "bridge"
                }
                .to_owned(),
            ),
            readonly_rootfs: Some(spec.read_only_root),
            init: Some(true),
            ..HostConfig::default()
        };
        let body = ContainerCreateBody {
            image: Some(image),
            cmd: (!cmd.is_empty()).then_some(cmd),
            env: Some(env),
            labels: Some(self.labels(spec, instance, hash)),
            open_stdin: Some(stdio),
            stdin_once: Some(false),
            attach_stdin: Some(stdio),
            attach_stdout: Some(stdio),
            attach_stderr: Some(stdio),
            tty: Some(false),
            host_config: Some(host_config),
            ..ContainerCreateBody::default()
        };
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        let created = self.docker.create_container(Some(options), body).await?;
        let id = created.id;
        // Attach before starting, so no early output of a STDIO server is lost.
        let pipes = if stdio {
            Some(self.attach(&id).await?)
        } else {
            None
        };
        self.docker.start_container(&id, None).await?;
        self.follow_logs(&id, stdio, logs);
        let endpoint = match pipes {
            Some(pipes) => Endpoint::Stdio(pipes),
            None => Endpoint::Http {
                url: self.http_url(&id, spec).await?,
                sse: spec.transport == Transport::Sse,
            },
        };
        Ok((id, endpoint))
    }

    /// Re-connects to an adopted, running container.
    pub async fn reattach(
        &self,
        id: &str,
        spec: &LaunchSpec,
        logs: Arc<LogBuffer>,
    ) -> Result<Endpoint, RuntimeError> {
        let stdio = spec.transport == Transport::Stdio;
        self.follow_logs(id, stdio, logs);
        if stdio {
            Ok(Endpoint::Stdio(self.attach(id).await?))
        } else {
            Ok(Endpoint::Http {
                url: self.http_url(id, spec).await?,
                sse: spec.transport == Transport::Sse,
            })
        }
    }

    async fn attach(&self, id: &str) -> Result<StdioPipes, RuntimeError> {
        let options = AttachContainerOptionsBuilder::default()
            .stdin(true)
            .stdout(true)
            .stream(true)
            .build();
        let attached = self.docker.attach_container(id, Some(options)).await?;
        let stdout = attached.output.filter_map(|item| async move {
            match item {
                Ok(LogOutput::StdOut { message }) => Some(Ok(message)),
                Ok(_) => None,
                Err(e) => Some(Err(std::io::Error::other(e.to_string()))),
            }
        });
        Ok(StdioPipes {
            reader: Box::pin(StreamReader::new(Box::pin(stdout))),
            writer: attached.input,
        })
    }

    /// Copies the container's log (stderr only for STDIO servers, whose stdout is MCP) into
    /// `logs` until the container ends.
    fn follow_logs(&self, id: &str, stdio: bool, logs: Arc<LogBuffer>) {
        let options = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(!stdio)
            .stderr(true)
            .tail("200")
            .build();
        let mut stream = self.docker.logs(id, Some(options));
        tokio::spawn(async move {
            let mut partial = String::new();
            while let Some(Ok(chunk)) = stream.next().await {
                partial.push_str(&String::from_utf8_lossy(chunk.as_ref()));
                while let Some(end) = partial.find('\n') {
                    let line: String = partial.drain(..=end).collect();
                    logs.push(line.trim_end_matches(['\r', '\n']).to_owned());
                }
            }
            if !partial.is_empty() {
                logs.push(partial);
            }
        });
    }

    async fn http_url(&self, id: &str, spec: &LaunchSpec) -> Result<String, RuntimeError> {
        let port = spec.port.ok_or_else(|| {
            RuntimeError::Config(format!(
                "server {} needs containerPort for {}",
                spec.server,
                spec.transport.as_str()
            ))
        })?;
        let inspected = self
            .docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await?;
        let ip = inspected
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|nets| {
                nets.into_values()
                    .find_map(|n| n.ip_address.filter(|ip| !ip.is_empty()))
            })
            .ok_or_else(|| RuntimeError::Engine(format!("container {id} has no IP address")))?;
        Ok(spec.url(&ip, port))
    }

    /// `Some` once the container is no longer running (or is gone).
    pub async fn exited(&self, id: &str) -> Option<Exit> {
        match self
            .docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
        {
            Ok(inspected) => {
                let state = inspected.state?;
                if state.running == Some(true) {
                    return None;
                }
                let code = state.exit_code;
                let reason = if state.oom_killed == Some(true) {
                    "killed: out of memory (raise limits.memoryMb)".to_owned()
                } else {
                    match (code, state.error.filter(|e| !e.is_empty())) {
                        (_, Some(error)) => error,
                        (Some(code), None) => format!("exited with code {code}"),
                        (None, None) => "stopped".to_owned(),
                    }
                };
                Some(Exit { code, reason })
            }
            Err(e) => Some(Exit {
                code: None,
                reason: format!("container is gone: {e}"),
            }),
        }
    }

    async fn remove(&self, id: &str) -> Result<(), RuntimeError> {
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        self.docker.remove_container(id, Some(options)).await?;
        Ok(())
    }

    /// Stops and removes a container.
    pub async fn stop(&self, id: &str) {
        let options = StopContainerOptionsBuilder::default().t(2).build();
        let _ = self.docker.stop_container(id, Some(options)).await;
        let _ = self.remove(id).await;
    }

    /// The containers this owner has, running or not.
    pub async fn owned(&self) -> Result<Vec<OwnedContainer>, RuntimeError> {
        let filters = HashMap::from([(
            "label".to_owned(),
            vec![format!("{LABEL_OWNER}={}", self.owner)],
        )]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let containers = self.docker.list_containers(Some(options)).await?;
        Ok(containers
            .into_iter()
            .filter_map(|c| {
                let labels = c.labels?;
                Some(OwnedContainer {
                    id: c.id?,
                    server: labels.get(LABEL_SERVER)?.clone(),
                    instance: labels.get(LABEL_INSTANCE)?.clone(),
                    spec_hash: labels.get(LABEL_HASH).cloned().unwrap_or_default(),
                    running: c
                        .state
                        .is_some_and(|s| s == bollard::models::ContainerSummaryStateEnum::RUNNING),
                })
            })
            .collect())
    }
}
