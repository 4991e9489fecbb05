//! `cargo xtask test`: the one command that runs the whole suite.

use std::process::Command;

use crate::run::{have, status};
use crate::{peers, postgres};

pub fn run(args: &[String]) -> Result<(), String> {
    let lint = !args.iter().any(|a| a == "--no-lint");
    let passthrough: Vec<&String> = args.iter().skip_while(|a| *a != "--").skip(1).collect();
    let postgres_url = postgres::ensure()?;
    peers::ensure()?;
    eprintln!("xtask: PostgreSQL for tests: {postgres_url}");
    if lint {
        status(Command::new("cargo").args(["fmt", "--all", "--", "--check"]))?;
        status(Command::new("cargo").args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    // Integration tests run the real binaries of other crates, and the packaging tests package
    // the plugin libraries; build them all first.
    status(Command::new("cargo").args(["build", "--workspace", "--bins", "--lib"]))?;
    let mut cmd = Command::new("cargo");
    if have("cargo-nextest") {
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        cmd.args(["test", "--workspace", "--no-fail-fast"]);
    }
    cmd.args(passthrough)
        .env(postgres::URL_VAR, &postgres_url)
        .env("MCPCTL_TEST_VENV", peers::venv())
        .env("MCPCTL_TEST_NODE", peers::node_prefix())
        .env("MCPCTL_TEST_NODE22", peers::node22())
        .env("MCPCTL_TEST_CONFORMANCE", peers::conformance_cli());
    status(&mut cmd)
}
