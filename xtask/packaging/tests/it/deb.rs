//! The Debian package, as `dpkg-deb` reads it.

use std::process::Command;

use packaging::Format;

use crate::fixture::{self, field, run};

#[test]
fn deb_has_the_metadata_and_exactly_the_expected_files() {
    let built = fixture::build(Format::Deb);
    let ws = &built.ws;
    let arch = run(Command::new("dpkg").arg("--print-architecture"));
    assert_eq!(
        built.package.file_name().and_then(|n| n.to_str()),
        Some(format!("mcpctl_{}-1_{}.deb", ws.version, arch.trim()).as_str())
    );

    let info = run(Command::new("dpkg-deb").arg("-I").arg(&built.package));
    assert_eq!(field(&info, "Package"), Some("mcpctl"), "{info}");
    assert_eq!(
        field(&info, "Version"),
        Some(format!("{}-1", ws.version).as_str()),
        "{info}"
    );
    assert_eq!(field(&info, "Architecture"), Some(arch.trim()), "{info}");
    assert_eq!(
        field(&info, "Recommends"),
        Some("docker.io | podman"),
        "{info}"
    );
    assert_eq!(
        field(&info, "Provides"),
        Some(format!("mcpctl-plugin-abi-{}", ws.plugin_abi).as_str()),
        "{info}"
    );
    assert!(
        field(&info, "Depends").is_some_and(|d| d.starts_with("libc6 (>= 2.")),
        "{info}"
    );
    assert!(
        field(&info, "Description").is_some_and(|s| s.contains("MCP")),
        "{info}"
    );
    let installed_kib: u64 = field(&info, "Installed-Size")
        .and_then(|s| s.parse().ok())
        .expect("Installed-Size");
    assert!(installed_kib > 1024, "{info}");

    let conffiles = run(Command::new("dpkg-deb")
        .arg("-I")
        .arg(&built.package)
        .arg("conffiles"));
    assert_eq!(conffiles.trim(), "/etc/mcpctl/config.yaml");

    // `dpkg-deb -c` lists like `tar -tv`: mode, owner, size, date, time, name [-> target].
    let contents = run(Command::new("dpkg-deb").arg("-c").arg(&built.package));
    let mut listed = Vec::new();
    for line in contents.lines() {
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert!(columns.len() >= 6, "{line}");
        assert_eq!(columns[1], "root/root", "{line}");
        let name = columns[5].trim_start_matches('.').trim_end_matches('/');
        match name {
            "/etc/mcpctl/config.yaml" => assert_eq!(columns[0], "-rw-r--r--", "{line}"),
            "/usr/bin/mcpd" => assert_eq!(columns[0], "-rwxr-xr-x", "{line}"),
            "/var/lib/mcpctl" => assert_eq!(columns[0], "drwx------", "{line}"),
            "/var/lib/mcpctl/config.yaml" => {
                assert_eq!(&columns[6..], ["->", "/etc/mcpctl/config.yaml"], "{line}")
            }
            _ => {}
        }
        listed.push(name.to_owned());
    }
    // A deb lists every folder; the packages own the same files and their own folders.
    let system_folders = [
        "",
        "/etc",
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/lib/systemd",
        "/usr/lib/systemd/system",
        "/usr/lib/systemd/user",
        "/usr/share",
        "/usr/share/bash-completion",
        "/usr/share/bash-completion/completions",
        "/usr/share/fish",
        "/usr/share/fish/vendor_completions.d",
        "/usr/share/zsh",
        "/usr/share/zsh/site-functions",
        "/var",
        "/var/lib",
    ];
    let owned: Vec<String> = listed
        .iter()
        .filter(|name| !system_folders.contains(&name.as_str()))
        .cloned()
        .collect();
    let mut sorted = owned.clone();
    sorted.sort();
    assert_eq!(sorted, fixture::expected_files(ws));
}
