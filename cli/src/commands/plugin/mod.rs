//! `mcpctl plugin new|install|pack|list|remove`: third-party plugins and stages on this
//! machine. Everything happens on disk under `$MCPCTL_HOME` (no mcpd or mcplocal needed);
//! mcplocal's watchers pick installs and removals up without a restart.
//!
//! - [`new`]: a project from the SDK's templates.
//! - [`candidate`]: what a PATH or ARCHIVE holds, validated with mcplocal's own rules (the
//!   plugin loader for libraries, the JS stage registry for stage files).
//! - [`archive`]: the `.tar.gz` format `pack` writes and `install` reads (manifest + checksum).
//! - [`installed`]: the plugins and stages in `$MCPCTL_HOME`: install, list, remove.

mod archive;
mod candidate;
mod installed;
mod new;

use std::path::PathBuf;

use crate::args::PluginCommand;
use crate::error::CommandError;

use super::Context;

/// Why a plugin command failed. Each names the file or folder it is about.
#[derive(Debug, thiserror::Error)]
pub enum PluginCommandError {
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error(
        "{0:?} is not a valid name: use 1 to 63 lowercase letters, digits and '-', starting with a letter"
    )]
    BadName(String),
    #[error("{path} already exists and is not empty; choose another --dir or remove it")]
    NotEmpty { path: PathBuf },
    #[error("JS runs as stages only: use --lang js --kind stage, or --lang rust for a plugin")]
    JsPlugin,
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("{path}: checksum mismatch: expected sha256 {expected}, the file has {actual}")]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("no installed plugin or stage is named {name:?}; installed: {installed}")]
    NotInstalled { name: String, installed: String },
}

impl PluginCommandError {
    fn io(path: impl Into<PathBuf>, error: impl std::fmt::Display) -> PluginCommandError {
        PluginCommandError::Io {
            path: path.into(),
            reason: error.to_string(),
        }
    }

    fn invalid(path: impl Into<PathBuf>, reason: impl Into<String>) -> PluginCommandError {
        PluginCommandError::Invalid {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

pub fn plugin(context: &Context, command: PluginCommand) -> Result<(), CommandError> {
    match command {
        PluginCommand::New(args) => Ok(new::new(&args)?),
        PluginCommand::Install(args) => {
            let home = context.home()?;
            Ok(installed::install(home.dir(), &args)?)
        }
        PluginCommand::Pack(args) => Ok(archive::pack(&args)?),
        PluginCommand::List { output } => {
            let home = context.home()?;
            installed::list(home.dir(), output)
        }
        PluginCommand::Remove { name } => {
            let home = context.home()?;
            Ok(installed::remove(home.dir(), &name)?)
        }
    }
}

/// Plugin and stage names: what projects and ProxyModels refer to, and part of file names.
fn is_valid_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// Lowercase hex SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels() {
        assert!(is_valid_name("redact-keys"));
        assert!(is_valid_name("a1"));
        for bad in ["", "-a", "a-", "A", "a_b", "1a", &"a".repeat(64)] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn sha256_is_the_standard_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
