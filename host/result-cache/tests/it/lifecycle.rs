use std::time::Duration;

use result_cache::{CacheDir, NamespaceId, time_of};

use crate::support::{clock, entry_files, ns, open, options};

#[test]
fn entries_survive_a_restart_with_their_counters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    {
        let cache = open(dir.path(), 1 << 20, clock.clone());
        cache.put(b"summary:1", b"first").expect("put");
        cache.put(b"summary:2", b"second").expect("put");
        assert_eq!(cache.get(b"summary:1").as_deref(), Some(&b"first"[..]));
        assert!(cache.get(b"nope").is_none());
    }
    let cache = open(dir.path(), 1 << 20, clock.clone());
    assert_eq!(cache.get(b"summary:2").as_deref(), Some(&b"second"[..]));
    let stats = cache.stats();
    assert_eq!(stats.entries, 2);
    assert_eq!((stats.hits, stats.misses), (2, 1), "counters persisted");
    assert_eq!(stats.hit_ratio, Some(2.0 / 3.0));
    assert_eq!(
        stats.oldest_created_ms.map(time_of),
        Some(clock_now(&clock))
    );
    assert!(
        cache
            .dir()
            .ends_with("vllm-local--Qwen_Qwen3-32B--subindex")
    );
}

fn clock_now(clock: &result_cache::ManualClock) -> std::time::SystemTime {
    use result_cache::Clock as _;
    let now = clock.now();
    // Stored with millisecond precision.
    time_of(
        now.duration_since(std::time::UNIX_EPOCH)
            .expect("after epoch")
            .as_millis() as u64,
    )
}

#[test]
fn entries_expire_after_30_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let cache = open(dir.path(), 1 << 20, clock.clone());
    cache.put(b"old", b"value").expect("put");
    clock.advance(Duration::from_secs(29 * 86_400));
    cache.put(b"young", b"value").expect("put");
    assert!(cache.get(b"old").is_some(), "29 days old is still valid");
    clock.advance(Duration::from_secs(2 * 86_400));
    assert!(cache.get(b"old").is_none(), "31 days old has expired");
    assert!(cache.get(b"young").is_some(), "2 days old is valid");
    assert_eq!(
        entry_files(cache.dir()).len(),
        1,
        "the expired file is deleted"
    );
    drop(cache);
    clock.advance(Duration::from_secs(29 * 86_400));
    let cache = open(dir.path(), 1 << 20, clock);
    assert_eq!(
        cache.stats().entries,
        0,
        "expired entries are dropped at open"
    );
    assert!(entry_files(cache.dir()).is_empty());
}

#[test]
fn a_corrupted_entry_is_a_miss_and_is_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = std::sync::Arc::new(open(dir.path(), 1 << 20, clock()));
    cache.put(b"flip", b"the original value").expect("put");
    cache.put(b"cut", b"another value").expect("put");
    for file in entry_files(cache.dir()) {
        let mut bytes = std::fs::read(&file).expect("read");
        if bytes.windows(4).any(|w| w == b"flip") {
            let last = bytes.len() - 1;
            bytes[last] ^= 0x01;
        } else {
            bytes.truncate(bytes.len() - 3);
        }
        std::fs::write(&file, bytes).expect("corrupt");
    }
    assert!(
        cache.get(b"flip").is_none(),
        "checksum mismatch reads as a miss"
    );
    assert!(
        cache.get(b"cut").is_none(),
        "truncated entry reads as a miss"
    );
    assert_eq!(cache.stats().corrupt, 2);
    assert!(entry_files(cache.dir()).is_empty(), "corrupt files removed");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let value = runtime
        .block_on(cache.get_or_compute(b"flip", || async {
            Ok::<_, std::io::Error>(b"recomputed".to_vec())
        }))
        .expect("computes");
    assert_eq!(value, b"recomputed");
    assert_eq!(cache.get(b"flip").as_deref(), Some(&b"recomputed"[..]));
}

#[test]
fn the_cache_dir_lists_stats_and_clears_namespaces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let root = CacheDir::new(dir.path().join("cache"), options(1 << 20, clock.clone()));
    assert!(
        root.stats().expect("empty stats").is_empty(),
        "no cache dir yet"
    );
    let a = root.namespace(&ns()).expect("a");
    let other = NamespaceId::new("anthropic", "claude-sonnet-4-20250514", "content-pipeline");
    let b = root.namespace(&other).expect("b");
    assert!(std::sync::Arc::ptr_eq(
        &a,
        &root.namespace(&ns()).expect("again")
    ));
    a.put(b"k1", b"v").expect("put");
    clock.advance(Duration::from_secs(10 * 86_400));
    a.put(b"k2", b"v").expect("put");
    b.put(b"k1", b"v").expect("put");
    std::fs::create_dir_all(dir.path().join("cache/not-a-namespace")).expect("stray dir");

    let names: Vec<String> = root
        .namespaces()
        .expect("list")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        names,
        [
            "anthropic--claude-sonnet-4-20250514--content-pipeline",
            "vllm-local--Qwen_Qwen3-32B--subindex"
        ]
    );
    let stats = root.stats().expect("stats");
    assert_eq!(stats.iter().map(|s| s.entries).collect::<Vec<_>>(), [1, 2]);

    let report = root
        .clear(None, Some(Duration::from_secs(7 * 86_400)))
        .expect("clear old");
    assert_eq!(
        report.entries, 1,
        "only k1 of the first namespace is 10 days old"
    );
    assert!(a.get(b"k1").is_none());
    assert!(a.get(b"k2").is_some());

    let report = root.clear(Some(other.as_str()), None).expect("clear one");
    assert_eq!(report.entries, 1);
    assert!(b.get(b"k1").is_none());
    assert!(a.get(b"k2").is_some(), "other namespaces untouched");
    b.put(b"k3", b"v")
        .expect("a cleared namespace still takes writes");

    let err = root.clear(Some("nope--x--y"), None).expect_err("unknown");
    assert!(
        err.to_string()
            .contains("no cache namespace \"nope--x--y\""),
        "{err}"
    );
    let err = root.clear(Some("../etc"), None).expect_err("escape");
    assert!(
        err.to_string().contains("invalid cache namespace name"),
        "{err}"
    );
    assert!(
        dir.path().join("cache/not-a-namespace").exists(),
        "never touched"
    );

    let report = root.clear(None, None).expect("clear all");
    assert_eq!(report.entries, 2);
    assert!(root.stats().expect("stats").iter().all(|s| s.entries == 0));
}

#[test]
fn stats_from_another_process_view_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let owner = CacheDir::new(dir.path().to_path_buf(), options(1 << 20, clock.clone()));
    let cache = owner.namespace(&ns()).expect("open");
    for i in 0..5 {
        cache
            .put(format!("k{i}").as_bytes(), &[b'v'; 500])
            .expect("put");
    }
    assert!(cache.get(b"k0").is_some());
    cache.flush().expect("flush");
    // A temporary file of a live writer (pid 1 is always alive) must survive others' opens.
    let live_tmp = cache.dir().join("tmp/1-7.tmp");
    std::fs::write(&live_tmp, b"half").expect("tmp");

    // mcpctl's view: another CacheDir with a limit far below the data.
    let cli = CacheDir::new(dir.path().to_path_buf(), options(600, clock.clone()));
    let stats = cli.stats().expect("stats");
    assert_eq!(stats.len(), 1);
    assert_eq!(
        (stats[0].entries, stats[0].hits, stats[0].limit_bytes),
        (5, 1, None)
    );
    assert_eq!(
        entry_files(cache.dir()).len(),
        5,
        "nothing evicted by looking"
    );
    assert!(live_tmp.exists());
    assert!(cache.get(b"k4").is_some());

    // Opening (as clear does) keeps the live writer's temporary too, and removes a dead one's.
    let dead_tmp = cache.dir().join("tmp/4294967-1.tmp");
    std::fs::write(&dead_tmp, b"torn").expect("tmp");
    let big = CacheDir::new(dir.path().to_path_buf(), options(u64::MAX, clock));
    big.clear(None, Some(Duration::from_secs(86_400)))
        .expect("clear old");
    assert!(live_tmp.exists(), "a live writer's file is left alone");
    assert!(!dead_tmp.exists(), "a dead writer's file is removed");
    assert_eq!(entry_files(cache.dir()).len(), 5, "nothing was a day old");
}
