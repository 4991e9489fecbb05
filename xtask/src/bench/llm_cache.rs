//! `cargo xtask bench llm-cache`: the pipeline cache and summarize-tree figures of the LLM
//! issue. The measuring is done by a release example of the `llm` crate
//! (`host/llm/examples/llm_cache_bench.rs`, which has the cache, the providers and a loopback
//! model server at hand); this prints its Markdown table.
//!
//! - Cache hit latency p50 (`get`, `get_or_compute`) against a plain read of the entry file,
//!   and the miss overhead (lookup + atomic write) against the computation itself.
//! - summarize-tree of a 200 KB document against a loopback provider answering after a fixed
//!   50 ms, with the provider's bound at 4 and 8, against the same run with a bound of 1.
//! - A write into a full 256 MB cache (each one evicts) against a write while it fills, and
//!   the reopen (index rebuild) of the full cache.

pub fn run() -> Result<(), String> {
    super::release_example("llm", "llm_cache_bench")
}
