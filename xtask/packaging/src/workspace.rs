//! What the workspace builds, read from `cargo metadata`: the version, the plugin ABI version,
//! which of the shipped binaries exist, and every plugin library under `plugins/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::command::{self, CommandError};

/// The binaries a package ships, and whether their absence is an error (mcplocal arrives later).
pub const SHIPPED_BINARIES: [(&str, Need); 3] = [
    ("mcpctl", Need::Required),
    ("mcpd", Need::Required),
    ("mcplocal", Need::Optional),
];

/// The crate whose version is the plugin ABI version.
pub const PLUGIN_API_PACKAGE: &str = "plugin-api";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("cargo metadata: {0}")]
    Metadata(#[from] CommandError),
    #[error("cargo metadata printed invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cargo metadata: {0}")]
    Shape(String),
    #[error("no package of the workspace has a [[bin]] named {0}; it must exist to build packages")]
    MissingBinary(String),
    #[error("the workspace has no package {PLUGIN_API_PACKAGE}, whose version is the plugin ABI")]
    MissingPluginApi,
}

/// A binary to ship and the package that builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    pub name: String,
    pub package: String,
}

/// A plugin library (`cdylib`) and the package that builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plugin {
    pub package: String,
    /// The file cargo writes: `lib<target name, '-' as '_'>.so`.
    pub file_name: String,
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub version: String,
    pub repository: Option<String>,
    /// `MAJOR.MINOR` of the plugin-api crate.
    pub plugin_abi: String,
    pub binaries: Vec<Binary>,
    pub plugins: Vec<Plugin>,
    /// Why something optional is not shipped.
    pub notes: Vec<String>,
}

/// The workspace root (this crate lives at `xtask/packaging`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or(manifest)
}

fn str_field<'a>(value: &'a Value, key: &str) -> Result<&'a str, WorkspaceError> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| WorkspaceError::Shape(format!("no string field {key:?}")))
}

fn array_field<'a>(value: &'a Value, key: &str) -> Result<&'a [Value], WorkspaceError> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| WorkspaceError::Shape(format!("no array field {key:?}")))
}

fn has_kind(target: &Value, kind: &str) -> bool {
    target
        .get("kind")
        .and_then(Value::as_array)
        .is_some_and(|kinds| kinds.iter().any(|k| k.as_str() == Some(kind)))
}

/// `0.1.0` → `0.1`.
fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

impl Workspace {
    /// Runs `cargo metadata --no-deps` on the workspace.
    pub fn discover() -> Result<Workspace, WorkspaceError> {
        let root = root();
        let json = command::output(
            Command::new("cargo")
                .args([
                    "metadata",
                    "--no-deps",
                    "--format-version",
                    "1",
                    "--manifest-path",
                ])
                .arg(root.join("Cargo.toml")),
        )?;
        Workspace::from_metadata(&serde_json::from_slice(&json)?)
    }

    /// Reads `cargo metadata --format-version 1` output.
    pub fn from_metadata(metadata: &Value) -> Result<Workspace, WorkspaceError> {
        let root = PathBuf::from(str_field(metadata, "workspace_root")?);
        let target_dir = PathBuf::from(str_field(metadata, "target_directory")?);
        let packages = array_field(metadata, "packages")?;
        let plugins_dir = root.join("plugins");

        let mut binaries = Vec::new();
        let mut notes = Vec::new();
        for (name, need) in SHIPPED_BINARIES {
            let mut owner = None;
            for package in packages {
                for target in array_field(package, "targets")? {
                    if has_kind(target, "bin") && str_field(target, "name")? == name {
                        owner = Some(str_field(package, "name")?.to_owned());
                    }
                }
            }
            match (owner, need) {
                (Some(package), _) => binaries.push(Binary {
                    name: name.to_owned(),
                    package,
                }),
                (None, Need::Required) => return Err(WorkspaceError::MissingBinary(name.into())),
                (None, Need::Optional) => notes.push(format!(
                    "{name}: no package has a [[bin]] named {name} yet, so it is not shipped"
                )),
            }
        }

        let mut plugins = Vec::new();
        let mut version = None;
        let mut repository = None;
        let mut plugin_abi = None;
        for package in packages {
            let name = str_field(package, "name")?;
            if name == PLUGIN_API_PACKAGE {
                plugin_abi = Some(major_minor(str_field(package, "version")?));
            }
            if binaries.iter().any(|b| b.package == name) && version.is_none() {
                version = Some(str_field(package, "version")?.to_owned());
                repository = package
                    .get("repository")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            if !Path::new(str_field(package, "manifest_path")?).starts_with(&plugins_dir) {
                continue;
            }
            for target in array_field(package, "targets")? {
                if has_kind(target, "cdylib") {
                    plugins.push(Plugin {
                        package: name.to_owned(),
                        file_name: format!(
                            "lib{}.so",
                            str_field(target, "name")?.replace('-', "_")
                        ),
                    });
                }
            }
        }
        plugins.sort_by(|a, b| a.file_name.cmp(&b.file_name));
        Ok(Workspace {
            root,
            target_dir,
            version: version.ok_or_else(|| {
                WorkspaceError::Shape("no version for the shipped binaries".into())
            })?,
            repository,
            plugin_abi: plugin_abi.ok_or(WorkspaceError::MissingPluginApi)?,
            binaries,
            plugins,
            notes,
        })
    }

    /// Where cargo puts the artifacts of `profile` (`dev` builds into `debug/`).
    pub fn profile_dir(&self, profile: &str) -> PathBuf {
        let folder = match profile {
            "dev" | "test" => "debug",
            "bench" => "release",
            other => other,
        };
        self.target_dir.join(folder)
    }

    /// The packages to build: those of the shipped binaries and of the plugins.
    pub fn packages_to_build(&self) -> Vec<&str> {
        let mut packages: Vec<&str> = self
            .binaries
            .iter()
            .map(|b| b.package.as_str())
            .chain(self.plugins.iter().map(|p| p.package.as_str()))
            .collect();
        packages.sort_unstable();
        packages.dedup();
        packages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, manifest: &str, targets: Value) -> Value {
        serde_json::json!({
            "name": name, "version": "1.2.3", "manifest_path": manifest, "targets": targets,
            "repository": "https://example.invalid/x",
        })
    }

    fn metadata(packages: Vec<Value>) -> Value {
        serde_json::json!({
            "workspace_root": "/w", "target_directory": "/w/target", "packages": packages,
        })
    }

    #[test]
    fn finds_binaries_plugins_and_the_abi_version() {
        let ws = Workspace::from_metadata(&metadata(vec![
            package(
                "cli",
                "/w/cli/Cargo.toml",
                serde_json::json!([{"kind": ["bin"], "name": "mcpctl"}]),
            ),
            package(
                "mcpd",
                "/w/host/mcpd/Cargo.toml",
                serde_json::json!([
                {"kind": ["lib"], "name": "mcpd"}, {"kind": ["bin"], "name": "mcpd"}]),
            ),
            package(
                "plugin-api",
                "/w/plugin-api/Cargo.toml",
                serde_json::json!([{"kind": ["lib"], "name": "plugin_api"}]),
            ),
            package(
                "content-pipeline",
                "/w/plugins/content-pipeline/Cargo.toml",
                serde_json::json!([{"kind": ["cdylib"], "name": "content-pipeline"}]),
            ),
            package(
                "not-a-plugin",
                "/w/host/x/Cargo.toml",
                serde_json::json!([{"kind": ["cdylib"], "name": "x"}]),
            ),
        ]))
        .expect("parse");
        assert_eq!(ws.version, "1.2.3");
        assert_eq!(ws.plugin_abi, "1.2");
        assert_eq!(
            ws.binaries
                .iter()
                .map(|b| (b.name.as_str(), b.package.as_str()))
                .collect::<Vec<_>>(),
            [("mcpctl", "cli"), ("mcpd", "mcpd")]
        );
        assert_eq!(ws.plugins.len(), 1);
        assert_eq!(ws.plugins[0].file_name, "libcontent_pipeline.so");
        assert!(ws.notes[0].starts_with("mcplocal: "), "{:?}", ws.notes);
        assert_eq!(ws.packages_to_build(), ["cli", "content-pipeline", "mcpd"]);
        assert_eq!(ws.profile_dir("dev"), Path::new("/w/target/debug"));
        assert_eq!(ws.profile_dir("packaged"), Path::new("/w/target/packaged"));
    }

    #[test]
    fn a_missing_required_binary_is_named() {
        let err = Workspace::from_metadata(&metadata(vec![package(
            "cli",
            "/w/cli/Cargo.toml",
            serde_json::json!([{"kind": ["bin"], "name": "mcpctl"}]),
        )]))
        .expect_err("mcpd is missing");
        assert!(err.to_string().contains("named mcpd"), "{err}");
    }
}
