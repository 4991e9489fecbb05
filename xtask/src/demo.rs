//! `cargo xtask demo`: the README's first command. Builds the binaries, starts mcpd on the
//! embedded SQLite default in a fresh `$MCPCTL_HOME`, and walks through creating, listing,
//! exporting and re-applying resources with mcpctl, then does the main job: starts mcplocal,
//! writes the `.mcp.json` Claude Code would read, and uses the project through mcplocal with
//! `mcpctl console` (list the merged tools, call one), printing every command it runs.

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
    finish(&mut cmd, args)
}

/// Runs `cmd` (an mcpctl with `args`), prints what it printed, fails when it failed.
fn finish(cmd: &mut Command, args: &[&str]) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", describe(cmd)))?;
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
    // The binaries and the built-in plugin libraries mcplocal loads from beside itself.
    status(Command::new("cargo").args([
        "build",
        "--bins",
        "--lib",
        "-p",
        "mcpd",
        "-p",
        "cli",
        "-p",
        "mcplocal",
        "-p",
        "gate",
        "-p",
        "content-pipeline",
        "-p",
        "default",
    ]))?;
    // A real MCP server to run as a local process: the Python reference server
    // mcp-server-time, from PyPI into target/test-venv.
    crate::peers::ensure_python()?;
    let python = crate::peers::venv()
        .join("bin/python")
        .display()
        .to_string();
    let bin = root().join("target/debug");
    let home: PathBuf = root().join("target/demo-home");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;

    println!(
        "$ MCPCTL_HOME={0} mcpd --listen 127.0.0.1:0 2>{0}/mcpd.log",
        home.display()
    );
    let log = std::fs::File::create(home.join("mcpd.log")).map_err(|e| e.to_string())?;
    let mut child = Command::new(bin.join("mcpd"))
        .args(["--listen", "127.0.0.1:0"])
        .env("MCPCTL_HOME", &home)
        .stdout(Stdio::piped())
        .stderr(log)
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
    // No Grafana here, so 0 replicas: the server is declared but not run.
    run(&[
        "create",
        "server",
        "my-grafana",
        "--from-template",
        "grafana",
        "--env-from-secret",
        "grafana-creds",
        "--replicas",
        "0",
    ])?;
    // A real MCP server run as a local process: the Python reference server.
    run(&[
        "create",
        "server",
        "clock",
        "--command",
        &python,
        "--arg",
        "-m",
        "--arg",
        "mcp_server_time",
        "--arg",
        "--local-timezone",
        "--arg",
        "UTC",
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
    // mcpd starts the processes and initializes them over MCP; wait for both.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = Command::new(bin.join("mcpctl"))
            .args(["--mcpd-url", &url, "get", "instances", "-o", "name"])
            .output()
            .map_err(|e| e.to_string())?;
        let listed = Command::new(bin.join("mcpctl"))
            .args(["--mcpd-url", &url, "get", "instances"])
            .output()
            .map_err(|e| e.to_string())?;
        let table = String::from_utf8_lossy(&listed.stdout);
        let running = table.lines().filter(|l| l.contains(" Running ")).count();
        if running == 2 && out.status.success() {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "the clock instances did not become Running within 60 s:\n{table}"
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    run(&["get", "instances"])?;
    run(&["describe", "server", "clock"])?;
    run(&["describe", "server", "my-grafana"])?;

    // The main job: a client uses the project through mcplocal.
    let (local, local_addr) = start_mcplocal(&bin, &home, &url)?;
    let mcp_json = home.join(".mcp.json").display().to_string();
    let listen = [("MCPLOCAL_LISTEN", local_addr.as_str())];
    with_env(
        &bin,
        &home,
        &url,
        &listen,
        &[
            "--project",
            "monitoring",
            "config",
            "claude",
            "--file",
            &mcp_json,
        ],
        None,
    )?;
    println!("$ cat {mcp_json}");
    print!(
        "{}",
        std::fs::read_to_string(&mcp_json).map_err(|e| e.to_string())?
    );
    let script = "tools\ncall clock/get_current_time {\"timezone\": \"Europe/Paris\"}\nprompts\n";
    let answer = with_env(
        &bin,
        &home,
        &url,
        &listen,
        &["console", "monitoring"],
        Some(script),
    )?;
    if !answer.contains("Europe/Paris") {
        return Err("the tool call through mcplocal did not answer".to_owned());
    }
    drop(local);

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

/// Starts mcplocal on a free loopback port for mcpd at `url`; returns it and its address.
fn start_mcplocal(bin: &Path, home: &Path, url: &str) -> Result<(Stop, String), String> {
    println!(
        "\n$ MCPCTL_HOME={0} mcplocal --listen 127.0.0.1:0 --mcpd-url {url} 2>{0}/mcplocal.log",
        home.display()
    );
    let log = std::fs::File::create(home.join("mcplocal.log")).map_err(|e| e.to_string())?;
    let mut child = Command::new(bin.join("mcplocal"))
        .args(["--listen", "127.0.0.1:0", "--mcpd-url", url])
        .env("MCPCTL_HOME", home)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start mcplocal: {e}"))?;
    let stdout = child.stdout.take().ok_or("mcplocal has no stdout")?;
    let local = Stop(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    print!("{line}");
    let addr = line
        .trim()
        .strip_prefix("mcplocal listening on http://")
        .ok_or("mcplocal did not start; see target/demo-home/mcplocal.log")?
        .to_owned();
    Ok((local, addr))
}

/// mcpctl with extra environment and, when given, `input` on its stdin.
fn with_env(
    bin: &Path,
    home: &Path,
    url: &str,
    env: &[(&str, &str)],
    args: &[&str],
    input: Option<&str>,
) -> Result<String, String> {
    let mut cmd = Command::new(bin.join("mcpctl"));
    cmd.arg("--mcpd-url")
        .arg(url)
        .args(args)
        .env("MCPCTL_HOME", home);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let shown: Vec<String> = env.iter().map(|(n, v)| format!("{n}={v}")).collect();
    match input {
        Some(input) => {
            println!(
                "\n$ printf {input:?} | {} mcpctl {}",
                shown.join(" "),
                args.join(" ")
            );
            let path = home.join("console-input.txt");
            std::fs::write(&path, input).map_err(|e| e.to_string())?;
            let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
            cmd.stdin(file);
        }
        None => println!("\n$ {} mcpctl {}", shown.join(" "), args.join(" ")),
    }
    finish(&mut cmd, args)
}
