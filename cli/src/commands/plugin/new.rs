//! `mcpctl plugin new NAME --lang rust|js [--kind plugin|stage]`: a project from the SDK's
//! templates, ready to build and test.

use std::path::{Path, PathBuf};

use sdk::templates::Template;

use crate::args::{PluginKind, PluginLang, PluginNewArgs};
use crate::output::notice;

use super::{PluginCommandError, is_valid_name};

pub fn new(args: &PluginNewArgs) -> Result<(), PluginCommandError> {
    if !is_valid_name(&args.name) {
        return Err(PluginCommandError::BadName(args.name.clone()));
    }
    let template = match (args.lang, args.kind) {
        (PluginLang::Rust, None | Some(PluginKind::Plugin)) => Template::RustPlugin,
        (PluginLang::Rust, Some(PluginKind::Stage)) => Template::RustStage,
        (PluginLang::Js, None | Some(PluginKind::Stage)) => Template::JsStage,
        (PluginLang::Js, Some(PluginKind::Plugin)) => return Err(PluginCommandError::JsPlugin),
    };
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    let is_empty = std::fs::read_dir(&dir).map(|mut d| d.next().is_none());
    if matches!(is_empty, Ok(false)) {
        return Err(PluginCommandError::NotEmpty { path: dir });
    }
    let sdk = sdk_dependency(args.sdk.as_deref())?;
    for (path, text) in template.render(&args.name, &sdk) {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| PluginCommandError::io(parent, e))?;
        }
        std::fs::write(&file, text).map_err(|e| PluginCommandError::io(&file, e))?;
    }
    let next = match template {
        Template::JsStage => "npm test",
        Template::RustPlugin | Template::RustStage => "cargo test && cargo build --release",
    };
    notice(&format!(
        "Created {} in {}. Next: cd {} && {next} && mcpctl plugin install .",
        match template {
            Template::RustPlugin => "Rust plugin",
            Template::RustStage => "Rust stage",
            Template::JsStage => "JS stage",
        },
        dir.display(),
        dir.display()
    ));
    Ok(())
}

/// The `sdk = ...` line of a Rust project: `--sdk`, else `$MCPCTL_SDK_PATH`, else the SDK
/// source this mcpctl was built from when it is still there; with none of them, the
/// crates.io version that matches this mcpctl.
fn sdk_dependency(flag: Option<&Path>) -> Result<String, PluginCommandError> {
    let given = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("MCPCTL_SDK_PATH").map(PathBuf::from));
    let path = match given {
        Some(path) => {
            if !path.join("Cargo.toml").is_file() {
                return Err(PluginCommandError::invalid(
                    &path,
                    "is not the SDK's source folder (it has no Cargo.toml)",
                ));
            }
            Some(path)
        }
        None => found_sdk(),
    };
    Ok(match path {
        Some(path) => {
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            format!("sdk = {{ path = {:?} }}", path.display().to_string())
        }
        None => format!("sdk = \"={}\"", env!("CARGO_PKG_VERSION")),
    })
}

fn found_sdk() -> Option<PathBuf> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    built_from
        .join("Cargo.toml")
        .is_file()
        .then_some(built_from)
}
