//! What `plugin install` and `plugin pack` are given, read and validated with mcplocal's own
//! rules: a library is loaded by the plugin host's loader next to the built-in plugins (ABI
//! version, type layout, host features, inheritance, name clashes); a JS stage is loaded by
//! the JS stage registry (name, size, syntax, default export). Nothing is installed from
//! here.

use std::io::Read;
use std::path::{Path, PathBuf};

use js_stages::{JsLimits, JsStageRegistry};
use plugin_host::{LoadError, PluginHost, SearchPath, Source};

use super::{PluginCommandError, archive, is_valid_name, sha256_hex};

/// The largest plugin library accepted, in bytes.
pub const MAX_LIBRARY_BYTES: u64 = 256 * 1024 * 1024;

/// What a candidate installs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A plugin library, into `$MCPCTL_HOME/plugins`.
    Plugin,
    /// A JS stage file, into `$MCPCTL_HOME/stages`.
    JsStage,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Plugin => "plugin",
            Kind::JsStage => "js-stage",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "plugin" => Some(Kind::Plugin),
            "js-stage" => Some(Kind::JsStage),
            _ => None,
        }
    }
}

/// A validated plugin or stage, with its bytes.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub kind: Kind,
    pub name: String,
    /// The plugin's version (`-` for a JS stage).
    pub version: String,
    /// The plugin-api version a library was built against.
    pub api_version: Option<String>,
    /// A library's native stages.
    pub stages: Vec<String>,
    /// The file name it installs under (`libNAME.so`, `NAME.js`).
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    /// Where it was read from.
    pub origin: PathBuf,
}

/// Reads and validates what `path` is: a library, a JS stage, a project folder or an archive.
pub fn from_path(path: &Path) -> Result<Candidate, PluginCommandError> {
    if path.is_dir() {
        return project(path);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        return archive::unpack(path);
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("so") => library(path, read_bounded(path, MAX_LIBRARY_BYTES)?),
        Some(ext @ ("js" | "mjs")) => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            js_stage(
                path,
                &stem,
                ext,
                read_bounded(path, JsLimits::default().max_file_bytes)?,
            )
        }
        _ if !path.exists() => Err(PluginCommandError::io(path, "no such file or folder")),
        _ => Err(PluginCommandError::invalid(
            path,
            "not a plugin library (.so), a JS stage (.js, .mjs), a project folder or an archive (.tar.gz)",
        )),
    }
}

/// Reads `path`, refusing more than `max` bytes.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, PluginCommandError> {
    let file = std::fs::File::open(path).map_err(|e| PluginCommandError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| PluginCommandError::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(PluginCommandError::invalid(
            path,
            format!("larger than the {max}-byte limit"),
        ));
    }
    Ok(bytes)
}

/// A library, loaded from a temporary file beside the built-in plugins.
pub fn library(origin: &Path, bytes: Vec<u8>) -> Result<Candidate, PluginCommandError> {
    let scratch = tempfile::tempdir().map_err(|e| PluginCommandError::io(origin, e))?;
    // Named as the original (messages derive the plugin's name from the file's).
    let file_name = origin
        .file_name()
        .filter(|n| plugin_host::search_path::is_library_name(Path::new(n)))
        .map_or_else(|| "libplugin.so".into(), |n| n.to_os_string());
    let file = scratch.path().join(file_name);
    std::fs::write(&file, &bytes).map_err(|e| PluginCommandError::io(&file, e))?;
    let search =
        SearchPath::from_env().map_err(|e| PluginCommandError::invalid(origin, e.to_string()))?;
    let mut files: Vec<(PathBuf, Source)> = search
        .libraries()
        .into_iter()
        .filter(|(_, source)| *source == Source::BuiltIn)
        .collect();
    files.push((file.clone(), Source::Local));
    let (host, refused) = PluginHost::load_files(&files);
    let Some(info) = host.plugins().find(|p| p.file == file) else {
        let reason = refused
            .iter()
            .find_map(|error| match error {
                LoadError::Duplicate {
                    plugin,
                    first,
                    second,
                } if *second == file => Some(format!(
                    "the plugin is named `{plugin}`, like the built-in plugin {}; give it another name",
                    first.display()
                )),
                other => {
                    let text = other.to_string();
                    let ours = file.display().to_string();
                    text.contains(&ours)
                        .then(|| text.replace(&ours, &origin.display().to_string()))
                }
            })
            .unwrap_or_else(|| "it did not load".to_owned());
        return Err(PluginCommandError::invalid(origin, reason));
    };
    if !is_valid_name(&info.name) {
        return Err(PluginCommandError::invalid(
            origin,
            format!(
                "the plugin's declared name {:?} is not valid (lowercase letters, digits and '-')",
                info.name
            ),
        ));
    }
    Ok(Candidate {
        kind: Kind::Plugin,
        file_name: installed_library_name(&info.name),
        version: info.version.clone(),
        api_version: Some(info.api_version.clone()),
        stages: info.stages.clone(),
        name: info.name.clone(),
        sha256: sha256_hex(&bytes),
        bytes,
        origin: origin.to_path_buf(),
    })
}

/// `libNAME.so` with `_` for `-`, the way cargo names a cdylib.
pub fn installed_library_name(name: &str) -> String {
    format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        name.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    )
}

/// A JS stage named `name`, loaded by the JS stage registry from a temporary folder.
pub fn js_stage(
    origin: &Path,
    name: &str,
    extension: &str,
    bytes: Vec<u8>,
) -> Result<Candidate, PluginCommandError> {
    if !is_valid_name(name) {
        return Err(PluginCommandError::invalid(
            origin,
            format!("{name:?} is not a valid stage name (lowercase letters, digits and '-')"),
        ));
    }
    if pipeline::BuiltinStages::new().contains(name) {
        return Err(PluginCommandError::invalid(
            origin,
            format!("{name:?} is the name of a built-in stage; choose another"),
        ));
    }
    let scratch = tempfile::tempdir().map_err(|e| PluginCommandError::io(origin, e))?;
    let file_name = format!("{name}.{extension}");
    let file = scratch.path().join(&file_name);
    std::fs::write(&file, &bytes).map_err(|e| PluginCommandError::io(&file, e))?;
    let registry = JsStageRegistry::open(scratch.path(), JsLimits::default());
    if let Some(skipped) = registry.skipped().first() {
        let reason = match skipped.line {
            Some(line) => format!("line {line}: {}", skipped.reason),
            None => skipped.reason.clone(),
        };
        return Err(PluginCommandError::invalid(origin, reason));
    }
    if registry.js_stage(name).is_none() {
        return Err(PluginCommandError::invalid(
            origin,
            "the stage did not load",
        ));
    }
    Ok(Candidate {
        kind: Kind::JsStage,
        name: name.to_owned(),
        version: "-".to_owned(),
        api_version: None,
        stages: vec![name.to_owned()],
        file_name,
        sha256: sha256_hex(&bytes),
        bytes,
        origin: origin.to_path_buf(),
    })
}

/// A project folder from `plugin new`: a Rust crate (its built library) or a JS stage package.
fn project(dir: &Path) -> Result<Candidate, PluginCommandError> {
    let cargo_toml = dir.join("Cargo.toml");
    let package_json = dir.join("package.json");
    if cargo_toml.is_file() {
        let text = std::fs::read_to_string(&cargo_toml)
            .map_err(|e| PluginCommandError::io(&cargo_toml, e))?;
        let name = package_name(&text)
            .ok_or_else(|| PluginCommandError::invalid(&cargo_toml, "has no [package] name"))?;
        let file = built_library(dir, &name).ok_or_else(|| {
            PluginCommandError::invalid(
                dir,
                format!(
                    "no built library {} under its target folder; build it first with 'cargo build --release'",
                    installed_library_name(&name)
                ),
            )
        })?;
        return library(&file, read_bounded(&file, MAX_LIBRARY_BYTES)?);
    }
    if package_json.is_file() {
        let bytes = read_bounded(&package_json, 1024 * 1024)?;
        let package: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| PluginCommandError::invalid(&package_json, format!("not JSON: {e}")))?;
        let name = package["name"]
            .as_str()
            .ok_or_else(|| PluginCommandError::invalid(&package_json, "has no \"name\""))?;
        let stage = package["mcpctl"]["stage"].as_str().unwrap_or("stage.js");
        let file = dir.join(stage);
        let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(extension, "js" | "mjs") {
            return Err(PluginCommandError::invalid(
                &package_json,
                format!("\"mcpctl.stage\" must name a .js or .mjs file, not {stage:?}"),
            ));
        }
        let bytes = read_bounded(&file, JsLimits::default().max_file_bytes)?;
        return js_stage(&file, name, extension, bytes);
    }
    Err(PluginCommandError::invalid(
        dir,
        "is not a plugin or stage project (no Cargo.toml or package.json)",
    ))
}

/// `name` of the `[package]` table.
fn package_name(cargo_toml: &str) -> Option<String> {
    let mut in_package = false;
    for line in cargo_toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(value) = line.strip_prefix("name").map(str::trim_start)
            && let Some(value) = value.strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_owned());
        }
    }
    None
}

/// The newest of `target/{release,debug}/libNAME.so` (or under `$CARGO_TARGET_DIR`).
fn built_library(dir: &Path, package: &str) -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|t| !t.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("target"));
    let name = installed_library_name(package);
    ["release", "debug"]
        .iter()
        .map(|profile| target.join(profile).join(&name))
        .filter_map(|file| {
            let modified = std::fs::metadata(&file).ok()?.modified().ok()?;
            Some((modified, file))
        })
        .max()
        .map(|(_, file)| file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_name_is_read_from_its_table() {
        let toml = "[lib]\nname = \"x\"\n[package]\nversion = \"1\"\nname = \"my-plugin\"\n";
        assert_eq!(package_name(toml).as_deref(), Some("my-plugin"));
        assert_eq!(package_name("[workspace]\n"), None);
    }
}
