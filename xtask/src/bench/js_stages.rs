//! `cargo xtask bench js-stages`: the JS stage figures of the content-pipeline issue. The
//! measuring is done by a release example of the `js-stages` crate
//! (`host/js-stages/examples/js_stages_bench.rs`); this prints its Markdown table.
//!
//! - A trivial JS stage per call on a warm runtime (p50, p99) against a Rust pass-through
//!   stage through the same `pipeline::Stage` trait.
//! - Time from writing a stage file to the first call that runs it (watcher, 300 ms debounce),
//!   p50 and slowest over 10 edits.

pub fn run() -> Result<(), String> {
    super::release_example("js-stages", "js_stages_bench")
}
