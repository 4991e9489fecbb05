//! Reading files of resources: multi-document YAML (or JSON), each document either one resource
//! with a `kind`, or the grouped form whose top-level keys are plural kinds (`servers:` ...).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::ModelError;
use crate::kind::Kind;
use crate::resource::Resource;
use crate::validate::validate;

/// Parses YAML or JSON text into plain values, one per document (empty documents are skipped).
pub fn parse_values(text: &str) -> Result<Vec<Value>, ModelError> {
    let mut values = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|err| {
            let location = err.location();
            ModelError::Syntax {
                line: location.as_ref().map(|l| l.line()),
                column: location.as_ref().map(|l| l.column()),
                message: strip_location(&err.to_string()),
            }
        })?;
        if !value.is_null() {
            values.push(value);
        }
    }
    Ok(values)
}

/// serde_yaml_ng appends " at line X column Y" to its messages; we report the position first.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Reads every resource of a file, in file order. Errors name the document and field.
pub fn parse_resources(
    text: &str,
    default_project: Option<&str>,
) -> Result<Vec<Resource>, ModelError> {
    resources_from_values(parse_values(text)?, default_project)
}

/// Reads every resource of already-parsed documents, in order.
pub fn resources_from_values(
    values: Vec<Value>,
    default_project: Option<&str>,
) -> Result<Vec<Resource>, ModelError> {
    let single = values.len() == 1;
    let mut resources = Vec::new();
    for (index, value) in values.into_iter().enumerate() {
        let label = if single {
            String::new()
        } else {
            format!("document {}", index + 1)
        };
        read_document(value, &label, default_project, &mut resources)?;
    }
    Ok(resources)
}

fn read_document(
    value: Value,
    label: &str,
    default_project: Option<&str>,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let Value::Object(fields) = value else {
        return Err(ModelError::invalid(label, "a document must be a mapping"));
    };
    if fields.contains_key("kind") {
        let resource = Resource::from_value(Value::Object(fields), None, default_project)
            .and_then(checked)
            .map_err(|e| e.within(label))?;
        out.push(resource);
        return Ok(());
    }
    for (key, items) in fields {
        let group = |suffix: &str| {
            if label.is_empty() {
                suffix.to_owned()
            } else {
                format!("{label}.{suffix}")
            }
        };
        let kind = Kind::parse(&key)
            .filter(|k| k.plural() == key)
            .ok_or_else(|| {
                ModelError::invalid(
                    group(&key),
                    format!(
                        "not a resource list: a document needs `kind`, or top-level lists named {}",
                        Kind::ALL.map(Kind::plural).join(", ")
                    ),
                )
            })?;
        let Value::Array(items) = items else {
            return Err(ModelError::invalid(group(&key), "must be a list"));
        };
        for (i, item) in items.into_iter().enumerate() {
            let resource = Resource::from_value(item, Some(kind), default_project)
                .and_then(checked)
                .map_err(|e| e.within(&group(&format!("{key}[{i}]"))))?;
            out.push(resource);
        }
    }
    Ok(())
}

/// Validates a resource read from a file, so that errors carry the document's position.
fn checked(resource: Resource) -> Result<Resource, ModelError> {
    validate(&resource)?;
    Ok(resource)
}

/// The grouped form: one list per kind, in dependency order, items without `kind`.
pub fn to_grouped(resources: &[Resource]) -> Value {
    let mut out = Map::new();
    for kind in Kind::ALL {
        let items: Vec<Value> = resources
            .iter()
            .filter(|r| r.kind() == kind)
            .map(|r| r.to_value(false))
            .collect();
        if !items.is_empty() {
            out.insert(kind.plural().to_owned(), Value::Array(items));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;

    const GROUPED: &str = r#"
secrets:
  - name: grafana-creds
    data:
      GRAFANA_URL: "http://grafana.local:3000"
servers:
  - name: my-grafana
    description: "Grafana"
    fromTemplate: grafana
    envFrom:
      - secretRef:
          name: grafana-creds
projects:
  - name: monitoring
    proxyModel: content-pipeline
    servers:
      - my-grafana
"#;

    #[test]
    fn the_grouped_form_reads_every_list() {
        let resources = parse_resources(GROUPED, None).expect("valid");
        let kinds: Vec<Kind> = resources.iter().map(Resource::kind).collect();
        assert_eq!(kinds, [Kind::Secret, Kind::Server, Kind::Project]);
        let Spec::Project(project) = &resources[2].spec else {
            panic!("not a project")
        };
        assert_eq!(project.servers, ["my-grafana"]);
    }

    #[test]
    fn grouped_output_parses_back_to_the_same_resources() {
        let resources = parse_resources(GROUPED, None).expect("valid");
        let text = serde_yaml_ng::to_string(&to_grouped(&resources)).expect("yaml");
        assert_eq!(parse_resources(&text, None).expect("reparse"), resources);
    }

    #[test]
    fn multi_document_files_name_the_document_in_errors() {
        let text = "kind: secret\nname: a\ndata: {}\n---\nkind: server\nname: b\ncommand: x\nreplicas: many\n";
        let err = parse_resources(text, None).expect_err("bad replicas");
        assert_eq!(err.field(), Some("document 2.replicas"), "{err}");
    }

    #[test]
    fn grouped_errors_name_the_list_entry() {
        let text = "servers:\n  - name: a\n    command: x\n  - name: b\n    comand: y\n";
        let err = parse_resources(text, None).expect_err("typo");
        assert!(err.to_string().starts_with("servers[1]"), "{err}");
        assert!(err.to_string().contains("unknown field `comand`"), "{err}");
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse_resources("servers:\n  - name: a\n   bad: [\n", None).expect_err("syntax");
        let ModelError::Syntax { line, column, .. } = &err else {
            panic!("not a syntax error: {err}")
        };
        assert!(line.is_some() && column.is_some(), "{err}");
        assert!(err.to_string().starts_with("line "), "{err}");
    }

    #[test]
    fn unknown_top_level_lists_are_refused() {
        let err = parse_resources("pods:\n  - name: a\n", None).expect_err("pods");
        assert_eq!(err.field(), Some("pods"));
    }
}
