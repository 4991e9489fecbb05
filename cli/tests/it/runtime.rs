//! What mcpd's runtime runs, through mcpctl: `get instances`, `describe server` (instances and
//! events), scaling with `patch`, and `logs` with and without `--follow`. The runtime does not
//! depend on the database, so these run on SQLite only.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use test_support::Backend;

use crate::support::{MCPCTL, START_WITHIN, World, instances, running, table, wait_for_instances};

/// The test venv's Python, which has the reference server `mcp-server-time` (cargo xtask test
/// installs it): `$MCPCTL_TEST_VENV`, else `<workspace>/target/test-venv`.
fn venv_python() -> String {
    let venv = std::env::var_os("MCPCTL_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
                .join("test-venv")
        });
    let python = venv.join("bin").join("python");
    assert!(
        python.exists(),
        "{} is missing: run `cargo xtask test` (it installs the Python test peers) or set \
         MCPCTL_TEST_VENV to a venv that has mcp-server-time",
        python.display()
    );
    python.display().to_string()
}

/// Deletes the servers it was given when dropped, before the test's mcpd goes: mcpd is killed
/// without warning, and local processes it still ran would outlive it.
struct Servers<'w> {
    world: &'w World,
    names: Vec<String>,
}

impl<'w> Servers<'w> {
    fn new(world: &'w World) -> Servers<'w> {
        Servers {
            world,
            names: Vec::new(),
        }
    }

    /// `mcpctl create server NAME ARGS...`, deleted again at the end of the test.
    fn create(&mut self, name: &str, args: &[&str]) {
        let mut command = vec!["create", "server", name];
        command.extend_from_slice(args);
        assert_eq!(self.world.ok(&command), format!("server/{name} created\n"));
        self.names.push(name.to_owned());
    }
}

impl Drop for Servers<'_> {
    fn drop(&mut self) {
        // No assertions here: this also runs while a failed test unwinds.
        for name in &self.names {
            let _ = self.world.run(&["delete", "server", name]);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let run = self.world.run(&["get", "instances", "-o", "json"]);
            let left = serde_json::from_str::<Value>(&run.stdout)
                .map(|v| instances(&v).len())
                .unwrap_or(0);
            if run.code != Some(0) || left == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Polls `mcpctl logs SERVER` until its output contains `text`.
fn wait_for_log(w: &World, server: &str, text: &str) -> String {
    let deadline = Instant::now() + START_WITHIN;
    loop {
        let run = w.run(&["logs", server]);
        if run.code == Some(0) && run.stdout.contains(text) {
            return run.stdout;
        }
        if Instant::now() > deadline {
            panic!("{server}: no {text:?} in its logs within {START_WITHIN:?}: {run:#?}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn servers_run_scale_and_show_their_instances_and_events() {
    let w = World::start(Backend::Sqlite);
    let python = venv_python();
    let mut servers = Servers::new(&w);
    servers.create(
        "clock",
        &[
            "--command",
            &python,
            "--arg",
            "-m",
            "--arg",
            "mcp_server_time",
            "--replicas",
            "1",
        ],
    );

    let seen = wait_for_instances(&w, "clock", "one Running instance", |i| {
        i.len() == 1 && running(i) == 1
    });
    let name = seen[0]["name"].as_str().expect("instance name").to_owned();
    assert_eq!(seen[0]["server"], "clock");
    assert_eq!(seen[0]["backend"], "process");

    // The table, narrow and wide.
    let rows = table(&w.ok(&["get", "instances"]));
    assert_eq!(
        rows[0],
        ["NAME", "SERVER", "STATE", "RESTARTS", "BACKEND", "AGE"]
    );
    assert_eq!(
        rows[1][..5],
        [name.as_str(), "clock", "Running", "0", "process"]
    );
    assert!(rows[1][5].ends_with('s'), "age {:?}", rows[1][5]);
    let wide = table(&w.ok(&["get", "instances", "-o", "wide"]));
    assert_eq!(wide[0][6..], ["CONTAINER/PID", "LAST ERROR"]);
    assert!(
        wide[1][6].chars().all(|c| c.is_ascii_digit()),
        "a pid: {:?}",
        wide[1]
    );
    assert_eq!(wide[1][7], "-");
    // By name, by server, and a server without instances.
    assert_eq!(
        w.ok(&["get", "instance", &name, "-o", "name"]),
        format!("instance/{name}\n")
    );
    assert_eq!(
        table(&w.ok(&["get", "instances", "--server", "clock"])).len(),
        2
    );
    let none = w.run(&["get", "instances", "--server", "nothing"]);
    assert_eq!((none.code, none.stdout.as_str()), (Some(0), ""));
    assert_eq!(none.stderr, "No instances found for server nothing.\n");
    let err = w.error(&["get", "servers", "--server", "clock"]);
    assert!(err.contains("--server only narrows instances"), "{err}");

    // describe shows the instance and the Ready event, the latest last.
    let described = w.ok(&["describe", "server", "clock"]);
    let instances_at = described.find("\nInstances:\n").expect("Instances section");
    let events_at = described.find("\nEvents:\n").expect("Events section");
    let instance_rows = table(&described[instances_at..events_at]);
    assert_eq!(
        instance_rows[1],
        ["NAME", "STATE", "RESTARTS", "BACKEND", "AGE", "LAST ERROR"]
    );
    assert_eq!(
        instance_rows[2][..4],
        [name.as_str(), "Running", "0", "process"]
    );
    let event_rows = table(&described[events_at..]);
    assert_eq!(
        event_rows[1],
        ["AGE", "TYPE", "REASON", "INSTANCE", "MESSAGE"]
    );
    let ready = event_rows
        .iter()
        .position(|r| {
            r.get(1..4)
                .is_some_and(|r| r == ["Normal", "Ready", name.as_str()])
        })
        .unwrap_or_else(|| panic!("no Ready event for {name}:\n{described}"));
    let starting = event_rows
        .iter()
        .position(|r| r.get(2).is_some_and(|reason| reason == "Starting"))
        .unwrap_or_else(|| panic!("no Starting event:\n{described}"));
    assert!(
        starting < ready,
        "events are not oldest first:\n{described}"
    );

    // Scaling is a patch of replicas.
    assert_eq!(
        w.ok(&["patch", "server", "clock", "replicas=2"]),
        "server/clock patched\n"
    );
    assert_eq!(table(&w.ok(&["get", "servers"]))[1][2], "2");
    let seen = wait_for_instances(&w, "clock", "two Running instances", |i| {
        i.len() == 2 && running(i) == 2
    });
    assert!(seen.iter().any(|i| i["name"] == name.as_str()), "{seen:#?}");

    // The server only writes to stderr when something goes wrong: the logs may be empty.
    w.ok(&["logs", "clock", "--tail", "5"]);
    w.ok(&["logs", "clock", "--instance", &name]);
    let err = w.error(&["logs", "clock", "--instance", "clock-nope"]);
    assert!(err.contains("clock-nope"), "{err}");
}

/// A `mcpctl logs -f` run as a child, its output read line by line on a thread.
struct Follower {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Follower {
    fn start(w: &World, server: &str) -> Follower {
        let mut child = Command::new(MCPCTL)
            .args(["--mcpd-url", &w.mcpd.url, "logs", server, "-f"])
            .env("MCPCTL_HOME", w.home.path())
            .env("HOME", w.home.path())
            .env_remove("MCPCTL_MCPD_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mcpctl logs -f starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Follower { child, lines }
    }

    /// Waits for a line containing `text`; fails if mcpctl ends or nothing comes in time.
    fn expect_line(&mut self, text: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(_) => {
                    let status = self.child.try_wait().ok().flatten();
                    panic!(
                        "logs -f printed no {text:?} within {within:?} (exit status {status:?}); \
                         lines: {seen:?}; stderr: {}",
                        self.stderr()
                    );
                }
            }
        }
    }

    /// What mcpctl wrote to stderr (after it was killed or ended).
    fn stderr(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        }
        text
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn logs_print_and_follow_what_instances_write() {
    let w = World::start(Backend::Sqlite);
    let mut servers = Servers::new(&w);
    servers.create(
        "chatty",
        &[
            "--command",
            "sh",
            "--arg",
            "-c",
            "--arg",
            "echo hello-from-stderr >&2; exec sleep 600",
        ],
    );
    servers.create("idle", &["--command", "sh", "--replicas", "0"]);

    let text = wait_for_log(&w, "chatty", "hello-from-stderr");
    assert_eq!(text, "hello-from-stderr\n");
    assert_eq!(
        w.ok(&["logs", "chatty", "--tail", "1"]),
        "hello-from-stderr\n"
    );
    assert_eq!(w.ok(&["logs", "chatty", "--tail", "0"]), "");

    // Following prints what is there, then keeps the stream open: longer than a moment, and
    // until it is stopped.
    let mut follower = Follower::start(&w, "chatty");
    follower.expect_line("hello-from-stderr", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        matches!(follower.child.try_wait(), Ok(None)),
        "logs -f ended by itself; stderr: {}",
        follower.stderr()
    );
    drop(follower);

    // No such server, no instances, a bad tail: one line each.
    assert_eq!(w.error(&["logs", "ghost"]), "error: server ghost not found");
    assert_eq!(
        w.error(&["logs", "ghost", "-f"]),
        "error: server ghost not found"
    );
    let err = w.error(&["logs", "idle"]);
    assert!(err.contains("idle"), "{err}");
    let err = w.error(&["logs", "chatty", "--tail", "10001"]);
    assert!(err.contains("10000"), "{err}");
}
