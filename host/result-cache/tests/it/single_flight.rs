use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::{clock, open};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_one_key_compute_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Arc::new(open(dir.path(), 1 << 20, clock()));
    let computed = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (cache, computed) = (cache.clone(), computed.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .get_or_compute(b"summary", || async {
                    computed.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    Ok::<_, Infallible>(b"the summary".to_vec())
                })
                .await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task").expect("value"), b"the summary");
    }
    assert_eq!(computed.load(Ordering::SeqCst), 1, "computed once");
    let again = cache
        .get_or_compute(b"summary", || async {
            computed.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Infallible>(b"other".to_vec())
        })
        .await
        .expect("value");
    assert_eq!(again, b"the summary", "later calls hit the stored entry");
    assert_eq!(computed.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_keys_compute_side_by_side() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Arc::new(open(dir.path(), 1 << 20, clock()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..4 {
        let cache = cache.clone();
        tasks.push(tokio::spawn(async move {
            cache
                .get_or_compute(format!("k{i}").as_bytes(), || async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok::<_, Infallible>(vec![i as u8])
                })
                .await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.expect("task").expect("value"), vec![i as u8]);
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(900),
        "{elapsed:?}: not serialized"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_computation_hands_over_to_the_next_waiter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Arc::new(open(dir.path(), 1 << 20, clock()));
    let attempts = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (cache, attempts) = (cache.clone(), attempts.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .get_or_compute(b"flaky", || async {
                    let n = attempts.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if n == 0 {
                        Err("provider down")
                    } else {
                        Ok(b"second try".to_vec())
                    }
                })
                .await
        }));
    }
    let mut errors = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(value) => assert_eq!(value, b"second try"),
            Err(e) => {
                assert_eq!(e, "provider down");
                errors += 1;
            }
        }
    }
    assert_eq!(
        errors, 1,
        "only the caller whose computation failed sees the error"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_computation_does_not_strand_its_waiters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = Arc::new(open(dir.path(), 1 << 20, clock()));
    let leader = {
        let cache = cache.clone();
        tokio::spawn(async move {
            cache
                .get_or_compute(b"k", || async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok::<_, Infallible>(b"never".to_vec())
                })
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiter = {
        let cache = cache.clone();
        tokio::spawn(async move {
            cache
                .get_or_compute(b"k", || async { Ok::<_, Infallible>(b"waiter".to_vec()) })
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    leader.abort();
    let value = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("the waiter finishes")
        .expect("task")
        .expect("value");
    assert_eq!(value, b"waiter");
}
