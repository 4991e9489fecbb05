//! The section store: round trip, errors, TTL with a manual clock, the memory bound.

use std::sync::Arc;
use std::time::Duration;

use pipeline::{ManualClock, Section, SectionStore, StoreError, StoreOptions};

fn sections(n: usize, size: usize) -> Vec<Section> {
    (0..n)
        .map(|i| Section {
            id: format!("s{i}"),
            title: format!("Section {i}"),
            content: format!("{i}").repeat(size),
        })
        .collect()
}

#[test]
fn round_trip_and_clear_errors() {
    let store = SectionStore::default();
    let id = store.put(sections(3, 10)).unwrap();
    assert!(id.starts_with("pm-") && id.len() == 19, "{id}");
    assert_eq!(store.get(&id, "s1").unwrap().content, "1".repeat(10));
    assert_eq!(
        store.get(&id, "[s2]").unwrap().id,
        "s2",
        "the form the table shows works"
    );
    let err = store.get(&id, "s9").unwrap_err();
    assert_eq!(
        err,
        StoreError::UnknownSection {
            id: id.clone(),
            section: "s9".into(),
            available: "s0, s1, s2".into()
        }
    );
    assert!(
        err.to_string().contains("its sections are: s0, s1, s2"),
        "{err}"
    );
    let err = store.get("pm-nothing", "s1").unwrap_err();
    assert!(matches!(err, StoreError::UnknownResult { .. }));
    assert!(
        err.to_string().contains("call again without _resultId"),
        "{err}"
    );
    let other = store.put(sections(1, 1)).unwrap();
    assert_ne!(other, id);
}

#[test]
fn results_expire_after_the_ttl() {
    let clock = Arc::new(ManualClock::default());
    let store = SectionStore::with_clock(StoreOptions::default(), clock.clone());
    let id = store.put(sections(2, 10)).unwrap();
    clock.advance(Duration::from_secs(299));
    assert!(store.get(&id, "s0").is_ok());
    clock.advance(Duration::from_secs(1));
    let err = store.get(&id, "s0").unwrap_err();
    assert_eq!(
        err,
        StoreError::Expired {
            id: id.clone(),
            ttl_secs: 300
        }
    );
    assert!(
        err.to_string()
            .contains("has expired (sections are kept 300 s)"),
        "{err}"
    );
    assert_eq!(store.stats().results, 0, "an expired result is dropped");
    assert!(matches!(
        store.get(&id, "s0"),
        Err(StoreError::UnknownResult { .. })
    ));
}

#[test]
fn the_memory_bound_evicts_the_oldest_first() {
    // Each result: 2 sections of 1,000 bytes (+ bookkeeping) ≈ 2.2 KB; the bound holds 4.
    let store = SectionStore::new(StoreOptions {
        ttl: Duration::from_secs(300),
        max_bytes: 9_000,
    });
    let ids: Vec<String> = (0..6)
        .map(|_| store.put(sections(2, 1000)).unwrap())
        .collect();
    let stats = store.stats();
    assert_eq!(stats.results, 4);
    assert!(stats.bytes <= 9_000);
    assert!(matches!(
        store.get(&ids[0], "s0"),
        Err(StoreError::UnknownResult { .. })
    ));
    assert!(matches!(
        store.get(&ids[1], "s0"),
        Err(StoreError::UnknownResult { .. })
    ));
    for id in &ids[2..] {
        assert!(store.get(id, "s1").is_ok());
    }
    let err = store.put(sections(10, 1000)).unwrap_err();
    assert!(
        matches!(err, StoreError::TooLarge { limit: 9_000, .. }),
        "{err}"
    );
    assert_eq!(store.stats().results, 4, "a refused result evicts nothing");
}
