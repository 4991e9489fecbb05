//! The deb unpacked into a scratch root (`dpkg -x`), and its binaries run from there.

use std::io::{BufRead, BufReader};
use std::path::Path;
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

/// Starts the installed mcpd on a free port with `home` as `$MCPCTL_HOME`; returns its URL.
fn start_mcpd(mcpd: &Path, home: &Path) -> (Daemon, String) {
    let mut child = Command::new(mcpd)
        .args(["--listen", "127.0.0.1:0"])
        .env("MCPCTL_HOME", home)
        .env("MCPD_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the installed mcpd");
    let stdout = child.stdout.take().expect("stdout");
    let daemon = Daemon(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read mcpd's ready line");
    let url = line
        .trim()
        .strip_prefix("mcpd listening on ")
        .unwrap_or_else(|| panic!("mcpd did not start: {line:?}"))
        .to_owned();
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
    let (_daemon, url) = start_mcpd(&mcpd, &home);
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

    // The plugins are where the host searches by default: <exe dir>/../lib/mcpctl/plugins.
    // TODO(plugin host): once `mcpctl get proxymodels` exists, run it against this mcpd
    // (or the installed mcplocal) and assert it lists every plugin below.
    let search_dir = mcpd
        .parent()
        .and_then(Path::parent)
        .expect("usr")
        .join("lib/mcpctl/plugins");
    for plugin in &ws.plugins {
        let file = search_dir.join(&plugin.file_name);
        let magic = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(&magic[..4], b"\x7fELF", "{}", file.display());
    }
}
