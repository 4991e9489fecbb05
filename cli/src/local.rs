//! Reaching mcplocal: its address, whether it runs, and starting it when it does not.
//!
//! mcplocal listens on `MCPLOCAL_LISTEN` (default `127.0.0.1:3200`); mcpctl reads the same
//! variable, so a client started with it set finds the mcplocal started with it set. When none
//! answers there, mcpctl starts `mcplocal` (the one beside the mcpctl binary, else from
//! `PATH`) in the background, pointed at mcpctl's mcpd, logging to
//! `$MCPCTL_HOME/mcplocal.log`, and waits until it is ready. Two clients starting at once
//! are safe: the second mcplocal cannot bind the port and exits, and both clients then use
//! the first.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// Where mcplocal listens unless `MCPLOCAL_LISTEN` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3200";

/// The environment variable both mcplocal and mcpctl read for mcplocal's address.
pub const LISTEN_VAR: &str = "MCPLOCAL_LISTEN";

/// How long a freshly started mcplocal may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// How long loading a project (connecting to each of its servers) may take.
const PROJECT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one health check may take.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{LISTEN_VAR}={0:?} is not a host:port address")]
    BadListen(String),
    #[error(
        "cannot find the mcplocal binary beside {} or on PATH; install mcpctl's package or put mcplocal on PATH",
        beside.display()
    )]
    NotFound { beside: PathBuf },
    #[error("cannot start {}: {source}", binary.display())]
    Spawn {
        binary: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the mcplocal log {}: {source}", path.display())]
    Log {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "mcplocal did not answer at {url} within {} s of starting; see {}",
        START_TIMEOUT.as_secs(), log.display()
    )]
    NotReady { url: String, log: PathBuf },
    #[error(
        "the mcplocal at {url} serves mcpd {serves}, not {wanted}; stop it, or set {LISTEN_VAR} to another address"
    )]
    OtherMcpd {
        url: String,
        serves: String,
        wanted: String,
    },
    #[error("cannot serve project {project}: {message}")]
    Project { project: String, message: String },
    #[error("cannot start the HTTP client: {0}")]
    Setup(String),
}

/// What `GET /health` of mcplocal answers.
#[derive(Debug, Clone, Deserialize)]
pub struct Health {
    /// The mcpd it routes to.
    pub mcpd: String,
}

/// The address mcplocal is expected at (`host:port`).
pub fn listen_address() -> Result<String, LocalError> {
    let listen = std::env::var(LISTEN_VAR)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    match listen.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => {
            Ok(listen)
        }
        _ => Err(LocalError::BadListen(listen)),
    }
}

/// mcplocal's base URL (`http://127.0.0.1:3200`).
pub fn base_url() -> Result<String, LocalError> {
    let listen = listen_address()?;
    // A wildcard listen address is reached on loopback.
    let listen = listen
        .replacen("0.0.0.0:", "127.0.0.1:", 1)
        .replacen("[::]:", "[::1]:", 1);
    Ok(format!("http://{listen}"))
}

fn http_client() -> Result<reqwest::Client, LocalError> {
    reqwest::Client::builder()
        .timeout(HEALTH_TIMEOUT)
        .build()
        .map_err(|error| LocalError::Setup(error.to_string()))
}

/// mcplocal's health, or `None` when nothing answers at `base`.
pub async fn health(base: &str) -> Option<Health> {
    let http = http_client().ok()?;
    let response = http.get(format!("{base}/health")).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

/// The mcplocal binary to start: beside the running mcpctl, else from `PATH`.
fn mcplocal_binary() -> Result<PathBuf, LocalError> {
    let exe = std::env::current_exe().unwrap_or_default();
    let beside = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let candidate = beside.join("mcplocal");
    if candidate.is_file() {
        return Ok(candidate);
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("mcplocal"))
            .find(|file| file.is_file())
    });
    on_path.ok_or(LocalError::NotFound { beside })
}

/// The base URL of an mcplocal serving `mcpd_url`: the one running, or one started now.
pub async fn ensure_running(mcpd_url: &str, home: &Path) -> Result<String, LocalError> {
    let base = base_url()?;
    if let Some(health) = health(&base).await {
        return check_mcpd(&base, health, mcpd_url);
    }
    let binary = mcplocal_binary()?;
    let log_path = home.join("mcplocal.log");
    std::fs::create_dir_all(home).map_err(|source| LocalError::Log {
        path: log_path.clone(),
        source,
    })?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|source| LocalError::Log {
            path: log_path.clone(),
            source,
        })?;
    let mut command = Command::new(&binary);
    command
        .arg("--listen")
        .arg(listen_address()?)
        .arg("--mcpd-url")
        .arg(mcpd_url)
        .env("MCPCTL_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    // Its own process group: a terminal's Ctrl-C to the client does not stop the proxy
    // other clients share.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(|source| LocalError::Spawn {
        binary: binary.clone(),
        source,
    })?;
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        if let Some(health) = health(&base).await {
            return check_mcpd(&base, health, mcpd_url);
        }
        // Exited at once (e.g. another mcplocal won the port): keep waiting for that one.
        let _ = child.try_wait();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(LocalError::NotReady {
        url: base,
        log: log_path,
    })
}

fn check_mcpd(base: &str, health: Health, mcpd_url: &str) -> Result<String, LocalError> {
    let same = health.mcpd.trim_end_matches('/') == mcpd_url.trim_end_matches('/');
    if same {
        Ok(base.to_owned())
    } else {
        Err(LocalError::OtherMcpd {
            url: base.to_owned(),
            serves: health.mcpd,
            wanted: mcpd_url.to_owned(),
        })
    }
}

/// Asks the mcplocal at `base` to load `project`; its error message when it cannot.
pub async fn check_project(base: &str, project: &str) -> Result<(), LocalError> {
    let http = http_client()?;
    let url = format!("{base}/projects/{project}");
    let unavailable = |message: String| LocalError::Project {
        project: project.to_owned(),
        message,
    };
    let response = http
        .get(&url)
        .timeout(PROJECT_TIMEOUT)
        .send()
        .await
        .map_err(|error| unavailable(format!("mcplocal at {base} did not answer: {error}")))?;
    if response.status().is_success() {
        return Ok(());
    }
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let message = body["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("mcplocal answered {status}"));
    Err(unavailable(message))
}

/// `GET {base}/llm/providers` of a running mcplocal (never starts one).
pub async fn llm_providers(base: &str) -> Option<serde_json::Value> {
    let http = http_client().ok()?;
    let response = http
        .get(format!("{base}/llm/providers"))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

/// The MCP endpoint of `project` on the mcplocal at `base`.
pub fn project_endpoint(base: &str, project: &str) -> String {
    format!("{base}/projects/{project}/mcp")
}

/// The project's `mcp-stdio` stream endpoint on the mcplocal at `base`.
pub fn project_stream_endpoint(base: &str, project: &str) -> String {
    format!("{base}/projects/{project}/mcp-stream")
}
