//! `mcpctl cache stats` and `mcpctl cache clear` on a real cache directory written through the
//! result-cache crate (the way mcplocal writes it). No mcpd is needed.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use result_cache::{CacheDir, CacheOptions, ManualClock, NamespaceId};

fn mcpctl(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpctl"))
        .args(args)
        .env("MCPCTL_HOME", home)
        .env_remove("MCPCTL_MCPD_URL")
        .output()
        .expect("mcpctl runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Two namespaces: `vllm` with 3 entries (one written 10 days ago) and 1 hit / 1 miss, and
/// `anthropic` with 1 entry.
fn populate(home: &Path) {
    let days_ago = SystemTime::now() - Duration::from_secs(10 * 86_400);
    let old_clock = Arc::new(ManualClock::new(days_ago));
    let old = CacheDir::under_home(
        home,
        CacheOptions {
            clock: old_clock,
            ..CacheOptions::default()
        },
    );
    let vllm = NamespaceId::new("vllm", "Qwen/Qwen3-32B", "subindex");
    old.namespace(&vllm)
        .expect("open")
        .put(b"old", &[b'o'; 1000])
        .expect("put");
    drop(old);
    let now = CacheDir::under_home(home, CacheOptions::default());
    let cache = now.namespace(&vllm).expect("open");
    cache.put(b"a", &[b'a'; 1000]).expect("put");
    cache.put(b"b", &[b'b'; 1000]).expect("put");
    assert!(cache.get(b"a").is_some());
    assert!(cache.get(b"zzz").is_none());
    let claude = NamespaceId::new("anthropic", "claude-sonnet-4-20250514", "content-pipeline");
    now.namespace(&claude)
        .expect("open")
        .put(b"k", b"v")
        .expect("put");
}

#[test]
fn stats_show_each_namespace_and_clear_removes_what_was_asked() {
    let home = tempfile::tempdir().expect("home");
    populate(home.path());

    let table = stdout(&mcpctl(home.path(), &["cache", "stats"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    let columns = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        columns(lines[0]),
        ["NAMESPACE", "ENTRIES", "SIZE", "HIT", "RATIO", "OLDEST"]
    );
    assert_eq!(
        columns(lines[1]),
        [
            "anthropic--claude-sonnet-4-20250514--content-pipeline",
            "1",
            "62",
            "B",
            "-",
            "0s"
        ]
    );
    assert_eq!(
        columns(lines[2]),
        [
            "vllm--Qwen_Qwen3-32B--subindex",
            "3",
            "3.2",
            "KB",
            "50.0%",
            "10d"
        ]
    );

    let json: serde_json::Value = serde_json::from_str(&stdout(&mcpctl(
        home.path(),
        &["cache", "stats", "-o", "json"],
    )))
    .expect("json");
    assert_eq!(json["namespaces"][1]["entries"], 3);
    assert_eq!(json["namespaces"][1]["hits"], 1);
    assert_eq!(json["namespaces"][1]["misses"], 1);

    let out = stdout(&mcpctl(
        home.path(),
        &["cache", "clear", "--older-than", "7"],
    ));
    assert_eq!(
        out,
        "cleared 1 entries older than 7 days (1.1 KB) from all namespaces\n"
    );
    let out = stdout(&mcpctl(
        home.path(),
        &[
            "cache",
            "clear",
            "anthropic--claude-sonnet-4-20250514--content-pipeline",
        ],
    ));
    assert_eq!(
        out,
        "cleared 1 entries (62 B) from namespace anthropic--claude-sonnet-4-20250514--content-pipeline\n"
    );
    let table = stdout(&mcpctl(home.path(), &["cache", "stats"]));
    assert!(
        table.contains("anthropic--claude-sonnet-4-20250514--content-pipeline   0 "),
        "{table}"
    );
    assert!(table.contains("vllm--Qwen_Qwen3-32B--subindex"), "{table}");
    assert!(
        columns(table.lines().nth(2).unwrap_or_default())[1] == "2",
        "{table}"
    );

    let out = stdout(&mcpctl(home.path(), &["cache", "clear"]));
    assert_eq!(out, "cleared 2 entries (2.1 KB) from all namespaces\n");
}

#[test]
fn unknown_namespaces_and_an_empty_cache_are_explained() {
    let home = tempfile::tempdir().expect("home");
    let out = mcpctl(home.path(), &["cache", "stats"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "No cache entries in {}.\n",
            home.path().join("cache").display()
        )
    );
    let out = mcpctl(home.path(), &["cache", "clear", "openai--gpt-4o--x"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: no cache namespace \"openai--gpt-4o--x\" in {}; 'mcpctl cache stats' lists them\n",
            home.path().join("cache").display()
        )
    );
    let out = mcpctl(home.path(), &["cache", "clear", "../etc"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid cache namespace name"));
    let out = mcpctl(home.path(), &["cache", "clear", "--older-than", "soon"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--older-than"));
}
