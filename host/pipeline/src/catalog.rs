//! The ProxyModels mcplocal serves: the built-in pipelines and the YAML files of
//! `$MCPCTL_HOME/proxymodels/` (`*.yaml`, `*.yml`), re-read on every request, cheaply: the
//! directory is listed and each file stat'ed; only a new file, or one whose modification time
//! or length changed, is read and parsed again. A file changed within the file system's
//! timestamp granularity of when it was read could keep both the same, so such a file is read
//! again (and compared) on every refresh until its timestamp is two seconds old.
//!
//! A broken file (bad YAML, an unknown field, a missing stage, a name that is taken) is
//! reported with its position and skipped, never fatal; problems are logged when they appear.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::pipeline::{Fallback, Pipeline};
use crate::proxymodel::{
    MAX_FILE_BYTES, ProxyModelError, applies_to_names, builtin_pipelines, check_stages,
    parse_proxymodel,
};
use crate::stage::StageRegistry;

/// Files whose timestamp is younger than this (when read) are compared again on refresh.
const RACY_WINDOW: Duration = Duration::from_secs(2);

/// Where a ProxyModel comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelSource {
    BuiltIn,
    Local,
}

impl ModelSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelSource::BuiltIn => "built-in",
            ModelSource::Local => "local",
        }
    }
}

/// One usable ProxyModel.
#[derive(Debug, Clone)]
pub struct CatalogModel {
    pub pipeline: Arc<Pipeline>,
    pub source: ModelSource,
    /// The file it was read from (local ones).
    pub file: Option<PathBuf>,
}

/// A ProxyModel as `GET /proxymodels` and `describe proxymodel` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyModelInfo {
    pub name: String,
    pub source: ModelSource,
    pub stages: Vec<String>,
    /// Each stage's config (empty objects for none), in stage order.
    pub stage_configs: Vec<serde_json::Map<String, serde_json::Value>>,
    pub applies_to: Vec<&'static str>,
    pub cacheable: bool,
    pub fallback: Fallback,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
}

impl From<&CatalogModel> for ProxyModelInfo {
    fn from(model: &CatalogModel) -> Self {
        let p = &model.pipeline;
        ProxyModelInfo {
            name: p.name.clone(),
            source: model.source,
            stages: p.stages.iter().map(|s| s.stage_type.clone()).collect(),
            stage_configs: p.stages.iter().map(|s| s.config.clone()).collect(),
            applies_to: applies_to_names(p),
            cacheable: p.cacheable,
            fallback: p.fallback,
            file: model.file.clone(),
        }
    }
}

/// The catalog as of one refresh.
#[derive(Debug, Clone, Default)]
pub struct CatalogSnapshot {
    /// Built-ins first, then local models by file name.
    pub models: Vec<CatalogModel>,
    pub problems: Vec<ProxyModelError>,
}

impl CatalogSnapshot {
    pub fn get(&self, name: &str) -> Option<&CatalogModel> {
        self.models.iter().find(|m| m.pipeline.name == name)
    }

    pub fn infos(&self) -> Vec<ProxyModelInfo> {
        self.models.iter().map(ProxyModelInfo::from).collect()
    }

    pub fn names(&self) -> Vec<&str> {
        self.models
            .iter()
            .map(|m| m.pipeline.name.as_str())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("no ProxyModel named {name:?}; available: {available}")]
    Unknown { name: String, available: String },
}

struct FileEntry {
    modified: Option<SystemTime>,
    len: u64,
    /// The timestamp was young when read: compare the text again on the next refresh.
    racy: bool,
    text: String,
    parsed: Result<Arc<Pipeline>, ProxyModelError>,
}

#[derive(Default)]
struct State {
    files: BTreeMap<PathBuf, FileEntry>,
    /// Problems already logged (their text).
    logged: HashSet<String>,
    /// Files read (parsed or compared) since the catalog was made, for tests and status.
    reads: u64,
}

pub struct ProxyModelCatalog {
    dir: PathBuf,
    builtins: Vec<Arc<Pipeline>>,
    state: Mutex<State>,
}

impl ProxyModelCatalog {
    /// The catalog of `dir` (need not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ProxyModelCatalog {
            dir: dir.into(),
            builtins: builtin_pipelines().into_iter().map(Arc::new).collect(),
            state: Mutex::new(State::default()),
        }
    }

    /// `$MCPCTL_HOME/proxymodels`.
    pub fn from_home(home: &Path) -> Self {
        ProxyModelCatalog::new(home.join("proxymodels"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many files have been read so far (a refresh with nothing changed reads none).
    pub fn files_read(&self) -> u64 {
        self.lock().reads
    }

    /// Re-reads what changed and returns the catalog, stages checked against `registry`.
    pub fn snapshot(&self, registry: &dyn StageRegistry) -> CatalogSnapshot {
        let mut state = self.lock();
        self.refresh(&mut state);
        let mut snapshot = CatalogSnapshot {
            models: self
                .builtins
                .iter()
                .map(|p| CatalogModel {
                    pipeline: p.clone(),
                    source: ModelSource::BuiltIn,
                    file: None,
                })
                .collect(),
            problems: Vec::new(),
        };
        for (path, entry) in &state.files {
            let pipeline = match &entry.parsed {
                Ok(pipeline) => pipeline,
                Err(problem) => {
                    snapshot.problems.push(problem.clone());
                    continue;
                }
            };
            let taken = snapshot
                .get(&pipeline.name)
                .map(|m| (m.source, m.file.clone()));
            let problem = match taken {
                Some((ModelSource::BuiltIn, _)) => Some(format!(
                    "metadata.name: {:?} is a built-in ProxyModel; choose another name",
                    pipeline.name
                )),
                Some((ModelSource::Local, file)) => Some(format!(
                    "metadata.name: {:?} is already defined by {}",
                    pipeline.name,
                    file.map(|f| f.display().to_string()).unwrap_or_default()
                )),
                None => None,
            };
            if let Some(message) = problem {
                snapshot.problems.push(ProxyModelError {
                    file: path.clone(),
                    line: None,
                    column: None,
                    message,
                });
                continue;
            }
            if let Err(problem) = check_stages(pipeline, registry, path, Some(&entry.text)) {
                snapshot.problems.push(problem);
                continue;
            }
            snapshot.models.push(CatalogModel {
                pipeline: pipeline.clone(),
                source: ModelSource::Local,
                file: Some(path.clone()),
            });
        }
        for problem in &snapshot.problems {
            let text = problem.to_string();
            if state.logged.insert(text.clone()) {
                tracing::warn!("ProxyModel skipped: {text}");
            }
        }
        let current: HashSet<String> = snapshot.problems.iter().map(|p| p.to_string()).collect();
        state.logged.retain(|t| current.contains(t));
        snapshot
    }

    /// The ProxyModel called `name`, as the files are now. A built-in is answered without
    /// looking at the files (no local file can take a built-in's name): this runs on every
    /// tool call of a plugin-served project, most of which use the built-in `default`.
    pub fn get(
        &self,
        name: &str,
        registry: &dyn StageRegistry,
    ) -> Result<Arc<Pipeline>, CatalogError> {
        if let Some(builtin) = self.builtins.iter().find(|p| p.name == name) {
            return Ok(builtin.clone());
        }
        let snapshot = self.snapshot(registry);
        snapshot
            .get(name)
            .map(|m| m.pipeline.clone())
            .ok_or_else(|| CatalogError::Unknown {
                name: name.to_owned(),
                available: snapshot.names().join(", "),
            })
    }

    /// Every usable ProxyModel, for `GET /proxymodels`.
    pub fn list(&self, registry: &dyn StageRegistry) -> Vec<ProxyModelInfo> {
        self.snapshot(registry).infos()
    }

    /// Forgets what was read and reads every file again (`POST /proxymodels/reload`);
    /// returns how many ProxyModels are usable.
    pub fn reload(&self, registry: &dyn StageRegistry) -> usize {
        self.lock().files.clear();
        self.snapshot(registry).models.len()
    }

    fn refresh(&self, state: &mut State) {
        let mut present: Vec<(PathBuf, std::fs::Metadata)> = Vec::new();
        match std::fs::read_dir(&self.dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let path = entry.path();
                    let yaml = path
                        .extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| e == "yaml" || e == "yml");
                    if !yaml {
                        continue;
                    }
                    // Follows symbolic links (a linked file counts as the file).
                    if let Ok(metadata) = std::fs::metadata(&path)
                        && metadata.is_file()
                    {
                        present.push((path, metadata));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), "cannot list ProxyModels: {e}");
            }
        }
        let keep: HashSet<&PathBuf> = present.iter().map(|(p, _)| p).collect();
        state.files.retain(|path, _| keep.contains(path));
        for (path, metadata) in &present {
            let modified = metadata.modified().ok();
            let len = metadata.len();
            let unchanged = state
                .files
                .get(path)
                .is_some_and(|e| !e.racy && e.modified == modified && e.len == len);
            if unchanged {
                continue;
            }
            state.reads += 1;
            let read_at = SystemTime::now();
            let racy = modified.is_none_or(|m| {
                read_at
                    .duration_since(m)
                    .map_or(true, |age| age < RACY_WINDOW)
            });
            let text = read_limited(path, len);
            if let Some(entry) = state.files.get_mut(path)
                && let Ok(text) = &text
                && entry.text == *text
            {
                entry.modified = modified;
                entry.len = len;
                entry.racy = racy;
                continue;
            }
            let (text, parsed) = match text {
                Ok(text) => {
                    let parsed = parse_proxymodel(&text, path).map(Arc::new);
                    (text, parsed)
                }
                Err(message) => (
                    String::new(),
                    Err(ProxyModelError {
                        file: path.clone(),
                        line: None,
                        column: None,
                        message,
                    }),
                ),
            };
            state.files.insert(
                path.clone(),
                FileEntry {
                    modified,
                    len,
                    racy,
                    text,
                    parsed,
                },
            );
        }
    }
}

fn read_limited(path: &Path, len: u64) -> Result<String, String> {
    if len > MAX_FILE_BYTES {
        return Err(format!(
            "the file has {len} bytes; ProxyModel files may have at most {MAX_FILE_BYTES}"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())
}
