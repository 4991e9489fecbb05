//! `cargo xtask bench js-stages`: the JS stage figures of the content-pipeline issue. The
//! measuring is done by a release example of the `js-stages` crate
//! (`host/js-stages/examples/js_stages_bench.rs`); this prints its Markdown table.
//!
//! - A trivial JS stage per call on a warm runtime (p50, p99) against a Rust pass-through
//!   stage through the same `pipeline::Stage` trait.
//! - Time from writing a stage file to the first call that runs it (watcher, 300 ms debounce),
//!   p50 and slowest over 10 edits.

use std::path::PathBuf;
use std::process::Command;

use crate::run::{output, root, status};

pub fn run() -> Result<(), String> {
    status(Command::new("cargo").args([
        "build",
        "--release",
        "-p",
        "js-stages",
        "--example",
        "js_stages_bench",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let bench = target.join("release/examples/js_stages_bench");
    let table = output(&mut Command::new(&bench))?;
    print!("{table}");
    Ok(())
}
