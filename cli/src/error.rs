//! What can make a command fail. `main` prints each as one `error: ...` line.

use std::path::PathBuf;

use resource_model::ModelError;

use crate::client::ClientError;
use crate::config::ConfigError;
use crate::flags::FlagError;
use crate::local::LocalError;
use crate::merge_patch::PatchError;
use crate::output::OutputError;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Flag(#[from] FlagError),
    #[error(transparent)]
    Patch(#[from] PatchError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Local(#[from] LocalError),
    /// The MCP connection to mcplocal failed.
    #[error("{0}")]
    Bridge(String),
    /// The command line is incomplete in a way clap cannot check (a global flag a command needs).
    #[error("{0}")]
    Usage(String),
    /// A file could not be read.
    #[error("{file}: {reason}")]
    ReadFile { file: String, reason: String },
    /// Something went wrong with what a file holds; the message starts with the file's name.
    #[error("{file}: {source}")]
    InFile {
        file: String,
        source: Box<CommandError>,
    },
    /// A document read on this side is not valid.
    #[error(transparent)]
    Document(#[from] ModelError),
    #[error("{0}")]
    Editor(String),
    /// An edit that could not be saved in mcpd; the user's text is kept in `saved`.
    #[error("{source}; your edit is kept in {}", saved.display())]
    EditKept {
        source: Box<CommandError>,
        saved: PathBuf,
    },
    /// Several independent failures (`delete a b` where both fail), one line each.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<CommandError>),
    /// The pipeline cache under $MCPCTL_HOME/cache.
    #[error(transparent)]
    Cache(#[from] result_cache::CacheError),
    /// `mcpctl plugin ...`.
    #[error(transparent)]
    Plugin(#[from] crate::commands::plugin::PluginCommandError),
}

impl CommandError {
    /// The same error, named after the file it concerns.
    pub fn in_file(self, file: &str) -> CommandError {
        CommandError::InFile {
            file: file.to_owned(),
            source: Box::new(self),
        }
    }

    /// Standard output was closed under us (`mcpctl get servers | head -1`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CommandError::Output(e) if e.is_broken_pipe())
    }

    /// One message per failure, each on a single line.
    pub fn messages(&self) -> Vec<String> {
        match self {
            CommandError::Several(errors) => errors.iter().flat_map(Self::messages).collect(),
            other => vec![one_line(&other.to_string())],
        }
    }

    /// All failures as one error: none is fine, one is itself, more are `Several`.
    pub fn combine(mut errors: Vec<CommandError>) -> Result<(), CommandError> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(CommandError::Several(errors)),
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A readable reason for a failed file read (`no such file`, not `entity not found`).
pub fn io_reason(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "no such file".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::IsADirectory => "is a directory, not a file".to_owned(),
        ErrorKind::InvalidData => "not UTF-8 text".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_is_one_line() {
        let errors = CommandError::Several(vec![
            CommandError::Usage("first\nproblem".into()),
            CommandError::Usage("second".into()),
        ]);
        assert_eq!(errors.messages(), ["first problem", "second"]);
    }

    #[test]
    fn files_prefix_their_errors() {
        let err = CommandError::Usage("servers[1].replicas: too many".into()).in_file("s.yaml");
        assert_eq!(err.to_string(), "s.yaml: servers[1].replicas: too many");
    }

    #[test]
    fn combine_keeps_single_errors_as_they_are() {
        assert!(CommandError::combine(vec![]).is_ok());
        let one = CommandError::combine(vec![CommandError::Usage("x".into())]);
        assert!(matches!(one, Err(CommandError::Usage(_))));
    }
}
