//! Runs the real `mcpctl` binary against a real mcpd, each test with its own mcpd, database,
//! `$MCPCTL_HOME` and working folder.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use test_support::{Backend, Mcpd};

/// The path of the `mcpctl` binary cargo built for these tests.
pub const MCPCTL: &str = env!("CARGO_BIN_EXE_mcpctl");

/// What one run of mcpctl gave.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Standard output, after checking the run succeeded.
    pub fn ok(self) -> String {
        assert_eq!(self.code, Some(0), "mcpctl failed: {self:#?}");
        self.stdout
    }

    /// The one `error: ...` line, after checking the run failed with exit code 1.
    pub fn error(self) -> String {
        assert_eq!(self.code, Some(1), "mcpctl did not fail with 1: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "not one line on stderr: {self:#?}");
        assert!(lines[0].starts_with("error: "), "{self:#?}");
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        lines[0].to_owned()
    }
}

/// An mcpctl command with a clean environment: its own home, no address from the caller's
/// environment, no editor.
pub fn mcpctl(home: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::new(MCPCTL);
    command
        .env("MCPCTL_HOME", home)
        .env("HOME", home)
        .env_remove("MCPCTL_MCPD_URL")
        .env_remove("VISUAL")
        .env_remove("EDITOR");
    command
}

/// One test's world: a daemon, a home for mcpctl and a folder for files.
pub struct World {
    pub mcpd: Mcpd,
    pub home: tempfile::TempDir,
    pub files: tempfile::TempDir,
}

impl World {
    pub fn start(backend: Backend) -> World {
        World {
            mcpd: Mcpd::start(backend),
            home: tempfile::tempdir().expect("home folder"),
            files: tempfile::tempdir().expect("files folder"),
        }
    }

    /// mcpctl pointed at this world's daemon with `--mcpd-url`.
    pub fn command(&self) -> assert_cmd::Command {
        let mut command = mcpctl(self.home.path());
        command.arg("--mcpd-url").arg(&self.mcpd.url);
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let output = self
            .command()
            .args(args)
            .current_dir(self.files.path())
            .output()
            .expect("mcpctl runs");
        Run::from(output)
    }

    /// Runs with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command();
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command
            .args(args)
            .current_dir(self.files.path())
            .output()
            .expect("mcpctl runs");
        Run::from(output)
    }

    /// Standard output of a run that must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        self.run(args).ok()
    }

    /// The error line of a run that must fail.
    pub fn error(&self, args: &[&str]) -> String {
        self.run(args).error()
    }

    /// `get ... -o json`, parsed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["-o", "json"]);
        let text = self.ok(&args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// Writes a file in the working folder; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.files.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }
}

/// The cells of each line of a table (columns are separated by at least two spaces).
pub fn table(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// The lines of `text`, as owned strings.
pub fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// How long a local server may take to become `Running`.
pub const START_WITHIN: Duration = Duration::from_secs(30);

/// The instances of a `get instances -o json` answer (the grouped form).
pub fn instances(answer: &Value) -> Vec<Value> {
    answer["instances"].as_array().cloned().unwrap_or_default()
}

/// Polls `get instances --server SERVER -o json` until `check` holds; fails with what was
/// seen, the server's description and mcpd's log.
pub fn wait_for_instances(
    w: &World,
    server: &str,
    what: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + START_WITHIN;
    loop {
        let seen = instances(&w.json(&["get", "instances", "--server", server]));
        if check(&seen) {
            return seen;
        }
        if Instant::now() > deadline {
            let described = w.run(&["describe", "server", server]).stdout;
            panic!(
                "{server}: {what} not reached within {START_WITHIN:?}; instances {seen:#?}\n\
                 {described}\nmcpd log:\n{}",
                w.mcpd.log()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub fn running(instances: &[Value]) -> usize {
    instances.iter().filter(|i| i["state"] == "Running").count()
}
