//! Shared helpers: a log that records lines, an LLM handle that records prompts, a
//! `CacheHandle` over the real result-cache, and a context builder.

use std::sync::{Arc, Mutex};

use pipeline::{BoxFuture, ContentType, DiskCache, LlmHandle, StageContext, StageLog};
use result_cache::{CacheOptions, NamespaceCache, NamespaceId};

#[derive(Default)]
pub struct RecordingLog {
    pub lines: Mutex<Vec<(String, String)>>,
}

impl RecordingLog {
    pub fn lines(&self) -> Vec<(String, String)> {
        self.lines.lock().unwrap().clone()
    }
}

impl StageLog for RecordingLog {
    fn log(&self, level: &str, message: &str) {
        self.lines
            .lock()
            .unwrap()
            .push((level.to_owned(), message.to_owned()));
    }
}

/// Answers every prompt with `SUMMARY <n>: <first words of the prompt's section title>` and
/// records the prompts; fails prompts containing `fail_on` when set.
#[derive(Default)]
pub struct RecordingLlm {
    pub prompts: Mutex<Vec<(String, String)>>,
    pub fail_on: Option<String>,
}

impl LlmHandle for RecordingLlm {
    fn complete<'a>(
        &'a self,
        prompt: String,
        tier: &'a str,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let n = {
                let mut prompts = self.prompts.lock().unwrap();
                prompts.push((tier.to_owned(), prompt.clone()));
                prompts.len()
            };
            if let Some(needle) = &self.fail_on
                && prompt.contains(needle.as_str())
            {
                return Err("provider down".to_owned());
            }
            Ok(format!("SUMMARY {n}"))
        })
    }
}

/// `ctx.cache` over a real on-disk namespace.
/// The real disk cache in `dir` (namespace `test--model--pm`).
pub fn disk_cache(dir: &std::path::Path) -> DiskCache {
    let id = NamespaceId::new("test", "model", "pm");
    DiskCache(Arc::new(
        NamespaceCache::open(dir, id, &CacheOptions::default()).unwrap(),
    ))
}

pub fn context(content: &str, log: Arc<RecordingLog>) -> StageContext {
    StageContext::new(ContentType::ToolResult, "srv/tool", content, log)
}

/// A context for running one stage with `config`.
pub fn stage_context(content: &str, config: serde_json::Value) -> StageContext {
    let mut ctx = context(content, Arc::new(RecordingLog::default()));
    ctx.config = config.as_object().cloned().unwrap_or_default();
    ctx
}
