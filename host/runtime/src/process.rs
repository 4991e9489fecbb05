//! The process backend: servers as local child processes, the way desktop MCP clients run
//! `uvx mcp-server-time`. Needs no container engine. STDIO servers speak MCP over the pipes;
//! HTTP and SSE servers listen on `127.0.0.1:containerPort` (one replica per port: a second
//! replica of the same local port cannot bind and crash-loops).
//!
//! Each child gets `MCPCTL_INSTANCE` and `MCPCTL_OWNER` in its environment. A child outlives a
//! killed mcpd only until it notices its stdin closed; any that linger are found through
//! `/proc` by those variables and killed when mcpd starts again, since their pipes cannot be
//! re-attached.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::endpoint::{Endpoint, StdioPipes};
use crate::error::RuntimeError;
use crate::launch::LaunchSpec;
use crate::logs::LogBuffer;
use resource_model::spec::Transport;

/// Copies what a process writes, line by line, into its log.
fn copy_lines(from: impl tokio::io::AsyncRead + Unpin + Send + 'static, logs: Arc<LogBuffer>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(from).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            logs.push(line);
        }
    });
}

/// The exit of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub code: Option<i64>,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct ProcessBackend {
    owner: String,
    children: Mutex<HashMap<String, Child>>,
}

impl ProcessBackend {
    pub fn new(owner: &str) -> ProcessBackend {
        ProcessBackend {
            owner: owner.to_owned(),
            children: Mutex::new(HashMap::new()),
        }
    }

    /// Kills processes a previous mcpd with the same owner left behind.
    pub fn kill_orphans(&self) -> usize {
        let marker = format!("MCPCTL_OWNER={}", self.owner);
        let mut killed = 0;
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return 0;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<i32>().ok())
            else {
                continue;
            };
            let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
                continue;
            };
            let owned = environ
                .split(|b| *b == 0)
                .any(|var| var == marker.as_bytes());
            if owned
                && pid != std::process::id() as i32
                && let Some(pid) = rustix::process::Pid::from_raw(pid)
                && rustix::process::kill_process(pid, rustix::process::Signal::KILL).is_ok()
            {
                killed += 1;
            }
        }
        killed
    }

    pub fn start(
        &self,
        instance: &str,
        spec: &LaunchSpec,
        logs: Arc<LogBuffer>,
    ) -> Result<(String, Endpoint), RuntimeError> {
        let program = spec.command.clone().ok_or_else(|| {
            RuntimeError::Config(format!("server {} has no command", spec.server))
        })?;
        let mut child = Command::new(&program)
            .args(&spec.args)
            .envs(&spec.env)
            .env("MCPCTL_INSTANCE", instance)
            .env("MCPCTL_OWNER", &self.owner)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| RuntimeError::Spawn {
                command: program.clone(),
                message: e.to_string(),
            })?;
        let pid = child.id().map(|p| p.to_string()).unwrap_or_default();
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(RuntimeError::Spawn {
                command: program,
                message: "no pipes".into(),
            });
        };
        copy_lines(stderr, Arc::clone(&logs));
        if let Ok(mut children) = self.children.lock() {
            children.insert(instance.to_owned(), child);
        }
        let endpoint = if spec.transport == Transport::Stdio {
            Endpoint::Stdio(StdioPipes {
                reader: Box::pin(stdout),
                writer: Box::pin(stdin),
            })
        } else {
            // An HTTP server's stdout is log output too.
            copy_lines(stdout, logs);
            let port = spec.port.ok_or_else(|| {
                RuntimeError::Config(format!(
                    "server {} needs containerPort: the local port its {} endpoint listens on",
                    spec.server,
                    spec.transport.as_str()
                ))
            })?;
            Endpoint::Http {
                url: spec.url("127.0.0.1", port),
                sse: spec.transport == Transport::Sse,
            }
        };
        Ok((pid, endpoint))
    }

    /// `Some` once the instance's process has ended (or is unknown).
    pub fn exited(&self, instance: &str) -> Option<Exit> {
        let mut children = self.children.lock().ok()?;
        let Some(child) = children.get_mut(instance) else {
            return Some(Exit {
                code: None,
                reason: "process is gone".into(),
            });
        };
        match child.try_wait() {
            Ok(None) => None,
            Ok(Some(status)) => Some(Exit {
                code: status.code().map(i64::from),
                reason: match status.code() {
                    Some(code) => format!("exited with code {code}"),
                    None => format!("killed ({status})"),
                },
            }),
            Err(e) => Some(Exit {
                code: None,
                reason: e.to_string(),
            }),
        }
    }

    pub async fn stop(&self, instance: &str) {
        let child = self
            .children
            .lock()
            .ok()
            .and_then(|mut c| c.remove(instance));
        if let Some(mut child) = child {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}
