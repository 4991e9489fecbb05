//! `mcpctl create KIND NAME --flags`: builds the document from flags with the shared resource
//! model, then POSTs it.

use resource_model::spec::{
    EnvFromSource, EnvVar, ProjectSpec, PromptSpec, SecretRef, SecretSpec, ServerSpec,
    TemplateEnvVar, TemplateSpec,
};
use resource_model::{Resource, Spec};

use crate::args::{
    CreateCommand, CreateProjectArgs, CreatePromptArgs, CreateSecretArgs, CreateServerArgs,
    CreateTemplateArgs, RuntimeArgs,
};
use crate::error::CommandError;
use crate::flags::{into_map, parse_env_file};
use crate::output::{document_name, label, print_line};

use super::Context;
use super::files::read_text;

pub fn create(context: &Context, command: CreateCommand) -> Result<(), CommandError> {
    let resource = match command {
        CreateCommand::Server(args) => server(args)?,
        CreateCommand::Secret(args) => secret(args)?,
        CreateCommand::Project(args) => project(args),
        CreateCommand::Prompt(args) => prompt(context, args)?,
        CreateCommand::Template(args) => template(args),
    };
    let kind = resource.kind();
    let created = context
        .api()?
        .create(kind, resource.to_value(true), context.scope())?;
    let name = document_name(kind, &created).unwrap_or(&resource.name);
    print_line(&format!("{} created", label(kind, name)))?;
    Ok(())
}

/// The image, command, arguments, transport and port flags, as a server spec's fields.
fn runtime_fields(runtime: RuntimeArgs) -> ServerSpec {
    ServerSpec {
        docker_image: runtime.docker_image,
        command: runtime.command,
        args: runtime.args,
        transport: runtime.transport,
        container_port: runtime.container_port,
        ..ServerSpec::default()
    }
}

fn server(args: CreateServerArgs) -> Result<Resource, CommandError> {
    let env = into_map(args.env, "--env")?
        .into_iter()
        .map(|(name, value)| EnvVar {
            name,
            value: Some(value),
            value_from: None,
        })
        .collect();
    let env_from = args
        .env_from_secret
        .into_iter()
        .map(|name| EnvFromSource {
            secret_ref: SecretRef { name },
        })
        .collect();
    let spec = ServerSpec {
        description: args.description,
        from_template: args.from_template,
        replicas: args.replicas.unwrap_or(1),
        env,
        env_from,
        ..runtime_fields(args.runtime)
    };
    Ok(Resource::new(args.name, Spec::Server(spec)))
}

fn secret(args: CreateSecretArgs) -> Result<Resource, CommandError> {
    let mut pairs = Vec::new();
    if let Some(path) = &args.from_env_file {
        let text = read_text(path)?;
        pairs = parse_env_file(&text, &path.display().to_string())?;
    }
    pairs.extend(args.data);
    let data = into_map(pairs, "--data")?;
    Ok(Resource::new(args.name, Spec::Secret(SecretSpec { data })))
}

fn project(args: CreateProjectArgs) -> Resource {
    let defaults = ProjectSpec::default();
    let spec = ProjectSpec {
        description: args.description,
        proxy_model: args
            .proxy_model
            .unwrap_or_else(|| defaults.proxy_model.clone()),
        servers: args.servers,
        prefix_mode: args.prefix_mode,
        fail_mode: args.fail_mode,
        ..defaults
    };
    Resource::new(args.name, Spec::Project(spec))
}

fn prompt(context: &Context, args: CreatePromptArgs) -> Result<Resource, CommandError> {
    let project = context.require_project("create prompt")?.to_owned();
    let content = match (&args.content, &args.content_file) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(path)) => Some(read_text(path)?),
        (None, None) => None,
    };
    let spec = PromptSpec {
        content,
        link: args.link,
        priority: args.priority.unwrap_or(DEFAULT_PRIORITY),
    };
    let mut resource = Resource::new(args.name, Spec::Prompt(spec));
    resource.project = Some(project);
    Ok(resource)
}

/// The priority of a prompt that names none (the middle of 1-10, as mcpd defaults it).
const DEFAULT_PRIORITY: u8 = 5;

fn template(args: CreateTemplateArgs) -> Resource {
    let runtime = runtime_fields(args.runtime);
    let env = args
        .env
        .into_iter()
        .map(|var| TemplateEnvVar {
            name: var.name,
            description: var.description,
            required: true,
            default: None,
        })
        .collect();
    let spec = TemplateSpec {
        description: args.description,
        transport: runtime.transport.unwrap_or_default(),
        docker_image: runtime.docker_image,
        command: runtime.command,
        args: runtime.args,
        container_port: runtime.container_port,
        env,
        health_check: None,
    };
    Resource::new(args.name, Spec::Template(spec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;
    use serde_json::json;

    fn parse(line: &[&str]) -> CreateCommand {
        let cli = Cli::try_parse_from(line).expect("parses");
        match cli.command {
            Command::Create(command) => command,
            other => panic!("not create: {other:?}"),
        }
    }

    #[test]
    fn server_flags_build_a_server_document() {
        let CreateCommand::Server(args) = parse(&[
            "mcpctl",
            "create",
            "server",
            "my-grafana",
            "--from-template",
            "grafana",
            "--transport",
            "sse",
            "--replicas",
            "2",
            "--env",
            "B=2",
            "--env",
            "A=x=y",
            "--env-from-secret",
            "creds",
            "--arg",
            "-t",
            "--arg",
            "stdio",
        ]) else {
            panic!("not a server")
        };
        let doc = server(args).expect("valid").to_value(true);
        assert_eq!(
            doc,
            json!({"kind": "server", "name": "my-grafana", "fromTemplate": "grafana",
                   "transport": "SSE", "args": ["-t", "stdio"], "replicas": 2,
                   "env": [{"name": "A", "value": "x=y"}, {"name": "B", "value": "2"}],
                   "envFrom": [{"secretRef": {"name": "creds"}}]})
        );
    }

    #[test]
    fn secrets_merge_an_env_file_and_flags_but_refuse_duplicates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("creds.env");
        std::fs::write(&file, "# x\nURL=http://g\n").expect("write");
        let file = file.to_str().expect("utf-8");
        let CreateCommand::Secret(args) = parse(&[
            "mcpctl",
            "create",
            "secret",
            "creds",
            "--from-env-file",
            file,
            "--data",
            "TOKEN=t",
        ]) else {
            panic!("not a secret")
        };
        let doc = secret(args).expect("valid").to_value(true);
        assert_eq!(
            doc,
            json!({"kind": "secret", "name": "creds", "data": {"TOKEN": "t", "URL": "http://g"}})
        );
        let CreateCommand::Secret(args) = parse(&[
            "mcpctl",
            "create",
            "secret",
            "creds",
            "--from-env-file",
            file,
            "--data",
            "URL=other",
        ]) else {
            panic!("not a secret")
        };
        let err = secret(args).expect_err("duplicate");
        assert!(err.to_string().contains("\"URL\""), "{err}");
    }

    #[test]
    fn projects_default_their_proxy_model() {
        let CreateCommand::Project(args) =
            parse(&["mcpctl", "create", "project", "mon", "--server", "a"])
        else {
            panic!("not a project")
        };
        let doc = project(args).to_value(true);
        assert_eq!(
            doc,
            json!({"kind": "project", "name": "mon", "proxyModel": "default", "servers": ["a"]})
        );
    }

    #[test]
    fn template_variables_take_descriptions() {
        let CreateCommand::Template(args) = parse(&[
            "mcpctl",
            "create",
            "template",
            "mine",
            "--docker-image",
            "me/mcp",
            "--transport",
            "streamable-http",
            "--container-port",
            "8080",
            "--env",
            "URL=Base URL",
            "--env",
            "TOKEN",
        ]) else {
            panic!("not a template")
        };
        let doc = template(args).to_value(true);
        assert_eq!(
            doc,
            json!({"kind": "template", "name": "mine", "transport": "STREAMABLE_HTTP",
                   "dockerImage": "me/mcp", "containerPort": 8080,
                   "env": [{"name": "URL", "description": "Base URL", "required": true},
                           {"name": "TOKEN", "required": true}]})
        );
    }

    #[test]
    fn prompts_need_a_project() {
        let cli = Cli::try_parse_from(["mcpctl", "create", "prompt", "g", "--content", "hi"])
            .expect("parses");
        let context = Context { global: cli.global };
        let Command::Create(CreateCommand::Prompt(args)) = cli.command else {
            panic!("not a prompt")
        };
        let err = prompt(&context, args).expect_err("no project");
        assert_eq!(err.to_string(), "create prompt needs --project PROJECT");
    }
}
