//! Running the external tools packaging needs (cargo, strip, readelf, the built mcpctl).

use std::process::{Command, ExitStatus, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("cannot run {command}: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{command} failed ({status}){}", stderr_suffix(.stderr))]
    Failed {
        command: String,
        status: ExitStatus,
        stderr: String,
    },
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

/// The command as a shell would show it.
pub fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `cmd` and returns its standard output; a failure carries its standard error.
pub fn output(cmd: &mut Command) -> Result<Vec<u8>, CommandError> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|source| CommandError::Spawn {
            command: describe(cmd),
            source,
        })?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(CommandError::Failed {
            command: describe(cmd),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// Runs `cmd` with its output shown, announcing it first.
pub fn status(cmd: &mut Command) -> Result<(), CommandError> {
    eprintln!("packaging: $ {}", describe(cmd));
    let status = cmd.status().map_err(|source| CommandError::Spawn {
        command: describe(cmd),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(CommandError::Failed {
            command: describe(cmd),
            status,
            stderr: String::new(),
        })
    }
}
