use crate::support::{clock, entry_files, entry_size, open};
use std::time::Duration;

#[test]
fn least_recently_used_entries_go_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    // Room for exactly three 1000-byte values.
    let cache = open(dir.path(), 3 * entry_size("a", 1000), clock.clone());
    for key in ["a", "b", "c"] {
        assert!(cache.put(key.as_bytes(), &[b'x'; 1000]).expect("put"));
        clock.advance(Duration::from_secs(1));
    }
    assert!(cache.get(b"a").is_some(), "a was stored");
    assert!(cache.put(b"d", &[b'y'; 1000]).expect("put d"));
    assert!(cache.get(b"b").is_none(), "b was the least recently used");
    for key in ["a", "c", "d"] {
        assert!(cache.get(key.as_bytes()).is_some(), "{key} kept");
    }
    let stats = cache.stats();
    assert_eq!(stats.entries, 3);
    assert_eq!(stats.evictions, 1);
    assert_eq!(stats.bytes, 3 * entry_size("a", 1000));
    assert_eq!(entry_files(cache.dir()).len(), 3, "b's file is gone too");
}

#[test]
fn recency_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let limit = 3 * entry_size("a", 1000);
    {
        let cache = open(dir.path(), limit, clock.clone());
        for key in ["a", "b", "c"] {
            cache.put(key.as_bytes(), &[b'x'; 1000]).expect("put");
            clock.advance(Duration::from_secs(1));
        }
        clock.advance(Duration::from_secs(1));
        assert!(cache.get(b"a").is_some());
        // Dropping flushes access times lazily kept in memory.
    }
    let cache = open(dir.path(), limit, clock.clone());
    cache.put(b"d", &[b'y'; 1000]).expect("put d");
    assert!(
        cache.get(b"b").is_none(),
        "b is the least recently used after reopening"
    );
    assert!(
        cache.get(b"a").is_some(),
        "a's access before the restart counted"
    );
}

#[test]
fn a_smaller_limit_at_open_evicts_down_to_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    {
        let cache = open(dir.path(), 1 << 20, clock.clone());
        for i in 0..10 {
            cache
                .put(format!("k{i}").as_bytes(), &[b'x'; 1000])
                .expect("put");
            clock.advance(Duration::from_secs(1));
        }
    }
    let cache = open(dir.path(), 4 * entry_size("k0", 1000), clock);
    assert_eq!(cache.stats().entries, 4);
    assert!(cache.get(b"k9").is_some(), "newest kept");
    assert!(cache.get(b"k0").is_none(), "oldest evicted");
}

#[test]
fn an_entry_larger_than_the_limit_is_not_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = open(dir.path(), 500, clock());
    assert!(!cache.put(b"big", &[0u8; 1000]).expect("put"));
    assert!(cache.get(b"big").is_none());
    assert_eq!(cache.stats().entries, 0);
}
