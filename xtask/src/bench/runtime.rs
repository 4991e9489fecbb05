//! `cargo xtask bench runtime`: what the runtime issue asks to measure, each next to a
//! baseline measured in the same run.
//!
//! - Routing: `tools/call echo` straight to `mcp-test-server` (its STDIO pipes, its own
//!   streamable-HTTP endpoint) versus through mcpd's `/api/v1/mcp/{server}` to an instance
//!   of it (a local process over STDIO, a container over streamable HTTP); latency of
//!   sequential calls and throughput of 8 and 32 sessions at once.
//! - Create-to-first-call: `POST /api/v1/servers` until the first successful `tools/call`
//!   through mcpd, versus spawning the same command (`mcp-test-server`,
//!   `docker run -i --rm IMAGE`) and initializing it over its stdio.
//! - Idle RSS of mcpd with 20 running servers versus none.
//!
//! The load client is `mcp-bench` (host/mcp-bench), which prints one JSON object per run.
//! All traffic stays on this machine: loopback, and the Docker bridge for the container.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Daemon, TempHome, release_bin, rss_kib, start};
use crate::run::{describe, status};

/// Sequential calls measured per latency run, after the warm-up.
const CALLS: usize = 2_000;
const WARMUP: usize = 200;
/// Latency runs per target; the one with the median p50 is reported.
const LATENCY_ROUNDS: usize = 3;
/// Calls measured per throughput run, split over the sessions.
const THROUGHPUT_CALLS: usize = 4_000;
/// Create-to-first-call rounds per backend (after one unmeasured round).
const STARTUP_ROUNDS: usize = 5;
/// Servers running for the RSS figure.
const RSS_SERVERS: usize = 20;
/// Calls of the keep-alive client runs (each takes ~44 ms, see BENCHMARKS.md).
const KEEP_ALIVE_CALLS: usize = 100;
/// Port of the test server inside its container (streamable HTTP).
const CONTAINER_PORT: u16 = 8000;

pub fn run() -> Result<(), String> {
    status(Command::new("cargo").args([
        "build",
        "--release",
        "-p",
        "mcpd",
        "-p",
        "cli",
        "-p",
        "test-mcp-server",
        "-p",
        "mcp-bench",
    ]))?;
    let server_bin = release_bin("mcp-test-server");
    let image = field_str(&bench(&["image"])?, "image").ok_or("mcp-bench image: no tag")?;
    eprintln!("xtask: test server image {image}");
    // Names of this run's servers (and so of their containers, `mcpctl-<server>-<id>`).
    let tag = format!("rb{}", std::process::id() % 100_000);

    let mut report = String::new();
    let mut notes = String::new();
    let _ = writeln!(
        report,
        "| measure | result | baseline (same run) | ratio | target |\n|---|---|---|---|---|"
    );
    let outcome = routing(&server_bin, &image, &tag, &mut report, &mut notes)
        .and_then(|()| startup(&server_bin, &image, &tag, &mut report, &mut notes))
        .and_then(|()| idle_rss(&server_bin, &tag, &mut report, &mut notes));
    remove_containers(&tag);
    outcome?;
    print!("{report}\n{notes}");
    Ok(())
}

/// Runs `mcp-bench ARGS` and returns its JSON line.
pub(super) fn bench(args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new(release_bin("mcp-bench"));
    cmd.args(args)
        .env("MCP_TEST_SERVER_BIN", release_bin("mcp-test-server"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", describe(&cmd)))?;
    if !out.status.success() {
        return Err(format!("{} failed ({})", describe(&cmd), out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

// ---- a little JSON, std only: mcp-bench and mcpd write compact JSON in a known field order.

/// The text right after `"key":`, searching for each key of `path` after the previous one.
fn after<'a>(json: &'a str, path: &[&str]) -> Option<&'a str> {
    let mut rest = json;
    for key in path {
        let needle = format!("\"{key}\":");
        let at = rest.find(&needle)?;
        rest = &rest[at + needle.len()..];
    }
    Some(rest)
}

pub(super) fn field(json: &str, path: &[&str]) -> Option<f64> {
    let rest = after(json, path)?;
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

pub(super) fn field_str(json: &str, key: &str) -> Option<String> {
    let rest = after(json, &[key])?.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

pub(super) fn num(json: &str, path: &[&str]) -> f64 {
    field(json, path).unwrap_or(f64::NAN)
}

// ---- plain HTTP to mcpd

/// One request over a fresh connection; returns the status and body.
pub(super) fn http(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<(u16, String), String> {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let code = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{method} {path}: no status in {response:?}"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((code, body))
}

pub(super) fn create_server(daemon: &Daemon, name: &str, spec: &str) -> Result<(), String> {
    let body = format!(r#"{{"kind":"server","name":"{name}",{spec}}}"#);
    match http(&daemon.url, "POST", "/api/v1/servers", Some(&body))? {
        (201, _) => Ok(()),
        (code, text) => Err(format!("creating {name}: {code} {text}")),
    }
}

pub(super) fn delete_server(daemon: &Daemon, name: &str) {
    let _ = http(
        &daemon.url,
        "DELETE",
        &format!("/api/v1/servers/{name}"),
        None,
    );
}

/// Waits until `count` instances are `Running` (of `server`, or of all servers).
pub(super) fn wait_running(
    daemon: &Daemon,
    server: Option<&str>,
    count: usize,
) -> Result<String, String> {
    let path = match server {
        Some(s) => format!("/api/v1/instances?server={s}"),
        None => "/api/v1/instances".to_owned(),
    };
    let started = Instant::now();
    loop {
        let (_, body) = http(&daemon.url, "GET", &path, None)?;
        if body.matches(r#""state":"Running""#).count() >= count {
            return Ok(body);
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!("instances not Running after 120 s: {body}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(super) fn mcpd_pid(daemon: &Daemon) -> String {
    daemon.child.id().to_string()
}

// ---- Docker

/// Waits until no container of `server` is left (mcpd stops them after a delete).
fn wait_containers_gone(server: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let listed = Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("label=io.mcpctl.server={server}"),
            ])
            .output();
        match listed {
            Ok(out) if out.status.success() && out.stdout.iter().all(u8::is_ascii_whitespace) => {
                return;
            }
            Err(_) => return,
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Removes any container this run left behind (their names carry the run's tag).
fn remove_containers(tag: &str) {
    let Ok(out) = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("name=mcpctl-{tag}-")])
        .output()
    else {
        return;
    };
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .args(["rm", "-f"])
            .args(&ids)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn container_ip(container: &str) -> Result<String, String> {
    let out = Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
            container,
        ])
        .output()
        .map_err(|e| e.to_string())?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .map(str::to_owned)
        .ok_or_else(|| format!("container {container} has no IP address"))
}

/// TCP connections to `port` in TIME_WAIT on this host (`/proc/net/tcp`).
fn time_wait_to(port: u16) -> usize {
    let port = format!(":{port:04X}");
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() > 3 && fields[2].ends_with(&port) && fields[3] == "06"
        })
        .count()
}

/// rmcp's HTTP client opens a new TCP connection per request, and each closed one stays in
/// TIME_WAIT for 60 s; towards a non-loopback address (the container) the ~28,000 local
/// ports run out after that many requests, and requests then stall and fail. Before a run
/// against the container, wait (at most 90 s) until enough ports are free again.
fn wait_for_ports(port: u16) {
    let started = Instant::now();
    let mut waited = false;
    while time_wait_to(port) > 12_000 && started.elapsed() < Duration::from_secs(90) {
        waited = true;
        std::thread::sleep(Duration::from_millis(500));
    }
    if waited {
        eprintln!(
            "xtask: waited {:.0} s for TIME_WAIT connections to port {port} to expire",
            started.elapsed().as_secs_f64()
        );
    }
}

// ---- a test server of our own, over streamable HTTP

struct HttpServer {
    child: Child,
    url: String,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `mcp-test-server --transport streamable-http --port 0`, with its stderr drained (it logs
/// every call there) after the `listening on` line.
fn start_http_server(binary: &Path) -> Result<HttpServer, String> {
    let mut child = Command::new(binary)
        .args(["--transport", "streamable-http", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("listening on http://") {
                let _ = tx.send(rest.to_owned());
            }
        }
    });
    let mut server = HttpServer {
        child,
        url: String::new(),
    };
    let address = rx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| "mcp-test-server did not say where it listens".to_owned())?;
    let port = address
        .trim_end_matches("/mcp")
        .rsplit_once(':')
        .map(|(_, p)| p.to_owned())
        .ok_or("no port")?;
    server.url = format!("http://127.0.0.1:{port}/mcp");
    Ok(server)
}

// ---- formatting and cases

/// A throughput comparison: the same calls straight to a server and through mcpd.
struct Pair<'a> {
    label: &'a str,
    baseline: &'a str,
    direct: Vec<&'a str>,
    routed: Vec<&'a str>,
    watch: &'a [String],
}

/// A create-to-first-call case: the server's spec and the command of its baseline.
struct Case<'a> {
    label: &'a str,
    spec: &'a str,
    baseline: Option<Vec<&'a str>>,
    baseline_label: &'a str,
    docker: bool,
}

pub(super) fn us(x: f64) -> String {
    format!("{x:.0} µs")
}

pub(super) fn ms(x: f64) -> String {
    format!("{x:.1} ms")
}

pub(super) fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}x", a / b.max(1e-9))
}

/// One latency run of `mcp-bench calls`.
pub(super) fn calls(target: &[&str], sessions: usize, watch: &[String]) -> Result<String, String> {
    let per_session = if sessions == 1 {
        CALLS
    } else {
        THROUGHPUT_CALLS / sessions
    };
    let warmup = if sessions == 1 { WARMUP } else { 20 };
    let (sessions, per_session, warmup) = (
        sessions.to_string(),
        per_session.to_string(),
        warmup.to_string(),
    );
    let mut args = vec!["calls"];
    args.extend_from_slice(target);
    args.extend([
        "--sessions",
        &sessions,
        "--calls",
        &per_session,
        "--warmup",
        &warmup,
    ]);
    for w in watch {
        args.extend(["--watch", w]);
    }
    // A no-op unless earlier runs used up the local ports towards the container.
    wait_for_ports(CONTAINER_PORT);
    let json = bench(&args)?;
    eprintln!("xtask: {json}");
    Ok(json)
}

/// Of `rounds` runs, the one with the median p50.
pub(super) fn median_run(runs: Vec<String>) -> String {
    let mut runs = runs;
    runs.sort_by(|a, b| num(a, &["p50_us"]).total_cmp(&num(b, &["p50_us"])));
    runs.get(runs.len() / 2).cloned().unwrap_or_default()
}

fn routing(
    server_bin: &Path,
    image: &str,
    tag: &str,
    report: &mut String,
    notes: &mut String,
) -> Result<(), String> {
    let (daemon, _) = start(TempHome::new("routing"), None)?;
    let stdio_name = format!("{tag}-stdio");
    let http_name = format!("{tag}-http");
    create_server(
        &daemon,
        &stdio_name,
        &format!(r#""command":"{}""#, server_bin.display()),
    )?;
    create_server(
        &daemon,
        &http_name,
        &format!(
            r#""dockerImage":"{image}","transport":"STREAMABLE_HTTP","containerPort":{CONTAINER_PORT},"args":["--transport","streamable-http","--port","{CONTAINER_PORT}"]"#
        ),
    )?;
    let result = (|| {
        let stdio_instance = wait_running(&daemon, Some(&stdio_name), 1)?;
        let http_instance = wait_running(&daemon, Some(&http_name), 1)?;
        let instance_pid =
            field_str(&stdio_instance, "containerId").ok_or("no pid of the STDIO instance")?;
        let container =
            field_str(&http_instance, "containerId").ok_or("no id of the HTTP instance")?;
        let container_url = format!("http://{}:{CONTAINER_PORT}/mcp", container_ip(&container)?);
        let local = start_http_server(server_bin)?;
        let mcpd = mcpd_pid(&daemon);
        let via_stdio = format!("{}/api/v1/mcp/{stdio_name}", daemon.url);
        let via_http = format!("{}/api/v1/mcp/{http_name}", daemon.url);
        // The same sessions over mcpd's `mcp-stdio` stream endpoint (what mcplocal uses).
        let stream_stdio = format!("{}/api/v1/mcp-stream/{stdio_name}", daemon.url);
        let stream_http = format!("{}/api/v1/mcp-stream/{http_name}", daemon.url);
        let server_path = server_bin.display().to_string();
        let watch_mcpd = vec![format!("mcpd={mcpd}"), format!("server={instance_pid}")];
        let watch_mcpd_http = vec![format!("mcpd={mcpd}")];

        // Sequential latency; rounds interleaved so that drift hits every target alike.
        let targets: [(&str, Vec<&str>, &[String]); 7] = [
            ("direct stdio", vec!["--stdio", &server_path], &[]),
            ("mcpd stdio", vec!["--url", &via_stdio], &watch_mcpd),
            ("direct local http", vec!["--url", &local.url], &[]),
            ("direct container http", vec!["--url", &container_url], &[]),
            (
                "mcpd container http",
                vec!["--url", &via_http],
                &watch_mcpd_http,
            ),
            (
                "mcpd stream stdio",
                vec!["--stream", &stream_stdio],
                &watch_mcpd,
            ),
            (
                "mcpd stream container http",
                vec!["--stream", &stream_http],
                &watch_mcpd_http,
            ),
        ];
        let mut runs: Vec<Vec<String>> = vec![Vec::new(); targets.len()];
        for _ in 0..LATENCY_ROUNDS {
            for (i, (_, target, watch)) in targets.iter().enumerate() {
                runs[i].push(calls(target, 1, watch)?);
            }
        }
        let lat: Vec<String> = runs.into_iter().map(median_run).collect();
        let [
            direct_stdio,
            mcpd_stdio,
            direct_local,
            direct_container,
            mcpd_http,
            stream_stdio_run,
            stream_http_run,
        ] = [
            &lat[0], &lat[1], &lat[2], &lat[3], &lat[4], &lat[5], &lat[6],
        ];
        for (label, direct, routed) in [
            ("mcpd → STDIO process instance", direct_stdio, mcpd_stdio),
            (
                "mcpd → streamable-HTTP container",
                direct_container,
                mcpd_http,
            ),
            (
                "mcpd `mcp-stdio` stream → STDIO process instance",
                direct_stdio,
                stream_stdio_run,
            ),
            (
                "mcpd `mcp-stdio` stream → streamable-HTTP container",
                direct_container,
                stream_http_run,
            ),
        ] {
            let baseline = if direct == direct_stdio {
                "straight on the child's stdio"
            } else {
                "straight to the container's endpoint"
            };
            for (q, key, target) in [
                ("p50", "p50_us", "routing adds < 100 µs p50"),
                ("p99", "p99_us", ""),
            ] {
                let (r, d) = (num(routed, &[key]), num(direct, &[key]));
                let _ = writeln!(
                    report,
                    "| `tools/call` echo {q}, {label} (1 session, {CALLS} calls) | {} (adds {}) | {baseline} {} | {} | {target} |",
                    us(r),
                    us(r - d),
                    us(d),
                    ratio(r, d)
                );
            }
        }
        let _ = writeln!(
            report,
            "| `tools/call` echo p50 / p99 straight to a local `mcp-test-server --transport streamable-http` | {} / {} | | | |",
            us(num(direct_local, &["p50_us"])),
            us(num(direct_local, &["p99_us"]))
        );

        // Throughput of sessions calling at once.
        for sessions in [8, 32] {
            let pairs = [
                Pair {
                    label: "mcpd → STDIO process instance",
                    baseline: "straight on the child's stdio (one session, that many callers)",
                    direct: vec!["--stdio", &server_path],
                    routed: vec!["--url", &via_stdio],
                    watch: &watch_mcpd,
                },
                Pair {
                    label: "mcpd → streamable-HTTP container",
                    baseline: "straight to the container",
                    direct: vec!["--url", &container_url],
                    routed: vec!["--url", &via_http],
                    watch: &watch_mcpd_http,
                },
                Pair {
                    label: "mcpd `mcp-stdio` stream → STDIO process instance",
                    baseline: "straight on the child's stdio (one session, that many callers)",
                    direct: vec!["--stdio", &server_path],
                    routed: vec!["--stream", &stream_stdio],
                    watch: &watch_mcpd,
                },
            ];
            for Pair {
                label,
                baseline,
                direct,
                routed,
                watch,
            } in pairs
            {
                let d = calls(&direct, sessions, &[])?;
                let r = calls(&routed, sessions, watch)?;
                let (rt, dt) = (num(&r, &["calls_per_s"]), num(&d, &["calls_per_s"]));
                let _ = writeln!(
                    report,
                    "| throughput, {sessions} sessions at once, {label} | {rt:.0} calls/s (p50 {}) | {baseline} {dt:.0} calls/s (p50 {}) | {} | |",
                    us(num(&r, &["p50_us"])),
                    us(num(&d, &["p50_us"])),
                    ratio(rt, dt)
                );
                let _ = writeln!(
                    notes,
                    "- {sessions} sessions, {label}: mcpd CPU {:.0} µs/call, {:.1} context switches/call",
                    num(&r, &["per_call", "mcpd", "cpu_us_per_call"]),
                    num(&r, &["per_call", "mcpd", "switches_per_call"]),
                );
            }
        }

        // Where the time goes: plain HTTP to mcpd, and CPU per call of each process.
        let healthz = format!("{}/healthz", daemon.url);
        let get = bench(&["http", "--url", &healthz])?;
        let post = bench(&["http", "--url", &healthz, "--method", "POST"])?;
        let fresh = bench(&["http", "--url", &healthz, "--fresh"])?;
        let _ = writeln!(
            report,
            "| HTTP round trip to mcpd `/healthz` p50, one keep-alive connection: GET / POST | {} / {} | a new TCP connection per request (as rmcp's client does) {} | | |",
            us(num(&get, &["p50_us"])),
            us(num(&post, &["p50_us"])),
            us(num(&fresh, &["p50_us"])),
        );
        // A client that keeps its connection (most HTTP clients do; rmcp's default does not).
        let keep_alive_args = |url: &str| {
            vec![
                "calls".to_owned(),
                "--url".to_owned(),
                url.to_owned(),
                "--keep-alive".to_owned(),
                "--calls".to_owned(),
                KEEP_ALIVE_CALLS.to_string(),
                "--warmup".to_owned(),
                "5".to_owned(),
            ]
        };
        let run_keep_alive = |url: &str| {
            let args = keep_alive_args(url);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            bench(&args)
        };
        let ka_mcpd = run_keep_alive(&via_stdio)?;
        let ka_local = run_keep_alive(&local.url)?;
        eprintln!("xtask: {ka_mcpd}\nxtask: {ka_local}");
        let _ = writeln!(
            report,
            "| `tools/call` echo p50, mcpd → STDIO, client keeping its HTTP connection ({KEEP_ALIVE_CALLS} calls) | {} | same client straight to a local streamable-HTTP test server {} | {} | |",
            us(num(&ka_mcpd, &["p50_us"])),
            us(num(&ka_local, &["p50_us"])),
            ratio(num(&ka_mcpd, &["p50_us"]), num(&ka_local, &["p50_us"]))
        );
        for (label, json) in [
            ("straight on stdio", direct_stdio),
            ("straight to the local HTTP server", direct_local),
            ("mcpd → STDIO", mcpd_stdio),
            ("straight to the container", direct_container),
            ("mcpd → HTTP container", mcpd_http),
        ] {
            let mut line = format!(
                "- {label}: p50 {}, p99 {}",
                us(num(json, &["p50_us"])),
                us(num(json, &["p99_us"]))
            );
            for process in ["client", "mcpd", "server"] {
                if let Some(cpu) = field(json, &["per_call", process, "cpu_us_per_call"]) {
                    let _ = write!(
                        line,
                        "; {process} CPU {cpu:.0} µs/call, {:.1} switches/call",
                        num(json, &["per_call", process, "switches_per_call"])
                    );
                }
            }
            let _ = writeln!(notes, "{line}");
        }
        let _ = writeln!(
            notes,
            "- HTTP round trips to /healthz: GET keep-alive p50 {} p99 {}; POST keep-alive p50 {}; GET new connection p50 {} p99 {}",
            us(num(&get, &["p50_us"])),
            us(num(&get, &["p99_us"])),
            us(num(&post, &["p50_us"])),
            us(num(&fresh, &["p50_us"])),
            us(num(&fresh, &["p99_us"]))
        );
        Ok(())
    })();
    delete_server(&daemon, &stdio_name);
    delete_server(&daemon, &http_name);
    wait_containers_gone(&http_name);
    result
}

fn startup(
    server_bin: &Path,
    image: &str,
    tag: &str,
    report: &mut String,
    notes: &mut String,
) -> Result<(), String> {
    let (daemon, _) = start(TempHome::new("startup"), None)?;
    let server_path = server_bin.display().to_string();
    let process_spec = format!(r#"{{"command":"{server_path}"}}"#);
    let docker_spec = format!(r#"{{"dockerImage":"{image}"}}"#);
    let http_spec = format!(
        r#"{{"dockerImage":"{image}","transport":"STREAMABLE_HTTP","containerPort":{CONTAINER_PORT},"args":["--transport","streamable-http","--port","{CONTAINER_PORT}"]}}"#
    );
    let cases = [
        Case {
            label: "process backend (command = mcp-test-server)",
            spec: &process_spec,
            baseline: Some(vec!["spawn-call", &server_path]),
            baseline_label: "spawn `mcp-test-server` + initialize + call over its stdio",
            docker: false,
        },
        Case {
            label: "Docker, STDIO (dockerImage = the test image)",
            spec: &docker_spec,
            baseline: Some(vec!["spawn-call", "docker", "run", "-i", "--rm", image]),
            baseline_label: "`docker run -i --rm IMAGE` + initialize + call over its stdio",
            docker: true,
        },
        Case {
            label: "Docker, streamable HTTP (containerPort 8000)",
            spec: &http_spec,
            baseline: None,
            baseline_label: "",
            docker: true,
        },
    ];
    for (n, case) in cases.into_iter().enumerate() {
        let Case {
            label,
            spec,
            baseline,
            baseline_label,
            docker,
        } = case;
        let mut created = Vec::new();
        let mut phases: [Vec<f64>; 4] = Default::default();
        let mut base = Vec::new();
        let mut base_init = Vec::new();
        for round in 0..=STARTUP_ROUNDS {
            let name = format!("{tag}-s{n}r{round}");
            let json = bench(&[
                "first-call",
                "--mcpd",
                &daemon.url,
                "--name",
                &name,
                "--spec",
                spec,
                "--delete",
            ]);
            if docker {
                // mcpd stops containers in its reconcile pass; wait for that to finish so
                // that the next create does not queue behind it.
                wait_containers_gone(&name);
                std::thread::sleep(Duration::from_millis(300));
            }
            let json = json?;
            eprintln!("xtask: {json}");
            if let Some(args) = &baseline {
                let b = bench(args)?;
                eprintln!("xtask: {b}");
                if round > 0 {
                    base.push(num(&b, &["first_call_ms"]));
                    base_init.push(num(&b, &["initialized_ms"]));
                }
            }
            if round == 0 {
                continue; // warm-up: page cache, the engine's first container
            }
            created.push(num(&json, &["first_call_ms"]));
            for (i, key) in ["post_ms", "listed_ms", "running_ms", "first_call_ms"]
                .iter()
                .enumerate()
            {
                phases[i].push(num(&json, &[key]));
            }
        }
        let result = median_f(&created);
        let baseline_cell = match baseline {
            Some(_) => format!("{baseline_label} {}", ms(median_f(&base))),
            None => String::new(),
        };
        let ratio_cell = if baseline.is_some() {
            ratio(result, median_f(&base))
        } else {
            String::new()
        };
        let target = if docker && baseline.is_some() {
            "< 1.2x bare docker run + initialize"
        } else {
            ""
        };
        let _ = writeln!(
            report,
            "| create-to-first-call, {label}, median of {STARTUP_ROUNDS} | {} | {baseline_cell} | {ratio_cell} | {target} |",
            ms(result)
        );
        let [post, listed, running, first] = phases.map(|p| median_f(&p));
        let _ = writeln!(
            notes,
            "- create-to-first-call, {label} (medians, ms from the POST): POST answered {post:.1}, instance listed {listed:.1}, Running {running:.1}, first call answered {first:.1}{}",
            if baseline.is_some() {
                format!(
                    "; baseline initialized at {:.1}, answered at {:.1}",
                    median_f(&base_init),
                    median_f(&base)
                )
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

pub(super) fn median_f(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

fn idle_rss(
    server_bin: &Path,
    tag: &str,
    report: &mut String,
    notes: &mut String,
) -> Result<(), String> {
    let (daemon, _) = start(TempHome::new("rss"), None)?;
    let pid = daemon.child.id();
    http(&daemon.url, "GET", "/api/v1/status", None)?;
    std::thread::sleep(Duration::from_secs(5));
    let empty = rss_kib(pid)?;
    let started = Instant::now();
    for i in 0..RSS_SERVERS {
        create_server(
            &daemon,
            &format!("{tag}-idle-{i:02}"),
            &format!(r#""command":"{}""#, server_bin.display()),
        )?;
    }
    let instances = wait_running(&daemon, None, RSS_SERVERS)?;
    let all_running = started.elapsed();
    std::thread::sleep(Duration::from_secs(5));
    let loaded = rss_kib(pid)?;
    let mut children = 0;
    let mut rest = instances.as_str();
    while let Some(at) = rest.find(r#""containerId":""#) {
        rest = &rest[at + 15..];
        if let Some(child) = rest.split('"').next().and_then(|p| p.parse::<u32>().ok()) {
            children += rss_kib(child).unwrap_or(0);
        }
    }
    let mib = |kib: u64| kib as f64 / 1024.0;
    let _ = writeln!(
        report,
        "| mcpd idle RSS with {RSS_SERVERS} running servers (process backend, 5 s idle) | {:.1} MiB | no servers {:.1} MiB | {} | |",
        mib(loaded),
        mib(empty),
        ratio(loaded as f64, empty as f64)
    );
    let _ = writeln!(
        notes,
        "- {RSS_SERVERS} servers created and all Running in {} ({:.0} KiB of mcpd RSS per server); the {RSS_SERVERS} mcp-test-server processes hold {:.1} MiB RSS together",
        ms(all_running.as_secs_f64() * 1000.0),
        (loaded.saturating_sub(empty)) as f64 / RSS_SERVERS as f64,
        mib(children)
    );
    Ok(())
}
