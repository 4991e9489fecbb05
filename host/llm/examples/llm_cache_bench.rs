//! The figures of `cargo xtask bench llm-cache` (run in release): cache hit latency and miss
//! overhead, summarize-tree of a 200 KB document against a loopback provider with a fixed
//! 50 ms latency, and eviction cost in a full 256 MB cache. Each figure comes with a baseline
//! measured in the same run. Prints one Markdown table on stdout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use llm::{
    EnvKeys, LlmRouter, ProviderConfig, ProviderKind, RouterOptions, Section, SummarizeOptions,
};
use result_cache::{CacheOptions, NamespaceCache, NamespaceId, SizeLimit};

const HIT_SAMPLES: usize = 5_000;
const MISS_SAMPLES: usize = 300;
const VALUE_BYTES: usize = 2_048;
const LATENCY_MS: u64 = 50;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at.min(samples.len() - 1)]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut rows: Vec<[String; 4]> = Vec::new();
    cache_figures(&runtime, &mut rows)?;
    runtime.block_on(summarize_figures(&mut rows))?;
    eviction_figures(&mut rows)?;
    println!("| measure | result | baseline (same run) | ratio |");
    println!("|---|---|---|---|");
    for [measure, result, baseline, ratio] in rows {
        println!("| {measure} | {result} | {baseline} | {ratio} |");
    }
    Ok(())
}

fn open(
    dir: &std::path::Path,
    limit: u64,
) -> Result<Arc<NamespaceCache>, result_cache::CacheError> {
    let options = CacheOptions {
        limit: SizeLimit::Bytes(limit),
        ..CacheOptions::default()
    };
    Ok(Arc::new(NamespaceCache::open(
        dir,
        NamespaceId::new("bench", "model", "subindex"),
        &options,
    )?))
}

fn cache_figures(
    runtime: &tokio::runtime::Runtime,
    rows: &mut Vec<[String; 4]>,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let cache = open(dir.path(), 256_000_000)?;
    let value = vec![b's'; VALUE_BYTES];
    for i in 0..1_000 {
        cache.put(format!("key-{i}").as_bytes(), &value)?;
    }
    // Baseline: reading the same entry files with std::fs::read, no cache logic.
    let files: Vec<_> = walk(&cache.dir().join("entries"));
    let mut raw = Vec::with_capacity(HIT_SAMPLES);
    for i in 0..HIT_SAMPLES {
        let started = Instant::now();
        let bytes = std::fs::read(&files[i % files.len()])?;
        raw.push(started.elapsed());
        std::hint::black_box(bytes);
    }
    let mut sync_hits = Vec::with_capacity(HIT_SAMPLES);
    for i in 0..HIT_SAMPLES {
        let key = format!("key-{}", i % 1_000);
        let started = Instant::now();
        let hit = cache.get(key.as_bytes());
        sync_hits.push(started.elapsed());
        assert!(hit.is_some());
    }
    let mut async_hits = Vec::with_capacity(HIT_SAMPLES);
    runtime.block_on(async {
        for i in 0..HIT_SAMPLES {
            let key = format!("key-{}", i % 1_000);
            let started = Instant::now();
            let hit = cache
                .get_or_compute(key.as_bytes(), || async {
                    Err::<Vec<u8>, &str>("a hit computes nothing")
                })
                .await;
            async_hits.push(started.elapsed());
            assert!(hit.is_ok());
        }
    });
    let raw50 = percentile(&mut raw, 0.5);
    let sync50 = percentile(&mut sync_hits, 0.5);
    let async50 = percentile(&mut async_hits, 0.5);
    let async99 = percentile(&mut async_hits, 0.99);
    rows.push([
        format!("cache hit p50, `get` ({VALUE_BYTES}-byte value, 1,000 entries)"),
        us(sync50),
        format!("`fs::read` of the entry file {}", us(raw50)),
        format!("{:.2}x", sync50.as_secs_f64() / raw50.as_secs_f64()),
    ]);
    rows.push([
        "cache hit p50 / p99, `get_or_compute` (async, blocking pool)".into(),
        format!("{} / {}", us(async50), us(async99)),
        format!("`get` {}", us(sync50)),
        format!("{:.2}x", async50.as_secs_f64() / sync50.as_secs_f64()),
    ]);
    let mut misses = Vec::with_capacity(MISS_SAMPLES);
    let mut computes = Vec::with_capacity(MISS_SAMPLES);
    runtime.block_on(async {
        for i in 0..MISS_SAMPLES {
            let key = format!("miss-{i}");
            let started = Instant::now();
            let mut compute_time = Duration::ZERO;
            let value = cache
                .get_or_compute(key.as_bytes(), || async {
                    let t = Instant::now();
                    let v = vec![b'm'; VALUE_BYTES];
                    compute_time = t.elapsed();
                    Ok::<_, std::convert::Infallible>(v)
                })
                .await;
            misses.push(started.elapsed());
            computes.push(compute_time);
            assert!(value.is_ok());
        }
    });
    let miss50 = percentile(&mut misses, 0.5);
    rows.push([
        "cache miss overhead p50, `get_or_compute` (lookup + atomic write with fsync)".into(),
        us(miss50),
        format!(
            "the computation itself {}",
            us(percentile(&mut computes, 0.5))
        ),
        String::new(),
    ]);
    Ok(())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for shard in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(shard.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            files.push(file.path());
        }
    }
    files
}

/// A 200 KB Markdown document split at `##` headings: 50 sections of ~4 KB.
fn document() -> Vec<Section> {
    let paragraph = "The service reads its configuration at start-up, validates every field and reports the first mistake with its path. ";
    (0..50)
        .map(|i| {
            let mut text = format!("## Chapter {i}\n\n");
            while text.len() < 4_096 {
                text.push_str(paragraph);
                if text.len() % 3 == 0 {
                    text.push_str("\n\n");
                }
            }
            Section {
                id: format!("s{i}"),
                title: format!("Chapter {i}"),
                text,
            }
        })
        .collect()
}

async fn provider_server() -> Result<String, std::io::Error> {
    let app = axum::Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_millis(LATENCY_MS)).await;
        axum::Json(serde_json::json!({
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "bench",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "A summary of the section."}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 20, "total_tokens": 1020}
        }))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

async fn summarize_figures(rows: &mut Vec<[String; 4]>) -> Result<(), Box<dyn std::error::Error>> {
    let url = provider_server().await?;
    let sections = document();
    let bytes: usize = sections.iter().map(|s| s.text.len()).sum();
    let options = SummarizeOptions::default();
    let run = |concurrent: usize| {
        let mut config = ProviderConfig::new(
            "loopback",
            ProviderKind::OpenAiCompatible,
            Some(&url),
            "bench",
        );
        config.max_concurrent = concurrent;
        LlmRouter::new(vec![config], Arc::new(EnvKeys), RouterOptions::default())
    };
    let sequential = run(1);
    let started = Instant::now();
    let tree = llm::summarize_tree(Some(&sequential), &sections, &options).await;
    let sequential_wall = started.elapsed();
    let calls = tree.metadata.llm_calls;
    assert_eq!(tree.metadata.method, llm::Method::Llm);
    for concurrent in [4, 8] {
        let router = run(concurrent);
        let started = Instant::now();
        let tree = llm::summarize_tree(Some(&router), &sections, &options).await;
        let wall = started.elapsed();
        assert_eq!(tree.metadata.llm_calls, calls);
        rows.push([
            format!(
                "summarize-tree, {} KB in {} sections, {calls} calls of {LATENCY_MS} ms, maxConcurrent {concurrent}",
                bytes / 1000,
                sections.len()
            ),
            ms(wall),
            format!("maxConcurrent 1 (sequential) {} (sum of latencies {} ms)", ms(sequential_wall), calls as u64 * LATENCY_MS),
            format!("{:.3}", wall.as_secs_f64() / sequential_wall.as_secs_f64()),
        ]);
    }
    let started = Instant::now();
    let tree = llm::summarize_tree(None, &sections, &options).await;
    rows.push([
        "summarize-tree, same document, no provider (extractive)".into(),
        ms(started.elapsed()),
        String::new(),
        String::new(),
    ]);
    assert_eq!(tree.metadata.method, llm::Method::Extractive);
    Ok(())
}

fn eviction_figures(rows: &mut Vec<[String; 4]>) -> Result<(), Box<dyn std::error::Error>> {
    const LIMIT: u64 = 256_000_000;
    const ENTRY: usize = 64 * 1024;
    let dir = tempfile::tempdir()?;
    let cache = open(dir.path(), LIMIT)?;
    let value = vec![b'e'; ENTRY];
    let mut filling = Vec::new();
    let mut i = 0u64;
    let fill_started = Instant::now();
    while cache.stats().bytes + ENTRY as u64 + 100 < LIMIT {
        let started = Instant::now();
        cache.put(format!("fill-{i}").as_bytes(), &value)?;
        filling.push(started.elapsed());
        i += 1;
    }
    let fill_time = fill_started.elapsed();
    let entries = cache.stats().entries;
    let mut evicting = Vec::new();
    for j in 0..500 {
        let started = Instant::now();
        cache.put(format!("over-{j}").as_bytes(), &value)?;
        evicting.push(started.elapsed());
    }
    let stats = cache.stats();
    assert!(stats.evictions >= 500, "{stats:?}");
    assert!(stats.bytes <= LIMIT);
    let fill50 = percentile(&mut filling, 0.5);
    let evict50 = percentile(&mut evicting, 0.5);
    rows.push([
        format!(
            "put p50 in a full 256 MB cache ({entries} entries of 64 KiB; each put evicts one)"
        ),
        ms(evict50),
        format!("put p50 while filling {}", ms(fill50)),
        format!("{:.2}x", evict50.as_secs_f64() / fill50.as_secs_f64()),
    ]);
    drop(cache);
    let started = Instant::now();
    let reopened = open(dir.path(), LIMIT)?;
    rows.push([
        format!(
            "reopen of the full cache (index rebuilt from {} files)",
            reopened.stats().entries
        ),
        ms(started.elapsed()),
        format!("filling it took {:.1} s", fill_time.as_secs_f64()),
        String::new(),
    ]);
    Ok(())
}
