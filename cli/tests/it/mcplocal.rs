//! mcplocal end to end, the way Claude Code uses it: `mcpctl config claude` writes
//! `.mcp.json`; the official Python MCP SDK (`mcp_client.py`) launches the command it names
//! (`mcpctl mcp --project P`, which starts mcplocal) and talks MCP over STDIO; every call goes
//! mcplocal → mcpd → a real server: PyPI's `mcp-server-time` and `mcp-server-git` as local
//! processes, the project's test server in a Docker container, and npm's server-everything
//! (prompts and resources) attached to the project during the session.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use test_support::Backend;

use crate::support::{World, closed_port, running, wait_for_instances};

/// The mcplocal a test's `mcpctl mcp` started, stopped when the test ends.
pub struct LocalProxy {
    pub listen: String,
}

impl LocalProxy {
    /// An address for the test's mcplocal (a free loopback port).
    pub fn new() -> LocalProxy {
        LocalProxy {
            listen: format!("127.0.0.1:{}", closed_port()),
        }
    }

    /// mcplocal's `/health`, if it runs.
    pub fn health(&self) -> Option<Value> {
        let output = Command::new("curl")
            .args(["-s", "--max-time", "2"])
            .arg(format!("http://{}/health", self.listen))
            .output()
            .ok()?;
        serde_json::from_slice(&output.stdout).ok()
    }
}

impl Drop for LocalProxy {
    fn drop(&mut self) {
        if let Some(pid) = self.health().and_then(|h| h["pid"].as_u64()) {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

/// Runs `mcp_client.py` with `steps` against the `.mcp.json` entry `entry`; returns one JSON
/// value per step, in order.
pub fn run_client(mcp_json: &Path, entry: &str, steps: &Value) -> Vec<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/mcp_client.py");
    let output = Command::new(test_support::peers::venv_bin("python"))
        .arg(script)
        .arg(mcp_json)
        .arg(entry)
        .arg(steps.to_string())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Shown when the test fails: what mcpctl mcp and the client said.
    eprintln!("client stderr:\n{stderr}");
    assert!(
        output.status.success(),
        "the Python client failed:\n{stdout}\n{stderr}"
    );
    let seen: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(
        seen.len(),
        steps.as_array().map_or(0, Vec::len),
        "not every step answered:\n{stdout}\n{stderr}"
    );
    seen
}

/// The text blocks of a tool result, joined.
pub fn text_of(result: &Value) -> String {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn git_repository(dir: &Path) -> PathBuf {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("README.md"), "hello\n").unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap();
        assert!(status.status.success(), "git {args:?}: {status:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "README.md"]);
    git(&["commit", "-q", "-m", "first commit"]);
    repo
}

#[test]
fn claude_code_sees_a_merged_project_through_mcplocal() {
    test_support::require_docker();
    let w = World::start(Backend::Sqlite);
    let proxy = LocalProxy::new();
    let repo = git_repository(w.files.path());
    let tester = format!("tester-{}", &test_support::unique_suffix()[..6]);
    let servers = json!({
        "servers": [
            {"name": "clock", "command": test_support::peers::venv_bin("mcp-server-time")},
            {"name": "git", "command": test_support::peers::venv_bin("mcp-server-git"),
             "args": ["--repository", repo]},
            {"name": tester, "dockerImage": test_support::test_server_image()},
            {"name": "everything", "command": "node",
             "args": [test_support::peers::everything_js(), "stdio"]},
        ],
        "projects": [{"name": "demo", "proxyModel": "content-pipeline", "servers": ["clock", "git", tester]}],
    });
    let file = w.write("demo.yaml", &serde_json::to_string(&servers).unwrap());
    w.ok(&["apply", "-f", file.to_str().unwrap()]);
    for server in ["clock", "git", tester.as_str(), "everything"] {
        wait_for_instances(&w, server, "one Running instance", |i| running(i) == 1);
    }

    let env = [("MCPLOCAL_LISTEN", proxy.listen.as_str())];
    w.run_with_env(&["--project", "demo", "config", "claude"], &env)
        .ok();
    let mcp_json = w.files.path().join(".mcp.json");
    let config: Value = serde_json::from_str(&std::fs::read_to_string(&mcp_json).unwrap()).unwrap();
    let entry = &config["mcpServers"]["demo"];
    assert_eq!(entry["args"], json!(["mcp", "--project", "demo"]));
    assert_eq!(entry["env"]["MCPLOCAL_LISTEN"], proxy.listen);

    let mcpctl = crate::support::MCPCTL;
    let attach = json!([
        mcpctl,
        "--mcpd-url",
        w.mcpd.url,
        "--project",
        "demo",
        "attach-server",
        "everything"
    ]);
    let steps = json!([
        {"do": "initialize"},
        {"do": "tools"},
        {"do": "call", "name": "clock/get_current_time", "arguments": {"timezone": "Asia/Tokyo"}},
        {"do": "call", "name": "git/git_log", "arguments": {"repo_path": repo}},
        {"do": "call", "name": format!("{tester}/echo"), "arguments": {"text": "through the chain"}},
        {"do": "call", "name": format!("{tester}/progress"), "arguments": {"steps": 3}},
        {"do": "call", "name": format!("{tester}/log"), "arguments": {"level": "warning", "message": "careful"}},
        {"do": "call", "name": format!("{tester}/sample"), "arguments": {"prompt": "say hi"}},
        {"do": "call", "name": "nobody/nothing"},
        {"do": "run", "argv": attach},
        {"do": "wait_notification", "method": "notifications/tools/list_changed", "timeout": 20},
        {"do": "tools"},
        {"do": "prompts"},
        {"do": "prompt", "name": "everything/simple-prompt"},
        {"do": "resources"},
        {"do": "read", "uri": "demo://resource/static/document/architecture.md"},
    ]);
    let seen = run_client(&mcp_json, "demo", &steps);
    let step = |i: usize| &seen[i];

    assert_eq!(step(0)["server"], "mcplocal/demo", "{:#}", step(0));
    let capabilities = &step(0)["capabilities"];
    assert_eq!(
        capabilities["tools"]["listChanged"], true,
        "{capabilities:#}"
    );

    let tools: Vec<&str> = step(1)["names"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for expected in [
        "clock/get_current_time",
        "git/git_log",
        &format!("{tester}/echo"),
    ] {
        assert!(
            tools.contains(&expected),
            "{expected} missing from {tools:?}"
        );
    }
    assert!(
        !tools.iter().any(|t| t.starts_with("everything/")),
        "{tools:?}"
    );

    assert!(
        text_of(&step(2)["result"]).contains("Asia/Tokyo"),
        "{:#}",
        step(2)
    );
    assert!(
        text_of(&step(3)["result"]).contains("first commit"),
        "{:#}",
        step(3)
    );
    assert_eq!(
        text_of(&step(4)["result"]),
        "through the chain",
        "{:#}",
        step(4)
    );
    // Progress and log notifications sent during a call reach the client before its answer.
    assert_eq!(text_of(&step(5)["result"]), "done", "{:#}", step(5));
    assert_eq!(
        step(5)["progress"].as_array().map(Vec::len),
        Some(3),
        "{:#}",
        step(5)
    );
    assert_eq!(step(6)["logs"], json!(["careful"]), "{:#}", step(6));
    // The server's sampling request went back through mcpd and mcplocal to this client.
    assert_eq!(
        text_of(&step(7)["result"]),
        "sampled: say hi",
        "{:#}",
        step(7)
    );
    let unknown = &step(8);
    let refused = unknown["error"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| text_of(&unknown["result"]));
    assert!(
        refused.contains("unknown tool: nobody/nothing"),
        "{unknown:#}"
    );

    assert_eq!(step(9)["code"], 0, "{:#}", step(9));
    let notified = step(10)["seen"].as_array().unwrap();
    assert!(
        notified.contains(&json!("notifications/tools/list_changed")),
        "no list_changed after attaching a server: {notified:?}"
    );
    let tools: Vec<&str> = step(11)["names"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tools.iter().any(|t| t.starts_with("everything/")),
        "{tools:?}"
    );
    let prompts = step(12)["names"].as_array().unwrap();
    assert!(
        prompts.contains(&json!("everything/simple-prompt")),
        "{prompts:?}"
    );
    assert!(
        prompts.contains(&json!(format!("{tester}/greeting"))),
        "{prompts:?}"
    );
    let messages = step(13)["result"]["messages"].as_array().unwrap();
    assert!(!messages.is_empty(), "{:#}", step(13));
    let uris = step(14)["uris"].as_array().unwrap();
    assert!(
        uris.contains(&json!("demo://resource/static/document/architecture.md")),
        "{uris:?}"
    );
    let contents = step(15)["result"]["contents"].as_array().unwrap();
    assert!(
        contents[0]["text"].as_str().is_some_and(|t| !t.is_empty()),
        "{:#}",
        step(15)
    );
    assert!(proxy.health().is_some(), "mcplocal should still run");
    // The container goes before mcpd stops (a stopping mcpd keeps its containers to adopt
    // them when it starts again, and this test's mcpd never does).
    w.ok(&["delete", "project", "demo"]);
    w.ok(&["delete", "server", &tester]);
    wait_for_instances(&w, &tester, "no instance left", |i| i.is_empty());
}

#[test]
fn status_shows_mcplocal_and_its_llm_providers() {
    let w = World::start(Backend::Sqlite);
    let proxy = LocalProxy::new();
    let env = [("MCPLOCAL_LISTEN", proxy.listen.as_str())];
    let before = w.run_with_env(&["status"], &env).ok();
    assert!(
        before.contains("mcplocal:") && before.contains("not running"),
        "{before}"
    );

    std::fs::write(
        w.home.path().join("config.yaml"),
        "llm:\n  - name: local-fast\n    type: openai-compatible\n    baseUrl: http://127.0.0.1:9/v1\n    model: small-model\n    tier: fast\n",
    )
    .unwrap();
    let mut child = Command::new(test_support::binary("mcplocal"))
        .args(["--listen", &proxy.listen, "--mcpd-url", &w.mcpd.url])
        .env("MCPCTL_HOME", w.home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.starts_with("mcplocal listening on"), "{line}");
    let after = w.run_with_env(&["status"], &env).ok();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        after.contains(&format!("http://{}", proxy.listen)),
        "{after}"
    );
    assert!(after.contains("LLM providers:"), "{after}");
    assert!(
        after.contains("local-fast") && after.contains("small-model: not used yet"),
        "{after}"
    );
}

#[test]
fn the_console_shows_and_calls_tools_and_the_inspector_sees_the_traffic() {
    let w = World::start(Backend::Sqlite);
    let proxy = LocalProxy::new();
    let servers = json!({
        "servers": [{"name": "clock", "command": test_support::peers::venv_bin("mcp-server-time")}],
        "projects": [{"name": "desk", "proxyModel": "content-pipeline", "servers": ["clock"]}],
    });
    let file = w.write("desk.yaml", &servers.to_string());
    w.ok(&["apply", "-f", file.to_str().unwrap()]);
    wait_for_instances(&w, "clock", "one Running instance", |i| running(i) == 1);
    let env = [("MCPLOCAL_LISTEN", proxy.listen.as_str())];
    // Starts mcplocal (the console would too), so the inspector attaches before the calls.
    w.run_with_env(&["get", "proxymodels"], &env).ok();
    let mut child = std::process::Command::new(crate::support::MCPCTL)
        .env("MCPCTL_HOME", w.home.path())
        .env("MCPLOCAL_LISTEN", &proxy.listen)
        .args([
            "--mcpd-url",
            &w.mcpd.url,
            "console",
            "--inspect",
            "--project",
            "desk",
            "--server",
            "clock",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let header = seen
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert!(header.starts_with("TIME"), "{header}");

    let mut console = w.command();
    console
        .env("MCPLOCAL_LISTEN", &proxy.listen)
        .args(["console", "desk"])
        .write_stdin("tools\ncall get_current_time {\"timezone\": \"Asia/Tokyo\"}\ncall get_current_time {oops\nbogus\n");
    let output = console.output().unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{shown}\n{errors}");
    assert!(
        shown.contains("get_current_time  Get current time"),
        "{shown}"
    );
    assert!(shown.contains("Asia/Tokyo"), "{shown}");
    assert!(
        errors.contains("error: the arguments are not valid JSON"),
        "{errors}"
    );
    assert!(errors.contains("unknown command \"bogus\""), "{errors}");

    let mut calls = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while calls.is_empty() && std::time::Instant::now() < deadline {
        if let Ok(line) = seen.recv_timeout(std::time::Duration::from_millis(200))
            && line.contains("tools/call")
        {
            calls.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let call = calls
        .first()
        .expect("the inspector printed no tools/call line");
    assert!(call.contains("desk") && call.contains("clock"), "{call}");
    assert!(call.contains("get_current_time"), "{call}");
}

/// The client keeps its stdin open and mcplocal goes away: `mcpctl mcp` must end (with an
/// error naming mcplocal) instead of waiting for the client's next line.
#[test]
fn the_bridge_ends_when_mcplocal_goes_away() {
    let w = World::start(Backend::Sqlite);
    let proxy = LocalProxy::new();
    let doc = json!({
        "servers": [{"name": "clock", "command": test_support::peers::venv_bin("mcp-server-time")}],
        "projects": [{"name": "solo", "proxyModel": "content-pipeline", "servers": ["clock"]}],
    });
    let file = w.write("solo.yaml", &doc.to_string());
    w.ok(&["apply", "-f", file.to_str().unwrap()]);
    wait_for_instances(&w, "clock", "one Running instance", |i| running(i) == 1);
    let mut bridge = Command::new(crate::support::MCPCTL)
        .env("MCPCTL_HOME", w.home.path())
        .env("MCPLOCAL_LISTEN", &proxy.listen)
        .args(["--mcpd-url", &w.mcpd.url, "mcp", "--project", "solo"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = bridge.stdin.take().unwrap();
    std::io::Write::write_all(
        &mut stdin,
        br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}
"#,
    )
    .unwrap();
    let mut answer = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(bridge.stdout.take().unwrap()),
        &mut answer,
    )
    .unwrap();
    assert!(answer.contains(r#""id":1"#), "{answer}");

    let pid = proxy.health().and_then(|h| h["pid"].as_u64()).unwrap();
    Command::new("kill").arg(pid.to_string()).status().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = bridge.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = bridge.kill();
            panic!("mcpctl mcp still runs 10 s after mcplocal ended (its stdin still open)");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    drop(stdin);
    let mut errors = String::new();
    std::io::Read::read_to_string(&mut bridge.stderr.take().unwrap(), &mut errors).unwrap();
    assert!(!status.success());
    assert!(errors.contains("closed the session"), "{errors}");
}
