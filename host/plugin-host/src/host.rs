//! The loaded plugins, their resolved hook tables, and dispatch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use abi_stable::std_types::RStr;
use plugin_api::stage::StageDecl;
use plugin_api::{HookFn, HookOutcome, HookPoint, PluginError};

use crate::loader::{self, FileStamp, Library, LoadError};
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
    /// The [`Library::load_id`] of its library: a reloaded copy has a new one.
    pub load_id: u64,
    pub extends: Vec<String>,
    pub features: Vec<String>,
    /// The hooks that run for it, own and inherited, in hook order.
    pub hooks: Vec<HookOrigin>,
    /// The native stages its library exports (not inherited).
    pub stages: Vec<String>,
}

/// One implementation in a resolved table, with the name of the plugin it comes from.
#[derive(Debug, Clone)]
struct Entry {
    hook: HookFn,
    from: std::sync::Arc<str>,
    /// The [`Library::load_id`] of the library it comes from.
    library: u64,
}

/// A loaded plugin with its resolved table: what runs for each hook point.
#[derive(Debug)]
pub struct Plugin {
    info: PluginInfo,
    table: [Box<[Entry]>; 10],
    stages: Vec<StageDecl>,
}

/// Every plugin that loaded and resolved.
#[derive(Debug, Default)]
pub struct PluginHost {
    plugins: Vec<Plugin>,
    by_name: HashMap<String, usize>,
    /// Every library that opened (resolved or not), for a reload to keep unchanged ones.
    libraries: Vec<Library>,
    /// Files that could not be loaded, as they were then, for a reload to skip unchanged ones.
    unloadable: Vec<(PathBuf, Option<FileStamp>, LoadError)>,
    generation: u64,
}

impl PluginHost {
    /// Loads every plugin library in `search`. Libraries that cannot be used are left out and
    /// returned with the reason (the caller logs them); the rest are usable.
    pub fn load(search: &SearchPath) -> (PluginHost, Vec<LoadError>) {
        PluginHost::load_files(&search.libraries())
    }

    /// Loads the given library files (in order: for a duplicate name, the first one wins).
    pub fn load_files(files: &[(PathBuf, Source)]) -> (PluginHost, Vec<LoadError>) {
        PluginHost::default().reload_files(files)
    }

    /// The plugins of `search` as they are now, for new requests: libraries whose file did
    /// not change since this host loaded them are kept (same code, same state); new and
    /// changed ones are loaded as new copies. This host stays valid for calls already
    /// running on it (libraries are never unloaded).
    pub fn reload(&self, search: &SearchPath) -> (PluginHost, Vec<LoadError>) {
        self.reload_files(&search.libraries())
    }

    /// [`PluginHost::reload`] over the given files.
    pub fn reload_files(&self, files: &[(PathBuf, Source)]) -> (PluginHost, Vec<LoadError>) {
        static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut refused = Vec::new();
        let mut unloadable = Vec::new();
        let mut libraries: Vec<Library> = Vec::new();
        for (file, source) in files {
            let stamp = FileStamp::of(file);
            let outcome = self
                .as_before(file, *source, stamp)
                .unwrap_or_else(|| loader::load(file, *source));
            match outcome {
                Ok(library) => match libraries.iter().find(|l| l.name == library.name) {
                    Some(first) => refused.push(LoadError::Duplicate {
                        plugin: library.name,
                        first: first.file.clone(),
                        second: library.file,
                    }),
                    None => libraries.push(library),
                },
                Err(e) => {
                    unloadable.push((file.clone(), stamp, e.clone()));
                    refused.push(e);
                }
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
        let mut host = PluginHost {
            generation: GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            libraries: libraries.clone(),
            unloadable,
            ..PluginHost::default()
        };
        let load_ids: Vec<u64> = libraries.iter().map(|l| l.load_id).collect();
        for (library, resolved) in libraries.into_iter().zip(resolve_all(&declared)) {
            match resolved {
                Ok(table) => {
                    let entries = table.map(|slots| {
                        slots
                            .iter()
                            .map(|s: &Slot<HookFn>| Entry {
                                hook: s.hook,
                                from: names[s.from].clone(),
                                library: load_ids[s.from],
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
                        load_id: library.load_id,
                        stages: library
                            .stages
                            .iter()
                            .map(|s| s.name.as_str().to_owned())
                            .collect(),
                        extends: library.extends,
                        features: library.features,
                    };
                    host.by_name.insert(info.name.clone(), host.plugins.len());
                    host.plugins.push(Plugin {
                        info,
                        table: entries,
                        stages: library.stages,
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

    /// What loading `file` gave this host, when the file has not changed since (`stamp` is
    /// its stamp now): the library it loaded, or the refusal.
    fn as_before(
        &self,
        file: &Path,
        source: Source,
        stamp: Option<FileStamp>,
    ) -> Option<Result<Library, LoadError>> {
        stamp?;
        let library = self
            .libraries
            .iter()
            .find(|l| l.file == file && l.source == source && l.stamp == stamp);
        let refusal = || {
            self.unloadable
                .iter()
                .find(|(f, s, _)| f == file && *s == stamp)
                .map(|(_, _, e)| Err(e.clone()))
        };
        library.cloned().map(Ok).or_else(refusal)
    }

    /// Unique to each load or reload in the process.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The loaded plugins, in load order.
    pub fn plugins(&self) -> impl Iterator<Item = &PluginInfo> {
        self.plugins.iter().map(|p| &p.info)
    }

    /// Every native stage of the loaded plugins, with the plugin it comes from, in load order.
    pub fn stages(&self) -> impl Iterator<Item = (&PluginInfo, &StageDecl)> {
        self.plugins
            .iter()
            .flat_map(|p| p.stages.iter().map(move |s| (&p.info, s)))
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

    /// The libraries (their [`Library::load_id`]s) whose implementations run for `hook`.
    pub fn libraries_of(&self, hook: HookPoint) -> Vec<u64> {
        self.table[hook.index()].iter().map(|e| e.library).collect()
    }

    /// [`Plugin::dispatch`] of a lifecycle hook, running only the implementations from
    /// libraries `run` accepts: after a reload, a live session's `onSessionCreate` is run
    /// by the libraries that are new to it.
    pub fn dispatch_from(
        &self,
        hook: HookPoint,
        run: impl Fn(u64) -> bool,
        call: &Call<'_>,
        services: &dyn HostServices,
        message: &str,
    ) -> Result<Outcome, DispatchError> {
        for entry in self.table[hook.index()].iter().filter(|e| run(e.library)) {
            invoke(entry, hook, call, services, message)?;
        }
        Ok(Outcome::PassThrough)
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
