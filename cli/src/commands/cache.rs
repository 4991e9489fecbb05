//! `mcpctl cache stats` and `mcpctl cache clear`: the pipeline cache under
//! `$MCPCTL_HOME/cache`, read and cleared on disk through the `result-cache` crate (no mcpd or
//! mcplocal needed).

use std::time::Duration;

use result_cache::{CacheDir, CacheOptions, NamespaceStats, SizeLimit, human_bytes};
use serde_json::{Value, json};

use crate::args::{CacheCommand, OutputFormat};
use crate::error::CommandError;
use crate::output::age::{format_age, now_ms};
use crate::output::table::Table;
use crate::output::{notice, print, print_document};

use super::Context;

pub fn cache(context: &Context, command: CacheCommand) -> Result<(), CommandError> {
    let home = context.home()?;
    // No limit of our own: opening a namespace to clear it must not evict what the owning
    // process (mcplocal, with its configured limit) keeps.
    let options = CacheOptions {
        limit: SizeLimit::Bytes(u64::MAX),
        ..CacheOptions::default()
    };
    let dir = CacheDir::under_home(home.dir(), options);
    match command {
        CacheCommand::Stats { output } => stats(&dir, output),
        CacheCommand::Clear {
            namespace,
            older_than,
        } => clear(&dir, namespace.as_deref(), older_than),
    }
}

fn stats(dir: &CacheDir, output: OutputFormat) -> Result<(), CommandError> {
    let stats = dir.stats()?;
    match output {
        OutputFormat::Json | OutputFormat::Yaml => {
            let value =
                json!({ "namespaces": serde_json::to_value(&stats).unwrap_or(Value::Null) });
            Ok(print_document(&value, output == OutputFormat::Json)?)
        }
        OutputFormat::Name => {
            let names: String = stats.iter().map(|s| format!("{}\n", s.namespace)).collect();
            Ok(print(&names)?)
        }
        OutputFormat::Table | OutputFormat::Wide => {
            if stats.is_empty() {
                notice(&format!("No cache entries in {}.", dir.path().display()));
                return Ok(());
            }
            Ok(print(&table(&stats, now_ms()).render())?)
        }
    }
}

fn table(stats: &[NamespaceStats], now: i64) -> Table {
    let mut table = Table::new(["namespace", "entries", "size", "hit ratio", "oldest"]);
    for s in stats {
        table.push(vec![
            s.namespace.clone(),
            s.entries.to_string(),
            human_bytes(s.bytes),
            s.hit_ratio
                .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0)),
            s.oldest_created_ms
                .map_or_else(|| "-".to_owned(), |ms| format_age(Some(ms as i64), now)),
        ]);
    }
    table
}

fn clear(
    dir: &CacheDir,
    namespace: Option<&str>,
    older_than: Option<u32>,
) -> Result<(), CommandError> {
    let age = older_than.map(|days| Duration::from_secs(u64::from(days) * 86_400));
    let report = dir.clear(namespace, age)?;
    let scope = namespace.map_or_else(|| "all namespaces".to_owned(), |n| format!("namespace {n}"));
    let which = older_than.map_or_else(String::new, |d| format!(" older than {d} days"));
    Ok(print(&format!(
        "cleared {} entries{which} ({}) from {scope}\n",
        report.entries,
        human_bytes(report.bytes)
    ))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_ratio_size_and_age() {
        let stats = NamespaceStats {
            namespace: "openai--gpt-4o--content-pipeline".into(),
            entries: 12,
            bytes: 1_500_000,
            limit_bytes: None,
            hits: 3,
            misses: 1,
            hit_ratio: Some(0.75),
            evictions: 0,
            corrupt: 0,
            oldest_created_ms: Some(1_000),
        };
        let text = table(&[stats], 1_000 + 2 * 86_400_000).render();
        assert_eq!(
            text,
            "NAMESPACE                          ENTRIES   SIZE     HIT RATIO   OLDEST\n\
             openai--gpt-4o--content-pipeline   12        1.5 MB   75.0%       2d\n"
        );
    }
}
