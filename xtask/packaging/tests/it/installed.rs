//! The deb unpacked into a scratch root (`dpkg -x`), and its binaries run from there.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use packaging::Format;

use crate::fixture::{self, field, run};

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts an installed daemon (mcpd or mcplocal) with `home` as `$MCPCTL_HOME` and the
/// plugin search path left at its default; returns it with the URL of its ready line.
fn start(binary: &Path, args: &[&str], home: &Path) -> (Daemon, String) {
    let mut child = Command::new(binary)
        .args(args)
        .env("MCPCTL_HOME", home)
        .env_remove("MCPCTL_PLUGIN_DIR")
        .env("MCPD_LOG", "warn")
        .env("MCPLOCAL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let stdout = child.stdout.take().expect("stdout");
    let daemon = Daemon(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the ready line");
    let url = line
        .trim()
        .split_once(" listening on ")
        .map(|(_, url)| url.to_owned())
        .unwrap_or_else(|| panic!("{} did not start: {line:?}", binary.display()));
    (daemon, url)
}

/// The systemd units the package installs.
fn units(scratch: &Path) -> Vec<std::path::PathBuf> {
    let mut units = Vec::new();
    for dir in ["usr/lib/systemd/system", "usr/lib/systemd/user"] {
        let Ok(items) = std::fs::read_dir(scratch.join(dir)) else {
            continue;
        };
        units.extend(items.flatten().map(|item| item.path()));
    }
    assert!(!units.is_empty(), "no systemd units installed");
    units
}

/// `systemd-analyze verify` finds nothing wrong with `unit` except that its binary is not
/// installed on this machine (it is in the scratch root, not in /usr/bin).
fn verify_unit(unit: &Path) {
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(unit)
        .output()
        .expect("run systemd-analyze (Debian package systemd)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|line| !(line.contains("Command /usr/bin/") && line.contains("is not executable")))
        .collect();
    assert!(problems.is_empty(), "{}: {stderr}", unit.display());
}

#[test]
fn installed_deb_runs_and_serves_status() {
    let built = fixture::build(Format::Deb);
    let ws = &built.ws;
    let scratch = built.dir.path().join("scratch");
    run(Command::new("dpkg")
        .arg("-x")
        .arg(&built.package)
        .arg(&scratch));
    let mcpctl = scratch.join("usr/bin/mcpctl");
    let mcpd = scratch.join("usr/bin/mcpd");

    let version = run(Command::new(&mcpctl).arg("--version"));
    assert_eq!(version.trim(), format!("mcpctl {}", ws.version));
    let version = run(Command::new(&mcpd).arg("--version"));
    assert_eq!(version.trim(), format!("mcpd {}", ws.version));

    // The installed completion script is what the installed binary generates.
    let bash = run(Command::new(&mcpctl).args(["completion", "bash"]));
    assert!(
        bash.contains("complete -F") && bash.contains("attach-server"),
        "{bash}"
    );
    let installed =
        std::fs::read_to_string(scratch.join("usr/share/bash-completion/completions/mcpctl"))
            .expect("installed bash completion");
    assert_eq!(installed, bash);

    // The system service's layout: mcpd's home is /var/lib/mcpctl, whose config.yaml is the
    // package's /etc/mcpctl/config.yaml.
    let unit = std::fs::read_to_string(scratch.join("usr/lib/systemd/system/mcpd.service"))
        .expect("installed unit");
    assert!(
        unit.lines().any(|l| l == "ExecStart=/usr/bin/mcpd"),
        "{unit}"
    );
    assert!(
        unit.lines()
            .any(|l| l == "Environment=MCPCTL_HOME=/var/lib/mcpctl"),
        "{unit}"
    );
    for unit in units(&scratch) {
        verify_unit(&unit);
    }
    let link = std::fs::read_link(scratch.join("var/lib/mcpctl/config.yaml")).expect("config link");
    assert_eq!(link, Path::new("/etc/mcpctl/config.yaml"));

    // The installed mcpd runs with the shipped config.yaml (so it parses and is accepted),
    // on a temporary home and a free port; the installed mcpctl reaches it.
    let home = built.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::copy(
        scratch.join("etc/mcpctl/config.yaml"),
        home.join("config.yaml"),
    )
    .expect("copy the shipped config");
    let (_mcpd, url) = start(&mcpd, &["--listen", "127.0.0.1:0"], &home);
    let status = run(Command::new(&mcpctl)
        .args(["--mcpd-url", &url, "status"])
        .env("MCPCTL_HOME", &home));
    assert_eq!(field(&status, "Reachable"), Some("yes"), "{status}");
    assert_eq!(
        field(&status, "Version"),
        Some(ws.version.as_str()),
        "{status}"
    );
    assert!(
        home.join("mcpd.db").is_file(),
        "mcpd made its database in the temp home"
    );

    // The installed host finds the installed plugins, at its default search path
    // <exe dir>/../lib/mcpctl/plugins: an installed mcplocal (started here, so that it stops
    // with the test) loads them, and the installed mcpctl lists them through it.
    let search_dir = mcpd
        .parent()
        .and_then(Path::parent)
        .expect("usr")
        .join("lib/mcpctl/plugins");
    let mut expected: Vec<PathBuf> = ws
        .plugins
        .iter()
        .map(|p| canonical(&search_dir.join(&p.file_name)))
        .collect();
    expected.sort();
    if !fixture::ships_mcplocal(ws) {
        return;
    }
    let mcplocal = scratch.join("usr/bin/mcplocal");
    let args = ["--listen", "127.0.0.1:0", "--mcpd-url", &url];
    let (_mcplocal, local_url) = start(&mcplocal, &args, &home);
    let listen = local_url.trim_start_matches("http://");
    let listed = run(Command::new(&mcpctl)
        .args(["--mcpd-url", &url, "get", "proxymodels", "-o", "json"])
        .env("MCPCTL_HOME", &home)
        .env("MCPLOCAL_LISTEN", listen)
        .env_remove("MCPCTL_PLUGIN_DIR"));
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("JSON");
    let items = listed["proxymodels"]
        .as_array()
        .unwrap_or_else(|| panic!("no list of proxymodels: {listed}"));
    let mut files = Vec::new();
    // Pipelines (kind `pipeline`) have no file; the plugins are what the package installs.
    for item in items.iter().filter(|item| item["kind"] == "plugin") {
        assert_eq!(item["source"], "built-in", "{item}");
        let file = item["file"]
            .as_str()
            .unwrap_or_else(|| panic!("no file: {item}"));
        files.push(canonical(Path::new(file)));
    }
    files.sort();
    assert_eq!(files, expected, "{listed}");
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
