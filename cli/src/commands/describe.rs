//! `mcpctl describe KIND NAME`: one resource, its context included (a server's template and
//! whether its variables are set, a project's prompts).

use std::collections::BTreeMap;

use resource_model::resource::rfc3339;
use resource_model::spec::{
    EnvVar, FailMode, PrefixMode, ProjectSpec, PromptSpec, SecretSpec, ServerSpec, TemplateEnvVar,
    TemplateSpec,
};
use resource_model::{Kind, Resource, Spec};
use serde_json::Value;

use crate::api::{Api, Event, Scope};
use crate::args::{DescribeArgs, DescribeTarget};
use crate::client::ClientError;
use crate::error::CommandError;
use crate::output::columns::{self, prompt_source, template_source};
use crate::output::describe::{Description, title};
use crate::output::table::Table;
use crate::output::{age, print, runtime};

use super::Context;

pub fn describe(context: &Context, args: &DescribeArgs) -> Result<(), CommandError> {
    let kind = match args.kind {
        DescribeTarget::Kind(kind) => kind,
        DescribeTarget::ProxyModel => return super::proxymodels::describe(context, &args.name),
    };
    let api = context.api()?;
    let scope = context.scope().revealing(args.reveal);
    let document = api.get(kind, &args.name, scope)?;
    let resource = columns::read_document(kind, &document)?;
    let mut d = Description::new();
    d.field("Name", resource.name.as_str());
    d.optional("Project", resource.project.as_deref());
    match &resource.spec {
        Spec::Server(server) => {
            let template = server
                .from_template
                .as_deref()
                .map(|name| (name, fetch_template(&api, name)));
            let secrets = SecretKeys::fetch(&api, server);
            describe_server(&mut d, server, template.as_ref(), &secrets);
        }
        Spec::Template(template) => describe_template(&mut d, &resource, template),
        Spec::Project(project) => {
            let prompts = api.list(Kind::Prompt, Scope::project(Some(&resource.name)));
            describe_project(&mut d, project, prompts);
        }
        Spec::Secret(secret) => describe_secret(&mut d, secret),
        Spec::Prompt(prompt) => describe_prompt(&mut d, prompt),
        other => describe_fields(&mut d, &other.to_value()),
    }
    let now_ms = age::now_ms();
    describe_meta(&mut d, &resource, now_ms);
    if kind == Kind::Server {
        let instances = api
            .instances(Some(&resource.name))
            .map_err(|e| e.to_string())
            .and_then(|items| {
                columns::read_documents(Kind::Instance, &items).map_err(|e| e.to_string())
            });
        let events = api.events(&resource.name).map_err(|e| e.to_string());
        describe_runtime(&mut d, instances, events, now_ms);
    }
    print(&d.render())?;
    Ok(())
}

/// What runs of a server: its instances and its recent events (the latest last), or why mcpd
/// could not say (an mcpd older than the runtime).
fn describe_runtime(
    d: &mut Description,
    instances: Result<Vec<Resource>, String>,
    events: Result<Vec<Event>, String>,
    now_ms: i64,
) {
    match instances {
        Ok(instances) => {
            d.section("Instances", |d| {
                if !instances.is_empty() {
                    d.table(&runtime::instances_table(&instances, now_ms));
                }
            });
        }
        Err(why) => {
            d.field("Instances", format!("<unavailable: {why}>"));
        }
    }
    match events {
        Ok(events) => {
            d.section("Events", |d| {
                if !events.is_empty() {
                    d.table(&runtime::events_table(&events, now_ms));
                }
            });
        }
        Err(why) => {
            d.field("Events", format!("<unavailable: {why}>"));
        }
    }
}

/// A server's template, or why it could not be had.
type FetchedTemplate = Result<TemplateSpec, String>;

fn fetch_template(api: &Api, name: &str) -> FetchedTemplate {
    let document = api
        .get(Kind::Template, name, Scope::default())
        .map_err(|e| e.to_string())?;
    match columns::read_document(Kind::Template, &document) {
        Ok(Resource {
            spec: Spec::Template(spec),
            ..
        }) => Ok(spec),
        Ok(_) => Err("not a template".to_owned()),
        Err(err) => Err(err.to_string()),
    }
}

/// The keys of the secrets a server refers to; `None` for a secret mcpd does not have.
#[derive(Debug, Default)]
struct SecretKeys(BTreeMap<String, Option<Vec<String>>>);

impl SecretKeys {
    fn fetch(api: &Api, server: &ServerSpec) -> SecretKeys {
        let names = server
            .env_from
            .iter()
            .map(|e| e.secret_ref.name.clone())
            .chain(
                server
                    .env
                    .iter()
                    .filter_map(|e| e.value_from.as_ref())
                    .map(|v| v.secret_key_ref.name.clone()),
            );
        let mut keys = BTreeMap::new();
        for name in names {
            if keys.contains_key(&name) {
                continue;
            }
            let found = api
                .get(Kind::Secret, &name, Scope::default())
                .ok()
                .and_then(|doc| doc.get("data").and_then(Value::as_object).cloned())
                .map(|data| data.keys().cloned().collect());
            keys.insert(name, found);
        }
        SecretKeys(keys)
    }

    fn keys(&self, secret: &str) -> Option<&Vec<String>> {
        self.0.get(secret).and_then(Option::as_ref)
    }

    fn has(&self, secret: &str, key: &str) -> bool {
        self.keys(secret)
            .is_some_and(|k| k.iter().any(|k| k == key))
    }
}

fn describe_server(
    d: &mut Description,
    server: &ServerSpec,
    template: Option<&(&str, FetchedTemplate)>,
    secrets: &SecretKeys,
) {
    let from_template = template.and_then(|(name, t)| t.as_ref().ok().map(|t| (*name, t)));
    // A value of the server's own, else its template's (said so), else nothing.
    let inherited = |own: Option<String>, theirs: Option<String>| match (own, from_template) {
        (Some(own), _) => Some(own),
        (None, Some((name, _))) => theirs.map(|v| format!("{v} (from template {name})")),
        (None, None) => None,
    };
    let tpl = from_template.map(|(_, t)| t);
    d.optional("Description", server.description.as_deref());
    d.field(
        "Template",
        match template {
            None => "<none>".to_owned(),
            Some((name, Ok(_))) => (*name).to_owned(),
            Some((name, Err(why))) => format!("{name} (cannot read it: {why})"),
        },
    );
    d.field(
        "Transport",
        inherited(
            server.transport.map(|t| t.as_str().to_owned()),
            tpl.map(|t| t.transport.as_str().to_owned()),
        )
        .unwrap_or_else(|| "STDIO (default)".to_owned()),
    );
    let (own_image, own_command) = (server.docker_image.clone(), server.command.clone());
    let runs_own = own_image.is_some() || own_command.is_some();
    d.optional(
        "Image",
        inherited(
            own_image,
            tpl.and_then(|t| t.docker_image.clone())
                .filter(|_| !runs_own),
        ),
    );
    d.optional(
        "Command",
        inherited(
            own_command,
            tpl.and_then(|t| t.command.clone()).filter(|_| !runs_own),
        ),
    );
    d.optional(
        "Args",
        inherited(
            (!server.args.is_empty()).then(|| server.args.join(" ")),
            tpl.filter(|t| !t.args.is_empty()).map(|t| t.args.join(" ")),
        ),
    );
    d.optional(
        "Container Port",
        inherited(
            server.container_port.map(|p| p.to_string()),
            tpl.and_then(|t| t.container_port).map(|p| p.to_string()),
        ),
    );
    d.field("Replicas", server.replicas.to_string());
    d.section("Env", |d| {
        for var in &server.env {
            d.field(&var.name, env_source(var, secrets));
        }
    });
    d.section("Env From", |d| {
        for source in &server.env_from {
            let name = &source.secret_ref.name;
            let keys = match secrets.keys(name) {
                Some(keys) if keys.is_empty() => "no keys".to_owned(),
                Some(keys) => format!("keys {}", keys.join(", ")),
                None => "MISSING: no such secret".to_owned(),
            };
            d.text(&format!("- secret {name}: {keys}"));
        }
    });
    let health = server
        .health_check
        .as_ref()
        .or(tpl.and_then(|t| t.health_check.as_ref()));
    if let Some(health) = health {
        d.value(
            "Health Check",
            &serde_json::to_value(health).unwrap_or_default(),
        );
    }
    if let Some((name, template)) = from_template {
        d.section(&format!("Variables of template {name}"), |d| {
            if template.env.is_empty() {
                return;
            }
            let mut table = Table::new(["name", "required", "status", "description"]);
            for var in &template.env {
                table.push(vec![
                    var.name.clone(),
                    yes_no(var.required),
                    variable_status(var, server, secrets),
                    var.description.clone().unwrap_or_default(),
                ]);
            }
            for line in table.render().lines() {
                d.text(line);
            }
        });
    }
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

/// Where a server's variable gets its value.
fn env_source(var: &EnvVar, secrets: &SecretKeys) -> String {
    match (&var.value, &var.value_from) {
        (_, Some(from)) => {
            let r = &from.secret_key_ref;
            let missing = if secrets.has(&r.name, &r.key) {
                ""
            } else {
                " (MISSING)"
            };
            format!("from secret {} key {}{missing}", r.name, r.key)
        }
        (Some(value), None) => value.clone(),
        (None, None) => String::new(),
    }
}

/// Whether a template's variable is satisfied by the server, and by what.
fn variable_status(var: &TemplateEnvVar, server: &ServerSpec, secrets: &SecretKeys) -> String {
    if let Some(own) = server.env.iter().find(|e| e.name == var.name) {
        return match &own.value_from {
            Some(from) if !secrets.has(&from.secret_key_ref.name, &from.secret_key_ref.key) => {
                format!(
                    "MISSING: secret {} has no key {}",
                    from.secret_key_ref.name, from.secret_key_ref.key
                )
            }
            Some(from) => format!("set from secret {}", from.secret_key_ref.name),
            None => "set".to_owned(),
        };
    }
    if let Some(source) = server
        .env_from
        .iter()
        .find(|s| secrets.has(&s.secret_ref.name, &var.name))
    {
        return format!("set from secret {}", source.secret_ref.name);
    }
    match (&var.default, var.required) {
        (Some(default), _) => format!("default {default}"),
        (None, true) => "MISSING".to_owned(),
        (None, false) => "not set (optional)".to_owned(),
    }
}

fn describe_template(d: &mut Description, resource: &Resource, template: &TemplateSpec) {
    d.field("Source", template_source(resource));
    d.optional("Description", template.description.as_deref());
    d.field("Transport", template.transport.as_str());
    d.optional("Image", template.docker_image.as_deref());
    d.optional("Command", template.command.as_deref());
    d.optional(
        "Args",
        (!template.args.is_empty()).then(|| template.args.join(" ")),
    );
    d.optional(
        "Container Port",
        template.container_port.map(|p| p.to_string()),
    );
    d.section("Env", |d| {
        if template.env.is_empty() {
            return;
        }
        let mut table = Table::new(["name", "required", "default", "description"]);
        for var in &template.env {
            table.push(vec![
                var.name.clone(),
                yes_no(var.required),
                var.default.clone().unwrap_or_default(),
                var.description.clone().unwrap_or_default(),
            ]);
        }
        for line in table.render().lines() {
            d.text(line);
        }
    });
    if let Some(health) = &template.health_check {
        d.value(
            "Health Check",
            &serde_json::to_value(health).unwrap_or_default(),
        );
    }
}

fn describe_project(
    d: &mut Description,
    project: &ProjectSpec,
    prompts: Result<Vec<Value>, ClientError>,
) {
    d.optional("Description", project.description.as_deref());
    d.field("Proxy Model", project.proxy_model.as_str());
    d.field(
        "Prefix Mode",
        match project.prefix_mode.unwrap_or_default() {
            PrefixMode::Always => "always",
            PrefixMode::Never => "never",
            PrefixMode::Conditional => "conditional",
        },
    );
    d.field(
        "Fail Mode",
        match project.fail_mode.unwrap_or_default() {
            FailMode::Open => "open",
            FailMode::Closed => "closed",
        },
    );
    d.section("Servers", |d| {
        for server in &project.servers {
            d.text(server);
        }
    });
    let prompts = prompts
        .map_err(|e| e.to_string())
        .and_then(|items| columns::read_documents(Kind::Prompt, &items).map_err(|e| e.to_string()));
    match prompts {
        Ok(prompts) => {
            d.section("Prompts", |d| {
                if prompts.is_empty() {
                    return;
                }
                let mut table = Table::new(["name", "priority", "source"]);
                for prompt in &prompts {
                    if let Spec::Prompt(spec) = &prompt.spec {
                        table.push(vec![
                            prompt.name.clone(),
                            spec.priority.to_string(),
                            prompt_source(spec).to_owned(),
                        ]);
                    }
                }
                for line in table.render().lines() {
                    d.text(line);
                }
            });
        }
        Err(why) => {
            d.field("Prompts", format!("<cannot list them: {why}>"));
        }
    }
}

fn describe_secret(d: &mut Description, secret: &SecretSpec) {
    d.section("Data", |d| {
        for (key, value) in &secret.data {
            d.field(key, value.as_str());
        }
    });
}

fn describe_prompt(d: &mut Description, prompt: &PromptSpec) {
    d.field("Priority", prompt.priority.to_string());
    d.field("Source", prompt_source(prompt));
    d.optional("Link", prompt.link.as_deref());
    if let Some(content) = &prompt.content {
        d.section("Content", |d| {
            for line in content.lines() {
                d.text(line);
            }
        });
    }
}

/// Every spec field, as it comes (for kinds with nothing to add).
fn describe_fields(d: &mut Description, spec: &Value) {
    if let Value::Object(fields) = spec {
        for (key, value) in fields {
            d.value(&title(key), value);
        }
    }
}

fn describe_meta(d: &mut Description, resource: &Resource, now_ms: i64) {
    let when = |ms: Option<i64>| {
        ms.map(|ms| {
            format!(
                "{} ({} ago)",
                rfc3339(ms),
                age::format_age(Some(ms), now_ms)
            )
        })
    };
    d.optional(
        "Resource Version",
        resource.meta.resource_version.map(|v| v.to_string()),
    );
    d.optional("Created", when(resource.meta.created_at_ms));
    d.optional("Updated", when(resource.meta.updated_at_ms));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server(doc: Value) -> ServerSpec {
        match Spec::from_value(Kind::Server, doc).expect("server") {
            Spec::Server(s) => s,
            _ => unreachable!(),
        }
    }

    fn grafana() -> TemplateSpec {
        match Spec::from_value(
            Kind::Template,
            json!({"dockerImage": "grafana/mcp-grafana:latest", "args": ["-t", "stdio"],
                   "env": [{"name": "GRAFANA_URL", "description": "Base URL"},
                           {"name": "TOKEN", "description": "A token"},
                           {"name": "TZ", "required": false},
                           {"name": "LEVEL", "default": "info"}]}),
        )
        .expect("template")
        {
            Spec::Template(t) => t,
            _ => unreachable!(),
        }
    }

    #[test]
    fn server_descriptions_say_which_template_variables_are_set() {
        let spec = server(json!({"fromTemplate": "grafana", "replicas": 1,
            "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "TOKEN"}}}],
            "envFrom": [{"secretRef": {"name": "creds"}}, {"secretRef": {"name": "gone"}}]}));
        let secrets = SecretKeys(BTreeMap::from([
            ("creds".to_owned(), Some(vec!["GRAFANA_URL".to_owned()])),
            ("gone".to_owned(), None),
        ]));
        let template = ("grafana", Ok(grafana()));
        let mut d = Description::new();
        describe_server(&mut d, &spec, Some(&template), &secrets);
        let text = d.render();
        for expected in [
            "Template:   grafana",
            "Image:      grafana/mcp-grafana:latest (from template grafana)",
            "Args:       -t stdio (from template grafana)",
            "TOKEN:  from secret creds key TOKEN (MISSING)",
            "- secret creds: keys GRAFANA_URL",
            "- secret gone: MISSING: no such secret",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        let row = |name: &str| {
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{name} ")))
                .unwrap_or_default();
            line.split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            row("GRAFANA_URL"),
            ["GRAFANA_URL", "yes", "set from secret creds", "Base URL"]
        );
        assert_eq!(row("TOKEN")[2], "MISSING: secret creds has no key TOKEN");
        assert_eq!(row("TZ")[1..3], ["no", "not set (optional)"]);
        assert_eq!(row("LEVEL")[2], "default info");
    }

    #[test]
    fn a_server_of_its_own_shows_its_own_fields() {
        let spec =
            server(json!({"command": "uvx", "args": ["x"], "env": [{"name": "A", "value": "1"}]}));
        let mut d = Description::new();
        describe_server(&mut d, &spec, None, &SecretKeys::default());
        assert_eq!(
            d.render(),
            "Template:   <none>\n\
             Transport:  STDIO (default)\n\
             Command:    uvx\n\
             Args:       x\n\
             Replicas:   1\n\
             Env:\n  \
               A:  1\n\
             Env From:   <none>\n"
        );
    }

    #[test]
    fn servers_show_their_instances_and_events_or_why_not() {
        let now = 1_800_000_000_000;
        let mut d = Description::new();
        describe_runtime(&mut d, Ok(vec![]), Ok(vec![]), now);
        assert_eq!(d.render(), "Instances:  <none>\nEvents:     <none>\n");

        let instances = columns::read_documents(
            Kind::Instance,
            &[
                json!({"name": "clock-x1", "server": "clock", "state": "Running",
                     "backend": "process", "startedAt": rfc3339(now - 3000)}),
            ],
        )
        .expect("instances");
        let events = vec![Event {
            time: rfc3339(now - 2000),
            kind: "Normal".into(),
            reason: "Ready".into(),
            instance: Some("clock-x1".into()),
            message: "initialized".into(),
        }];
        let mut d = Description::new();
        describe_runtime(&mut d, Ok(instances), Ok(events), now);
        assert_eq!(
            d.render(),
            "Instances:\n  \
               NAME       STATE     RESTARTS   BACKEND   AGE   LAST ERROR\n  \
               clock-x1   Running   0          process   3s    -\n\
             Events:\n  \
               AGE   TYPE     REASON   INSTANCE   MESSAGE\n  \
               2s    Normal   Ready    clock-x1   initialized\n"
        );

        let mut d = Description::new();
        describe_runtime(
            &mut d,
            Err("unexpected answer (HTTP 404): empty body".into()),
            Err("no events".into()),
            now,
        );
        assert_eq!(
            d.render(),
            "Instances:  <unavailable: unexpected answer (HTTP 404): empty body>\n\
             Events:     <unavailable: no events>\n"
        );
    }

    #[test]
    fn project_descriptions_list_servers_and_prompts() {
        let project = ProjectSpec {
            servers: vec!["a".into()],
            ..ProjectSpec::default()
        };
        let prompts = Ok(vec![
            json!({"kind": "prompt", "name": "guide", "project": "p", "content": "x", "priority": 7}),
        ]);
        let mut d = Description::new();
        describe_project(&mut d, &project, prompts);
        assert_eq!(
            d.render(),
            "Proxy Model:  default\n\
             Prefix Mode:  conditional\n\
             Fail Mode:    open\n\
             Servers:\n  \
               a\n\
             Prompts:\n  \
               NAME    PRIORITY   SOURCE\n  \
               guide   7          content\n"
        );
    }
}
