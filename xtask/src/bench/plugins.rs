//! `cargo xtask bench plugins`: what the plugin-host issue asks to measure, each next to a
//! baseline measured in the same run.
//!
//! - Hook dispatch through the stable ABI (a trivial hook of the test plugin
//!   `test-extends-gate`, resolved table, context and host handle per call, the plugin's panic
//!   guard) versus a direct Rust call of the same function body.
//! - Loading gate, content-pipeline and default (open, abi_stable's version and layout checks,
//!   inheritance resolution) versus only opening the three files; a fresh process per sample,
//!   since a process opens a library once.
//! - The `default` plugin's two tools/call hooks on a small call (JSON in and out of the
//!   plugins, the host's pass-through pipeline), versus no plugin (nothing to run).
//!
//! - A `tools/call` end to end through mcplocal's project endpoint and mcpd to
//!   `mcp-test-server`'s `echo`, with the `default` plugin (an ungated session) versus
//!   `PassThrough` hooks, alternating call by call (mcplocal's `plugin-overhead` example),
//!   next to a control run of two `PassThrough` endpoints (the method's own noise); and the
//!   same two hooks of mcplocal's `PluginHooks` called in process, without the network.
//!
//! The measuring programs are plugin-host's `plugin-bench` and mcplocal's `plugin-overhead`
//! examples, in release builds, with the plugin cdylibs built in release next to them.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use super::{TempHome, start};
use crate::run::{output, root, status};

/// Processes per load figure (each measures one first load).
const LOAD_ROUNDS: usize = 15;

pub fn run() -> Result<(), String> {
    // One build, so one feature set for every crate (separate invocations unify features
    // differently and rebuild the shared dependencies each time): the plugin cdylibs, mcpd and
    // the test server, and the two measuring examples (`--example` alone builds no binaries).
    let mut build = Command::new("cargo");
    build.args(["build", "--release"]);
    for krate in [
        "gate",
        "content-pipeline",
        "default",
        "test-plugin-extends-gate",
        "plugin-host",
        "mcpd",
        "test-mcp-server",
        "mcplocal",
    ] {
        build.args(["-p", krate]);
    }
    build.args([
        "--lib",
        "--bins",
        "--example",
        "plugin-bench",
        "--example",
        "plugin-overhead",
    ]);
    status(&mut build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("release");
    let bench = target.join("examples").join("plugin-bench");
    let run = |mode: &str| -> Result<String, String> {
        output(Command::new(&bench).arg(mode).arg("--dir").arg(&target))
    };

    let dispatch = run("dispatch")?;
    let abi = field(&dispatch, "dispatch_ns")?;
    let direct = field(&dispatch, "direct_ns")?;
    let tool_call = field(&dispatch, "default_tool_call_ns")?;

    let mut load = Vec::new();
    let mut dlopen = Vec::new();
    for _ in 0..LOAD_ROUNDS {
        load.push(field(&run("load")?, "load_ns")?);
        dlopen.push(field(&run("dlopen")?, "dlopen_ns")?);
    }
    let (load, dlopen) = (median(load), median(dlopen));

    // Each run gets its own mcpd (the program creates its server and project); the control
    // run compares two PassThrough endpoints, which shows the method's own bias and spread.
    let overhead_run = |control: bool| -> Result<String, String> {
        let (daemon, _) = start(TempHome::new("plugins"), None)?;
        let mut command = Command::new(target.join("examples").join("plugin-overhead"));
        command
            .arg("--mcpd")
            .arg(&daemon.url)
            .arg("--server-command")
            .arg(target.join("mcp-test-server"))
            .arg("--dir")
            .arg(&target);
        if control {
            command.arg("--control");
        }
        output(&mut command)
    };
    let overhead = overhead_run(false)?;
    let control = overhead_run(true)?;
    let pass_through = field(&overhead, "pass_through_us")?;
    let with_default = field(&overhead, "default_us")?;
    let added = field(&overhead, "added_us")?;
    let (added_p25, added_p75) = (
        field(&overhead, "added_p25_us")?,
        field(&overhead, "added_p75_us")?,
    );
    let control_added = field(&control, "added_us")?;
    let (control_p25, control_p75) = (
        field(&control, "added_p25_us")?,
        field(&control, "added_p75_us")?,
    );
    let alone = field(&overhead, "hooks_alone_us")?;

    let mut report = String::new();
    let _ = writeln!(
        report,
        "| measure | result | baseline (same run) | ratio | target |\n|---|---|---|---|---|"
    );
    let _ = writeln!(
        report,
        "| one hook dispatch through the ABI (trivial hook) | {abi:.0} ns | direct Rust call of the same body {direct:.0} ns | {:.2}x | < 1 µs |",
        abi / direct.max(1e-9)
    );
    let _ = writeln!(
        report,
        "| load gate + content-pipeline + default (median of {LOAD_ROUNDS} processes) | {:.2} ms | opening the three files only {:.2} ms | {:.2}x | < 20 ms |",
        load / 1e6,
        dlopen / 1e6,
        load / dlopen.max(1e-9)
    );
    let _ = writeln!(
        report,
        "| `default` plugin's onToolCallBefore + onToolCallAfter, small call | {:.1} µs | no plugin: nothing runs | | < 20 µs |",
        tool_call / 1e3
    );
    let _ = writeln!(
        report,
        "| mcplocal's `PluginHooks` onToolCallBefore + onToolCallAfter alone (rmcp values to JSON, dispatch, back), `default` | {alone:.1} µs | | | < 20 µs |"
    );
    let _ = writeln!(
        report,
        "| tools/call through mcplocal and mcpd, `default` plugin (ungated session) | {with_default:.1} µs | `PassThrough` hooks {pass_through:.1} µs | {:.3}x | |",
        with_default / pass_through.max(1e-9)
    );
    let _ = writeln!(
        report,
        "| what `default` adds per tools/call (median of per-round differences; quartiles {added_p25:.1} / {added_p75:.1}) | {added:.1} µs | control, `PassThrough` against `PassThrough`: {control_added:.1} µs (quartiles {control_p25:.1} / {control_p75:.1}) | | < 20 µs |"
    );
    print!("{report}");
    Ok(())
}

/// A number field of the bench program's one-line JSON.
fn field(json: &str, name: &str) -> Result<f64, String> {
    let key = format!("\"{name}\":");
    let start = json
        .find(&key)
        .map(|i| i + key.len())
        .ok_or_else(|| format!("plugin-bench printed no {name}: {json}"))?;
    json[start..]
        .trim_start()
        .split([',', '}'])
        .next()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("plugin-bench printed a bad {name}: {json}"))
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}
