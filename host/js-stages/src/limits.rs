//! What a JS stage may use: memory, time, file size, and how many warm runtimes it gets.

use std::time::Duration;

/// Bounds applied to every JS stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsLimits {
    /// Memory one runtime may allocate (QuickJS's own accounting). Default 64 MiB.
    pub memory_bytes: usize,
    /// Time a call may spend running JS (waiting for the host's `ctx.llm` / `ctx.cache`
    /// answers does not count). Default 2 s.
    pub time: Duration,
    /// Time a call may spend waiting for the host's answers in total. Default 60 s.
    pub host_wait: Duration,
    /// Stage files larger than this are skipped. Default 1 MiB.
    pub max_file_bytes: u64,
    /// Warm runtimes (each on its own thread) per stage: calls beyond this many at once queue.
    /// Default 2.
    pub runtimes_per_stage: usize,
    /// `ctx.llm.complete` and `ctx.cache.getOrCompute` calls one stage call may start; later
    /// ones throw. Default 1000.
    pub max_host_calls: usize,
    /// Lines one call may write with `ctx.log`; later ones are dropped (one notice says so).
    /// Default 1000.
    pub max_log_lines: usize,
    /// A `ctx.log` message longer than this is cut. Default 8 KiB.
    pub max_log_bytes: usize,
}

impl Default for JsLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 * 1024 * 1024,
            time: Duration::from_secs(2),
            host_wait: Duration::from_secs(60),
            max_file_bytes: 1024 * 1024,
            runtimes_per_stage: 2,
            max_host_calls: 1000,
            max_log_lines: 1000,
            max_log_bytes: 8 * 1024,
        }
    }
}
