//! mcpctl: kubectl for MCP servers. A command line client of mcpd's REST API.
//!
//! Data goes to standard output; every failure is one `error: ...` line on standard error and
//! exit code 1.

mod api;
mod args;
mod client;
mod commands;
mod config;
mod error;
mod flags;
mod local;
mod mcp_http;
mod merge_patch;
mod output;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::args::Cli;
use crate::output::notice;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return command_line_error(&err),
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            for message in err.messages() {
                notice(&format!("error: {message}"));
            }
            ExitCode::FAILURE
        }
    }
}

/// Help and version go out as clap writes them; a mistake on the command line is one line.
fn command_line_error(err: &clap::Error) -> ExitCode {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            ExitCode::FAILURE
        }
        _ => {
            notice(&format!("error: {}", one_line(&err.render().to_string())));
            ExitCode::FAILURE
        }
    }
}

/// clap's message on one line: the error with the lines that continue it (the missing
/// arguments), its tips, and the usage.
fn one_line(rendered: &str) -> String {
    let mut message: Vec<String> = Vec::new();
    let mut extras = Vec::new();
    let mut in_message = false;
    for line in rendered.lines() {
        let trimmed = line.trim();
        if let Some(text) = trimmed.strip_prefix("error:") {
            message.push(text.trim().to_owned());
            in_message = true;
        } else if trimmed.is_empty() {
            in_message = false;
        } else if let Some(tip) = trimmed.strip_prefix("tip:") {
            extras.push(tip.trim().to_owned());
        } else if let Some(usage) = trimmed.strip_prefix("Usage:") {
            extras.push(format!("usage: {}", usage.trim()));
        } else if in_message {
            message.push(trimmed.to_owned());
        }
    }
    let mut text = message.join(" ");
    if text.is_empty() {
        text = rendered.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    for extra in extras {
        text.push_str(&format!("; {extra}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_fit_on_one_line() {
        let err =
            Cli::try_parse_from(["mcpctl", "get", "servers", "--projec", "x"]).expect_err("typo");
        let line = one_line(&err.render().to_string());
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.starts_with("unexpected argument '--projec' found"),
            "{line}"
        );
        assert!(line.contains("--project"), "{line}");
    }

    #[test]
    fn missing_arguments_are_named() {
        let err = Cli::try_parse_from(["mcpctl", "get"]).expect_err("no kind");
        let line = one_line(&err.render().to_string());
        assert_eq!(
            line,
            "the following required arguments were not provided: <KIND>; usage: mcpctl get <KIND> [NAMES]..."
        );
    }

    #[test]
    fn bad_kinds_fit_on_one_line() {
        let err = Cli::try_parse_from(["mcpctl", "get", "pods"]).expect_err("pods");
        let line = one_line(&err.render().to_string());
        assert!(line.contains("unknown resource kind \"pods\""), "{line}");
    }
}
