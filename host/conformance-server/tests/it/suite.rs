//! The official conformance suite: finding it, running it in server mode, reading its
//! results (`-o DIR` writes `DIR/server-SCENARIO-TIMESTAMP/checks.json` per scenario).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// Path of the suite's CLI (`.../@modelcontextprotocol/conformance/dist/index.js`).
pub const CLI_VAR: &str = "MCPCTL_TEST_CONFORMANCE";
/// Path of a Node.js 22+ binary (the suite needs 22; the machine's may be older).
pub const NODE_VAR: &str = "MCPCTL_TEST_NODE22";

/// Longest one suite run may take before the test fails.
const RUN_PATIENCE: Duration = Duration::from_secs(100);

/// Check statuses that count as passed. `INFO` carries details; `SKIPPED` is a check the
/// suite decided does not apply.
const PASSING: [&str; 3] = ["SUCCESS", "INFO", "SKIPPED"];

pub struct Suite {
    node: PathBuf,
    cli: PathBuf,
}

impl Suite {
    /// The suite `cargo xtask test` installed, or `None` (with a loud message) when the
    /// variables are not set, e.g. under a bare `cargo test`.
    pub fn installed() -> Option<Suite> {
        let Some(cli) = std::env::var_os(CLI_VAR) else {
            // Straight to stderr: libtest captures `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!! SKIPPED: {CLI_VAR} is not set, so the MCP conformance suite cannot run. \
                 Run `cargo xtask test` (it installs Node.js 22 and the suite into \
                 target/test-node22 and sets {CLI_VAR} and {NODE_VAR}). !!!\n"
            );
            return None;
        };
        let node = std::env::var_os(NODE_VAR)
            .unwrap_or_else(|| panic!("{CLI_VAR} is set but {NODE_VAR} is not"));
        let suite = Suite {
            node: PathBuf::from(node),
            cli: PathBuf::from(cli),
        };
        for path in [&suite.node, &suite.cli] {
            assert!(
                path.exists(),
                "{} is missing: run `cargo xtask test` (it installs the suite)",
                path.display()
            );
        }
        Some(suite)
    }

    /// `conformance server --url URL ARGS... -o DIR` and its results.
    pub fn run(&self, url: &str, args: &[&str]) -> Run {
        let results = tempfile::tempdir().unwrap();
        let child = Command::new(&self.node)
            .arg(&self.cli)
            .args(["server", "--url", url])
            .args(args)
            .arg("-o")
            .arg(results.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = wait(child, RUN_PATIENCE, args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        Run {
            label: args.join(" "),
            announced: announced_count(&stdout).unwrap_or_else(|| {
                panic!("no `Running ... (N scenarios)` line in:\n{stdout}\n{stderr}")
            }),
            scenarios: read_results(results.path()),
            stdout,
        }
    }
}

/// The results of one run, by scenario.
pub struct Run {
    pub label: String,
    /// How many scenarios the suite said it would run.
    pub announced: usize,
    pub scenarios: BTreeMap<String, Vec<Check>>,
    pub stdout: String,
}

pub struct Check {
    pub id: String,
    pub status: String,
    pub message: String,
}

impl Run {
    /// Panics with every failing check unless each scenario passed, except those in
    /// `expected_failures` (scenario, reason); prints a one-line summary.
    pub fn assert_all_pass(&self, expected_failures: &[(&str, &str)]) {
        assert_eq!(
            self.scenarios.len(),
            self.announced,
            "the suite announced {} scenarios but wrote results for {} ({:?}); output:\n{}",
            self.announced,
            self.scenarios.len(),
            self.scenarios.keys().collect::<Vec<_>>(),
            self.stdout
        );
        let mut failures = Vec::new();
        let mut passed = 0;
        let mut only_skipped = Vec::new();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (scenario, checks) in &self.scenarios {
            for check in checks {
                *counts.entry(check.status.as_str()).or_default() += 1;
            }
            let failing: Vec<&Check> = checks
                .iter()
                .filter(|check| !PASSING.contains(&check.status.as_str()))
                .collect();
            let expected = expected_failures.iter().any(|(name, _)| name == scenario);
            if !failing.is_empty() {
                if !expected {
                    for check in failing {
                        failures.push(format!(
                            "  {scenario} / {} [{}]: {}",
                            check.id, check.status, check.message
                        ));
                    }
                }
            } else if checks.iter().any(|check| check.status == "SUCCESS") {
                passed += 1;
            } else {
                only_skipped.push(scenario.as_str());
            }
        }
        assert!(
            failures.is_empty(),
            "conformance suite `{}`: {} failing check(s):\n{}",
            self.label,
            failures.len(),
            failures.join("\n")
        );
        assert!(
            counts.get("SUCCESS").copied().unwrap_or(0) > 0,
            "conformance suite `{}` passed no check at all",
            self.label
        );
        let summary = format!(
            "conformance `{}`: {} scenarios, {passed} passed, {} failed, {} with every check \
             skipped by the suite {:?} (checks: {:?})",
            self.label,
            self.scenarios.len(),
            self.scenarios.len() - passed - only_skipped.len(),
            only_skipped.len(),
            only_skipped,
            counts
        );
        eprintln!("{summary}");
    }
}

fn wait(mut child: std::process::Child, patience: Duration, args: &[&str]) -> Output {
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut stdout = stdout;
        let mut stderr = stderr;
        let mut out = Vec::new();
        let mut err = Vec::new();
        let reader = std::thread::spawn(move || {
            std::io::Read::read_to_end(&mut stderr, &mut err).unwrap();
            err
        });
        std::io::Read::read_to_end(&mut stdout, &mut out).unwrap();
        let _ = sender.send((out, reader.join().unwrap()));
    });
    match receiver.recv_timeout(patience) {
        Ok((stdout, stderr)) => Output {
            status: child.wait().unwrap(),
            stdout,
            stderr,
        },
        Err(_) => {
            let _ = child.kill();
            panic!("conformance suite {args:?} (pid {pid}) did not finish within {patience:?}");
        }
    }
}

/// N in the runner's `Running <suite> (N scenarios) against URL` line.
fn announced_count(stdout: &str) -> Option<usize> {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("Running ") && line.contains(" scenarios) against "))?;
    let (_, rest) = line.split_once(" (")?;
    let (count, _) = rest.split_once(" scenarios)")?;
    count.parse().ok()
}

/// `server-SCENARIO-2026-12-02T06-56-55-037Z`: the timestamp is the last 24 characters.
fn scenario_name(directory: &str) -> String {
    let without_prefix = directory.strip_prefix("server-").unwrap_or(directory);
    let cut = without_prefix.len().saturating_sub(25);
    without_prefix[..cut].to_owned()
}

fn read_results(directory: &Path) -> BTreeMap<String, Vec<Check>> {
    let mut scenarios = BTreeMap::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let entry = entry.unwrap();
        let checks_file = entry.path().join("checks.json");
        let name = scenario_name(&entry.file_name().to_string_lossy());
        let text = std::fs::read_to_string(&checks_file)
            .unwrap_or_else(|error| panic!("{}: {error}", checks_file.display()));
        let checks: Vec<Value> = serde_json::from_str(&text).unwrap();
        let checks = checks
            .iter()
            .map(|check| Check {
                id: check["id"].as_str().unwrap_or("?").to_owned(),
                status: check["status"].as_str().unwrap_or("?").to_owned(),
                message: check["errorMessage"].as_str().unwrap_or("").to_owned(),
            })
            .collect();
        assert!(
            scenarios.insert(name.clone(), checks).is_none(),
            "two result folders for scenario {name}"
        );
    }
    scenarios
}
