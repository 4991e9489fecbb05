//! The third-party MCP peers `cargo xtask test` installs into `target/`: the Python venv
//! (`$MCPCTL_TEST_VENV`: the `mcp` SDK, `mcp-server-time`, `mcp-server-git`) and the npm
//! prefix (`$MCPCTL_TEST_NODE`: `@modelcontextprotocol/server-everything`). Each helper fails
//! (never skips) with the command that installs what is missing.

use std::path::PathBuf;

const INSTALL: &str =
    "run `cargo xtask test` once (it installs the pinned test peers into target/)";

fn workspace_target() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

/// The test venv (`$MCPCTL_TEST_VENV`, else `target/test-venv`).
pub fn venv() -> PathBuf {
    std::env::var_os("MCPCTL_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_target().join("test-venv"))
}

/// A program of the test venv (`python`, `mcp-server-time`, ...), checked to exist.
pub fn venv_bin(name: &str) -> PathBuf {
    let path = venv().join("bin").join(name);
    assert!(path.exists(), "{} is missing; {INSTALL}", path.display());
    path
}

/// server-everything's entry point (run it with `node FILE stdio`), checked to exist.
pub fn everything_js() -> PathBuf {
    let prefix = std::env::var_os("MCPCTL_TEST_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_target().join("test-node"));
    let js = prefix.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(js.exists(), "{} is missing; {INSTALL}", js.display());
    js
}
