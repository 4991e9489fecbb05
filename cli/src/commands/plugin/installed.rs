//! The third-party plugins (`$MCPCTL_HOME/plugins/lib*.so`) and JS stages
//! (`$MCPCTL_HOME/stages/*.js`, `*.mjs`) on this machine: install, list, remove.
//!
//! An install writes the file under a temporary name in the same folder and renames it into
//! place, so mcplocal's watcher never sees half a file and a library mcplocal has mapped is
//! never written over in place.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::args::{OutputFormat, PluginInstallArgs};
use crate::error::CommandError;
use crate::output::table::Table;
use crate::output::{notice, print, print_document};

use super::candidate::{self, Candidate, Kind, MAX_LIBRARY_BYTES};
use super::{PluginCommandError, sha256_hex};

fn plugins_dir(home: &Path) -> PathBuf {
    home.join("plugins")
}

fn stages_dir(home: &Path) -> PathBuf {
    home.join("stages")
}

pub fn install(home: &Path, args: &PluginInstallArgs) -> Result<(), PluginCommandError> {
    let candidate = candidate::from_path(&args.path)?;
    if let Some(expected) = &args.sha256
        && !expected.eq_ignore_ascii_case(&candidate.sha256)
    {
        return Err(PluginCommandError::Checksum {
            path: candidate.origin,
            expected: expected.clone(),
            actual: candidate.sha256,
        });
    }
    let dir = match candidate.kind {
        Kind::Plugin => plugins_dir(home),
        Kind::JsStage => stages_dir(home),
    };
    std::fs::create_dir_all(&dir).map_err(|e| PluginCommandError::io(&dir, e))?;
    let dest = dir.join(&candidate.file_name);
    let replaced = dest.exists();
    write_atomically(&dest, &candidate.bytes)?;
    if candidate.kind == Kind::JsStage {
        // One file per stage name: installing x.mjs retires an x.js, and the other way round.
        for other in ["js", "mjs"] {
            let file = dir.join(format!("{}.{other}", candidate.name));
            if file != dest && file.exists() {
                std::fs::remove_file(&file).map_err(|e| PluginCommandError::io(&file, e))?;
            }
        }
    }
    notice(&summary(&candidate, &dest, replaced));
    Ok(())
}

fn summary(candidate: &Candidate, dest: &Path, replaced: bool) -> String {
    let what = match candidate.kind {
        Kind::Plugin => format!(
            "plugin {} {} (plugin-api {}{})",
            candidate.name,
            candidate.version,
            candidate.api_version.as_deref().unwrap_or("?"),
            if candidate.stages.is_empty() {
                String::new()
            } else {
                format!(", stages {}", candidate.stages.join(", "))
            }
        ),
        Kind::JsStage => format!("JS stage {}", candidate.name),
    };
    format!(
        "{} {what} as {} (sha256 {}); a running mcplocal picks it up within a second",
        if replaced { "Replaced" } else { "Installed" },
        dest.display(),
        candidate.sha256
    )
}

fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<(), PluginCommandError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    // A dot name: the watchers ignore it (not lib*.so, not *.js).
    let mut partial = tempfile::Builder::new()
        .prefix(".installing-")
        .tempfile_in(dir)
        .map_err(|e| PluginCommandError::io(dir, e))?;
    use std::io::Write;
    partial
        .write_all(bytes)
        .and_then(|()| partial.as_file().sync_all())
        .map_err(|e| PluginCommandError::io(partial.path(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(partial.path(), mode)
            .map_err(|e| PluginCommandError::io(partial.path(), e))?;
    }
    partial
        .persist(dest)
        .map_err(|e| PluginCommandError::io(dest, e.error))?;
    Ok(())
}

/// One installed plugin or stage, as `plugin list` shows it.
#[derive(Debug, Clone)]
struct Installed {
    name: String,
    kind: Kind,
    version: String,
    api_version: String,
    stages: Vec<String>,
    file: PathBuf,
    sha256: String,
    /// Why mcplocal would refuse it, when it would.
    problem: Option<String>,
}

fn installed(home: &Path) -> Vec<Installed> {
    let mut found = Vec::new();
    for file in files_in(&plugins_dir(home), |p| {
        plugin_host::search_path::is_library_name(p)
    }) {
        let sha256 = candidate::read_bounded(&file, MAX_LIBRARY_BYTES)
            .map(|b| sha256_hex(&b))
            .unwrap_or_else(|_| "-".to_owned());
        let entry = match plugin_host::loader::load(&file, plugin_host::Source::Local) {
            Ok(library) => Installed {
                name: library.name,
                kind: Kind::Plugin,
                version: library.version,
                api_version: library.api_version,
                stages: library
                    .stages
                    .iter()
                    .map(|s| s.name.as_str().to_owned())
                    .collect(),
                file,
                sha256,
                problem: None,
            },
            Err(error) => Installed {
                name: plugin_host::search_path::name_from_file(&file),
                kind: Kind::Plugin,
                version: "-".to_owned(),
                api_version: "-".to_owned(),
                stages: Vec::new(),
                problem: Some(error.to_string()),
                file,
                sha256,
            },
        };
        found.push(entry);
    }
    for file in files_in(&stages_dir(home), |p| {
        matches!(p.extension().and_then(|e| e.to_str()), Some("js" | "mjs"))
    }) {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sha256 = std::fs::read(&file)
            .map(|b| sha256_hex(&b))
            .unwrap_or_else(|_| "-".to_owned());
        found.push(Installed {
            stages: vec![name.clone()],
            name,
            kind: Kind::JsStage,
            version: "-".to_owned(),
            api_version: "-".to_owned(),
            file,
            sha256,
            problem: None,
        });
    }
    found.sort_by(|a, b| (&a.name, a.kind.as_str()).cmp(&(&b.name, b.kind.as_str())));
    found
}

fn files_in(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && keep(p))
        .collect();
    files.sort();
    files
}

pub fn list(home: &Path, output: OutputFormat) -> Result<(), CommandError> {
    let found = installed(home);
    match output {
        OutputFormat::Json | OutputFormat::Yaml => {
            let items: Vec<Value> = found
                .iter()
                .map(|i| {
                    json!({
                        "name": i.name,
                        "kind": i.kind.as_str(),
                        "version": i.version,
                        "apiVersion": i.api_version,
                        "stages": i.stages,
                        "file": i.file.display().to_string(),
                        "sha256": i.sha256,
                        "problem": i.problem,
                    })
                })
                .collect();
            let value = json!({ "items": items });
            Ok(print_document(&value, output == OutputFormat::Json)?)
        }
        OutputFormat::Name => {
            let names: String = found
                .iter()
                .map(|i| format!("{}/{}\n", i.kind.as_str(), i.name))
                .collect();
            Ok(print(&names)?)
        }
        OutputFormat::Table | OutputFormat::Wide => {
            if found.is_empty() {
                notice(&format!(
                    "No plugins or stages installed in {} or {}.",
                    plugins_dir(home).display(),
                    stages_dir(home).display()
                ));
                return Ok(());
            }
            let wide = output == OutputFormat::Wide;
            let mut header = vec!["name", "kind", "version", "api", "stages", "sha256"];
            if wide {
                header.push("file");
            }
            header.push("status");
            let mut table = Table::new(header);
            for i in &found {
                let mut row = vec![
                    i.name.clone(),
                    i.kind.as_str().to_owned(),
                    i.version.clone(),
                    i.api_version.clone(),
                    if i.stages.is_empty() {
                        "-".to_owned()
                    } else {
                        i.stages.join(",")
                    },
                    if wide {
                        i.sha256.clone()
                    } else {
                        i.sha256.chars().take(12).collect()
                    },
                ];
                if wide {
                    row.push(i.file.display().to_string());
                }
                row.push(match &i.problem {
                    None => "ok".to_owned(),
                    Some(problem) => format!("refused: {problem}"),
                });
                table.push(row);
            }
            Ok(print(&table.render())?)
        }
    }
}

pub fn remove(home: &Path, name: &str) -> Result<(), PluginCommandError> {
    let found = installed(home);
    let matching: Vec<&Installed> = found.iter().filter(|i| i.name == name).collect();
    if matching.is_empty() {
        let mut names: Vec<String> = found
            .iter()
            .map(|i| format!("{} ({})", i.name, i.kind.as_str()))
            .collect();
        names.dedup();
        return Err(PluginCommandError::NotInstalled {
            name: name.to_owned(),
            installed: if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            },
        });
    }
    for item in matching {
        std::fs::remove_file(&item.file).map_err(|e| PluginCommandError::io(&item.file, e))?;
        notice(&format!(
            "Removed {} {} ({}); a running mcplocal drops it within a second",
            item.kind.as_str(),
            item.name,
            item.file.display()
        ));
    }
    Ok(())
}
