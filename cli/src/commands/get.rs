//! `mcpctl get KIND [NAME...]` and `mcpctl get all`.

use std::collections::HashMap;

use resource_model::spec::TemplateSpec;
use resource_model::{Kind, Resource, Spec, catalog};
use serde_json::{Map, Value};

use crate::api::{Api, Scope};
use crate::args::{GetArgs, OutputFormat, Target};
use crate::error::CommandError;
use crate::output::columns::{self, RowContext};
use crate::output::{age, document_label, document_name, grouped, notice, print, to_json, to_yaml};

use super::Context;

pub fn get(context: &Context, args: &GetArgs) -> Result<(), CommandError> {
    if args.server.is_some() && args.target != Target::Kind(Kind::Instance) {
        return Err(CommandError::Usage(
            "--server only narrows instances: 'mcpctl get instances --server SERVER'".to_owned(),
        ));
    }
    let api = context.api()?;
    let scope = context.scope().revealing(args.reveal);
    match args.target {
        Target::All => get_all(&api, scope, args),
        Target::Kind(kind) => get_kind(&api, kind, scope, args),
        Target::ProxyModels => super::proxymodels::get(context, args),
    }
}

fn get_kind(api: &Api, kind: Kind, scope: Scope, args: &GetArgs) -> Result<(), CommandError> {
    let server = args.server.as_deref();
    let (items, errors) = match (args.names.is_empty(), kind) {
        (true, Kind::Instance) => (api.instances(server)?, Vec::new()),
        (true, _) => (api.list(kind, scope)?, Vec::new()),
        (false, Kind::Instance) => {
            let (items, mut errors) = fetch_each(api, kind, &args.names, scope);
            let (items, others) = of_server(items, server);
            errors.extend(others);
            (items, errors)
        }
        (false, _) => fetch_each(api, kind, &args.names, scope),
    };
    match args.output {
        OutputFormat::Table | OutputFormat::Wide => {
            if items.is_empty() {
                if errors.is_empty() {
                    let found = match server {
                        Some(server) => format!("No instances found for server {server}."),
                        None => nothing_found(kind.plural(), scope.project),
                    };
                    notice(&found);
                }
            } else {
                let resources = columns::read_documents(kind, &items)?;
                let context = row_context(api, args.output, false, &resources);
                print(&columns::table(kind, &resources, &context).render())?;
            }
        }
        OutputFormat::Yaml | OutputFormat::Json => {
            let document = match (args.names.len(), items.len()) {
                (1, 1) => items.into_iter().next(),
                (0, _) => Some(grouped(kind, items)),
                (_, 0) => None,
                _ => Some(grouped(kind, items)),
            };
            if let Some(document) = document {
                print_document(&document, args.output)?;
            }
        }
        OutputFormat::Name => {
            let lines: String = items
                .iter()
                .map(|item| format!("{}\n", document_label(kind, item)))
                .collect();
            print(&lines)?;
        }
    }
    CommandError::combine(errors)
}

/// Gets each named resource; the ones found, and an error for each one that was not.
fn fetch_each(
    api: &Api,
    kind: Kind,
    names: &[String],
    scope: Scope,
) -> (Vec<Value>, Vec<CommandError>) {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        match api.get(kind, name, scope) {
            Ok(item) => items.push(item),
            Err(err) => errors.push(err.into()),
        }
    }
    (items, errors)
}

/// The named instances that belong to `server` (all of them without one), and an error for
/// each that does not.
fn of_server(items: Vec<Value>, server: Option<&str>) -> (Vec<Value>, Vec<CommandError>) {
    let Some(server) = server else {
        return (items, Vec::new());
    };
    let mut errors = Vec::new();
    let items = items
        .into_iter()
        .filter(|item| {
            let theirs = item.get("server").and_then(Value::as_str);
            if theirs == Some(server) {
                return true;
            }
            let name = document_name(Kind::Instance, item).unwrap_or("<unnamed>");
            errors.push(CommandError::Usage(format!(
                "instance {name} belongs to server {}, not {server}",
                theirs.unwrap_or("<none>")
            )));
            false
        })
        .collect();
    (items, errors)
}

fn get_all(api: &Api, scope: Scope, args: &GetArgs) -> Result<(), CommandError> {
    if !args.names.is_empty() {
        return Err(CommandError::Usage(
            "get all takes no names; use 'mcpctl get KIND NAME'".to_owned(),
        ));
    }
    let groups = api.export(scope)?;
    match args.output {
        OutputFormat::Yaml | OutputFormat::Json => {
            print_document(&Value::Object(groups), args.output)?;
        }
        OutputFormat::Name => {
            let mut lines = String::new();
            for (kind, items) in known_groups(&groups) {
                for item in items {
                    lines.push_str(&format!("{}\n", document_label(kind, item)));
                }
            }
            print(&lines)?;
        }
        OutputFormat::Table | OutputFormat::Wide => {
            let mut tables = Vec::new();
            let mut all = Vec::new();
            for (kind, items) in known_groups(&groups) {
                let resources = columns::read_documents(kind, items)?;
                all.extend(resources.iter().cloned());
                tables.push((kind, resources));
            }
            if tables.is_empty() {
                notice(&nothing_found("resources", scope.project));
                return Ok(());
            }
            let context = row_context(api, args.output, true, &all);
            let text: Vec<String> = tables
                .iter()
                .map(|(kind, resources)| columns::table(*kind, resources, &context).render())
                .collect();
            print(&text.join("\n"))?;
        }
    }
    Ok(())
}

/// The non-empty lists of an export whose key is a kind, in dependency order.
fn known_groups(groups: &Map<String, Value>) -> Vec<(Kind, &Vec<Value>)> {
    Kind::ALL
        .into_iter()
        .filter_map(|kind| match groups.get(kind.plural()) {
            Some(Value::Array(items)) if !items.is_empty() => Some((kind, items)),
            _ => None,
        })
        .collect()
}

fn print_document(document: &Value, format: OutputFormat) -> Result<(), CommandError> {
    let text = if format == OutputFormat::Json {
        to_json(document)
    } else {
        to_yaml(document)?
    };
    print(&text)?;
    Ok(())
}

/// kubectl's message for an empty list: `No servers found.`
fn nothing_found(what: &str, project: Option<&str>) -> String {
    match project {
        Some(project) => format!("No {what} found in project {project}."),
        None => format!("No {what} found."),
    }
}

fn row_context(
    api: &Api,
    format: OutputFormat,
    kind_prefix: bool,
    resources: &[Resource],
) -> RowContext {
    RowContext {
        now_ms: age::now_ms(),
        wide: format == OutputFormat::Wide,
        kind_prefix,
        templates: templates_for(api, resources),
    }
}

/// The templates the listed servers come from, by name: asked of mcpd only when a server
/// needs one, and taken from the built-in catalog if mcpd cannot say.
pub fn templates_for(api: &Api, resources: &[Resource]) -> HashMap<String, TemplateSpec> {
    let needed = resources.iter().any(|r| {
        matches!(&r.spec, Spec::Server(s) if s.from_template.is_some()
            && (s.transport.is_none() || (s.docker_image.is_none() && s.command.is_none())))
    });
    if !needed {
        return HashMap::new();
    }
    let listed = api
        .list(Kind::Template, Scope::default())
        .ok()
        .and_then(|items| columns::read_documents(Kind::Template, &items).ok());
    let templates: Vec<Resource> = match listed {
        Some(templates) => templates,
        None => catalog::builtin_templates()
            .map(<[Resource]>::to_vec)
            .unwrap_or_default(),
    };
    templates
        .into_iter()
        .filter_map(|t| match t.spec {
            Spec::Template(spec) => Some((t.name, spec)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_lists_say_so_like_kubectl() {
        assert_eq!(nothing_found("servers", None), "No servers found.");
        assert_eq!(
            nothing_found("prompts", Some("mon")),
            "No prompts found in project mon."
        );
    }

    #[test]
    fn named_instances_must_belong_to_the_server_given() {
        let items = vec![
            serde_json::json!({"name": "a-1", "server": "a"}),
            serde_json::json!({"name": "b-1", "server": "b"}),
        ];
        let (kept, errors) = of_server(items.clone(), None);
        assert_eq!((kept.len(), errors.len()), (2, 0));
        let (kept, errors) = of_server(items, Some("a"));
        assert_eq!(kept, [serde_json::json!({"name": "a-1", "server": "a"})]);
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["instance b-1 belongs to server b, not a"]
        );
    }

    #[test]
    fn exports_are_shown_kind_by_kind_in_dependency_order() {
        let groups: Map<String, Value> = serde_json::from_str(
            r#"{"servers": [{"name": "a"}], "secrets": [{"name": "s"}], "prompts": [], "widgets": [{}]}"#,
        )
        .expect("json");
        let kinds: Vec<Kind> = known_groups(&groups).into_iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [Kind::Secret, Kind::Server]);
    }
}
