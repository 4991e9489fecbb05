//! `cargo xtask bench pipeline`: section-split of a 1 MB JSON array and paginate of 1 MB, each
//! next to a baseline of the same run. The measuring is done by a release example of the
//! `pipeline` crate (`host/pipeline/examples/pipeline_bench.rs`); this prints its table.

use std::path::PathBuf;
use std::process::Command;

use crate::run::{output, root, status};

pub fn run() -> Result<(), String> {
    status(Command::new("cargo").args([
        "build",
        "--release",
        "-p",
        "pipeline",
        "--example",
        "pipeline_bench",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let bench = target.join("release/examples/pipeline_bench");
    let table = output(&mut Command::new(&bench))?;
    print!("{table}");
    Ok(())
}
