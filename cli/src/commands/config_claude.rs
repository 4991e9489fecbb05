//! `mcpctl config claude --project P`: writes the project into `.mcp.json` (the file Claude
//! Code reads in a project folder), as a STDIO server launched with `mcpctl mcp`.
//!
//! An existing file keeps everything else it holds: other servers and other top-level keys.
//! The command written uses absolute paths, so it works whatever folder the client starts
//! it from; its environment carries `MCPCTL_HOME` (and `MCPLOCAL_LISTEN` when set), which is
//! all it needs besides the mcpd address saved there by `mcpctl login`.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::args::ConfigClaudeArgs;
use crate::commands::Context;
use crate::commands::files::write_atomically;
use crate::error::CommandError;
use crate::local::LISTEN_VAR;
use crate::output::notice;

/// Largest `.mcp.json` mcpctl will read and rewrite.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

pub fn config_claude(context: &Context, args: &ConfigClaudeArgs) -> Result<(), CommandError> {
    let project = context.require_project("config claude")?.to_owned();
    let path = args
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(".mcp.json"));
    let name = args.name.clone().unwrap_or_else(|| project.clone());
    let home = context.home()?;
    let home_dir = absolute(home.dir());
    let mcpctl = std::env::current_exe()
        .map_err(|error| CommandError::Usage(format!("cannot find mcpctl's own path: {error}")))?;
    let mut env = Map::new();
    env.insert(
        "MCPCTL_HOME".into(),
        Value::String(home_dir.display().to_string()),
    );
    if let Ok(listen) = std::env::var(LISTEN_VAR)
        && !listen.trim().is_empty()
    {
        env.insert(LISTEN_VAR.into(), Value::String(listen));
    }
    if let Some(url) = context.mcpd_url_flag() {
        env.insert("MCPCTL_MCPD_URL".into(), Value::String(url.to_owned()));
    }
    let entry = json!({
        "command": mcpctl.display().to_string(),
        "args": ["mcp", "--project", project],
        "env": env,
    });
    let display = path.display().to_string();
    let mut document = read_existing(&path)?;
    let Some(top) = document.as_object_mut() else {
        return Err(CommandError::ReadFile {
            file: display,
            reason: "is not a JSON object; fix or move it".into(),
        });
    };
    let servers = top
        .entry("mcpServers")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(servers) = servers.as_object_mut() else {
        return Err(CommandError::ReadFile {
            file: display,
            reason: "mcpServers is not a JSON object; fix or move it".into(),
        });
    };
    let replaced = servers.insert(name.clone(), entry).is_some();
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    write_atomically(&path, text.as_bytes()).map_err(|error| CommandError::ReadFile {
        file: display.clone(),
        reason: format!("cannot write: {error}"),
    })?;
    let verb = if replaced { "updated" } else { "added" };
    notice(&format!(
        "{display}: {verb} MCP server {name:?} (project {project}); restart Claude Code to use it"
    ));
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The file's JSON, or an empty object when there is no file (or it is empty).
fn read_existing(path: &Path) -> Result<Value, CommandError> {
    let display = path.display().to_string();
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Value::Object(Map::new()));
        }
        Err(error) => {
            return Err(CommandError::ReadFile {
                file: display,
                reason: error.to_string(),
            });
        }
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(CommandError::ReadFile {
            file: display,
            reason: format!("is larger than {MAX_FILE_BYTES} bytes; is it really .mcp.json?"),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|error| CommandError::ReadFile {
        file: display.clone(),
        reason: error.to_string(),
    })?;
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_str(&text).map_err(|error| CommandError::ReadFile {
        file: display,
        reason: format!(
            "is not valid JSON (line {} column {}): {error}; fix it, or move it away and run again",
            error.line(),
            error.column()
        ),
    })
}
