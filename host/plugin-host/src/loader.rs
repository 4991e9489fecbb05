//! Loading one plugin library through abi_stable, and the reasons a library is refused.
//!
//! abi_stable checks, in order: that the file exports a root module, that it was built with a
//! compatible abi_stable, that its plugin-api version is compatible with ours (same major;
//! while the major is 0, a minor not older than ours), and that the layout of every type the
//! root module reaches is the one we expect. Then this module checks the host features the
//! plugin declares. Libraries are never unloaded (abi_stable leaks them): a plugin's functions
//! stay valid for the life of the process.

use std::path::{Path, PathBuf};

use abi_stable::library::{LibraryError, lib_header_from_path};
use plugin_api::features::HOST_FEATURES;
use plugin_api::{ABI_VERSION, HookSet, PluginModuleRef};

use crate::resolve::ResolveError;
use crate::search_path::{Source, name_from_file};

/// Why a plugin library was not loaded. Each names the plugin and its file.
#[derive(Debug, thiserror::Error)]
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
}

/// A library that loaded, with what it declares.
#[derive(Debug, Clone)]
pub struct Library {
    pub name: String,
    pub version: String,
    /// The plugin-api version the library was built against.
    pub api_version: String,
    pub file: PathBuf,
    pub source: Source,
    pub extends: Vec<String>,
    pub features: Vec<String>,
    pub hooks: HookSet,
}

/// Loads the plugin library at `file`.
pub fn load(file: &Path, source: Source) -> Result<Library, LoadError> {
    let plugin = || name_from_file(file);
    let path = || file.to_path_buf();
    let header = lib_header_from_path(file).map_err(|e| match e {
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
    })?;
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
