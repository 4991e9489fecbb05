//! `mcpctl completion SHELL`: a completion script generated from the real command line.

use clap::CommandFactory;

use crate::args::{Cli, CompletionArgs};
use crate::error::CommandError;
use crate::output::{OutputError, print};

pub fn completion(args: &CompletionArgs) -> Result<(), CommandError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "mcpctl", &mut script);
    let script = String::from_utf8(script)
        .map_err(|e| OutputError::Write(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    print(&script)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_know_the_commands() {
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "mcpctl",
            &mut script,
        );
        let script = String::from_utf8(script).expect("utf-8");
        assert!(script.contains("attach-server"));
        assert!(script.contains("--mcpd-url"));
    }
}
