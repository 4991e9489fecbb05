//! [`JsStageRegistry`]: the JS stages of one folder (`$MCPCTL_HOME/stages/`), reloaded when
//! its files change.
//!
//! A reload reads every `.js`/`.mjs` file, keeps the loaded stage of a file whose text did not
//! change (its runtimes stay warm), loads new and changed ones in fresh runtimes, and swaps the
//! whole set at once. Calls already running hold their own `Arc<JsStage>` and finish on the
//! version they started with; the old runtimes stop when the last such call ends.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use folder_watch::FolderWatch;
use pipeline::{Stage, StageRegistry, StageSource};

use crate::limits::JsLimits;
use crate::stage::JsStage;

/// How long the folder must be quiet before a change is applied.
pub const RELOAD_DEBOUNCE: Duration = Duration::from_millis(300);

/// The longest stage name (a file name without its extension).
const MAX_NAME_LEN: usize = 64;

/// Why watching the folder failed.
pub type RegistryError = folder_watch::WatchError;

/// A stage file that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SkippedFile {
    pub path: PathBuf,
    /// The line the problem is on, when the engine knows it.
    pub line: Option<u32>,
    pub reason: String,
}

impl std::fmt::Display for SkippedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What one reload found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// Stages loaded now (`{"loaded": N}` of `POST /proxymodels/reload`).
    pub loaded: usize,
    pub skipped: Vec<SkippedFile>,
}

#[derive(Default)]
struct Loaded {
    stages: BTreeMap<String, Arc<JsStage>>,
    skipped: Vec<SkippedFile>,
}

/// The JS stages of a folder, as [`StageRegistry`] (source `local`).
pub struct JsStageRegistry {
    dir: PathBuf,
    limits: JsLimits,
    loaded: RwLock<Arc<Loaded>>,
    /// One reload at a time (the watcher's and `POST /proxymodels/reload`'s).
    reloading: Mutex<()>,
    watcher: Mutex<Option<FolderWatch>>,
}

impl std::fmt::Debug for JsStageRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsStageRegistry")
            .field("dir", &self.dir)
            .field("stages", &self.list())
            .finish_non_exhaustive()
    }
}

impl JsStageRegistry {
    /// Loads the stages of `dir` (a folder that does not exist has none). Not watched yet:
    /// see [`JsStageRegistry::watch`].
    pub fn open(dir: impl Into<PathBuf>, limits: JsLimits) -> Arc<Self> {
        let registry = Arc::new(Self {
            dir: dir.into(),
            limits,
            loaded: RwLock::default(),
            reloading: Mutex::new(()),
            watcher: Mutex::new(None),
        });
        registry.reload();
        registry
    }

    /// The folder (`$MCPCTL_HOME/stages`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts watching the folder (created when missing): a change takes effect
    /// [`RELOAD_DEBOUNCE`] after the folder is quiet. Stops when the registry is dropped.
    pub fn watch(self: &Arc<Self>) -> Result<(), RegistryError> {
        let registry: Weak<Self> = Arc::downgrade(self);
        let watch = FolderWatch::start(
            &self.dir,
            is_stage_file,
            RELOAD_DEBOUNCE,
            "js-stages-reload",
            move || {
                if let Some(registry) = registry.upgrade() {
                    registry.reload();
                }
            },
        )?;
        // A file written between the first load and the watch start is picked up here.
        self.reload();
        if let Ok(mut slot) = self.watcher.lock() {
            *slot = Some(watch);
        }
        Ok(())
    }

    /// Re-reads the folder now; returns how many stages are loaded and what was skipped.
    pub fn reload(&self) -> ReloadReport {
        let _one_at_a_time = self.reloading.lock();
        let before = self.current();
        let mut next = Loaded::default();
        let known_skips: HashSet<SkippedFile> = before.skipped.iter().cloned().collect();
        for path in self.stage_files(&mut next.skipped) {
            match self.load_file(&path, &before, &next) {
                Ok((name, stage)) => {
                    next.stages.insert(name, stage);
                }
                Err(skipped) => next.skipped.push(skipped),
            }
        }
        for skipped in &next.skipped {
            if !known_skips.contains(skipped) {
                tracing::warn!("JS stage skipped: {skipped}");
            }
        }
        for (name, stage) in &next.stages {
            match before.stages.get(name) {
                Some(old) if Arc::ptr_eq(old, stage) => {}
                Some(_) => tracing::info!(stage = %name, "JS stage reloaded"),
                None => {
                    tracing::info!(stage = %name, file = %stage.file().display(), "JS stage loaded")
                }
            }
        }
        for name in before.stages.keys() {
            if !next.stages.contains_key(name) {
                tracing::info!(stage = %name, "JS stage removed");
            }
        }
        let report = ReloadReport {
            loaded: next.stages.len(),
            skipped: next.skipped.clone(),
        };
        if let Ok(mut loaded) = self.loaded.write() {
            *loaded = Arc::new(next);
        }
        report
    }

    /// The files skipped by the last reload.
    pub fn skipped(&self) -> Vec<SkippedFile> {
        self.current().skipped.clone()
    }

    /// The loaded stage `name`, as its own type.
    pub fn js_stage(&self, name: &str) -> Option<Arc<JsStage>> {
        self.current().stages.get(name).cloned()
    }

    fn current(&self) -> Arc<Loaded> {
        match self.loaded.read() {
            Ok(loaded) => loaded.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// `.js` and `.mjs` files of the folder, sorted by name.
    fn stage_files(&self, skipped: &mut Vec<SkippedFile>) -> Vec<PathBuf> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => {
                skipped.push(SkippedFile {
                    path: self.dir.clone(),
                    line: None,
                    reason: format!("cannot read the stages folder: {e}"),
                });
                return Vec::new();
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| is_stage_file(path) && path.is_file())
            .collect();
        files.sort();
        files
    }

    /// Loads one file, or keeps the stage loaded from the same text before.
    fn load_file(
        &self,
        path: &Path,
        before: &Loaded,
        next: &Loaded,
    ) -> Result<(String, Arc<JsStage>), SkippedFile> {
        let skip = |line: Option<u32>, reason: String| SkippedFile {
            path: path.to_owned(),
            line,
            reason,
        };
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .filter(|name| is_valid_name(name))
            .ok_or_else(|| {
                skip(
                    None,
                    format!(
                        "the file name is not a stage name (1 to {MAX_NAME_LEN} letters, digits, '-' or '_', then .js or .mjs)"
                    ),
                )
            })?
            .to_owned();
        if let Some(other) = next.stages.get(&name) {
            return Err(skip(
                None,
                format!(
                    "stage {name} is already defined by {}; rename one of the files",
                    other.file().display()
                ),
            ));
        }
        let source = read_bounded(path, self.limits.max_file_bytes).map_err(|r| skip(None, r))?;
        if let Some(old) = before.stages.get(&name)
            && old.file() == path
            && old.source() == source
        {
            return Ok((name, old.clone()));
        }
        let stage = JsStage::load(&name, path, Arc::from(source), &self.limits)
            .map_err(|e| skip(e.line, e.message))?;
        Ok((name, stage))
    }
}

impl StageRegistry for JsStageRegistry {
    fn stage(&self, name: &str) -> Option<Arc<dyn Stage>> {
        self.js_stage(name).map(|stage| stage as Arc<dyn Stage>)
    }

    fn list(&self) -> Vec<(String, StageSource)> {
        self.current()
            .stages
            .keys()
            .map(|name| (name.clone(), StageSource::Local))
            .collect()
    }
}

fn is_stage_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("js" | "mjs")
    )
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The file's text, refused when it is over `max` bytes or not UTF-8.
fn read_bounded(path: &Path, max: u64) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "it is larger than the {max}-byte limit for stage files"
        ));
    }
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())
}
