//! Loading one plugin library through abi_stable, and the reasons a library is refused.
//!
//! abi_stable checks, in order: that the file exports a root module, that it was built with a
//! compatible abi_stable, that its plugin-api version is compatible with ours (same major;
//! while the major is 0, a minor not older than ours), and that the layout of every type the
//! root module reaches is the one we expect. Then this module checks the host features the
//! plugin declares. Libraries are never unloaded (abi_stable leaks them): a plugin's functions
//! stay valid for the life of the process.
//!
//! Third-party (`Local`) libraries are loaded from a private copy, removed again once it is
//! open. Two reasons: the dynamic loader hands back the library it already has for a path it
//! has opened before, so a changed file at the same path could never be loaded as a new copy
//! (hot reload); and a library written over in place while it is mapped would crash the
//! process, whereas the copy's pages belong to mcplocal alone.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use abi_stable::library::{LibraryError, lib_header_from_path};
use plugin_api::features::HOST_FEATURES;
use plugin_api::stage::StageDecl;
use plugin_api::{ABI_VERSION, HookSet, PluginModuleRef};

use crate::resolve::ResolveError;
use crate::search_path::{Source, name_from_file};

/// Why a plugin library was not loaded. Each names the plugin and its file.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    #[error("cannot open plugin `{plugin}` ({file}): {reason}")]
    Open {
        plugin: String,
        file: PathBuf,
        reason: String,
    },
    #[error("{file} is not an mcpctl plugin: it exports no plugin module")]
    NotAPlugin { file: PathBuf },
    #[error(
        "plugin `{plugin}` ({file}) was built with another abi_stable than this mcplocal; rebuild it against plugin-api {host_api}"
    )]
    AbiStable {
        plugin: String,
        file: PathBuf,
        host_api: &'static str,
    },
    #[error(
        "plugin `{plugin}` ({file}) was built against plugin-api {plugin_api}, but this mcplocal uses plugin-api {host_api}; rebuild the plugin against plugin-api {host_api}"
    )]
    IncompatibleVersion {
        plugin: String,
        file: PathBuf,
        plugin_api: String,
        host_api: &'static str,
    },
    #[error(
        "plugin `{plugin}` ({file}) was built against plugin-api {plugin_api} whose types differ from those of this mcplocal's plugin-api {host_api}; rebuild the plugin ({detail})"
    )]
    IncompatibleLayout {
        plugin: String,
        file: PathBuf,
        plugin_api: String,
        host_api: &'static str,
        detail: String,
    },
    #[error("plugin `{plugin}` ({file}) failed to initialize: {reason}")]
    Init {
        plugin: String,
        file: PathBuf,
        reason: String,
    },
    #[error(
        "plugin `{plugin}` ({file}) needs host feature `{feature}`, which this mcplocal (plugin-api {host_api}) does not provide; upgrade mcplocal"
    )]
    MissingFeature {
        plugin: String,
        file: PathBuf,
        feature: String,
        host_api: &'static str,
    },
    #[error("plugin `{plugin}` is in both {first} and {second}; remove one")]
    Duplicate {
        plugin: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{error} ({file})")]
    Resolve { error: ResolveError, file: PathBuf },
    #[error("cannot copy plugin `{plugin}` ({file}) to {copy} to load it: {reason}")]
    Copy {
        plugin: String,
        file: PathBuf,
        copy: PathBuf,
        reason: String,
    },
}

/// What a library file looked like when it was loaded: a reload loads it again only when
/// this changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl FileStamp {
    /// The stamp of `file` now; `None` when it cannot be read.
    pub fn of(file: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(file).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        })
    }
}

/// A library that loaded, with what it declares.
#[derive(Debug, Clone)]
pub struct Library {
    /// Unique to this load in the process: a changed file loaded again gets a new one.
    pub load_id: u64,
    /// The file as it was when loaded.
    pub stamp: Option<FileStamp>,
    pub name: String,
    pub version: String,
    /// The plugin-api version the library was built against.
    pub api_version: String,
    pub file: PathBuf,
    pub source: Source,
    pub extends: Vec<String>,
    pub features: Vec<String>,
    pub hooks: HookSet,
    /// The native stages it exports.
    pub stages: Vec<StageDecl>,
}

/// Loads the plugin library at `file` (a `Local` one from a private copy).
pub fn load(file: &Path, source: Source) -> Result<Library, LoadError> {
    static NEXT_LOAD: AtomicU64 = AtomicU64::new(1);
    let load_id = NEXT_LOAD.fetch_add(1, Ordering::Relaxed);
    let stamp = FileStamp::of(file);
    let header = match source {
        Source::BuiltIn => open_header(file, file),
        Source::Local => {
            let copy = private_copy(file, load_id)?;
            let header = open_header(&copy, file);
            // Open (or refused): the copy's pages stay mapped without the name.
            let _ = std::fs::remove_file(&copy);
            header
        }
    }?;
    declaration(header, file, source, load_id, stamp)
}

/// Copies `file` to `<temp>/mcpctl-plugins-<pid>/<load_id>-<file name>`.
fn private_copy(file: &Path, load_id: u64) -> Result<PathBuf, LoadError> {
    let dir = std::env::temp_dir().join(format!("mcpctl-plugins-{}", std::process::id()));
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let copy = dir.join(format!("{load_id}-{}", name.unwrap_or_default()));
    let copied = std::fs::create_dir_all(&dir).and_then(|()| std::fs::copy(file, &copy));
    copied.map(|_| copy.clone()).map_err(|e| LoadError::Copy {
        plugin: name_from_file(file),
        file: file.to_path_buf(),
        copy,
        reason: e.to_string(),
    })
}

/// Opens the library at `open` (the file itself or its copy), naming `file` in errors.
fn open_header(
    open: &Path,
    file: &Path,
) -> Result<&'static abi_stable::library::LibHeader, LoadError> {
    let plugin = || name_from_file(file);
    let path = || file.to_path_buf();
    lib_header_from_path(open).map_err(|e| match e {
        LibraryError::GetSymbolError { .. } => LoadError::NotAPlugin { file: path() },
        LibraryError::InvalidAbiHeader(_) => LoadError::AbiStable {
            plugin: plugin(),
            file: path(),
            host_api: ABI_VERSION,
        },
        other => LoadError::Open {
            plugin: plugin(),
            file: path(),
            reason: one_line(&other.to_string()),
        },
    })
}

/// Checks the root module of an open library and reads its declaration.
fn declaration(
    header: &'static abi_stable::library::LibHeader,
    file: &Path,
    source: Source,
    load_id: u64,
    stamp: Option<FileStamp>,
) -> Result<Library, LoadError> {
    let plugin = || name_from_file(file);
    let path = || file.to_path_buf();
    let plugin_api = header.version_strings().to_string();
    let module = header
        .init_root_module::<PluginModuleRef>()
        .map_err(|e| match e {
            LibraryError::IncompatibleVersionNumber { .. } | LibraryError::ParseVersionError(_) => {
                LoadError::IncompatibleVersion {
                    plugin: plugin(),
                    file: path(),
                    plugin_api: plugin_api.clone(),
                    host_api: ABI_VERSION,
                }
            }
            LibraryError::AbiInstability(detail) => LoadError::IncompatibleLayout {
                plugin: plugin(),
                file: path(),
                plugin_api: plugin_api.clone(),
                host_api: ABI_VERSION,
                detail: first_lines(&detail.to_string()),
            },
            other => LoadError::Init {
                plugin: plugin(),
                file: path(),
                reason: one_line(&other.to_string()),
            },
        })?;
    let name = module.name().as_str().to_owned();
    let features: Vec<String> = module
        .features()
        .iter()
        .map(|f| f.as_str().to_owned())
        .collect();
    if let Some(missing) = features
        .iter()
        .find(|f| !HOST_FEATURES.contains(&f.as_str()))
    {
        return Err(LoadError::MissingFeature {
            plugin: name,
            file: path(),
            feature: missing.clone(),
            host_api: ABI_VERSION,
        });
    }
    Ok(Library {
        load_id,
        stamp,
        version: module.version().as_str().to_owned(),
        api_version: plugin_api,
        file: path(),
        source,
        extends: module
            .extends()
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        features,
        hooks: module.hook_set(),
        stages: module.stage_decls().to_vec(),
        name,
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// abi_stable's layout report is long; the first lines name the type that differs.
fn first_lines(text: &str) -> String {
    const MAX: usize = 400;
    let line = one_line(text);
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line,
    }
}
