//! The RPM, as `rpm` reads it.

use std::process::Command;

use packaging::Format;

use crate::fixture::{self, field, run};

fn rpm_query(package: &std::path::Path, args: &[&str]) -> String {
    run(Command::new("rpm")
        .args(["-q", "-p"])
        .args(args)
        .arg(package))
}

#[test]
fn rpm_has_the_metadata_and_exactly_the_expected_files() {
    let built = fixture::build(Format::Rpm);
    let ws = &built.ws;
    assert_eq!(
        built.package.file_name().and_then(|n| n.to_str()),
        Some(format!("mcpctl-{}-1.{}.rpm", ws.version, std::env::consts::ARCH).as_str())
    );

    let info = rpm_query(&built.package, &["-i"]);
    assert_eq!(field(&info, "Name"), Some("mcpctl"), "{info}");
    assert_eq!(field(&info, "Version"), Some(ws.version.as_str()), "{info}");
    assert_eq!(field(&info, "Release"), Some("1"), "{info}");
    assert_eq!(field(&info, "License"), Some("MIT"), "{info}");
    assert_eq!(
        field(&info, "Architecture"),
        Some(std::env::consts::ARCH),
        "{info}"
    );
    assert!(
        field(&info, "Summary").is_some_and(|s| s.contains("MCP")),
        "{info}"
    );

    let provides = rpm_query(&built.package, &["--provides"]);
    assert!(
        provides
            .lines()
            .any(|l| l == format!("mcpctl-plugin-abi = {}", ws.plugin_abi)),
        "{provides}"
    );
    let recommends = rpm_query(&built.package, &["--recommends"]);
    assert_eq!(recommends.trim(), "(podman or docker)");
    let requires = rpm_query(&built.package, &["--requires"]);
    assert!(
        requires.lines().any(|l| l.starts_with("glibc >= 2.")),
        "{requires}"
    );

    let listed = rpm_query(&built.package, &["-l"]);
    let listed: Vec<&str> = listed.lines().collect();
    assert_eq!(listed, fixture::expected_files(ws));

    let config = rpm_query(&built.package, &["-c"]);
    assert_eq!(config.trim(), "/etc/mcpctl/config.yaml");
    // %config(noreplace): an upgrade keeps the administrator's edits.
    let flags = rpm_query(
        &built.package,
        &[
            "--qf",
            "[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms}\n]",
        ],
    );
    assert!(
        flags
            .lines()
            .any(|l| l == "/etc/mcpctl/config.yaml cn -rw-r--r--"),
        "{flags}"
    );
    assert!(
        flags.lines().any(|l| l == "/usr/bin/mcpd  -rwxr-xr-x"),
        "{flags}"
    );
    assert!(
        flags.lines().any(|l| l == "/var/lib/mcpctl  drwx------"),
        "{flags}"
    );
    assert!(
        flags
            .lines()
            .any(|l| l.starts_with("/var/lib/mcpctl/config.yaml  l")),
        "{flags}"
    );

    // The payload digests rpm computes match those the header records.
    let checked = run(Command::new("rpm")
        .args(["-K", "--nosignature"])
        .arg(&built.package));
    assert!(checked.contains("digests OK"), "{checked}");
}
