//! `cargo xtask bench local`: what the mcplocal issue asks to measure, each next to a baseline
//! measured in the same run.
//!
//! - `tools/call echo` latency (one session) and throughput (8 and 32 sessions at once) for
//!   three paths to the same kind of upstream: straight to it, through mcpd
//!   (`/api/v1/mcp/{server}`), and the full chain through mcplocal
//!   (`/projects/{project}/mcp`) and mcpd. Two upstreams: `mcp-test-server` as a STDIO
//!   process and as a streamable-HTTP process, both run by mcpd's process backend; the
//!   HTTP one is also reached straight at its own port, so all three paths end in the same
//!   process. The projects have that one server, `proxyModel: content-pipeline` and
//!   `prefixMode: never` (the tool is `echo` on every path).
//! - A merged `tools/list` over 50 servers of 40 tools (`mcp-test-server --extra-tools 30`)
//!   through mcplocal on one warm session, against one of those servers' list through mcpd,
//!   and against one server of 2,000 tools (`--extra-tools 1990`) listed through mcpd and
//!   through a one-server mcplocal project: the same number of tools without a merge.
//! - mcplocal's RSS (its `/health` names its pid) after start and after the load.
//!
//! Everything runs the release binaries over loopback, with a temporary `$MCPCTL_HOME`.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::runtime::{
    bench, calls, create_server, field, field_str, http, mcpd_pid, median_run, ms, num, ratio, us,
    wait_running,
};
use super::{Daemon, TempHome, release_bin, rss_kib, start};
use crate::run::status;

/// Latency runs per target; the one with the median p50 is reported.
const LATENCY_ROUNDS: usize = 3;
/// One server with as many tools as the whole wide project (10 + 1,990 = 2,000): what a
/// client pays to receive 2,000 tools at all, without a merge.
const BIG_EXTRA_TOOLS: usize = 1_990;
/// Servers of the wide project, and the extra tools of each (10 of its own + 30 = 40).
const WIDE_SERVERS: usize = 50;
const WIDE_EXTRA_TOOLS: usize = 30;
/// Full `tools/list` runs measured per target (after 10 unmeasured ones).
const LIST_ROUNDS: usize = 200;

pub fn run() -> Result<(), String> {
    status(Command::new("cargo").args([
        "build",
        "--release",
        "-p",
        "mcpd",
        "-p",
        "mcplocal",
        "-p",
        "test-mcp-server",
        "-p",
        "mcp-bench",
        // mcplocal loads its plugins from beside its binary.
        "-p",
        "gate",
        "-p",
        "content-pipeline",
        "-p",
        "default",
    ]))?;
    let (daemon, _) = start(TempHome::new("local"), None)?;
    let tag = format!("lb{}", std::process::id() % 100_000);
    // (kind, name) of what this run created, deleted in reverse order: a project before the
    // servers it lists (mcpd refuses to delete a server a project lists).
    let mut created = Vec::new();
    let mut report = String::new();
    let mut notes = String::new();
    let outcome = measure(&daemon, &tag, &mut created, &mut report, &mut notes);
    for (kind, name) in created.iter().rev() {
        let _ = http(
            &daemon.url,
            "DELETE",
            &format!("/api/v1/{kind}/{name}"),
            None,
        );
    }
    wait_no_instances(&daemon);
    kill_leftover_instances(&tag);
    outcome?;
    print!("{report}\n{notes}");
    Ok(())
}

/// mcplocal, killed when dropped.
struct Mcplocal {
    child: Child,
    url: String,
    _home: TempHome,
}

impl Drop for Mcplocal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts mcplocal on a free port, pointed at `mcpd` over `mcpd_transport` (`stream` or
/// `http`), and waits for its ready line.
fn start_mcplocal(mcpd: &str, mcpd_transport: &str) -> Result<Mcplocal, String> {
    let home = TempHome::new("mcplocal");
    let mut child = Command::new(release_bin("mcplocal"))
        .args(["--listen", "127.0.0.1:0", "--mcpd-url", mcpd])
        .args(["--mcpd-transport", mcpd_transport])
        .env("MCPCTL_HOME", &home.0)
        .env("MCPLOCAL_LOG", "warn")
        .env_remove("MCPCTL_PLUGIN_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start mcplocal: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let url = line
        .trim()
        .strip_prefix("mcplocal listening on ")
        .map(str::to_owned);
    let mcplocal = Mcplocal {
        child,
        url: url.clone().unwrap_or_default(),
        _home: home,
    };
    read.map_err(|e| e.to_string())?;
    url.ok_or_else(|| format!("mcplocal did not start: {line:?}"))?;
    Ok(mcplocal)
}

/// A port nobody listens on right now (for the HTTP instance's `containerPort`).
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

fn create_project(
    daemon: &Daemon,
    name: &str,
    servers: &[String],
    extra: &str,
) -> Result<(), String> {
    let list: Vec<String> = servers.iter().map(|s| format!("\"{s}\"")).collect();
    let body = format!(
        r#"{{"kind":"project","name":"{name}","servers":[{}],"proxyModel":"content-pipeline"{extra}}}"#,
        list.join(",")
    );
    match http(&daemon.url, "POST", "/api/v1/projects", Some(&body))? {
        (201, _) => Ok(()),
        (code, text) => Err(format!("creating project {name}: {code} {text}")),
    }
}

/// Loads `project` in mcplocal (`GET /projects/P`) and fails with mcplocal's answer if it
/// cannot serve it.
fn load_project(mcplocal: &Mcplocal, project: &str) -> Result<(), String> {
    match http(&mcplocal.url, "GET", &format!("/projects/{project}"), None)? {
        (200, _) => Ok(()),
        (code, text) => Err(format!("mcplocal cannot serve {project}: {code} {text}")),
    }
}

/// After the servers are deleted: wait (at most 30 s) until mcpd has stopped every instance,
/// so that no server process outlives the run.
fn wait_no_instances(daemon: &Daemon) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        match http(&daemon.url, "GET", "/api/v1/instances", None) {
            Ok((200, body)) if !body.contains("\"name\"") => return,
            Ok(_) => std::thread::sleep(Duration::from_millis(100)),
            Err(_) => return,
        }
    }
    eprintln!("xtask: some instances were still listed 30 s after their servers were deleted");
}

/// Kills (SIGKILL, by pid) every server process of this run that mcpd has not stopped yet:
/// the ones whose environment names an instance of this run (`MCPCTL_INSTANCE=TAG-...`).
/// A safety net: a STDIO server ends when mcpd's end closes its stdin, an HTTP one would
/// outlive mcpd.
fn kill_leftover_instances(tag: &str) {
    let marker = format!("MCPCTL_INSTANCE={tag}-");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let ours = environ
            .split(|&b| b == 0)
            .any(|var| var.starts_with(marker.as_bytes()));
        if ours {
            eprintln!("xtask: killing server process {pid}, left running by mcpd");
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// The pid of a server's one instance (the process backend's `containerId`).
fn instance_pid(daemon: &Daemon, server: &str) -> Result<String, String> {
    let body = wait_running(daemon, Some(server), 1)?;
    field_str(&body, "containerId").ok_or_else(|| format!("no pid for {server}: {body}"))
}

/// One upstream kind: the three paths to it.
struct Paths {
    label: &'static str,
    direct_label: &'static str,
    direct: Vec<String>,
    mcpd: Vec<String>,
    full: Vec<String>,
    /// The full chain through a second mcplocal whose links use streamable HTTP to mcpd.
    full_http: Vec<String>,
    /// The full chain with the client on mcplocal's `mcp-stdio` stream (what `mcpctl mcp`
    /// bridges to).
    full_stream: Vec<String>,
    watch_mcpd: Vec<String>,
    watch_full: Vec<String>,
    watch_full_http: Vec<String>,
}

/// The JSON of the paths' runs at one concurrency.
struct Runs {
    direct: String,
    mcpd: String,
    full: String,
    full_http: String,
    full_stream: String,
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn run_paths(paths: &Paths, sessions: usize) -> Result<Runs, String> {
    let (direct, mcpd, full, full_http, full_stream) = (
        args(&paths.direct),
        args(&paths.mcpd),
        args(&paths.full),
        args(&paths.full_http),
        args(&paths.full_stream),
    );
    if sessions > 1 {
        return Ok(Runs {
            direct: calls(&direct, sessions, &[])?,
            mcpd: calls(&mcpd, sessions, &paths.watch_mcpd)?,
            full: calls(&full, sessions, &paths.watch_full)?,
            full_http: calls(&full_http, sessions, &paths.watch_full_http)?,
            full_stream: calls(&full_stream, sessions, &paths.watch_full)?,
        });
    }
    // Sequential latency; rounds interleaved so that drift hits every path alike.
    let mut rounds: [Vec<String>; 5] = Default::default();
    for _ in 0..LATENCY_ROUNDS {
        rounds[0].push(calls(&direct, 1, &[])?);
        rounds[1].push(calls(&mcpd, 1, &paths.watch_mcpd)?);
        rounds[2].push(calls(&full, 1, &paths.watch_full)?);
        rounds[3].push(calls(&full_http, 1, &paths.watch_full_http)?);
        rounds[4].push(calls(&full_stream, 1, &paths.watch_full)?);
    }
    let [direct, mcpd, full, full_http, full_stream] = rounds.map(median_run);
    Ok(Runs {
        direct,
        mcpd,
        full,
        full_http,
        full_stream,
    })
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "missed" }
}

/// `p50 / p99, calls/s` of one run.
fn cell(json: &str) -> String {
    format!(
        "{} / {}, {:.0}/s",
        us(num(json, &["p50_us"])),
        us(num(json, &["p99_us"])),
        num(json, &["calls_per_s"])
    )
}

/// CPU µs and context switches per call of the watched processes of a run.
fn cpu_line(json: &str) -> String {
    let mut line = String::new();
    for process in ["client", "mcplocal", "mcpd", "server"] {
        if let Some(cpu) = field(json, &["per_call", process, "cpu_us_per_call"]) {
            let _ = write!(
                line,
                "{}{process} {cpu:.0} µs CPU / {:.1} switches",
                if line.is_empty() { "" } else { "; " },
                num(json, &["per_call", process, "switches_per_call"])
            );
        }
    }
    line
}

fn measure(
    daemon: &Daemon,
    tag: &str,
    created: &mut Vec<(&'static str, String)>,
    report: &mut String,
    notes: &mut String,
) -> Result<(), String> {
    let server_bin = release_bin("mcp-test-server");
    let server_path = server_bin.display().to_string();
    let stdio_server = format!("{tag}-stdio");
    let http_server = format!("{tag}-http");
    let port = free_port()?;
    create_server(
        daemon,
        &stdio_server,
        &format!(r#""command":"{server_path}""#),
    )?;
    created.push(("servers", stdio_server.clone()));
    create_server(
        daemon,
        &http_server,
        &format!(
            r#""command":"{server_path}","transport":"STREAMABLE_HTTP","containerPort":{port},"args":["--transport","streamable-http","--port","{port}"]"#
        ),
    )?;
    created.push(("servers", http_server.clone()));
    let never = r#","prefixMode":"never""#;
    let stdio_project = format!("{tag}-p-stdio");
    let http_project = format!("{tag}-p-http");
    create_project(
        daemon,
        &stdio_project,
        std::slice::from_ref(&stdio_server),
        never,
    )?;
    created.push(("projects", stdio_project.clone()));
    create_project(
        daemon,
        &http_project,
        std::slice::from_ref(&http_server),
        never,
    )?;
    created.push(("projects", http_project.clone()));
    let stdio_pid = instance_pid(daemon, &stdio_server)?;
    let http_pid = instance_pid(daemon, &http_server)?;

    let local = start_mcplocal(&daemon.url, "stream")?;
    // The baseline of the links' transport: the same chain with streamable-HTTP links.
    let local_http = start_mcplocal(&daemon.url, "http")?;
    let (_, health_http) = http(&local_http.url, "GET", "/health", None)?;
    let local_http_pid = field(&health_http, &["pid"])
        .map(|p| p as u32)
        .ok_or_else(|| format!("mcplocal /health has no pid: {health_http}"))?;
    load_project(&local_http, &stdio_project)?;
    load_project(&local_http, &http_project)?;
    let (code, health) = http(&local.url, "GET", "/health", None)?;
    let local_pid = field(&health, &["pid"])
        .map(|p| p as u32)
        .ok_or_else(|| format!("mcplocal /health has no pid: {code} {health}"))?;
    let rss_started = rss_kib(local_pid)?;
    load_project(&local, &stdio_project)?;
    load_project(&local, &http_project)?;
    let rss_loaded = rss_kib(local_pid)?;
    let mcpd = mcpd_pid(daemon);
    let watch = |server_pid: &str, local: Option<u32>| {
        let mut w = vec![format!("mcpd={mcpd}"), format!("server={server_pid}")];
        if let Some(local) = local {
            w.push(format!("mcplocal={local}"));
        }
        w
    };
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    let kinds = [
        Paths {
            label: "STDIO process",
            direct_label: "straight on a child's stdio",
            direct: strings(&["--stdio", &server_path]),
            mcpd: strings(&[
                "--url",
                &format!("{}/api/v1/mcp/{stdio_server}", daemon.url),
            ]),
            full: strings(&[
                "--url",
                &format!("{}/projects/{stdio_project}/mcp", local.url),
            ]),
            full_http: strings(&[
                "--url",
                &format!("{}/projects/{stdio_project}/mcp", local_http.url),
            ]),
            full_stream: strings(&[
                "--stream",
                &format!("{}/projects/{stdio_project}/mcp-stream", local.url),
            ]),
            watch_mcpd: watch(&stdio_pid, None),
            watch_full: watch(&stdio_pid, Some(local_pid)),
            watch_full_http: watch(&stdio_pid, Some(local_http_pid)),
        },
        Paths {
            label: "streamable-HTTP process",
            direct_label: "straight to its endpoint",
            direct: strings(&["--url", &format!("http://127.0.0.1:{port}/mcp")]),
            mcpd: strings(&["--url", &format!("{}/api/v1/mcp/{http_server}", daemon.url)]),
            full: strings(&[
                "--url",
                &format!("{}/projects/{http_project}/mcp", local.url),
            ]),
            full_http: strings(&[
                "--url",
                &format!("{}/projects/{http_project}/mcp", local_http.url),
            ]),
            full_stream: strings(&[
                "--stream",
                &format!("{}/projects/{http_project}/mcp-stream", local.url),
            ]),
            watch_mcpd: watch(&http_pid, None),
            watch_full: watch(&http_pid, Some(local_pid)),
            watch_full_http: watch(&http_pid, Some(local_http_pid)),
        },
    ];

    let _ = writeln!(
        report,
        "| upstream | sessions | direct p50 / p99, throughput | via mcpd | full chain (mcplocal → mcpd stream) | full chain adds (p50) | mcplocal's share (full − mcpd, p50) | throughput full / direct | mcpd / direct | full chain, streamable-HTTP links (baseline) | stream / HTTP links, p50 and throughput | full chain, client on mcplocal's stream too | its added p50 |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let mut verdicts = String::new();
    let _ = writeln!(
        verdicts,
        "| measure | result | baseline (same run) | ratio | target | verdict |\n|---|---|---|---|---|---|"
    );
    for paths in &kinds {
        for sessions in [1, 8, 32] {
            let runs = run_paths(paths, sessions)?;
            let p50 = |json: &str| num(json, &["p50_us"]);
            let tput = |json: &str| num(json, &["calls_per_s"]);
            let added = p50(&runs.full) - p50(&runs.direct);
            let share = p50(&runs.full) - p50(&runs.mcpd);
            let full_ratio = tput(&runs.full) / tput(&runs.direct).max(1e-9);
            let _ = writeln!(
                report,
                "| {} | {sessions} | {} | {} | {} | {} | {} | {full_ratio:.2}x | {} | {} | {} / {} | {} | {} |",
                paths.label,
                cell(&runs.direct),
                cell(&runs.mcpd),
                cell(&runs.full),
                us(added),
                us(share),
                ratio(tput(&runs.mcpd), tput(&runs.direct)),
                cell(&runs.full_http),
                ratio(p50(&runs.full), p50(&runs.full_http)),
                ratio(tput(&runs.full), tput(&runs.full_http)),
                cell(&runs.full_stream),
                us(p50(&runs.full_stream) - p50(&runs.direct)),
            );
            let _ = writeln!(
                notes,
                "- {} upstream, {sessions} session(s), CPU per call: via mcpd: {}; full chain: {}; full chain with HTTP links: {}; full chain, client on a stream: {}",
                paths.label,
                cpu_line(&runs.mcpd),
                cpu_line(&runs.full),
                cpu_line(&runs.full_http),
                cpu_line(&runs.full_stream)
            );
            if sessions == 1 {
                let _ = writeln!(
                    verdicts,
                    "| `tools/call` p50, full chain → {} | {} (adds {}) | {} {} | {} | adds < 200 µs p50 | {} |",
                    paths.label,
                    us(p50(&runs.full)),
                    us(added),
                    paths.direct_label,
                    us(p50(&runs.direct)),
                    ratio(p50(&runs.full), p50(&runs.direct)),
                    verdict(added < 200.0)
                );
                let added_stream = p50(&runs.full_stream) - p50(&runs.direct);
                let _ = writeln!(
                    verdicts,
                    "| `tools/call` p50, full chain → {}, client on mcplocal's stream | {} (adds {}) | {} {} | {} | adds < 200 µs p50 | {} |",
                    paths.label,
                    us(p50(&runs.full_stream)),
                    us(added_stream),
                    paths.direct_label,
                    us(p50(&runs.direct)),
                    ratio(p50(&runs.full_stream), p50(&runs.direct)),
                    verdict(added_stream < 200.0)
                );
            }
            if sessions == 32 {
                let _ = writeln!(
                    verdicts,
                    "| throughput, 32 sessions, full chain → {} | {:.0} calls/s | {} {:.0} calls/s | {full_ratio:.2}x | ≥ 0.50x | {} |",
                    paths.label,
                    tput(&runs.full),
                    paths.direct_label,
                    tput(&runs.direct),
                    verdict(full_ratio >= 0.5)
                );
                let stream_ratio = tput(&runs.full_stream) / tput(&runs.direct).max(1e-9);
                let _ = writeln!(
                    verdicts,
                    "| throughput, 32 sessions, full chain → {}, clients on mcplocal's stream | {:.0} calls/s | {} {:.0} calls/s | {stream_ratio:.2}x | ≥ 0.50x | {} |",
                    paths.label,
                    tput(&runs.full_stream),
                    paths.direct_label,
                    tput(&runs.direct),
                    verdict(stream_ratio >= 0.5)
                );
            }
        }
    }
    let rss_after_calls = rss_kib(local_pid)?;

    // The wide project: 50 servers of 40 tools each.
    let mut wide = Vec::new();
    let started = Instant::now();
    for i in 0..WIDE_SERVERS {
        let name = format!("{tag}-w{i:02}");
        create_server(
            daemon,
            &name,
            &format!(r#""command":"{server_path}","args":["--extra-tools","{WIDE_EXTRA_TOOLS}"]"#),
        )?;
        created.push(("servers", name.clone()));
        wide.push(name);
    }
    let big = format!("{tag}-big");
    create_server(
        daemon,
        &big,
        &format!(r#""command":"{server_path}","args":["--extra-tools","{BIG_EXTRA_TOOLS}"]"#),
    )?;
    created.push(("servers", big.clone()));
    let big_project = format!("{tag}-p-big");
    create_project(daemon, &big_project, std::slice::from_ref(&big), never)?;
    created.push(("projects", big_project.clone()));
    let wide_project = format!("{tag}-p-wide");
    create_project(daemon, &wide_project, &wide, "")?;
    created.push(("projects", wide_project.clone()));
    let one_project = format!("{tag}-p-one");
    create_project(daemon, &one_project, &wide[..1], never)?;
    created.push(("projects", one_project.clone()));
    wait_running(daemon, None, WIDE_SERVERS + 3)?;
    eprintln!(
        "xtask: {WIDE_SERVERS} wide servers Running after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    load_project(&local, &wide_project)?;
    load_project(&local, &one_project)?;
    load_project(&local, &big_project)?;
    let rounds = LIST_ROUNDS.to_string();
    let list_with = |url: String, extra: &[&str]| {
        let mut args = vec!["list", "--url", &url, "--rounds", &rounds, "--warmup", "10"];
        args.extend_from_slice(extra);
        let json = bench(&args)?;
        eprintln!("xtask: {json}");
        Ok::<String, String>(json)
    };
    let list = |url: String| list_with(url, &[]);
    let merged = list(format!("{}/projects/{wide_project}/mcp", local.url))?;
    // The same lists for a client on mcplocal's stream (what `mcpctl mcp` bridges to), and
    // the 2,000-tool server on mcpd's stream.
    let merged_stream = list_with(
        format!("{}/projects/{wide_project}/mcp-stream", local.url),
        &["--stream"],
    )?;
    let big_mcpd_stream = list_with(
        format!("{}/api/v1/mcp-stream/{big}", daemon.url),
        &["--stream"],
    )?;
    let one_local = list(format!("{}/projects/{one_project}/mcp", local.url))?;
    let one_mcpd = list(format!("{}/api/v1/mcp/{}", daemon.url, wide[0]))?;
    let big_local = list(format!("{}/projects/{big_project}/mcp", local.url))?;
    let big_mcpd = list(format!("{}/api/v1/mcp/{big}", daemon.url))?;
    let tools = num(&merged, &["tools"]);
    let expected = (WIDE_SERVERS * (10 + WIDE_EXTRA_TOOLS)) as f64;
    if tools != expected {
        return Err(format!(
            "the merged list has {tools} tools, not {expected}: {merged}"
        ));
    }
    let all_p50 = num(&merged, &["all_pages", "p50_us"]);
    let one_p50 = num(&one_mcpd, &["all_pages", "p50_us"]);
    let _ = writeln!(
        verdicts,
        "| merged `tools/list`, {WIDE_SERVERS} servers × 40 tools ({tools:.0} tools, {:.0} pages), all pages, p50 | {} | one server's list through mcpd {} | {} | < 5 ms | {} |",
        num(&merged, &["pages"]),
        ms(all_p50 / 1000.0),
        ms(one_p50 / 1000.0),
        ratio(all_p50, one_p50),
        verdict(all_p50 < 5_000.0)
    );
    let stream_p50 = num(&merged_stream, &["all_pages", "p50_us"]);
    let big_stream_p50 = num(&big_mcpd_stream, &["all_pages", "p50_us"]);
    let _ = writeln!(
        verdicts,
        "| merged `tools/list`, {WIDE_SERVERS} × 40 tools, all pages, p50, client on mcplocal's stream | {} (first page {}) | one 2,000-tool server on mcpd's stream {} | {} | < 5 ms | {} |",
        ms(stream_p50 / 1000.0),
        ms(num(&merged_stream, &["first_page", "p50_us"]) / 1000.0),
        ms(big_stream_p50 / 1000.0),
        ratio(stream_p50, big_stream_p50),
        verdict(stream_p50 < 5_000.0)
    );
    let _ = writeln!(
        verdicts,
        "| merged `tools/list`, first page only (500 tools), p50 / p99 | {} / {} | | | | |",
        ms(num(&merged, &["first_page", "p50_us"]) / 1000.0),
        ms(num(&merged, &["first_page", "p99_us"]) / 1000.0),
    );
    let _ = writeln!(
        verdicts,
        "| `tools/list` of one 40-tool server through mcplocal (project of one) | {} | through mcpd {} | {} | | |",
        ms(num(&one_local, &["all_pages", "p50_us"]) / 1000.0),
        ms(one_p50 / 1000.0),
        ratio(num(&one_local, &["all_pages", "p50_us"]), one_p50)
    );
    let big_p50 = num(&big_mcpd, &["all_pages", "p50_us"]);
    let _ = writeln!(
        verdicts,
        "| merged list (all pages) / one 2,000-tool server's list through mcpd | {} | one 2,000-tool server through mcpd {} ({:.0} pages) | {} | | |",
        ms(all_p50 / 1000.0),
        ms(big_p50 / 1000.0),
        num(&big_mcpd, &["pages"]),
        ratio(all_p50, big_p50)
    );
    let _ = writeln!(
        verdicts,
        "| `tools/list` of one 2,000-tool server through mcplocal (project of one; {:.0} pages) | {} | through mcpd {} | {} | | |",
        num(&big_local, &["pages"]),
        ms(num(&big_local, &["all_pages", "p50_us"]) / 1000.0),
        ms(big_p50 / 1000.0),
        ratio(num(&big_local, &["all_pages", "p50_us"]), big_p50)
    );
    let _ = writeln!(
        notes,
        "- merged list p99 (all pages) {}; one server through mcplocal p99 {}; through mcpd p99 {}",
        ms(num(&merged, &["all_pages", "p99_us"]) / 1000.0),
        ms(num(&one_local, &["all_pages", "p99_us"]) / 1000.0),
        ms(num(&one_mcpd, &["all_pages", "p99_us"]) / 1000.0)
    );

    let rss_after = rss_kib(local_pid)?;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let _ = writeln!(
        verdicts,
        "| mcplocal RSS after the load (pid {local_pid} from `/health`) | {:.1} MiB | just started {:.1} MiB | {} | < 15 MB | {} |",
        mib(rss_after),
        mib(rss_started),
        ratio(rss_after as f64, rss_started as f64),
        verdict(rss_after as f64 * 1024.0 < 15e6)
    );
    let _ = writeln!(
        notes,
        "- mcplocal RSS: started {:.1} MiB, two projects loaded {:.1} MiB, after the call load {:.1} MiB, after the wide project and its lists {:.1} MiB",
        mib(rss_started),
        mib(rss_loaded),
        mib(rss_after_calls),
        mib(rss_after)
    );
    let _ = write!(report, "\n{verdicts}");
    Ok(())
}
