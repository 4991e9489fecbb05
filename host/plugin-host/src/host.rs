//! The loaded plugins, their resolved hook tables, and dispatch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use abi_stable::std_types::RStr;
use plugin_api::{HookFn, HookOutcome, HookPoint, PluginError};

use crate::loader::{self, Library, LoadError};
use crate::resolve::{Declared, Slot, resolve_all};
use crate::search_path::{SearchPath, Source};
use crate::services::{HostServices, with_context};

/// The session a hook is dispatched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call<'a> {
    pub project: &'a str,
    pub session_id: u64,
    /// The server a call or get routes to, when there is one.
    pub server: Option<&'a str>,
}

/// What dispatching a hook decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    PassThrough,
    /// The message replaced by this JSON.
    Modified(String),
    /// An answer (JSON) instead of forwarding the request.
    Respond(String),
}

/// A hook that failed; the request it ran for fails with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    #[error("no plugin `{plugin}` is loaded")]
    UnknownPlugin { plugin: String },
    /// The plugin's error; its text is what the client should see.
    #[error("{error}")]
    Plugin {
        /// The plugin whose implementation failed (may be a parent of the one dispatched).
        plugin: String,
        hook: HookPoint,
        error: PluginError,
    },
}

/// A hook and the plugins its implementations come from (several for a chained lifecycle hook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookOrigin {
    pub hook: HookPoint,
    pub from: Vec<String>,
}

/// What `mcpctl get/describe proxymodels` shows of a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    /// The plugin-api version it was built against.
    pub api_version: String,
    pub source: Source,
    pub file: PathBuf,
    pub extends: Vec<String>,
    pub features: Vec<String>,
    /// The hooks that run for it, own and inherited, in hook order.
    pub hooks: Vec<HookOrigin>,
}

/// One implementation in a resolved table, with the name of the plugin it comes from.
#[derive(Debug, Clone)]
struct Entry {
    hook: HookFn,
    from: std::sync::Arc<str>,
}

/// A loaded plugin with its resolved table: what runs for each hook point.
#[derive(Debug)]
pub struct Plugin {
    info: PluginInfo,
    table: [Box<[Entry]>; 10],
}

/// Every plugin that loaded and resolved.
#[derive(Debug, Default)]
pub struct PluginHost {
    plugins: Vec<Plugin>,
    by_name: HashMap<String, usize>,
}

impl PluginHost {
    /// Loads every plugin library in `search`. Libraries that cannot be used are left out and
    /// returned with the reason (the caller logs them); the rest are usable.
    pub fn load(search: &SearchPath) -> (PluginHost, Vec<LoadError>) {
        PluginHost::load_files(&search.libraries())
    }

    /// Loads the given library files (in order: for a duplicate name, the first one wins).
    pub fn load_files(files: &[(PathBuf, Source)]) -> (PluginHost, Vec<LoadError>) {
        let mut refused = Vec::new();
        let mut libraries: Vec<Library> = Vec::new();
        for (file, source) in files {
            match loader::load(file, *source) {
                Ok(library) => match libraries.iter().find(|l| l.name == library.name) {
                    Some(first) => refused.push(LoadError::Duplicate {
                        plugin: library.name,
                        first: first.file.clone(),
                        second: library.file,
                    }),
                    None => libraries.push(library),
                },
                Err(e) => refused.push(e),
            }
        }
        let declared: Vec<Declared<HookFn>> = libraries
            .iter()
            .map(|l| Declared {
                name: l.name.clone(),
                extends: l.extends.clone(),
                hooks: HookPoint::ALL.map(|h| l.hooks.get(h)),
            })
            .collect();
        let names: Vec<std::sync::Arc<str>> =
            libraries.iter().map(|l| l.name.as_str().into()).collect();
        let mut host = PluginHost::default();
        for (library, resolved) in libraries.into_iter().zip(resolve_all(&declared)) {
            match resolved {
                Ok(table) => {
                    let entries = table.map(|slots| {
                        slots
                            .iter()
                            .map(|s: &Slot<HookFn>| Entry {
                                hook: s.hook,
                                from: names[s.from].clone(),
                            })
                            .collect::<Box<[Entry]>>()
                    });
                    let info = PluginInfo {
                        hooks: HookPoint::ALL
                            .into_iter()
                            .filter(|h| !entries[h.index()].is_empty())
                            .map(|h| HookOrigin {
                                hook: h,
                                from: entries[h.index()]
                                    .iter()
                                    .map(|e| e.from.to_string())
                                    .collect(),
                            })
                            .collect(),
                        name: library.name,
                        version: library.version,
                        api_version: library.api_version,
                        source: library.source,
                        file: library.file,
                        extends: library.extends,
                        features: library.features,
                    };
                    host.by_name.insert(info.name.clone(), host.plugins.len());
                    host.plugins.push(Plugin {
                        info,
                        table: entries,
                    });
                }
                Err(error) => refused.push(LoadError::Resolve {
                    error,
                    file: library.file,
                }),
            }
        }
        (host, refused)
    }

    /// The loaded plugins, in load order.
    pub fn plugins(&self) -> impl Iterator<Item = &PluginInfo> {
        self.plugins.iter().map(|p| &p.info)
    }

    /// The plugin named `name`: resolve once per project, then dispatch on it.
    pub fn get(&self, name: &str) -> Option<&Plugin> {
        self.by_name.get(name).map(|&i| &self.plugins[i])
    }

    /// Dispatches `hook` of plugin `plugin`.
    pub fn dispatch(
        &self,
        plugin: &str,
        hook: HookPoint,
        call: &Call<'_>,
        services: &dyn HostServices,
        message: &str,
    ) -> Result<Outcome, DispatchError> {
        self.get(plugin)
            .ok_or_else(|| DispatchError::UnknownPlugin {
                plugin: plugin.to_owned(),
            })?
            .dispatch(hook, call, services, message)
    }
}

impl Plugin {
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The library file the plugin was loaded from.
    pub fn file(&self) -> &Path {
        &self.info.file
    }

    /// Whether anything runs for `hook` (else dispatch passes through at no cost).
    pub fn implements(&self, hook: HookPoint) -> bool {
        !self.table[hook.index()].is_empty()
    }

    /// Runs `hook` with `message` (JSON, see [`plugin_api::hook`] for its shape per hook).
    ///
    /// A lifecycle hook runs every implementation in order; onSessionCreate stops at the
    /// first error, onSessionDestroy runs them all and returns the first error. A plugin that
    /// panics fails this call with [`PluginError::Panicked`], logged here; the host goes on.
    pub fn dispatch(
        &self,
        hook: HookPoint,
        call: &Call<'_>,
        services: &dyn HostServices,
        message: &str,
    ) -> Result<Outcome, DispatchError> {
        let entries: &[Entry] = &self.table[hook.index()];
        match entries {
            [] => Ok(Outcome::PassThrough),
            [only] => invoke(only, hook, call, services, message),
            _ => {
                let mut first_error = None;
                for entry in entries.iter() {
                    if let Err(e) = invoke(entry, hook, call, services, message) {
                        if hook != HookPoint::SessionDestroy {
                            return Err(e);
                        }
                        first_error.get_or_insert(e);
                    }
                }
                first_error.map_or(Ok(Outcome::PassThrough), Err)
            }
        }
    }
}

fn invoke(
    entry: &Entry,
    hook: HookPoint,
    call: &Call<'_>,
    services: &dyn HostServices,
    message: &str,
) -> Result<Outcome, DispatchError> {
    let result = with_context(services, call, &entry.from, |context| {
        (entry.hook)(context, RStr::from_str(message)).into_result()
    });
    match result {
        Ok(HookOutcome::PassThrough) => Ok(Outcome::PassThrough),
        Ok(HookOutcome::Modified(json)) => Ok(Outcome::Modified(json.into_string())),
        Ok(HookOutcome::Respond(json)) => Ok(Outcome::Respond(json.into_string())),
        Err(error) => {
            if let PluginError::Panicked(message) = &error {
                tracing::error!(
                    target: "mcpctl::plugin",
                    plugin = &*entry.from,
                    hook = hook.name(),
                    project = call.project,
                    session = call.session_id,
                    "plugin panicked; the request fails: {message}"
                );
            }
            Err(DispatchError::Plugin {
                plugin: entry.from.to_string(),
                hook,
                error,
            })
        }
    }
}
