//! The persistent pipeline cache: results of expensive pipeline stages (LLM summaries, section
//! indexes) kept on disk under `$MCPCTL_HOME/cache/<provider>--<model>--<proxymodel>/`.
//!
//! - [`CacheDir`]: the cache directory and its namespaces (opened once per process).
//! - [`NamespaceCache`]: get, put, [`NamespaceCache::get_or_compute`] (single-flight), stats,
//!   clear; LRU eviction beyond the [`SizeLimit`], expiry after 30 days; atomic entries.
//! - [`SizeLimit`]: `268435456`, `512MB`, `1.5GB`, `64MiB`, `10%` of the partition.
//!
//! ARCHITECTURE.md ("The pipeline cache") describes the layout and why it is safe.

mod cache;
mod clock;
mod entry;
mod namespace;
mod root;
mod size;

pub use cache::{
    CacheError, CacheOptions, ClearReport, DEFAULT_MAX_AGE, MAX_ENTRY_BYTES, NamespaceCache,
    NamespaceStats, inspect, time_of,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use entry::Corruption;
pub use namespace::NamespaceId;
pub use root::CacheDir;
pub use size::{DEFAULT_LIMIT, SizeError, SizeLimit, human_bytes};
