//! `mcpctl get proxymodels [NAME...]` and `mcpctl describe proxymodel NAME`: the plugins
//! mcplocal loaded (proxy models are not mcpd resources, so these ask mcplocal, starting it
//! when none runs).

use serde_json::Value;

use crate::args::{GetArgs, OutputFormat};
use crate::error::CommandError;
use crate::local;
use crate::output::describe::Description;
use crate::output::table::Table;
use crate::output::{notice, print, to_json, to_yaml};

use super::Context;

/// `GET {mcplocal}{path}` of the mcplocal serving the context's mcpd.
fn fetch(context: &Context, path: &str) -> Result<Value, CommandError> {
    let mcpd_url = context.mcpd_url()?;
    let home = context.home()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| CommandError::Usage(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(async {
        let base = local::ensure_running(&mcpd_url, home.dir()).await?;
        let url = format!("{base}{path}");
        let response = reqwest::Client::new()
            .get(&url)
            .send()
            .await
            .map_err(|error| {
                CommandError::Bridge(format!("cannot reach mcplocal at {url}: {error}"))
            })?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|error| {
            CommandError::Bridge(format!(
                "mcplocal's answer to GET {url} is not JSON: {error}"
            ))
        })?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(CommandError::Bridge(
                body["error"]["message"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("mcplocal answered {status} to GET {url}")),
            ))
        }
    })
}

fn one(context: &Context, name: &str) -> Result<Value, CommandError> {
    fetch(context, &format!("/proxymodels/{name}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The strings of a JSON array joined with `separator`, or `-` when there are none.
fn joined(value: &Value, separator: &str) -> String {
    let items = strings(value);
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(separator)
    }
}

fn field<'a>(item: &'a Value, key: &str) -> &'a str {
    item[key].as_str().unwrap_or("")
}

pub fn get(context: &Context, args: &GetArgs) -> Result<(), CommandError> {
    if args.reveal || args.server.is_some() {
        return Err(CommandError::Usage(
            "get proxymodels takes no --reveal or --server".to_owned(),
        ));
    }
    let (items, errors) = if args.names.is_empty() {
        let list = fetch(context, "/proxymodels")?;
        (
            list["items"].as_array().cloned().unwrap_or_default(),
            Vec::new(),
        )
    } else {
        let mut items = Vec::new();
        let mut errors = Vec::new();
        for name in &args.names {
            match one(context, name) {
                Ok(item) => items.push(item),
                Err(error) => errors.push(error),
            }
        }
        (items, errors)
    };
    match args.output {
        OutputFormat::Table | OutputFormat::Wide => {
            if items.is_empty() {
                if errors.is_empty() {
                    notice("No proxy models found (mcplocal loaded no plugin).");
                }
            } else {
                print(&table(&items, args.output == OutputFormat::Wide).render())?;
            }
        }
        OutputFormat::Yaml | OutputFormat::Json => {
            let document = if args.names.len() == 1 && items.len() == 1 {
                items.into_iter().next()
            } else if items.is_empty() && !args.names.is_empty() {
                None
            } else {
                Some(serde_json::json!({ "proxymodels": items }))
            };
            if let Some(document) = document {
                let text = if args.output == OutputFormat::Json {
                    to_json(&document)
                } else {
                    to_yaml(&document)?
                };
                print(&text)?;
            }
        }
        OutputFormat::Name => {
            let lines: String = items
                .iter()
                .map(|item| format!("proxymodel/{}\n", field(item, "name")))
                .collect();
            print(&lines)?;
        }
    }
    CommandError::combine(errors)
}

fn table(items: &[Value], wide: bool) -> Table {
    let mut header = vec!["NAME", "KIND", "SOURCE", "EXTENDS", "HOOKS", "STAGES"];
    if wide {
        header.extend(["VERSION", "FILE"]);
    }
    let mut table = Table::new(header);
    for item in items {
        let is_pipeline = item["kind"] == "pipeline";
        let hooks = item["hooks"].as_array().map_or(0, Vec::len);
        let mut row = vec![
            field(item, "name").to_owned(),
            field(item, "kind").to_owned(),
            field(item, "source").to_owned(),
            joined(&item["extends"], ","),
            if is_pipeline {
                "-".to_owned()
            } else {
                hooks.to_string()
            },
            joined(&item["stages"], " → "),
        ];
        if wide {
            row.extend([
                field(item, "version").to_owned(),
                field(item, "file").to_owned(),
            ]);
        }
        table.push(row);
    }
    table
}

pub fn describe(context: &Context, name: &str) -> Result<(), CommandError> {
    let item = one(context, name)?;
    print(&description(&item).render())?;
    Ok(())
}

fn description(item: &Value) -> Description {
    if item["kind"] == "pipeline" {
        return pipeline_description(item);
    }
    let mut d = Description::new();
    d.field("Name", field(item, "name"));
    d.field("Kind", field(item, "kind"));
    d.field("Source", field(item, "source"));
    d.field("Version", field(item, "version"));
    d.field("Plugin API", field(item, "apiVersion"));
    d.field("Extends", joined(&item["extends"], ", "));
    d.field("Host features", joined(&item["features"], ", "));
    d.field("File", field(item, "file"));
    d.section("Hooks", |d| {
        let mut hooks = Table::new(["HOOK", "FROM"]);
        for hook in item["hooks"].as_array().into_iter().flatten() {
            hooks.push(vec![
                field(hook, "hook").to_owned(),
                strings(&hook["from"]).join(", "),
            ]);
        }
        d.table(&hooks);
    });
    d
}

/// A pipeline: its stages with their config, what it applies to, and how it fails.
fn pipeline_description(item: &Value) -> Description {
    let mut d = Description::new();
    d.field("Name", field(item, "name"));
    d.field("Kind", "pipeline");
    d.field("Source", field(item, "source"));
    d.field("File", field(item, "file"));
    d.field("Applies to", joined(&item["appliesTo"], ", "));
    d.field(
        "Cacheable",
        if item["cacheable"] == true {
            "yes"
        } else {
            "no"
        },
    );
    d.field("Fallback", field(item, "fallback"));
    d.section("Stages", |d| {
        let mut stages = Table::new(["STAGE", "CONFIG"]);
        let configs = item["stageConfigs"].as_array();
        for (i, stage) in strings(&item["stages"]).into_iter().enumerate() {
            let config = configs
                .and_then(|c| c.get(i))
                .filter(|c| c.as_object().is_some_and(|o| !o.is_empty()))
                .map(Value::to_string)
                .unwrap_or_else(|| "-".to_owned());
            stages.push(vec![stage.to_owned(), config]);
        }
        d.table(&stages);
    });
    d
}
