//! `cargo xtask demo`: the README's first command. Builds the binaries, starts mcpd on the
//! embedded SQLite default in a fresh `$MCPCTL_HOME`, and walks through creating, listing,
//! exporting and re-applying resources with mcpctl, printing every command it runs.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::run::{describe, root, status};

struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mcpctl(bin: &Path, home: &Path, url: &str, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new(bin.join("mcpctl"));
    cmd.arg("--mcpd-url")
        .arg(url)
        .args(args)
        .env("MCPCTL_HOME", home);
    println!("\n$ mcpctl {}", args.join(" "));
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", describe(&cmd)))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!("mcpctl {} failed", args.join(" ")))
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let keep = args.iter().any(|a| a == "--keep");
    status(Command::new("cargo").args(["build", "--bins", "-p", "mcpd", "-p", "cli"]))?;
    let bin = root().join("target/debug");
    let home: PathBuf = root().join("target/demo-home");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;

    println!("$ MCPCTL_HOME={} mcpd --listen 127.0.0.1:0", home.display());
    let mut child = Command::new(bin.join("mcpd"))
        .args(["--listen", "127.0.0.1:0"])
        .env("MCPCTL_HOME", &home)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start mcpd: {e}"))?;
    let stdout = child.stdout.take().ok_or("mcpd has no stdout")?;
    let mut daemon = Stop(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    print!("{line}");
    let url = line
        .trim()
        .strip_prefix("mcpd listening on ")
        .ok_or("mcpd did not start; see its error above")?
        .to_owned();

    let run = |args: &[&str]| mcpctl(&bin, &home, &url, args);
    run(&["status"])?;
    run(&["get", "templates"])?;
    run(&["describe", "template", "time"])?;
    run(&[
        "create",
        "secret",
        "grafana-creds",
        "--data",
        "GRAFANA_URL=http://grafana.local:3000",
        "--data",
        "GRAFANA_SERVICE_ACCOUNT_TOKEN=glsa_demo",
    ])?;
    run(&[
        "create",
        "server",
        "my-grafana",
        "--from-template",
        "grafana",
        "--env-from-secret",
        "grafana-creds",
    ])?;
    run(&[
        "create",
        "server",
        "clock",
        "--from-template",
        "time",
        "--description",
        "Current time (mcp-server-time)",
    ])?;
    run(&[
        "create",
        "project",
        "monitoring",
        "--description",
        "Grafana and the clock",
        "--server",
        "my-grafana",
        "--server",
        "clock",
        "--proxy-model",
        "content-pipeline",
    ])?;
    run(&[
        "create",
        "prompt",
        "guide",
        "--project",
        "monitoring",
        "--content",
        "Check the dashboards before paging anyone.",
        "--priority",
        "7",
    ])?;
    run(&["get", "servers"])?;
    run(&["get", "projects"])?;
    let exported = run(&["get", "all", "--project", "monitoring", "-o", "yaml"])?;
    let file = home.join("monitoring.yaml");
    std::fs::write(&file, &exported).map_err(|e| e.to_string())?;
    let file = file.display().to_string();
    run(&["apply", "-f", &file])?;
    run(&["patch", "server", "clock", "replicas=2"])?;
    run(&["describe", "server", "my-grafana"])?;

    if keep {
        println!(
            "\nmcpd keeps running at {url} (MCPCTL_HOME={}); stop it with: kill {}",
            home.display(),
            daemon.0.id()
        );
        std::mem::forget(daemon);
    } else {
        let _ = daemon.0.kill();
        println!(
            "\nDone. mcpd was stopped; its state is in {}. Run `cargo xtask demo --keep` to leave it running.",
            home.display()
        );
    }
    Ok(())
}
