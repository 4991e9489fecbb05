//! The cache directory (`$MCPCTL_HOME/cache`): its namespaces, opened once per process, and
//! the operations of `mcpctl cache` over all of them.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::cache::{
    CacheError, CacheOptions, ClearReport, NamespaceCache, NamespaceStats, inspect,
    is_namespace_dir,
};
use crate::namespace::NamespaceId;

#[derive(Debug)]
pub struct CacheDir {
    dir: PathBuf,
    options: CacheOptions,
    open: Mutex<HashMap<NamespaceId, Weak<NamespaceCache>>>,
}

impl CacheDir {
    /// The cache directory under an mcpctl home.
    pub fn under_home(home: &Path, options: CacheOptions) -> CacheDir {
        CacheDir::new(home.join("cache"), options)
    }

    pub fn new(dir: PathBuf, options: CacheOptions) -> CacheDir {
        CacheDir {
            dir,
            options,
            open: Mutex::new(HashMap::new()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The namespace `id`, opened on first use and shared while anyone holds it.
    pub fn namespace(&self, id: &NamespaceId) -> Result<Arc<NamespaceCache>, CacheError> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cache) = open.get(id).and_then(Weak::upgrade) {
            return Ok(cache);
        }
        let cache = Arc::new(NamespaceCache::open(&self.dir, id.clone(), &self.options)?);
        open.insert(id.clone(), Arc::downgrade(&cache));
        Ok(cache)
    }

    /// The namespaces on disk, by name.
    pub fn namespaces(&self) -> Result<Vec<NamespaceId>, CacheError> {
        let items = match fs::read_dir(&self.dir) {
            Ok(items) => items,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(CacheError::Io {
                    action: "read",
                    path: self.dir.display().to_string(),
                    source,
                });
            }
        };
        let mut names: Vec<NamespaceId> = items
            .flatten()
            .filter(|item| is_namespace_dir(&item.path()))
            .filter_map(|item| item.file_name().to_str().and_then(NamespaceId::parse))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Figures of every namespace on disk, by name: those open in this process from memory,
    /// the others read from disk without changing anything (see [`inspect`]).
    pub fn stats(&self) -> Result<Vec<NamespaceStats>, CacheError> {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        self.namespaces()?
            .iter()
            .map(|id| match open.get(id).and_then(Weak::upgrade) {
                Some(cache) => Ok(cache.stats()),
                None => inspect(
                    &self.dir,
                    id,
                    self.options.max_age,
                    self.options.clock.now(),
                ),
            })
            .collect()
    }

    /// `mcpctl cache clear [NAMESPACE] [--older-than DAYS]`: one namespace (by its directory
    /// name) or all; every entry, or those created more than `older_than` ago. The namespaces
    /// are opened with this `CacheDir`'s options, so a command-line caller should give a limit
    /// no smaller than the owning process's (`SizeLimit::Bytes(u64::MAX)`), or the open would
    /// evict.
    pub fn clear(
        &self,
        namespace: Option<&str>,
        older_than: Option<Duration>,
    ) -> Result<ClearReport, CacheError> {
        let targets = match namespace {
            Some(name) => {
                let id = NamespaceId::parse(name)
                    .ok_or_else(|| CacheError::InvalidName(name.to_owned()))?;
                if !is_namespace_dir(&self.dir.join(id.as_str())) {
                    return Err(CacheError::UnknownNamespace {
                        name: name.to_owned(),
                        dir: self.dir.display().to_string(),
                    });
                }
                vec![id]
            }
            None => self.namespaces()?,
        };
        let mut report = ClearReport::default();
        for id in targets {
            let cache = self.namespace(&id)?;
            report += match older_than {
                Some(age) => cache.clear_older_than(age)?,
                None => cache.clear()?,
            };
        }
        Ok(report)
    }
}
