//! The suite against a project endpoint of mcplocal, with the fixture server as the
//! project's single server behind mcpd (a local STDIO process): client → mcplocal →
//! mcpd → fixture. The project uses `prefixMode: never`, so the suite finds its fixture
//! names, and `proxyModel: content-pipeline` (ungated; its stages pass content through).
//!
//! mcplocal and mcpd speak the revisions that have `initialize` (up to 2025-11-25), so
//! 2026-07-28 is not run here (see CONFORMANCE.md).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use test_support::{Backend, Mcpd};

use crate::suite::Suite;

/// Scenarios allowed to fail through the chain, with the reason. None are.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

struct Mcplocal {
    child: Child,
    url: String,
}

impl Mcplocal {
    fn start(mcpd: &Mcpd) -> Mcplocal {
        let mut child = Command::new(test_support::binary("mcplocal"))
            .args(["--listen", "127.0.0.1:0", "--mcpd-url", &mcpd.url])
            .env("MCPCTL_HOME", mcpd.home_path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("mcplocal listening on ")
            .unwrap_or_else(|| panic!("unexpected first line of mcplocal: {line:?}"))
            .to_owned();
        Mcplocal { child, url }
    }
}

impl Drop for Mcplocal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mcpctl(mcpd: &Mcpd, args: &[&str]) -> String {
    let output = Command::new(test_support::binary("mcpctl"))
        .arg("--mcpd-url")
        .arg(&mcpd.url)
        .args(args)
        .env("MCPCTL_HOME", mcpd.home_path())
        .output()
        .unwrap();
    assert!(output.status.success(), "mcpctl {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// mcpd running the fixture as the single server of project `conformance`.
fn project() -> Mcpd {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let fixture: PathBuf = test_support::binary("mcp-conformance-server");
    mcpd_apply(
        &mcpd,
        &format!(
            "servers:\n  - name: fixture\n    command: {}\n    args: [\"--stdio\"]\n\
             projects:\n  - name: conformance\n    proxyModel: content-pipeline\n    \
             prefixMode: never\n    servers: [fixture]\n",
            fixture.display()
        ),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let instances = mcpctl(&mcpd, &["get", "instances", "-o", "json"]);
        if instances.contains("\"Running\"") {
            return mcpd;
        }
        assert!(
            Instant::now() < deadline,
            "the fixture never ran: {instances}\n{}",
            mcpd.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn mcpd_apply(mcpd: &Mcpd, yaml: &str) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), yaml).unwrap();
    mcpctl(mcpd, &["apply", "-f", file.path().to_str().unwrap()]);
}

fn run(args: &[&str]) {
    let Some(suite) = Suite::installed() else {
        return;
    };
    let mcpd = project();
    let local = Mcplocal::start(&mcpd);
    let endpoint = format!("{}/projects/conformance/mcp", local.url);
    suite
        .run(&endpoint, args)
        .assert_all_pass(EXPECTED_FAILURES);
}

#[test]
fn through_mcplocal_every_scenario_required_by_2025_11_25_passes() {
    run(&["--requirements", "2025-11-25"]);
}

#[test]
fn through_mcplocal_every_scenario_of_2025_06_18_passes() {
    run(&["--suite", "all", "--spec-version", "2025-06-18"]);
}

#[test]
fn through_mcplocal_every_scenario_of_2025_11_25_passes() {
    run(&["--suite", "all", "--spec-version", "2025-11-25"]);
}
