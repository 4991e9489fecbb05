//! Third-party MCP peers the tests run against, installed from the package registries into
//! `target/`: a Python venv (the official `mcp` SDK, `mcp-server-time`, `mcp-server-git`) and
//! npm packages (`@modelcontextprotocol/server-everything`). Versions are pinned so a run is
//! repeatable; installs are skipped when the pinned versions are already there.

use std::path::PathBuf;
use std::process::Command;

use crate::run::{output, root, status};

const PYTHON_PACKAGES: [&str; 3] = [
    "mcp==2.3.0",
    "mcp-server-time==2026.10.19",
    "mcp-server-git==2026.10.19",
];
const NODE_PACKAGES: [&str; 1] = ["@modelcontextprotocol/server-everything@2026.8.31"];

pub fn venv() -> PathBuf {
    root().join("target/test-venv")
}

pub fn node_prefix() -> PathBuf {
    root().join("target/test-node")
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

fn node_ready() -> bool {
    let Ok(listed) = output(
        Command::new("npm")
            .arg("ls")
            .arg("--prefix")
            .arg(node_prefix())
            .arg("--depth=0"),
    ) else {
        return false;
    };
    NODE_PACKAGES.iter().all(|p| listed.contains(p))
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
    if !node_ready() {
        std::fs::create_dir_all(node_prefix()).map_err(|e| e.to_string())?;
        status(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(node_prefix())
                .args(NODE_PACKAGES),
        )?;
    }
    Ok(())
}
