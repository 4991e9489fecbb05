//! Host handles for tests: a log that keeps its lines, a counting model, a counting cache.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use js_stages::{JsLimits, JsStage};
use pipeline::{BoxFuture, CacheHandle, ContentType, LlmHandle, StageContext, StageLog};
use serde_json::{Map, Value};

#[derive(Default)]
pub struct Lines(pub Mutex<Vec<(String, String)>>);

impl StageLog for Lines {
    fn log(&self, level: &str, message: &str) {
        self.0
            .lock()
            .unwrap()
            .push((level.to_owned(), message.to_owned()));
    }
}

impl Lines {
    pub fn all(&self) -> Vec<(String, String)> {
        self.0.lock().unwrap().clone()
    }
}

/// Answers `model(tier): PROMPT` and counts the calls.
#[derive(Default)]
pub struct CountingModel {
    pub calls: AtomicUsize,
}

impl LlmHandle for CountingModel {
    fn complete<'a>(
        &'a self,
        prompt: String,
        tier: &'a str,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            if prompt == "slow" {
                tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
            }
            if prompt == "fail" {
                return Err("provider said no".to_owned());
            }
            Ok(format!("model({tier}): {prompt}"))
        })
    }
}

/// A map that computes a missing value once; counts computations.
#[derive(Default)]
pub struct CountingCache {
    pub values: tokio::sync::Mutex<HashMap<String, String>>,
    pub computed: AtomicUsize,
}

impl CacheHandle for CountingCache {
    fn get_or_compute<'a>(
        &'a self,
        key: String,
        compute: BoxFuture<'a, Result<String, String>>,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let mut values = self.values.lock().await;
            if let Some(value) = values.get(&key) {
                return Ok(value.clone());
            }
            let value = compute.await?;
            self.computed.fetch_add(1, Ordering::SeqCst);
            values.insert(key, value.clone());
            Ok(value)
        })
    }
}

pub struct Host {
    pub log: Arc<Lines>,
    pub model: Arc<CountingModel>,
    pub cache: Arc<CountingCache>,
}

impl Host {
    pub fn new() -> Self {
        Self {
            log: Arc::default(),
            model: Arc::default(),
            cache: Arc::default(),
        }
    }

    pub fn ctx(&self, config: Value) -> StageContext {
        let config: Map<String, Value> = match config {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let mut ctx = StageContext::new(
            ContentType::ToolResult,
            "grafana/query",
            "the original",
            self.log.clone(),
        );
        ctx.project_name = "demo".to_owned();
        ctx.session_id = "session-1".to_owned();
        ctx.config = config;
        ctx.llm = Some(self.model.clone());
        ctx.cache = Some(self.cache.clone());
        ctx
    }
}

/// Writes `source` to `dir/file` and loads it with `limits`.
pub fn load(dir: &Path, file: &str, source: &str, limits: &JsLimits) -> Arc<JsStage> {
    let path = dir.join(file);
    std::fs::write(&path, source).unwrap();
    let name = file.rsplit_once('.').unwrap().0;
    JsStage::load(name, &path, Arc::from(source), limits).unwrap()
}
