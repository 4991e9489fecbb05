//! `cargo xtask bench control-plane`: the figures the control-plane issue asks for, each next
//! to a baseline measured in the same run (these machines are noisy; ratios travel better).
//!
//! Everything runs the release binaries over loopback, with a temporary `$MCPCTL_HOME`.
//!
//! `cargo xtask bench runtime` (module [`runtime`]): MCP routing latency and throughput,
//! create-to-first-call and idle RSS with running servers.
//!
//! `cargo xtask bench local` (module [`local`]): tools/call through mcplocal → mcpd against
//! mcpd alone and the upstream directly, merged tools/list over 50 servers, mcplocal's RSS.
//!
//! `cargo xtask bench plugins` (module [`plugins`]): hook dispatch through the plugin ABI,
//! plugin load time, the `default` plugin's cost per tool call.
//!
//! `cargo xtask bench llm-cache` (module [`llm_cache`]): pipeline cache hits, misses and
//! eviction; summarize-tree against a 50 ms loopback provider.
//!
//! `cargo xtask bench pipeline` (module [`pipeline`]): section-split and paginate of 1 MB.
//!
//! `cargo xtask bench js-stages` (module [`js_stages`]): a trivial JS stage per call, and the
//! time from a stage file's change to the first call that uses it.

mod js_stages;
mod llm_cache;
mod local;
mod pipeline;
mod plugins;
mod runtime;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::postgres;
use crate::run::{output, root, status};

pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("control-plane") => control_plane(),
        Some("runtime") => runtime::run(),
        Some("local") => local::run(),
        Some("plugins") => plugins::run(),
        Some("llm-cache") => llm_cache::run(),
        Some("pipeline") => pipeline::run(),
        Some("js-stages") => js_stages::run(),
        other => Err(format!(
            "unknown benchmark {other:?}; one of: control-plane, runtime, local, plugins, llm-cache, js-stages, pipeline"
        )),
    }
}

pub(crate) fn release_bin(name: &str) -> PathBuf {
    root().join("target/release").join(name)
}

/// Builds `example` of `package` in release, runs it and prints what it writes (the figures
/// of benchmarks measured inside a crate, as a Markdown table).
pub(crate) fn release_example(package: &str, example: &str) -> Result<(), String> {
    status(Command::new("cargo").args([
        "build",
        "--release",
        "-p",
        package,
        "--example",
        example,
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let table = output(&mut Command::new(
        target.join("release/examples").join(example),
    ))?;
    print!("{table}");
    Ok(())
}

pub(crate) struct Daemon {
    pub(crate) child: Child,
    pub(crate) url: String,
    _home: TempHome,
}

/// A temporary folder removed on drop (xtask has no dependencies, so no tempfile crate).
pub(crate) struct TempHome(pub(crate) PathBuf);

impl TempHome {
    pub(crate) fn new(tag: &str) -> TempHome {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("mcpctl-bench-{tag}-{}-{nanos}", std::process::id()));
        let _ = std::fs::create_dir_all(&path);
        TempHome(path)
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts mcpd and returns it with the time from spawn to its ready line.
pub(crate) fn start(
    home: TempHome,
    database_url: Option<&str>,
) -> Result<(Daemon, Duration), String> {
    let mut cmd = Command::new(release_bin("mcpd"));
    cmd.args(["--listen", "127.0.0.1:0"])
        .env("MCPCTL_HOME", &home.0)
        .env("MCPD_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot start mcpd: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let ready = started.elapsed();
    let url = line
        .trim()
        .strip_prefix("mcpd listening on ")
        .ok_or_else(|| format!("mcpd did not start: {line:?}"))?
        .to_owned();
    Ok((
        Daemon {
            child,
            url,
            _home: home,
        },
        ready,
    ))
}

pub(crate) fn rss_kib(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "no VmRSS".to_owned())
}

/// One HTTP/1.1 GET over a fresh connection; returns the body length.
fn http_get(url: &str, path: &str) -> Result<usize, String> {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| e.to_string())?;
    if !response.starts_with(b"HTTP/1.1 200") {
        return Err(format!(
            "GET {path}: {}",
            String::from_utf8_lossy(&response[..response.len().min(200)])
        ));
    }
    Ok(response.len())
}

fn mcpctl(url: &str, args: &[&str]) -> Result<Duration, String> {
    let started = Instant::now();
    output(
        Command::new(release_bin("mcpctl"))
            .arg("--mcpd-url")
            .arg(url)
            .args(args),
    )?;
    Ok(started.elapsed())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}

/// 500 servers (half with a secret) and 50 projects of 10 servers each, in the grouped form.
fn fleet_yaml(servers: usize, projects: usize) -> String {
    let mut yaml = String::from(
        "secrets:\n  - name: shared-creds\n    data:\n      API_TOKEN: \"t0ken\"\nservers:\n",
    );
    for i in 0..servers {
        let _ = writeln!(
            yaml,
            "  - name: server-{i:04}\n    description: \"generated server {i}\"\n    command: uvx\n    args: [\"mcp-server-time\", \"--local-timezone\", \"UTC\"]\n    env:\n      - name: INDEX\n        value: \"{i}\""
        );
        if i % 2 == 0 {
            yaml.push_str("    envFrom:\n      - secretRef:\n          name: shared-creds\n");
        }
    }
    if projects == 0 {
        return yaml;
    }
    yaml.push_str("projects:\n");
    let per_project = servers / projects.max(1);
    for p in 0..projects {
        let _ = writeln!(yaml, "  - name: project-{p:03}\n    servers:");
        for s in 0..per_project {
            let _ = writeln!(yaml, "      - server-{:04}", p * per_project + s);
        }
    }
    yaml
}

fn create_pg_database(admin_url: &str, name: &str) -> Result<String, String> {
    output(Command::new("psql").args([admin_url, "-qc", &format!("CREATE DATABASE {name}")]))?;
    let (base, _) = admin_url.rsplit_once('/').ok_or("bad PostgreSQL URL")?;
    Ok(format!("{base}/{name}"))
}

fn drop_pg_database(admin_url: &str, name: &str) {
    let _ = output(Command::new("psql").args([
        admin_url,
        "-qc",
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    ]));
}

fn control_plane() -> Result<(), String> {
    status(Command::new("cargo").args(["build", "--release", "-p", "mcpd", "-p", "cli"]))?;
    let mut report = String::new();
    let _ = writeln!(
        report,
        "| measure | result | baseline (same run) | ratio | target |\n|---|---|---|---|---|"
    );

    // Cold start: fresh home, so the database is created and migrated.
    let mut cold = Vec::new();
    let mut version = Vec::new();
    let mut rss = 0;
    for _ in 0..10 {
        let started = Instant::now();
        output(Command::new(release_bin("mcpd")).arg("--version"))?;
        version.push(started.elapsed());
        let (daemon, ready) = start(TempHome::new("cold"), None)?;
        cold.push(ready);
        http_get(&daemon.url, "/api/v1/status")?;
        rss = rss_kib(daemon.child.id())?;
    }
    let (cold, version) = (median(cold), median(version));
    let _ = writeln!(
        report,
        "| mcpd cold start to ready (SQLite, migrations applied) | {} | `mcpd --version` {} | {} | < 300 ms |",
        ms(cold),
        ms(version),
        ratio(cold, version)
    );
    let _ = writeln!(
        report,
        "| mcpd idle RSS after start + one request (SQLite) | {:.1} MiB | | | < 30 MB |",
        rss as f64 / 1024.0
    );

    // Apply of 500 servers + 50 projects, on each backend; baseline: the same file again,
    // where every document is read and compared but nothing is written.
    let fleet = fleet_yaml(500, 50);
    let fleet_home = TempHome::new("fleet");
    let fleet_file = fleet_home.0.join("fleet.yaml");
    std::fs::write(&fleet_file, &fleet).map_err(|e| e.to_string())?;
    let fleet_path = fleet_file.display().to_string();
    let admin_url = postgres::ensure()?;
    for backend in ["sqlite", "postgres"] {
        let mut first = Vec::new();
        let mut again = Vec::new();
        for round in 0..3 {
            let db_name = format!("mcpctl_bench_{}_{round}", std::process::id());
            let url = match backend {
                "postgres" => Some(create_pg_database(&admin_url, &db_name)?),
                _ => None,
            };
            let (daemon, _) = start(TempHome::new("apply"), url.as_deref())?;
            first.push(mcpctl(&daemon.url, &["apply", "-f", &fleet_path])?);
            again.push(mcpctl(&daemon.url, &["apply", "-f", &fleet_path])?);
            drop(daemon);
            if backend == "postgres" {
                drop_pg_database(&admin_url, &db_name);
            }
        }
        let (first, again) = (median(first), median(again));
        let _ = writeln!(
            report,
            "| `mcpctl apply -f` 500 servers + 50 projects ({backend}) | {} | unchanged re-apply {} | {} | < 2 s |",
            ms(first),
            ms(again),
            ratio(first, again)
        );
    }

    // Listing 1,000 servers end to end through mcpctl; baseline: listing an empty store.
    let (empty, _) = start(TempHome::new("empty"), None)?;
    let (daemon, _) = start(TempHome::new("list"), None)?;
    let thousand = TempHome::new("thousand");
    let thousand_file = thousand.0.join("thousand.yaml");
    std::fs::write(&thousand_file, fleet_yaml(1000, 0)).map_err(|e| e.to_string())?;
    mcpctl(
        &daemon.url,
        &["apply", "-f", &thousand_file.display().to_string()],
    )?;
    let mut list = Vec::new();
    let mut list_empty = Vec::new();
    let mut http = Vec::new();
    let mut http_status = Vec::new();
    for _ in 0..10 {
        list.push(mcpctl(&daemon.url, &["get", "servers"])?);
        list_empty.push(mcpctl(&empty.url, &["get", "servers"])?);
        let started = Instant::now();
        http_get(&daemon.url, "/api/v1/servers")?;
        http.push(started.elapsed());
        let started = Instant::now();
        http_get(&daemon.url, "/healthz")?;
        http_status.push(started.elapsed());
    }
    let (list, list_empty, http, http_status) = (
        median(list),
        median(list_empty),
        median(http),
        median(http_status),
    );
    let _ = writeln!(
        report,
        "| `mcpctl get servers` over 1,000 servers (end to end, SQLite) | {} | empty store {} | {} | < 100 ms |",
        ms(list),
        ms(list_empty),
        ratio(list, list_empty)
    );
    let _ = writeln!(
        report,
        "| `GET /api/v1/servers` over 1,000 servers (HTTP only) | {} | `GET /healthz` {} | {} | |",
        ms(http),
        ms(http_status),
        ratio(http, http_status)
    );
    let _ = writeln!(
        report,
        "| mcpd RSS after the list runs (1,000 servers) | {:.1} MiB | | | |",
        rss_kib(daemon.child.id())? as f64 / 1024.0
    );
    print!("{report}");
    Ok(())
}
