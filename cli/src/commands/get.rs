//! `mcpctl get KIND [NAME...]` and `mcpctl get all`.

use std::collections::HashMap;

use resource_model::spec::TemplateSpec;
use resource_model::{Kind, Resource, Spec, catalog};
use serde_json::{Map, Value};

use crate::api::{Api, Scope};
use crate::args::{GetArgs, OutputFormat, Target};
use crate::error::CommandError;
use crate::output::columns::{self, RowContext};
use crate::output::{age, document_label, grouped, notice, print, to_json, to_yaml};

use super::Context;

pub fn get(context: &Context, args: &GetArgs) -> Result<(), CommandError> {
    let api = context.api()?;
    let scope = context.scope().revealing(args.reveal);
    match args.target {
        Target::All => get_all(&api, scope, args),
        Target::Kind(kind) => get_kind(&api, kind, scope, args),
    }
}

fn get_kind(api: &Api, kind: Kind, scope: Scope, args: &GetArgs) -> Result<(), CommandError> {
    let (items, errors) = if args.names.is_empty() {
        (api.list(kind, scope)?, Vec::new())
    } else {
        fetch_each(api, kind, &args.names, scope)
    };
    match args.output {
        OutputFormat::Table | OutputFormat::Wide => {
            if items.is_empty() {
                if errors.is_empty() {
                    notice(&nothing_found(kind.plural(), scope.project));
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
    fn exports_are_shown_kind_by_kind_in_dependency_order() {
        let groups: Map<String, Value> = serde_json::from_str(
            r#"{"servers": [{"name": "a"}], "secrets": [{"name": "s"}], "prompts": [], "widgets": [{}]}"#,
        )
        .expect("json");
        let kinds: Vec<Kind> = known_groups(&groups).into_iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [Kind::Secret, Kind::Server]);
    }
}
