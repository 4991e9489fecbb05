//! The plugin benchmark's measuring program, run by `cargo xtask bench plugins` (release
//! build, plugin cdylibs in `--dir`). Prints one JSON object.
//!
//! - `plugin-bench load --dir D`: time to load gate, content-pipeline and default (open,
//!   abi_stable's version and layout checks, resolution), the first load in this process.
//! - `plugin-bench dlopen --dir D`: baseline, only opening the same three files.
//! - `plugin-bench dispatch --dir D`: one hook dispatch through the ABI (a trivial hook of the
//!   test plugin `test-extends-gate`) versus a direct Rust call of the same function body; and
//!   what the `default` plugin's two tools/call hooks cost on a small call.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use abi_stable::library::RawLibrary;
use plugin_api::context::HookContext;
use plugin_api::{HookOutcome, PluginError};
use plugin_host::{Call, HookPoint, HostServices, PluginHost, PromptEntry, Source};

const BUILT_IN: [&str; 3] = ["gate", "content_pipeline", "default"];
const DISPATCHES: u32 = 1_000_000;
const TOOL_CALLS: u32 = 100_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .iter()
        .position(|a| a == "--dir")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release"));
    let json = match args.first().map(String::as_str) {
        Some("load") => load(&dir),
        Some("dlopen") => dlopen(&dir),
        Some("dispatch") => dispatch(&dir),
        other => {
            eprintln!("plugin-bench: unknown mode {other:?}; one of load, dlopen, dispatch");
            std::process::exit(2);
        }
    };
    println!("{json}");
}

fn library(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

fn load(dir: &Path) -> String {
    let files: Vec<(PathBuf, Source)> = BUILT_IN
        .iter()
        .map(|n| (library(dir, n), Source::BuiltIn))
        .collect();
    let started = Instant::now();
    let (host, refused) = PluginHost::load_files(&files);
    let elapsed = started.elapsed();
    assert!(
        refused.is_empty() && host.plugins().count() == 3,
        "{refused:?}"
    );
    format!(r#"{{"load_ns": {}}}"#, elapsed.as_nanos())
}

fn dlopen(dir: &Path) -> String {
    let started = Instant::now();
    let libraries: Vec<RawLibrary> = BUILT_IN
        .iter()
        .map(|n| RawLibrary::load_at(&library(dir, n)).expect("dlopen"))
        .collect();
    let elapsed = started.elapsed();
    // Kept open, as the host keeps its libraries.
    std::mem::forget(libraries);
    format!(r#"{{"dlopen_ns": {}}}"#, elapsed.as_nanos())
}

/// A host whose answers cost nothing, so that the figures are the plugins' and the ABI's.
struct QuietHost;

impl HostServices for QuietHost {
    fn prompts(&self, _: &Call<'_>) -> Result<Vec<PromptEntry>, String> {
        Ok(Vec::new())
    }
    fn create_prompt_request(&self, _: &Call<'_>, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn notify_tools_list_changed(&self, _: &Call<'_>) -> Result<(), String> {
        Ok(())
    }
}

/// The body of `test-extends-gate`'s onPromptsList, as a plain Rust function.
fn prompts_list(context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    if message.is_empty() || context.project().is_empty() {
        return Err(PluginError::BadMessage("empty".into()));
    }
    Ok(HookOutcome::PassThrough)
}

fn per_call(elapsed: Duration, calls: u32) -> f64 {
    elapsed.as_nanos() as f64 / f64::from(calls)
}

fn dispatch(dir: &Path) -> String {
    let files: Vec<(PathBuf, Source)> = BUILT_IN
        .iter()
        .chain(&["test_plugin_extends_gate"])
        .map(|n| (library(dir, n), Source::BuiltIn))
        .collect();
    let (host, refused) = PluginHost::load_files(&files);
    assert!(refused.is_empty(), "{refused:?}");
    let services = QuietHost;
    let call = Call {
        project: "bench",
        session_id: 1,
        server: Some("grafana"),
    };
    let message = r#"{"prompts":[]}"#;

    // Through the ABI: resolved plugin, context and host handle built per call, extern "C"
    // call, the plugin's panic guard, outcome converted back.
    let plugin = host.get("test-extends-gate").expect("test plugin loaded");
    for _ in 0..10_000 {
        black_box(plugin.dispatch(HookPoint::PromptsList, &call, &services, message)).ok();
    }
    let started = Instant::now();
    for _ in 0..DISPATCHES {
        black_box(plugin.dispatch(
            HookPoint::PromptsList,
            black_box(&call),
            &services,
            black_box(message),
        ))
        .ok();
    }
    let abi = per_call(started.elapsed(), DISPATCHES);

    // Direct: the same body called through a function pointer the optimizer cannot see into.
    let direct_fn: fn(&HookContext<'_>, &str) -> Result<HookOutcome, PluginError> =
        black_box(prompts_list);
    let direct = plugin_host::services::with_context(&services, &call, "bench", |context| {
        let started = Instant::now();
        for _ in 0..DISPATCHES {
            black_box(direct_fn(black_box(context), black_box(message))).ok();
        }
        started.elapsed()
    });
    let direct = per_call(direct, DISPATCHES);

    // The default plugin on a small tools/call: onToolCallBefore (the gate, session already
    // ungated) and onToolCallAfter (the content pipeline through the host, which passes).
    let default = host.get("default").expect("default loaded");
    let begin = r#"{"name":"begin_session","arguments":{"description":"bench"}}"#;
    default
        .dispatch(HookPoint::ToolCallBefore, &call, &services, begin)
        .expect("begin_session");
    let request = r#"{"name":"grafana_search","arguments":{"query":"cpu usage"}}"#;
    let after = r#"{"request":{"name":"grafana_search","arguments":{"query":"cpu usage"}},"result":{"content":[{"type":"text","text":"3 dashboards match: node-exporter, k8s-cluster, api-latency"}],"isError":false}}"#;
    let started = Instant::now();
    for _ in 0..TOOL_CALLS {
        black_box(default.dispatch(
            HookPoint::ToolCallBefore,
            &call,
            &services,
            black_box(request),
        ))
        .ok();
        black_box(default.dispatch(HookPoint::ToolCallAfter, &call, &services, black_box(after)))
            .ok();
    }
    let tool_call = per_call(started.elapsed(), TOOL_CALLS);
    format!(
        r#"{{"dispatch_ns": {abi:.1}, "direct_ns": {direct:.1}, "default_tool_call_ns": {tool_call:.1}}}"#
    )
}
