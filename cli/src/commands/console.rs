//! `mcpctl console PROJECT`: a line console showing what an MCP client sees of a project
//! through mcplocal (tools, resources, prompts) and calling tools with JSON arguments.
//! `mcpctl console --inspect`: the live traffic through mcplocal, one line per request.
//!
//! The console reads commands from stdin (a prompt is shown on a terminal), so it can also
//! be scripted: `printf 'tools\ncall time/get_current_time {"timezone":"UTC"}\n' | mcpctl
//! console P`.

// Logging notifications are deprecated for 2026-07-28 (SEP-2577); the revisions spoken
// still have them.
#![allow(deprecated)]

use std::io::{IsTerminal, Write};

use rmcp::model::{
    CallToolRequestParams, ClientConfig, ContentBlock, GetPromptRequestParams, Implementation,
    LoggingMessageNotificationParam, ProgressNotificationParam, ReadResourceRequestParams,
    ResourceContents,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Map, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::args::ConsoleArgs;
use crate::commands::Context;
use crate::error::CommandError;
use crate::local;
use crate::output::notice;

const HELP: &str = "commands:
  tools                  list the tools the client sees
  resources              list the resources
  prompts                list the prompts
  schema TOOL            show a tool's input schema
  call TOOL [JSON]       call a tool with a JSON object of arguments
  read URI               read a resource
  prompt NAME [JSON]     get a prompt with a JSON object of arguments
  help                   this text
  quit                   leave (or end the input)";

pub fn console(context: &Context, args: &ConsoleArgs) -> Result<(), CommandError> {
    let mcpd_url = context.mcpd_url()?;
    let home = context.home()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| CommandError::Usage(format!("cannot start the async runtime: {error}")))?;
    if args.inspect {
        let project = args.project_name.as_deref().or(context.project());
        return runtime.block_on(inspect(
            &mcpd_url,
            home.dir(),
            project,
            args.server.as_deref(),
        ));
    }
    let project = args
        .project_name
        .as_deref()
        .or(context.project())
        .ok_or_else(|| CommandError::Usage("console needs a PROJECT (or --inspect)".into()))?
        .to_owned();
    runtime.block_on(async move {
        let base = local::ensure_running(&mcpd_url, home.dir()).await?;
        local::check_project(&base, &project).await?;
        repl(&local::project_endpoint(&base, &project), &project).await
    })
}

/// Shows what the project's servers send on their own (list changes, logs, progress).
#[derive(Debug, Clone, Default)]
struct ConsoleClient;

impl ClientHandler for ConsoleClient {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        notice("* the tool list changed (type 'tools' to see it)");
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        notice("* the prompt list changed");
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        notice("* the resource list changed");
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let logger = params.logger.unwrap_or_default();
        notice(&format!(
            "* log {:?} {logger}: {}",
            params.level, params.data
        ));
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let total = params.total.map(|t| format!("/{t}")).unwrap_or_default();
        let message = params.message.unwrap_or_default();
        notice(&format!("* progress {}{total} {message}", params.progress));
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            Default::default(),
            Implementation::new("mcpctl-console", env!("CARGO_PKG_VERSION")),
        )
    }
}

type Session = RunningService<RoleClient, ConsoleClient>;

async fn repl(endpoint: &str, project: &str) -> Result<(), CommandError> {
    let transport = crate::mcp_http::transport(endpoint)?;
    let session = ConsoleClient.serve(transport).await.map_err(|error| {
        CommandError::Bridge(format!("cannot open a session at {endpoint}: {error}"))
    })?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        let server = session
            .peer_info()
            .and_then(|info| {
                info.server_info
                    .as_ref()
                    .map(|i| format!("{} {}", i.name, i.version))
            })
            .unwrap_or_default();
        println!("connected to project {project} ({server}); type 'help' for commands");
        run_line(&session, "tools").await;
    }
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        if interactive {
            print!("{project}> ");
            let _ = std::io::stdout().flush();
        }
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(error) => return Err(CommandError::Bridge(format!("cannot read stdin: {error}"))),
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if matches!(line, "quit" | "exit") {
            break;
        }
        run_line(&session, line).await;
    }
    let _ = session.cancel().await;
    Ok(())
}

/// Runs one console command; failures are printed, the console goes on.
async fn run_line(session: &Session, line: &str) {
    if let Err(message) = run_command(session, line).await {
        notice(&format!("error: {message}"));
    }
}

fn json_object(text: &str, what: &str) -> Result<Option<Map<String, Value>>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(format!(
            "{what} must be a JSON object, like {{\"key\": \"value\"}}"
        )),
        Err(error) => Err(format!(
            "{what} are not valid JSON (column {}): {error}",
            error.column()
        )),
    }
}

async fn run_command(session: &Session, line: &str) -> Result<(), String> {
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let failed = |error: rmcp::ServiceError| error.to_string();
    match command {
        "help" => println!("{HELP}"),
        "tools" => {
            let tools = session.list_all_tools().await.map_err(failed)?;
            println!("{} tools", tools.len());
            for tool in tools {
                println!(
                    "  {}  {}",
                    tool.name,
                    first_line(tool.description.as_deref())
                );
            }
        }
        "resources" => {
            let resources = session.list_all_resources().await.map_err(failed)?;
            println!("{} resources", resources.len());
            for resource in resources {
                println!("  {}  {}", resource.uri, resource.name);
            }
        }
        "prompts" => {
            let prompts = session.list_all_prompts().await.map_err(failed)?;
            println!("{} prompts", prompts.len());
            for prompt in prompts {
                println!(
                    "  {}  {}",
                    prompt.name,
                    first_line(prompt.description.as_deref())
                );
            }
        }
        "schema" => {
            let tools = session.list_all_tools().await.map_err(failed)?;
            let tool = tools
                .iter()
                .find(|tool| tool.name == rest)
                .ok_or_else(|| format!("no tool {rest:?}; type 'tools' to list them"))?;
            let schema = serde_json::to_string_pretty(&tool.input_schema).unwrap_or_default();
            println!("{schema}");
        }
        "call" => {
            let (name, arguments) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            if name.is_empty() {
                return Err("usage: call TOOL [JSON]".into());
            }
            let mut params = CallToolRequestParams::new(name.to_owned());
            if let Some(arguments) = json_object(arguments, "the arguments")? {
                params = params.with_arguments(arguments);
            }
            let result = session.call_tool(params).await.map_err(failed)?;
            if result.is_error == Some(true) {
                println!("the tool reported an error:");
            }
            print_contents(&result.content);
            if result.content.is_empty()
                && let Some(structured) = &result.structured_content
            {
                println!(
                    "{}",
                    serde_json::to_string_pretty(structured).unwrap_or_default()
                );
            }
        }
        "read" => {
            if rest.is_empty() {
                return Err("usage: read URI".into());
            }
            let result = session
                .read_resource(ReadResourceRequestParams::new(rest.to_owned()))
                .await
                .map_err(failed)?;
            for contents in result.contents {
                match contents {
                    ResourceContents::TextResourceContents { text, .. } => println!("{text}"),
                    ResourceContents::BlobResourceContents {
                        blob, mime_type, ..
                    } => println!(
                        "<{} bytes of base64, {}>",
                        blob.len(),
                        mime_type.unwrap_or_default()
                    ),
                    other => println!("{}", serde_json::to_string(&other).unwrap_or_default()),
                }
            }
        }
        "prompt" => {
            let (name, arguments) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            if name.is_empty() {
                return Err("usage: prompt NAME [JSON]".into());
            }
            let mut params = GetPromptRequestParams::new(name.to_owned());
            if let Some(arguments) = json_object(arguments, "the arguments")? {
                params = params.with_arguments(arguments);
            }
            let result = session.get_prompt(params).await.map_err(failed)?;
            for message in result.messages {
                let text = match message.content.as_text() {
                    Some(text) => text.text.clone(),
                    None => serde_json::to_string(&message.content).unwrap_or_default(),
                };
                println!("[{:?}] {text}", message.role);
            }
        }
        other => return Err(format!("unknown command {other:?}; type 'help'")),
    }
    Ok(())
}

fn first_line(text: Option<&str>) -> &str {
    text.and_then(|text| text.lines().next()).unwrap_or("")
}

fn print_contents(contents: &[ContentBlock]) {
    for content in contents {
        match content.as_text() {
            Some(text) => println!("{}", text.text),
            None => println!("{}", serde_json::to_string(content).unwrap_or_default()),
        }
    }
}

/// Prints mcplocal's traffic feed, one line per request, until interrupted.
async fn inspect(
    mcpd_url: &str,
    home: &std::path::Path,
    project: Option<&str>,
    server: Option<&str>,
) -> Result<(), CommandError> {
    use futures_util::StreamExt;
    let base = local::ensure_running(mcpd_url, home).await?;
    let mut url = reqwest::Url::parse(&format!("{base}/inspect"))
        .map_err(|error| CommandError::Bridge(format!("bad mcplocal address {base}: {error}")))?;
    let filters = [("project", project), ("server", server)];
    for (key, value) in filters {
        if let Some(value) = value {
            url.query_pairs_mut().append_pair(key, value);
        }
    }
    let response = reqwest::Client::new()
        .get(url.clone())
        .send()
        .await
        .map_err(|error| {
            CommandError::Bridge(format!("cannot reach mcplocal at {url}: {error}"))
        })?;
    if !response.status().is_success() {
        return Err(CommandError::Bridge(format!(
            "mcplocal answered {} to {url}",
            response.status()
        )));
    }
    println!(
        "{:<24} {:<14} {:<16} {:<16} {:<32} {:>10} {:>9} {:>9}  ERROR",
        "TIME", "PROJECT", "SERVER", "METHOD", "NAME", "LATENCY", "REQ", "RESP"
    );
    let _ = std::io::stdout().flush();
    let mut body = response.bytes_stream();
    let mut pending = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|error| {
            CommandError::Bridge(format!("the feed from {url} broke off: {error}"))
        })?;
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if let Ok(event) = serde_json::from_slice::<Value>(&line)
                && event.get("method").is_some()
            {
                println!("{}", format_event(&event));
                let _ = std::io::stdout().flush();
            }
        }
    }
    Ok(())
}

fn format_event(event: &Value) -> String {
    let text = |key: &str| event[key].as_str().unwrap_or("").to_owned();
    let latency = event["latencyUs"].as_u64().unwrap_or(0);
    let latency = if latency >= 10_000 {
        format!("{} ms", latency / 1000)
    } else {
        format!("{latency} µs")
    };
    format!(
        "{:<24} {:<14} {:<16} {:<16} {:<32} {:>10} {:>9} {:>9}  {}",
        text("time"),
        text("project"),
        text("server"),
        text("method"),
        text("name"),
        latency,
        event["requestBytes"].as_u64().unwrap_or(0),
        event["responseBytes"].as_u64().unwrap_or(0),
        text("error"),
    )
}
