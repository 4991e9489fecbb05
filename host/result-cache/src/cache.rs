//! One namespace of the cache: a directory of entry files named by a hash of their key, and an
//! in-memory index (size, creation and last access of every entry, in LRU order) rebuilt from
//! a directory scan when the namespace is opened.
//!
//! ```text
//! <namespace>/namespace.json        marker: this directory is a cache namespace
//! <namespace>/entries/ab/ab12...ef  one entry (see `entry`), file mtime = creation time
//! <namespace>/tmp/                  entries being written (removed at open)
//! <namespace>/access.idx            last-access times, written lazily (flush)
//! <namespace>/stats.json            hit/miss/eviction counters, written lazily (flush)
//! ```
//!
//! A lookup reads the entry file directly (so entries written by another process are seen)
//! and takes the index lock only to record the access. A write goes to `tmp/`, is fsynced,
//! and is renamed into place, so a reader (or a process started after a kill -9) sees either
//! the whole old entry, the whole new one, or none.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::future::Future;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::clock::{Clock, SystemClock, from_unix_ms, unix_ms};
use crate::entry::{self, KeyHash, key_hash};
use crate::namespace::NamespaceId;
use crate::size::{SizeError, SizeLimit};

/// Entries older than this expire (30 days).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);
/// No single entry is larger than this, whatever the limit.
pub const MAX_ENTRY_BYTES: u64 = 64 << 20;
const MARKER: &str = "namespace.json";
const ACCESS_FILE: &str = "access.idx";
const STATS_FILE: &str = "stats.json";
const ACCESS_MAGIC: &[u8; 8] = b"MCPACC01";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: io::Error,
    },
    #[error(transparent)]
    Size(#[from] SizeError),
    #[error("no cache namespace {name:?} in {dir}; 'mcpctl cache stats' lists them")]
    UnknownNamespace { name: String, dir: String },
    #[error(
        "invalid cache namespace name {0:?}: letters, digits, '.', '_' and '-' only (as 'mcpctl cache stats' shows them)"
    )]
    InvalidName(String),
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> CacheError + 'a {
    move |source| CacheError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// How a namespace behaves.
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// Size limit of each namespace (default 256 MB).
    pub limit: SizeLimit,
    /// Entries older than this expire (default 30 days).
    pub max_age: Duration,
    /// Access times and counters are written to disk at most this often (default 30 s), and
    /// when the namespace is dropped.
    pub flush_interval: Duration,
    pub clock: Arc<dyn Clock>,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            limit: SizeLimit::default(),
            max_age: DEFAULT_MAX_AGE,
            flush_interval: Duration::from_secs(30),
            clock: Arc::new(SystemClock),
        }
    }
}

/// Figures of one namespace. Counters are cumulative across restarts (persisted at each flush;
/// with two processes on one namespace the last one to flush wins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceStats {
    pub namespace: String,
    pub entries: u64,
    pub bytes: u64,
    /// The limit of the process that has it open; none when read from disk (`inspect`).
    pub limit_bytes: Option<u64>,
    pub hits: u64,
    pub misses: u64,
    /// hits / (hits + misses); none before the first lookup.
    pub hit_ratio: Option<f64>,
    pub evictions: u64,
    pub corrupt: u64,
    /// Creation time of the oldest entry, Unix milliseconds.
    pub oldest_created_ms: Option<u64>,
}

/// What a clear removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClearReport {
    pub entries: u64,
    pub bytes: u64,
}

impl std::ops::AddAssign for ClearReport {
    fn add_assign(&mut self, other: ClearReport) {
        self.entries += other.entries;
        self.bytes += other.bytes;
    }
}

#[derive(Debug, Clone, Copy)]
struct Meta {
    size: u64,
    created_ms: u64,
    last_access_ms: u64,
    seq: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Counters {
    hits: u64,
    misses: u64,
    evictions: u64,
    corrupt: u64,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<KeyHash, Meta>,
    /// Access sequence → entry; the first is the least recently used.
    lru: BTreeMap<u64, KeyHash>,
    next_seq: u64,
    bytes: u64,
    counters: Counters,
    dirty: bool,
    last_flush_ms: u64,
}

impl State {
    fn upsert(&mut self, hash: KeyHash, size: u64, created_ms: u64, access_ms: u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(old) = self.entries.insert(
            hash,
            Meta {
                size,
                created_ms,
                last_access_ms: access_ms,
                seq,
            },
        ) {
            self.lru.remove(&old.seq);
            self.bytes -= old.size;
        }
        self.lru.insert(seq, hash);
        self.bytes += size;
        self.dirty = true;
    }

    fn forget(&mut self, hash: &KeyHash) -> Option<Meta> {
        let meta = self.entries.remove(hash)?;
        self.lru.remove(&meta.seq);
        self.bytes -= meta.size;
        self.dirty = true;
        Some(meta)
    }
}

/// One cache namespace. Open it once per process (`CacheDir::namespace` does) and share it:
/// single-flight works among the users of one `NamespaceCache`.
#[derive(Debug)]
pub struct NamespaceCache {
    id: NamespaceId,
    dir: PathBuf,
    limit_bytes: u64,
    max_entry_bytes: u64,
    max_age_ms: u64,
    flush_interval_ms: u64,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    inflight: Mutex<HashMap<KeyHash, Arc<OnceCell<Vec<u8>>>>>,
    tmp_counter: AtomicU64,
    flushing: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn create_private_dir(path: &Path) -> Result<(), CacheError> {
    use std::os::unix::fs::DirBuilderExt as _;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(io_err("create", path))
}

impl NamespaceCache {
    /// Opens (creating when missing) the namespace `id` in the cache directory `root`: removes
    /// half-written temporary files, scans the entries, drops expired ones and evicts down to
    /// the limit.
    pub fn open(
        root: &Path,
        id: NamespaceId,
        options: &CacheOptions,
    ) -> Result<NamespaceCache, CacheError> {
        let dir = root.join(id.as_str());
        create_private_dir(&dir.join("entries"))?;
        create_private_dir(&dir.join("tmp"))?;
        let marker = dir.join(MARKER);
        if !marker.exists() {
            let text = serde_json::json!({"kind": "mcpctl-cache-namespace", "version": 1});
            fs::write(&marker, text.to_string()).map_err(io_err("write", &marker))?;
        }
        let limit_bytes = options.limit.resolve(root)?;
        let cache = NamespaceCache {
            id,
            max_entry_bytes: limit_bytes.min(MAX_ENTRY_BYTES),
            limit_bytes,
            max_age_ms: options.max_age.as_millis() as u64,
            flush_interval_ms: options.flush_interval.as_millis() as u64,
            clock: options.clock.clone(),
            state: Mutex::new(State::default()),
            inflight: Mutex::new(HashMap::new()),
            tmp_counter: AtomicU64::new(0),
            flushing: AtomicBool::new(false),
            dir,
        };
        cache.remove_temporaries()?;
        cache.rebuild_index()?;
        Ok(cache)
    }

    pub fn id(&self) -> &NamespaceId {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn limit_bytes(&self) -> u64 {
        self.limit_bytes
    }

    fn now_ms(&self) -> u64 {
        unix_ms(self.clock.now())
    }

    fn entry_path(&self, hash: &KeyHash) -> PathBuf {
        let name = entry::hex(hash);
        self.dir.join("entries").join(&name[..2]).join(name)
    }

    /// Removes the temporary files of writers that are gone (killed mid-write); those of a
    /// live process (mcplocal writing while `mcpctl cache` runs) are left alone. Temporary
    /// names start with the writer's process id.
    fn remove_temporaries(&self) -> Result<(), CacheError> {
        let tmp = self.dir.join("tmp");
        let own = std::process::id();
        for item in fs::read_dir(&tmp).map_err(io_err("read", &tmp))? {
            let item = item.map_err(io_err("read", &tmp))?;
            let name = item.file_name();
            let writer = name
                .to_str()
                .map(|n| n.strip_suffix(".tmp").unwrap_or(n))
                .and_then(|n| n.rsplit('.').next())
                .and_then(|n| n.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok());
            let alive = writer
                .is_some_and(|pid| pid != own && Path::new("/proc").join(pid.to_string()).exists());
            if !alive {
                let _ = fs::remove_file(item.path());
            }
        }
        Ok(())
    }

    /// The index from the directory: every entry file's size and creation time (its mtime),
    /// last access from `access.idx` (creation when absent), counters from `stats.json`.
    fn rebuild_index(&self) -> Result<(), CacheError> {
        let now = self.now_ms();
        let access = self.read_access_file();
        let mut found: Vec<(KeyHash, u64, u64, u64)> = Vec::new();
        for scanned in scan_entries(&self.dir)? {
            if self.expired(scanned.created_ms, now) {
                let _ = fs::remove_file(&scanned.path);
                continue;
            }
            let last = access
                .get(&scanned.hash)
                .copied()
                .unwrap_or(scanned.created_ms)
                .max(scanned.created_ms);
            found.push((scanned.hash, scanned.size, scanned.created_ms, last));
        }
        found.sort_by_key(|&(_, _, _, last)| last);
        let counters = read_counters(&self.dir);
        let mut state = lock(&self.state);
        *state = State {
            counters,
            last_flush_ms: now,
            ..State::default()
        };
        for (hash, size, created, last) in found {
            state.upsert(hash, size, created, last);
        }
        state.dirty = false;
        self.evict(&mut state, None);
        Ok(())
    }

    fn expired(&self, created_ms: u64, now_ms: u64) -> bool {
        created_ms.saturating_add(self.max_age_ms) <= now_ms
    }

    /// Evicts least-recently-used entries (never `keep`) until the namespace fits its limit.
    fn evict(&self, state: &mut State, keep: Option<&KeyHash>) {
        while state.bytes > self.limit_bytes {
            let victim = state.lru.values().find(|hash| Some(*hash) != keep).copied();
            let Some(victim) = victim else { break };
            state.forget(&victim);
            let _ = fs::remove_file(self.entry_path(&victim));
            state.counters.evictions += 1;
        }
    }

    /// The value stored under `key`, if there is a whole, unexpired entry for it. A corrupt
    /// entry (truncated, checksum mismatch) is deleted and reads as a miss.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.lookup(key, true)
    }

    fn lookup(&self, key: &[u8], count: bool) -> Option<Vec<u8>> {
        let hash = key_hash(key);
        let path = self.entry_path(&hash);
        let now = self.now_ms();
        let miss = |state: &mut State| {
            if count {
                state.counters.misses += 1;
                state.dirty = true;
            }
        };
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                if e.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "cache entry unreadable");
                }
                let mut state = lock(&self.state);
                state.forget(&hash);
                miss(&mut state);
                drop(state);
                self.maybe_flush(now);
                return None;
            }
        };
        let found = match entry::decode(&bytes) {
            Ok(decoded) if decoded.key != key => {
                // Another key with the same 128-bit hash prefix: leave its entry alone.
                miss(&mut lock(&self.state));
                None
            }
            Ok(decoded) if self.expired(decoded.created_ms, now) => {
                let mut state = lock(&self.state);
                state.forget(&hash);
                let _ = fs::remove_file(&path);
                miss(&mut state);
                None
            }
            Ok(decoded) => {
                let value = decoded.value.to_vec();
                let mut state = lock(&self.state);
                if count {
                    state.counters.hits += 1;
                }
                state.upsert(hash, bytes.len() as u64, decoded.created_ms, now);
                self.evict(&mut state, Some(&hash));
                Some(value)
            }
            Err(corruption) => {
                tracing::warn!(path = %path.display(), %corruption, "corrupt cache entry removed");
                let mut state = lock(&self.state);
                state.forget(&hash);
                let _ = fs::remove_file(&path);
                state.counters.corrupt += 1;
                miss(&mut state);
                None
            }
        };
        self.maybe_flush(now);
        found
    }

    /// Stores `value` under `key` (atomically: temp file, fsync, rename) and evicts
    /// least-recently-used entries beyond the limit. Returns false when the entry is larger than
    /// the namespace may hold (min(limit, 64 MiB)) and was not stored.
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<bool, CacheError> {
        let created = self.clock.now();
        let created_ms = unix_ms(created);
        let encoded = entry::encode(created_ms, key, value);
        if encoded.len() as u64 > self.max_entry_bytes {
            return Ok(false);
        }
        let hash = key_hash(key);
        let tmp = self.dir.join("tmp").join(format!(
            "{}-{}.tmp",
            std::process::id(),
            self.tmp_counter.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = File::create_new(&tmp)?;
            file.write_all(&encoded)?;
            file.set_modified(from_unix_ms(created_ms))?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("write", &tmp)(e));
        }
        let path = self.entry_path(&hash);
        let mut state = lock(&self.state);
        let renamed = match fs::rename(&tmp, &path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let parent = path.parent().unwrap_or(&self.dir);
                create_private_dir(parent)?;
                fs::rename(&tmp, &path)
            }
            other => other,
        };
        if let Err(e) = renamed {
            drop(state);
            let _ = fs::remove_file(&tmp);
            return Err(io_err("rename into", &path)(e));
        }
        state.upsert(hash, encoded.len() as u64, created_ms, created_ms);
        self.evict(&mut state, Some(&hash));
        drop(state);
        self.maybe_flush(created_ms);
        Ok(true)
    }

    /// Removes the entry of `key`; true when there was one.
    pub fn remove(&self, key: &[u8]) -> bool {
        let hash = key_hash(key);
        let mut state = lock(&self.state);
        state.forget(&hash);
        fs::remove_file(self.entry_path(&hash)).is_ok()
    }

    /// The cached value of `key`, or `compute`'s result, stored. Concurrent calls for the same
    /// key (on this `NamespaceCache`) compute once: the others wait for that result. If the
    /// computation fails, its caller gets the error and the next waiter computes. A value that
    /// cannot be stored (disk full, too large) is still returned.
    pub async fn get_or_compute<F, Fut, E>(
        self: &Arc<Self>,
        key: &[u8],
        compute: F,
    ) -> Result<Vec<u8>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<u8>, E>>,
    {
        if let Some(value) = self.lookup_blocking(key, true).await {
            return Ok(value);
        }
        let hash = key_hash(key);
        let cell = lock(&self.inflight).entry(hash).or_default().clone();
        let result = cell
            .get_or_try_init(|| async {
                // It may have been stored between our miss and joining the flight.
                if let Some(value) = self.lookup_blocking(key, false).await {
                    return Ok(value);
                }
                let value = compute().await?;
                self.put_blocking(key, value.clone()).await;
                Ok(value)
            })
            .await
            .cloned();
        let mut inflight = lock(&self.inflight);
        if let Some(current) = inflight.get(&hash)
            && Arc::ptr_eq(current, &cell)
            && (cell.initialized() || Arc::strong_count(&cell) <= 2)
        {
            inflight.remove(&hash);
        }
        result
    }

    async fn lookup_blocking(self: &Arc<Self>, key: &[u8], count: bool) -> Option<Vec<u8>> {
        let this = self.clone();
        let key = key.to_vec();
        tokio::task::spawn_blocking(move || this.lookup(&key, count))
            .await
            .ok()
            .flatten()
    }

    async fn put_blocking(self: &Arc<Self>, key: &[u8], value: Vec<u8>) {
        let this = self.clone();
        let key = key.to_vec();
        let stored = tokio::task::spawn_blocking(move || this.put(&key, &value)).await;
        match stored {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cache entry not stored"),
            Err(e) => tracing::warn!(error = %e, "cache write task failed"),
        }
    }

    /// Entries, bytes, counters and the oldest entry.
    pub fn stats(&self) -> NamespaceStats {
        let state = lock(&self.state);
        let Counters {
            hits,
            misses,
            evictions,
            corrupt,
        } = state.counters;
        NamespaceStats {
            namespace: self.id.to_string(),
            entries: state.entries.len() as u64,
            bytes: state.bytes,
            limit_bytes: Some(self.limit_bytes),
            hits,
            misses,
            hit_ratio: (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64),
            evictions,
            corrupt,
            oldest_created_ms: state.entries.values().map(|m| m.created_ms).min(),
        }
    }

    /// Removes every entry (and resets the counters).
    pub fn clear(&self) -> Result<ClearReport, CacheError> {
        let mut state = lock(&self.state);
        let report = ClearReport {
            entries: state.entries.len() as u64,
            bytes: state.bytes,
        };
        let entries = self.dir.join("entries");
        for shard in fs::read_dir(&entries)
            .map_err(io_err("read", &entries))?
            .flatten()
        {
            let _ = fs::remove_dir_all(shard.path());
        }
        *state = State {
            dirty: true,
            last_flush_ms: state.last_flush_ms,
            ..State::default()
        };
        drop(state);
        self.flush()?;
        Ok(report)
    }

    /// Removes the entries created more than `age` ago.
    pub fn clear_older_than(&self, age: Duration) -> Result<ClearReport, CacheError> {
        let cutoff = self.now_ms().saturating_sub(age.as_millis() as u64);
        let mut state = lock(&self.state);
        let old: Vec<KeyHash> = state
            .entries
            .iter()
            .filter(|(_, meta)| meta.created_ms <= cutoff)
            .map(|(hash, _)| *hash)
            .collect();
        let mut report = ClearReport::default();
        for hash in old {
            if let Some(meta) = state.forget(&hash) {
                let _ = fs::remove_file(self.entry_path(&hash));
                report.entries += 1;
                report.bytes += meta.size;
            }
        }
        drop(state);
        self.flush()?;
        Ok(report)
    }

    fn maybe_flush(&self, now_ms: u64) {
        let due = {
            let state = lock(&self.state);
            state.dirty && now_ms.saturating_sub(state.last_flush_ms) >= self.flush_interval_ms
        };
        if due && let Err(e) = self.flush() {
            tracing::warn!(error = %e, "cache index not saved");
        }
    }

    /// Drops expired entries and writes access times and counters if they changed. Called
    /// lazily by lookups and writes (every `flush_interval`) and on drop.
    pub fn flush(&self) -> Result<(), CacheError> {
        if self.flushing.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let result = self.flush_now();
        self.flushing.store(false, Ordering::Release);
        result
    }

    fn flush_now(&self) -> Result<(), CacheError> {
        let now = self.now_ms();
        let (access, counters) = {
            let mut state = lock(&self.state);
            let expired: Vec<KeyHash> = state
                .entries
                .iter()
                .filter(|(_, meta)| self.expired(meta.created_ms, now))
                .map(|(hash, _)| *hash)
                .collect();
            for hash in expired {
                state.forget(&hash);
                let _ = fs::remove_file(self.entry_path(&hash));
            }
            if !state.dirty {
                return Ok(());
            }
            state.dirty = false;
            state.last_flush_ms = now;
            let mut access = Vec::with_capacity(16 + state.entries.len() * 24 + 32);
            access.extend_from_slice(ACCESS_MAGIC);
            access.extend_from_slice(&(state.entries.len() as u64).to_le_bytes());
            for (hash, meta) in &state.entries {
                access.extend_from_slice(hash);
                access.extend_from_slice(&meta.last_access_ms.to_le_bytes());
            }
            let counters = serde_json::to_vec(&state.counters).unwrap_or_default();
            (access, counters)
        };
        let mut access = access;
        let digest = Sha256::digest(&access);
        access.extend_from_slice(&digest);
        self.replace_file(ACCESS_FILE, &access)?;
        self.replace_file(STATS_FILE, &counters)
    }

    fn replace_file(&self, name: &str, bytes: &[u8]) -> Result<(), CacheError> {
        let tmp = self.dir.join("tmp").join(format!(
            "{name}.{}-{}",
            std::process::id(),
            self.tmp_counter.fetch_add(1, Ordering::Relaxed)
        ));
        fs::write(&tmp, bytes).map_err(io_err("write", &tmp))?;
        let path = self.dir.join(name);
        fs::rename(&tmp, &path).map_err(io_err("rename into", &path))
    }

    fn read_access_file(&self) -> HashMap<KeyHash, u64> {
        let mut map = HashMap::new();
        let Ok(bytes) = fs::read(self.dir.join(ACCESS_FILE)) else {
            return map;
        };
        if bytes.len() < 16 + 32 || &bytes[..8] != ACCESS_MAGIC {
            return map;
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body)[..] != *sum {
            return map;
        }
        for record in body[16..].chunks_exact(24) {
            let mut hash = [0u8; 16];
            hash.copy_from_slice(&record[..16]);
            let mut ms = [0u8; 8];
            ms.copy_from_slice(&record[16..]);
            map.insert(hash, u64::from_le_bytes(ms));
        }
        map
    }
}

impl Drop for NamespaceCache {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "cache index not saved");
        }
    }
}

struct Scanned {
    path: PathBuf,
    hash: KeyHash,
    size: u64,
    created_ms: u64,
}

/// The entry files of a namespace directory: name, size and creation time (mtime).
fn scan_entries(dir: &Path) -> Result<Vec<Scanned>, CacheError> {
    let entries = dir.join("entries");
    let mut found = Vec::new();
    for shard in fs::read_dir(&entries).map_err(io_err("read", &entries))? {
        let Ok(shard) = shard else { continue };
        let Ok(files) = fs::read_dir(shard.path()) else {
            continue;
        };
        for file in files.flatten() {
            let name = file.file_name();
            let Some(hash) = name.to_str().and_then(entry::parse_hex) else {
                continue;
            };
            let Ok(meta) = file.metadata() else { continue };
            found.push(Scanned {
                path: file.path(),
                hash,
                size: meta.len(),
                created_ms: meta.modified().map(unix_ms).unwrap_or(0),
            });
        }
    }
    Ok(found)
}

fn read_counters(dir: &Path) -> Counters {
    fs::read(dir.join(STATS_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Figures of a namespace read from disk without opening it: nothing is created, removed or
/// evicted (so `mcpctl cache stats` beside a running mcplocal changes nothing). Counters are
/// those the owning process last flushed; expired entries are not counted.
pub fn inspect(
    root: &Path,
    id: &NamespaceId,
    max_age: Duration,
    now: SystemTime,
) -> Result<NamespaceStats, CacheError> {
    let dir = root.join(id.as_str());
    let cutoff = unix_ms(now).saturating_sub(max_age.as_millis() as u64);
    let live: Vec<Scanned> = scan_entries(&dir)?
        .into_iter()
        .filter(|s| s.created_ms > cutoff)
        .collect();
    let Counters {
        hits,
        misses,
        evictions,
        corrupt,
    } = read_counters(&dir);
    Ok(NamespaceStats {
        namespace: id.to_string(),
        entries: live.len() as u64,
        bytes: live.iter().map(|s| s.size).sum(),
        limit_bytes: None,
        hits,
        misses,
        hit_ratio: (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64),
        evictions,
        corrupt,
        oldest_created_ms: live.iter().map(|s| s.created_ms).min(),
    })
}

/// Whether `dir` is a namespace directory (has the marker file).
pub(crate) fn is_namespace_dir(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// Creation time from Unix milliseconds, for callers formatting `oldest_created_ms`.
pub fn time_of(ms: u64) -> SystemTime {
    from_unix_ms(ms)
}
