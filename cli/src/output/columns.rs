//! The columns `get` shows for each kind.

use std::collections::HashMap;

use resource_model::resource::parse_rfc3339;
use resource_model::spec::{
    InstanceSpec, ProjectSpec, PromptRequestSpec, PromptSpec, RbacBindingSpec, SecretSpec,
    ServerAttachmentSpec, ServerSpec, TemplateSpec, Transport,
};
use resource_model::{Kind, Resource, Spec};
use serde::Serialize;
use serde_json::Value;

use super::OutputError;
use super::age::format_age;
use super::runtime;
use super::table::{Table, truncate};

/// Descriptions are cut to this in the narrow table (`-o wide` shows them whole).
const DESCRIPTION_WIDTH: usize = 50;

/// Reads the documents mcpd listed into resources, keeping their creation time.
pub fn read_documents(kind: Kind, items: &[Value]) -> Result<Vec<Resource>, OutputError> {
    items.iter().map(|item| read_document(kind, item)).collect()
}

pub fn read_document(kind: Kind, item: &Value) -> Result<Resource, OutputError> {
    let mut resource = Resource::from_value(item.clone(), Some(kind), None).map_err(|e| {
        OutputError::Unreadable {
            kind,
            message: e.to_string(),
        }
    })?;
    let time = |field: &str| {
        item.get(field)
            .and_then(Value::as_str)
            .and_then(parse_rfc3339)
    };
    resource.meta.created_at_ms = time("createdAt");
    resource.meta.updated_at_ms = time("updatedAt");
    Ok(resource)
}

/// What rows need besides the resources themselves.
#[derive(Debug, Clone, Default)]
pub struct RowContext {
    pub now_ms: i64,
    /// `-o wide`
    pub wide: bool,
    /// Write names as `server/NAME` (as `get all` does, one table per kind).
    pub kind_prefix: bool,
    /// Templates by name, to show what a server takes from its template.
    pub templates: HashMap<String, TemplateSpec>,
}

impl RowContext {
    fn name(&self, resource: &Resource) -> String {
        if self.kind_prefix {
            super::label(resource.kind(), &resource.name)
        } else {
            resource.name.clone()
        }
    }

    fn age(&self, resource: &Resource) -> String {
        format_age(resource.meta.created_at_ms, self.now_ms)
    }

    fn description(&self, description: Option<&str>) -> String {
        let text = description.unwrap_or_default();
        if self.wide {
            text.to_owned()
        } else {
            truncate(text, DESCRIPTION_WIDTH)
        }
    }
}

/// The table of some resources of one kind.
pub fn table(kind: Kind, resources: &[Resource], context: &RowContext) -> Table {
    let mut table = Table::new(header(kind, context.wide));
    for resource in resources {
        table.push(row(resource, context));
    }
    table
}

fn header(kind: Kind, wide: bool) -> Vec<&'static str> {
    let (mut narrow, extra): (Vec<&str>, &[&str]) = match kind {
        Kind::Server => (
            vec![
                "NAME",
                "TRANSPORT",
                "REPLICAS",
                "IMAGE/COMMAND",
                "TEMPLATE",
                "AGE",
            ],
            &["PORT", "DESCRIPTION"],
        ),
        Kind::Secret => (vec!["NAME", "KEYS", "AGE"], &[]),
        Kind::Template => (
            vec![
                "NAME",
                "TRANSPORT",
                "IMAGE/COMMAND",
                "SOURCE",
                "DESCRIPTION",
            ],
            &["PORT", "ENV"],
        ),
        Kind::Project => (
            vec!["NAME", "PROXY-MODEL", "SERVERS", "DESCRIPTION", "AGE"],
            &[],
        ),
        Kind::Prompt => (
            vec!["NAME", "PROJECT", "PRIORITY", "SOURCE", "AGE"],
            &["LINK"],
        ),
        Kind::PromptRequest => (
            vec!["NAME", "PROJECT", "PRIORITY", "AGE"],
            &["REQUESTED-BY", "REASON"],
        ),
        Kind::RbacBinding => (vec!["NAME", "ROLE", "SUBJECTS", "PROJECTS"], &["AGE"]),
        Kind::ServerAttachment => (vec!["PROJECT", "SERVER"], &[]),
        Kind::Instance => (
            vec!["NAME", "SERVER", "STATE", "RESTARTS", "BACKEND", "AGE"],
            &["CONTAINER/PID", "LAST ERROR"],
        ),
    };
    if wide {
        narrow.extend_from_slice(extra);
    }
    narrow
}

fn row(resource: &Resource, context: &RowContext) -> Vec<String> {
    let (mut narrow, extra) = match &resource.spec {
        Spec::Server(s) => server_row(resource, s, context),
        Spec::Secret(s) => secret_row(resource, s, context),
        Spec::Template(t) => template_row(resource, t, context),
        Spec::Project(p) => project_row(resource, p, context),
        Spec::Prompt(p) => prompt_row(resource, p, context),
        Spec::PromptRequest(p) => prompt_request_row(resource, p, context),
        Spec::RbacBinding(r) => rbac_row(resource, r, context),
        Spec::ServerAttachment(a) => attachment_row(resource, a),
        Spec::Instance(i) => instance_row(resource, i, context),
    };
    if context.wide {
        narrow.extend(extra);
    }
    narrow
}

/// The narrow cells of a row and the cells `-o wide` adds.
type Cells = (Vec<String>, Vec<String>);

/// The image, or the command, of a server or template.
pub fn image_or_command(image: Option<&str>, command: Option<&str>) -> String {
    image.or(command).unwrap_or("-").to_owned()
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_owned())
}

fn server_row(resource: &Resource, server: &ServerSpec, context: &RowContext) -> Cells {
    let template = server
        .from_template
        .as_deref()
        .and_then(|name| context.templates.get(name));
    // Without a template, a server that names no transport speaks the default one.
    let transport = match (server.transport, &server.from_template, template) {
        (Some(own), _, _) => Some(own),
        (None, Some(_), found) => found.map(|t| t.transport),
        (None, None, _) => Some(Transport::default()),
    }
    .map(|t| t.as_str().to_owned());
    let (image, command) = if server.docker_image.is_some() || server.command.is_some() {
        (server.docker_image.as_deref(), server.command.as_deref())
    } else {
        (
            template.and_then(|t| t.docker_image.as_deref()),
            template.and_then(|t| t.command.as_deref()),
        )
    };
    let port = server
        .container_port
        .or(template.and_then(|t| t.container_port));
    (
        vec![
            context.name(resource),
            or_dash(transport),
            server.replicas.to_string(),
            image_or_command(image, command),
            or_dash(server.from_template.clone()),
            context.age(resource),
        ],
        vec![
            or_dash(port.map(|p| p.to_string())),
            context.description(server.description.as_deref()),
        ],
    )
}

fn secret_row(resource: &Resource, secret: &SecretSpec, context: &RowContext) -> Cells {
    let keys: Vec<&str> = secret.data.keys().map(String::as_str).collect();
    (
        vec![
            context.name(resource),
            keys.join(","),
            context.age(resource),
        ],
        vec![],
    )
}

/// `built-in` for the templates mcpd ships (they have no resourceVersion), else `local`.
pub fn template_source(resource: &Resource) -> &'static str {
    if resource.meta.resource_version.is_none() {
        "built-in"
    } else {
        "local"
    }
}

fn template_row(resource: &Resource, template: &TemplateSpec, context: &RowContext) -> Cells {
    let env: Vec<&str> = template.env.iter().map(|e| e.name.as_str()).collect();
    (
        vec![
            context.name(resource),
            template.transport.as_str().to_owned(),
            image_or_command(
                template.docker_image.as_deref(),
                template.command.as_deref(),
            ),
            template_source(resource).to_owned(),
            context.description(template.description.as_deref()),
        ],
        vec![
            or_dash(template.container_port.map(|p| p.to_string())),
            env.join(","),
        ],
    )
}

fn project_row(resource: &Resource, project: &ProjectSpec, context: &RowContext) -> Cells {
    (
        vec![
            context.name(resource),
            project.proxy_model.clone(),
            project.servers.join(","),
            context.description(project.description.as_deref()),
            context.age(resource),
        ],
        vec![],
    )
}

/// `content` or `link`: where a prompt's text comes from.
pub fn prompt_source(prompt: &PromptSpec) -> &'static str {
    if prompt.link.is_some() {
        "link"
    } else {
        "content"
    }
}

fn prompt_row(resource: &Resource, prompt: &PromptSpec, context: &RowContext) -> Cells {
    (
        vec![
            context.name(resource),
            or_dash(resource.project.clone()),
            prompt.priority.to_string(),
            prompt_source(prompt).to_owned(),
            context.age(resource),
        ],
        vec![or_dash(prompt.link.clone())],
    )
}

fn prompt_request_row(
    resource: &Resource,
    request: &PromptRequestSpec,
    context: &RowContext,
) -> Cells {
    (
        vec![
            context.name(resource),
            or_dash(resource.project.clone()),
            request.priority.to_string(),
            context.age(resource),
        ],
        vec![
            or_dash(request.requested_by.clone()),
            context.description(request.reason.as_deref()),
        ],
    )
}

/// The lowercase name serde gives an enum value (`view`, `serviceaccount`).
pub fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => "?".to_owned(),
    }
}

fn rbac_row(resource: &Resource, rbac: &RbacBindingSpec, context: &RowContext) -> Cells {
    let subjects: Vec<String> = rbac
        .subjects
        .iter()
        .map(|s| format!("{}:{}", serde_name(&s.kind), s.name))
        .collect();
    let projects = if rbac.projects.is_empty() {
        "*".to_owned()
    } else {
        rbac.projects.join(",")
    };
    (
        vec![
            context.name(resource),
            serde_name(&rbac.role),
            subjects.join(","),
            projects,
        ],
        vec![context.age(resource)],
    )
}

fn attachment_row(resource: &Resource, attachment: &ServerAttachmentSpec) -> Cells {
    (
        vec![or_dash(resource.project.clone()), attachment.server.clone()],
        vec![],
    )
}

fn instance_row(resource: &Resource, instance: &InstanceSpec, context: &RowContext) -> Cells {
    (
        vec![
            context.name(resource),
            instance.server.clone(),
            instance.state.clone(),
            instance.restarts.to_string(),
            or_dash(instance.backend.clone()),
            runtime::instance_age(resource, instance, context.now_ms),
        ],
        vec![
            or_dash(instance.container_id.clone()),
            runtime::last_error_cell(instance),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;

    fn context() -> RowContext {
        let grafana = TemplateSpec {
            transport: Transport::Sse,
            docker_image: Some("grafana/mcp-grafana:latest".into()),
            container_port: Some(8000),
            ..TemplateSpec::default()
        };
        RowContext {
            now_ms: NOW,
            templates: HashMap::from([("grafana".to_owned(), grafana)]),
            ..RowContext::default()
        }
    }

    fn created_minutes_ago(minutes: i64) -> String {
        resource_model::resource::rfc3339(NOW - minutes * 60_000)
    }

    #[test]
    fn servers_show_what_they_take_from_their_template() {
        let docs = [
            json!({"kind": "server", "name": "my-grafana", "fromTemplate": "grafana",
                 "replicas": 2, "resourceVersion": 1, "createdAt": created_minutes_ago(3)}),
        ];
        let resources = read_documents(Kind::Server, &docs).expect("readable");
        let table = table(Kind::Server, &resources, &context());
        assert_eq!(
            table.rows,
            [[
                "my-grafana",
                "SSE",
                "2",
                "grafana/mcp-grafana:latest",
                "grafana",
                "3m"
            ]]
        );
    }

    #[test]
    fn transports_default_to_stdio_unless_a_template_is_unknown() {
        let docs = [
            json!({"kind": "server", "name": "own", "command": "uvx"}),
            json!({"kind": "server", "name": "lost", "fromTemplate": "gone"}),
        ];
        let resources = read_documents(Kind::Server, &docs).expect("readable");
        let rows = table(Kind::Server, &resources, &context()).rows;
        assert_eq!(rows[0][1], "STDIO");
        assert_eq!(rows[1][1..5], ["-", "1", "-", "gone"]);
    }

    #[test]
    fn wide_adds_columns_and_whole_descriptions() {
        let long = "d".repeat(80);
        let docs = [
            json!({"kind": "server", "name": "t", "command": "uvx", "transport": "STDIO",
                 "containerPort": 9000, "description": long}),
        ];
        let resources = read_documents(Kind::Server, &docs).expect("readable");
        let wide = RowContext {
            wide: true,
            ..context()
        };
        let table = table(Kind::Server, &resources, &wide);
        assert_eq!(table.header.len(), 8);
        assert_eq!(table.rows[0][3], "uvx");
        assert_eq!(table.rows[0][5], "<unknown>");
        assert_eq!(table.rows[0][6], "9000");
        assert_eq!(table.rows[0][7], long);
    }

    #[test]
    fn templates_tell_built_in_from_local() {
        let docs = [
            json!({"kind": "template", "name": "time", "command": "uvx", "description": "Time"}),
            json!({"kind": "template", "name": "mine", "dockerImage": "me/mcp", "transport": "SSE", "resourceVersion": 2}),
        ];
        let resources = read_documents(Kind::Template, &docs).expect("readable");
        let table = table(Kind::Template, &resources, &context());
        assert_eq!(
            table.rows,
            [
                ["time", "STDIO", "uvx", "built-in", "Time"],
                ["mine", "SSE", "me/mcp", "local", ""]
            ]
        );
    }

    #[test]
    fn secrets_list_their_keys_not_their_values() {
        let docs = [
            json!({"kind": "secret", "name": "creds", "data": {"B": "********", "A": "********"},
                 "createdAt": created_minutes_ago(60 * 24 * 2)}),
        ];
        let resources = read_documents(Kind::Secret, &docs).expect("readable");
        assert_eq!(
            table(Kind::Secret, &resources, &context()).rows,
            [["creds", "A,B", "2d"]]
        );
    }

    #[test]
    fn rows_of_the_other_kinds() {
        let cases = [
            (
                Kind::Project,
                json!({"name": "mon", "proxyModel": "default", "servers": ["a", "b"]}),
                vec!["mon", "default", "a,b", "", "<unknown>"],
            ),
            (
                Kind::Prompt,
                json!({"name": "g", "project": "mon", "link": "mon/a:res://x", "priority": 7}),
                vec!["g", "mon", "7", "link", "<unknown>"],
            ),
            (
                Kind::PromptRequest,
                json!({"name": "r", "project": "mon", "content": "x"}),
                vec!["r", "mon", "5", "<unknown>"],
            ),
            (
                Kind::RbacBinding,
                json!({"name": "ops", "role": "edit", "subjects": [{"kind": "user", "name": "ann"}, {"kind": "group", "name": "ops"}]}),
                vec!["ops", "edit", "user:ann,group:ops", "*"],
            ),
            (
                Kind::ServerAttachment,
                json!({"project": "mon", "server": "a"}),
                vec!["mon", "a"],
            ),
            (
                Kind::Instance,
                json!({"name": "a-0", "server": "a", "state": "Pending", "restarts": 1}),
                vec!["a-0", "a", "Pending", "1", "-", "-"],
            ),
        ];
        for (kind, doc, expected) in cases {
            let resources = read_documents(kind, &[doc]).expect("readable");
            assert_eq!(
                table(kind, &resources, &context()).rows,
                [expected],
                "{kind}"
            );
        }
    }

    #[test]
    fn instances_show_their_age_since_they_started_and_a_short_last_error() {
        let error = format!("initialize failed: {}", "x".repeat(80));
        let docs = [
            json!({"kind": "instance", "name": "clock-x1", "server": "clock",
            "state": "CrashLoop", "restarts": 3, "backend": "process", "containerId": "4242",
            "lastError": error, "startedAt": created_minutes_ago(5),
            "createdAt": created_minutes_ago(60)}),
        ];
        let resources = read_documents(Kind::Instance, &docs).expect("readable");
        let narrow = table(Kind::Instance, &resources, &context());
        assert_eq!(
            narrow.header,
            ["NAME", "SERVER", "STATE", "RESTARTS", "BACKEND", "AGE"]
        );
        assert_eq!(
            narrow.rows,
            [["clock-x1", "clock", "CrashLoop", "3", "process", "5m"]]
        );
        let wide = RowContext {
            wide: true,
            ..context()
        };
        let wide = table(Kind::Instance, &resources, &wide);
        assert_eq!(wide.header[6..], ["CONTAINER/PID", "LAST ERROR"]);
        assert_eq!(wide.rows[0][6], "4242");
        let cell = &wide.rows[0][7];
        assert_eq!(cell.chars().count(), 60, "{cell}");
        assert!(cell.starts_with("initialize failed: xxx") && cell.ends_with("..."));
        assert!(wide.render().contains("CONTAINER/PID   LAST ERROR"));
    }

    #[test]
    fn get_all_prefixes_names_with_their_kind() {
        let docs = [json!({"name": "creds", "data": {}})];
        let resources = read_documents(Kind::Secret, &docs).expect("readable");
        let prefixed = RowContext {
            kind_prefix: true,
            ..context()
        };
        assert_eq!(
            table(Kind::Secret, &resources, &prefixed).rows[0][0],
            "secret/creds"
        );
    }

    #[test]
    fn unreadable_documents_say_so() {
        let err = read_documents(Kind::Server, &[json!({"name": "a", "replicas": "many"})])
            .expect_err("bad");
        assert!(err.to_string().contains("replicas"), "{err}");
    }
}
