//! Staging the dev binaries into a temporary `dist` folder, and the file list every package
//! must have, written out here independently of the packaging code.

use std::path::{Path, PathBuf};
use std::process::Command;

use packaging::dist::{self, DistOptions};
use packaging::workspace::Workspace;
use packaging::{FAST_COMPRESSION, Format};

pub struct Built {
    pub ws: Workspace,
    pub package: PathBuf,
    pub dir: tempfile::TempDir,
}

/// Where this test's own profile put the workspace's binaries (`target/debug`).
fn artifacts_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps")
        .to_owned()
}

/// Stages the dev build into a temp folder and writes one package of it.
pub fn build(format: Format) -> Built {
    let ws = Workspace::discover().expect("cargo metadata");
    let dir = tempfile::tempdir().expect("tempdir");
    let options = DistOptions {
        profile: "dev".into(),
        build: false,
        artifacts_dir: artifacts_dir(),
        out_dir: dir.path().to_owned(),
    };
    dist::dist(&ws, &options).unwrap_or_else(|e| {
        panic!(
            "{e}\n(cargo xtask test builds everything first: cargo build --workspace --bins --lib)"
        )
    });
    let package = packaging::package(&ws, dir.path(), format, FAST_COMPRESSION)
        .unwrap_or_else(|e| panic!("{e}"));
    Built { ws, package, dir }
}

/// Every plugin library the workspace's `plugins/` crates declare, found by reading their
/// manifests (not through the packaging code's discovery).
fn declared_plugins(ws: &Workspace) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(dirs) = std::fs::read_dir(ws.root.join("plugins")) else {
        return found;
    };
    for dir in dirs.flatten() {
        let Ok(manifest) = std::fs::read_to_string(dir.path().join("Cargo.toml")) else {
            continue;
        };
        if manifest.contains("cdylib") {
            let name = dir.file_name().to_string_lossy().replace('-', "_");
            found.push(format!("/usr/lib/mcpctl/plugins/lib{name}.so"));
        }
    }
    found.sort();
    found
}

pub fn ships_mcplocal(ws: &Workspace) -> bool {
    ws.binaries.iter().any(|b| b.name == "mcplocal")
}

/// The installed paths a package owns: files, links and its own folders.
pub fn expected_files(ws: &Workspace) -> Vec<String> {
    let mut files: Vec<String> = [
        "/etc/mcpctl",
        "/etc/mcpctl/config.yaml",
        "/usr/bin/mcpctl",
        "/usr/bin/mcpd",
        "/usr/lib/mcpctl",
        "/usr/lib/mcpctl/plugins",
        "/usr/lib/systemd/system/mcpd.service",
        "/usr/share/bash-completion/completions/mcpctl",
        "/usr/share/fish/vendor_completions.d/mcpctl.fish",
        "/usr/share/zsh/site-functions/_mcpctl",
        "/var/lib/mcpctl",
        "/var/lib/mcpctl/config.yaml",
    ]
    .map(String::from)
    .into();
    if ships_mcplocal(ws) {
        files.push("/usr/bin/mcplocal".into());
        files.push("/usr/lib/systemd/user/mcplocal.service".into());
    }
    let plugins = declared_plugins(ws);
    let discovered: Vec<String> = ws
        .plugins
        .iter()
        .map(|p| format!("/usr/lib/mcpctl/plugins/{}", p.file_name))
        .collect();
    assert_eq!(
        discovered, plugins,
        "plugins/ crates with a cdylib vs. those packaged"
    );
    files.extend(plugins);
    files.sort();
    files
}

/// Runs a tool and returns its standard output; a failure shows its standard error.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of `Field: value` in tool output.
pub fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (key, value) = line.trim_start().split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}
