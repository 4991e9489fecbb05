//! Where plugin libraries are looked for, in order.
//!
//! Built-in plugins: the folders of `MCPCTL_PLUGIN_DIR` (colon-separated) when it is set,
//! otherwise `<dir of the executable>/../lib/mcpctl/plugins` (installed layout: `/usr/bin` →
//! `/usr/lib/mcpctl/plugins`) and the executable's own folder (development builds:
//! `target/debug` holds the plugin cdylibs next to the binaries). Then third-party plugins in
//! `$MCPCTL_HOME/plugins` (default `~/.mcpctl/plugins`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Where a plugin came from, as `mcpctl get proxymodels` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    BuiltIn,
    Local,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::BuiltIn => "built-in",
            Source::Local => "local",
        }
    }
}

/// A folder searched for plugin libraries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDir {
    pub path: PathBuf,
    pub source: Source,
}

/// The folders searched, in order; a plugin name found twice is refused the second time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchPath {
    pub dirs: Vec<SearchDir>,
}

/// Why the default search path cannot be worked out.
#[derive(Debug, thiserror::Error)]
pub enum SearchPathError {
    #[error("cannot find the running executable to locate built-in plugins: {0}")]
    CurrentExe(std::io::Error),
    #[error("neither MCPCTL_HOME nor HOME is set, so there is no folder for third-party plugins")]
    NoHome,
}

impl SearchPath {
    /// Built-in folders, then local ones.
    pub fn new(built_in: &[PathBuf], local: &[PathBuf]) -> SearchPath {
        let dir = |source| {
            move |path: &PathBuf| SearchDir {
                path: path.clone(),
                source,
            }
        };
        SearchPath {
            dirs: built_in
                .iter()
                .map(dir(Source::BuiltIn))
                .chain(local.iter().map(dir(Source::Local)))
                .collect(),
        }
    }

    /// The search path from this process's environment and executable.
    pub fn from_env() -> Result<SearchPath, SearchPathError> {
        let exe = std::env::current_exe().map_err(SearchPathError::CurrentExe)?;
        let home = match std::env::var_os("MCPCTL_HOME") {
            Some(home) if !home.is_empty() => PathBuf::from(home),
            _ => match std::env::var_os("HOME") {
                Some(home) if !home.is_empty() => PathBuf::from(home).join(".mcpctl"),
                _ => return Err(SearchPathError::NoHome),
            },
        };
        Ok(SearchPath::resolve(
            std::env::var_os("MCPCTL_PLUGIN_DIR").as_deref(),
            &exe,
            &home,
        ))
    }

    /// The search path for a given `MCPCTL_PLUGIN_DIR` value, executable and `$MCPCTL_HOME`.
    pub fn resolve(plugin_dir: Option<&OsStr>, exe: &Path, mcpctl_home: &Path) -> SearchPath {
        let built_in: Vec<PathBuf> = match plugin_dir {
            Some(dirs) if !dirs.is_empty() => std::env::split_paths(dirs)
                .filter(|p| !p.as_os_str().is_empty())
                .collect(),
            _ => {
                let exe_dir = exe.parent().unwrap_or(Path::new("."));
                vec![
                    exe_dir
                        .join("..")
                        .join("lib")
                        .join("mcpctl")
                        .join("plugins"),
                    exe_dir.to_path_buf(),
                ]
            }
        };
        SearchPath::new(&built_in, &[mcpctl_home.join("plugins")])
    }

    /// The plugin libraries in the search path's folders (`lib*.so` on Linux), each folder's
    /// sorted by name; folders that do not exist are skipped.
    pub fn libraries(&self) -> Vec<(PathBuf, Source)> {
        let mut found = Vec::new();
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(&dir.path) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_library_name(p))
                .collect();
            files.sort();
            found.extend(files.into_iter().map(|f| (f, dir.source)));
        }
        found
    }
}

/// Whether `path` is named like a library (`lib*.so` on Linux).
pub fn is_library_name(path: &Path) -> bool {
    path.file_name().and_then(OsStr::to_str).is_some_and(|n| {
        n.starts_with(std::env::consts::DLL_PREFIX)
            && n.ends_with(std::env::consts::DLL_SUFFIX)
            && n.len() > std::env::consts::DLL_PREFIX.len() + std::env::consts::DLL_SUFFIX.len()
    })
}

/// The plugin name a library's file suggests (`libcontent_pipeline.so` → `content-pipeline`),
/// for messages about a file whose own declaration cannot be read.
pub fn name_from_file(path: &Path) -> String {
    let name = path.file_name().and_then(OsStr::to_str).unwrap_or_default();
    let name = name
        .strip_prefix(std::env::consts::DLL_PREFIX)
        .unwrap_or(name);
    let name = name
        .strip_suffix(std::env::consts::DLL_SUFFIX)
        .unwrap_or(name);
    name.replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_and_development_folders_come_from_the_executable() {
        let path = SearchPath::resolve(None, Path::new("/usr/bin/mcplocal"), Path::new("/h"));
        assert_eq!(
            path,
            SearchPath::new(
                &[
                    PathBuf::from("/usr/bin/../lib/mcpctl/plugins"),
                    PathBuf::from("/usr/bin")
                ],
                &[PathBuf::from("/h/plugins")]
            )
        );
    }

    #[test]
    fn the_environment_replaces_the_built_in_folders_only() {
        let path = SearchPath::resolve(
            Some(OsStr::new("/a:/b::")),
            Path::new("/usr/bin/mcplocal"),
            Path::new("/h"),
        );
        assert_eq!(
            path,
            SearchPath::new(
                &[PathBuf::from("/a"), PathBuf::from("/b")],
                &[PathBuf::from("/h/plugins")]
            )
        );
        let empty = SearchPath::resolve(Some(OsStr::new("")), Path::new("/x/y"), Path::new("/h"));
        assert_eq!(empty.dirs.len(), 3);
    }

    #[test]
    fn names_come_from_library_files() {
        assert_eq!(
            name_from_file(Path::new("/p/libcontent_pipeline.so")),
            "content-pipeline"
        );
        assert!(is_library_name(Path::new("/p/libgate.so")));
        assert!(!is_library_name(Path::new("/p/gate.txt")));
        assert!(!is_library_name(Path::new("/p/lib.so")));
    }
}
