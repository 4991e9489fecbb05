use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use result_cache::{CacheOptions, ManualClock, NamespaceCache, NamespaceId, SizeLimit};

pub fn ns() -> NamespaceId {
    NamespaceId::new("vllm-local", "Qwen/Qwen3-32B", "subindex")
}

pub fn options(limit: u64, clock: Arc<ManualClock>) -> CacheOptions {
    CacheOptions {
        limit: SizeLimit::Bytes(limit),
        clock,
        ..CacheOptions::default()
    }
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    ))
}

pub fn open(root: &Path, limit: u64, clock: Arc<ManualClock>) -> NamespaceCache {
    NamespaceCache::open(root, ns(), &options(limit, clock)).expect("open namespace")
}

/// Every entry file of a namespace directory.
pub fn entry_files(namespace_dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for shard in std::fs::read_dir(namespace_dir.join("entries")).expect("entries dir") {
        for file in std::fs::read_dir(shard.expect("shard").path()).expect("shard dir") {
            files.push(file.expect("file").path());
        }
    }
    files
}

/// The size an entry takes on disk: 60-byte header, key, value.
pub fn entry_size(key: &str, value_len: usize) -> u64 {
    (60 + key.len() + value_len) as u64
}
