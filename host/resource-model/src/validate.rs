//! Checks a resource on its own, without looking at any other resource. References between
//! resources (a server's secret, a project's servers) are checked by the store, which sees them all.

use crate::error::ModelError;
use crate::resource::Resource;
use crate::spec::{
    HealthCheck, ProjectSpec, PromptRequestSpec, PromptSpec, RbacBindingSpec, SecretSpec,
    ServerSpec, Spec, TemplateSpec, Transport,
};

/// Limits on every size a client controls.
pub mod limits {
    pub const NAME: usize = 63;
    pub const DESCRIPTION: usize = 4 * 1024;
    pub const PROMPT_CONTENT: usize = 1024 * 1024;
    pub const SECRET_KEYS: usize = 256;
    pub const SECRET_KEY: usize = 253;
    pub const SECRET_VALUE: usize = 64 * 1024;
    pub const ENV_VARS: usize = 256;
    pub const ENV_VALUE: usize = 64 * 1024;
    pub const ARGS: usize = 256;
    pub const ARG: usize = 4 * 1024;
    pub const IMAGE: usize = 512;
    pub const REPLICAS: u32 = 32;
    pub const PROJECT_SERVERS: usize = 1024;
    pub const RBAC_SUBJECTS: usize = 256;
}

type Result<T = ()> = std::result::Result<T, ModelError>;

/// Checks that `name` is a DNS label: lowercase letters, digits and `-`, at most 63 characters,
/// starting and ending with a letter or digit. Names become container names and URL segments.
pub fn check_name(path: &str, name: &str) -> Result {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let ok = !name.is_empty()
        && name.len() <= limits::NAME
        && bytes.iter().all(|b| alnum(b) || *b == b'-')
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum);
    if ok {
        Ok(())
    } else {
        Err(ModelError::invalid(
            path,
            format!(
                "{name:?} is not a valid name: use 1-{} lowercase letters, digits and '-', starting and ending with a letter or digit",
                limits::NAME
            ),
        ))
    }
}

/// Checks that `name` can be an environment variable name.
pub fn check_env_name(path: &str, name: &str) -> Result {
    let bytes = name.as_bytes();
    let ok = !name.is_empty()
        && name.len() <= limits::SECRET_KEY
        && bytes
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ModelError::invalid(
            path,
            format!(
                "{name:?} is not a valid variable name: use letters, digits and '_', starting with a letter or '_'"
            ),
        ))
    }
}

fn check_len(path: &str, text: &str, max: usize) -> Result {
    if text.len() > max {
        return Err(ModelError::invalid(
            path,
            format!("is {} bytes long; the limit is {max}", text.len()),
        ));
    }
    Ok(())
}

fn check_count<T>(path: &str, items: &[T], max: usize) -> Result {
    if items.len() > max {
        return Err(ModelError::invalid(
            path,
            format!("has {} entries; the limit is {max}", items.len()),
        ));
    }
    Ok(())
}

fn check_range(path: &str, value: u32, min: u32, max: u32) -> Result {
    if value < min || value > max {
        return Err(ModelError::invalid(
            path,
            format!("must be between {min} and {max}, got {value}"),
        ));
    }
    Ok(())
}

fn check_opt_len(path: &str, text: &Option<String>, max: usize) -> Result {
    text.as_deref().map_or(Ok(()), |t| check_len(path, t, max))
}

fn check_no_blank(path: &str, text: &str) -> Result {
    if text.trim().is_empty() {
        return Err(ModelError::invalid(path, "must not be empty"));
    }
    if text.chars().any(|c| c == '\0') {
        return Err(ModelError::invalid(path, "must not contain NUL characters"));
    }
    Ok(())
}

fn check_image(path: &str, image: &str) -> Result {
    check_no_blank(path, image)?;
    check_len(path, image, limits::IMAGE)?;
    if image.chars().any(char::is_whitespace) {
        return Err(ModelError::invalid(
            path,
            format!("{image:?} is not an image reference: it contains white space"),
        ));
    }
    Ok(())
}

fn check_command(command: &Option<String>, args: &[String]) -> Result {
    if let Some(command) = command {
        check_no_blank("command", command)?;
        check_len("command", command, limits::ARG)?;
    }
    check_count("args", args, limits::ARGS)?;
    for (i, arg) in args.iter().enumerate() {
        check_len(&format!("args[{i}]"), arg, limits::ARG)?;
    }
    Ok(())
}

fn check_health(health: &Option<HealthCheck>) -> Result {
    let Some(h) = health else { return Ok(()) };
    check_range("healthCheck.intervalSeconds", h.interval_seconds, 1, 3600)?;
    check_range("healthCheck.timeoutSeconds", h.timeout_seconds, 1, 300)?;
    check_range("healthCheck.failureThreshold", h.failure_threshold, 1, 100)?;
    if let Some(tool) = &h.tool {
        check_no_blank("healthCheck.tool", tool)?;
    }
    Ok(())
}

fn check_priority(priority: u8) -> Result {
    check_range("priority", u32::from(priority), 1, 10)
}

fn check_server(s: &ServerSpec) -> Result {
    check_opt_len("description", &s.description, limits::DESCRIPTION)?;
    if let Some(template) = &s.from_template {
        check_name("fromTemplate", template)?;
    }
    if let Some(image) = &s.docker_image {
        check_image("dockerImage", image)?;
    }
    check_command(&s.command, &s.args)?;
    if s.docker_image.is_some() && s.command.is_some() {
        return Err(ModelError::invalid(
            "command",
            "set dockerImage (run as a container) or command (run as a local process), not both",
        ));
    }
    if s.from_template.is_none() {
        if s.docker_image.is_none() && s.command.is_none() {
            return Err(ModelError::invalid(
                "dockerImage",
                "a server needs dockerImage, command or fromTemplate",
            ));
        }
        let transport = s.transport.unwrap_or_default();
        if transport != Transport::Stdio && s.container_port.is_none() {
            return Err(ModelError::invalid(
                "containerPort",
                format!(
                    "transport {} needs the port the server listens on",
                    transport.as_str()
                ),
            ));
        }
    }
    if s.container_port == Some(0) {
        return Err(ModelError::invalid("containerPort", "must be 1-65535"));
    }
    check_range("replicas", s.replicas, 0, limits::REPLICAS)?;
    check_count("env", &s.env, limits::ENV_VARS)?;
    for (i, var) in s.env.iter().enumerate() {
        let path = format!("env[{i}]");
        check_env_name(&format!("{path}.name"), &var.name)?;
        match (&var.value, &var.value_from) {
            (Some(_), Some(_)) => {
                return Err(ModelError::invalid(
                    path,
                    "set value or valueFrom, not both",
                ));
            }
            (None, None) => {
                return Err(ModelError::invalid(path, "needs value or valueFrom"));
            }
            (Some(v), None) => check_len(&format!("{path}.value"), v, limits::ENV_VALUE)?,
            (None, Some(from)) => {
                let r = &from.secret_key_ref;
                check_name(&format!("{path}.valueFrom.secretKeyRef.name"), &r.name)?;
                check_env_name(&format!("{path}.valueFrom.secretKeyRef.key"), &r.key)?;
            }
        }
    }
    check_count("envFrom", &s.env_from, limits::ENV_VARS)?;
    for (i, from) in s.env_from.iter().enumerate() {
        check_name(
            &format!("envFrom[{i}].secretRef.name"),
            &from.secret_ref.name,
        )?;
    }
    if let Some(limits) = &s.limits {
        if let Some(mb) = limits.memory_mb {
            check_range("limits.memoryMb", mb, 16, 1024 * 1024)?;
        }
        if let Some(cpus) = limits.cpus
            && !(0.01..=256.0).contains(&cpus)
        {
            return Err(ModelError::invalid(
                "limits.cpus",
                format!("must be between 0.01 and 256 cores, got {cpus}"),
            ));
        }
    }
    if let Some(path) = &s.endpoint_path
        && (!path.starts_with('/')
            || path.len() > limits::ARG
            || path.chars().any(char::is_whitespace))
    {
        return Err(ModelError::invalid(
            "endpointPath",
            format!("{path:?} is not an HTTP path: it must start with '/' and hold no white space"),
        ));
    }
    if s.network_isolation && s.transport.is_some_and(|t| t != Transport::Stdio) {
        return Err(ModelError::invalid(
            "networkIsolation",
            "only STDIO servers can run without a network: mcpd reaches HTTP servers over it",
        ));
    }
    check_health(&s.health_check)
}

fn check_template(t: &TemplateSpec) -> Result {
    check_opt_len("description", &t.description, limits::DESCRIPTION)?;
    if let Some(image) = &t.docker_image {
        check_image("dockerImage", image)?;
    }
    check_command(&t.command, &t.args)?;
    match (&t.docker_image, &t.command) {
        (None, None) => {
            return Err(ModelError::invalid(
                "dockerImage",
                "a template needs dockerImage or command",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(ModelError::invalid(
                "command",
                "set dockerImage or command, not both",
            ));
        }
        _ => {}
    }
    if t.transport != Transport::Stdio && t.container_port.is_none() {
        return Err(ModelError::invalid(
            "containerPort",
            format!(
                "transport {} needs the port the server listens on",
                t.transport.as_str()
            ),
        ));
    }
    check_count("env", &t.env, limits::ENV_VARS)?;
    for (i, var) in t.env.iter().enumerate() {
        check_env_name(&format!("env[{i}].name"), &var.name)?;
        check_opt_len(
            &format!("env[{i}].description"),
            &var.description,
            limits::DESCRIPTION,
        )?;
    }
    check_health(&t.health_check)
}

fn check_secret(s: &SecretSpec) -> Result {
    if s.data.len() > limits::SECRET_KEYS {
        return Err(ModelError::invalid(
            "data",
            format!(
                "has {} keys; the limit is {}",
                s.data.len(),
                limits::SECRET_KEYS
            ),
        ));
    }
    for (key, value) in &s.data {
        check_env_name(&format!("data.{key}"), key)?;
        check_len(&format!("data.{key}"), value, limits::SECRET_VALUE)?;
    }
    Ok(())
}

fn check_project(p: &ProjectSpec) -> Result {
    check_opt_len("description", &p.description, limits::DESCRIPTION)?;
    check_no_blank("proxyModel", &p.proxy_model)?;
    check_len("proxyModel", &p.proxy_model, limits::NAME)?;
    check_count("servers", &p.servers, limits::PROJECT_SERVERS)?;
    if let Some(separator) = &p.separator {
        let chars = separator.chars().count();
        if chars == 0
            || chars > 8
            || separator
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ModelError::invalid(
                "separator",
                "must be 1 to 8 characters without spaces",
            ));
        }
    }
    if let Some(max) = p.max_name_length {
        check_range("maxNameLength", max, 24, 1024)?;
    }
    for (i, server) in p.servers.iter().enumerate() {
        check_name(&format!("servers[{i}]"), server)?;
        if p.servers[..i].contains(server) {
            return Err(ModelError::invalid(
                format!("servers[{i}]"),
                format!("server {server:?} is listed twice"),
            ));
        }
    }
    Ok(())
}

/// A prompt link: `project/server:uri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptLink<'a> {
    pub project: &'a str,
    pub server: &'a str,
    pub uri: &'a str,
}

/// Splits a prompt link `project/server:uri` into its parts.
pub fn parse_link(link: &str) -> Result<PromptLink<'_>> {
    let bad = || {
        ModelError::invalid(
            "link",
            format!("{link:?} is not a link: write project/server:resource-uri"),
        )
    };
    let (project, rest) = link.split_once('/').ok_or_else(bad)?;
    let (server, uri) = rest.split_once(':').ok_or_else(bad)?;
    check_name("link", project)?;
    check_name("link", server)?;
    if uri.is_empty() {
        return Err(bad());
    }
    Ok(PromptLink {
        project,
        server,
        uri,
    })
}

fn check_prompt(p: &PromptSpec) -> Result {
    match (&p.content, &p.link) {
        (Some(_), Some(_)) => {
            return Err(ModelError::invalid("link", "set content or link, not both"));
        }
        (None, None) => {
            return Err(ModelError::invalid(
                "content",
                "a prompt needs content or link",
            ));
        }
        (Some(content), None) => check_len("content", content, limits::PROMPT_CONTENT)?,
        (None, Some(link)) => {
            parse_link(link)?;
        }
    }
    check_priority(p.priority)
}

fn check_prompt_request(p: &PromptRequestSpec) -> Result {
    check_no_blank("content", &p.content)?;
    check_len("content", &p.content, limits::PROMPT_CONTENT)?;
    check_opt_len("reason", &p.reason, limits::DESCRIPTION)?;
    check_priority(p.priority)
}

fn check_rbac(r: &RbacBindingSpec) -> Result {
    if r.subjects.is_empty() {
        return Err(ModelError::invalid(
            "subjects",
            "needs at least one subject",
        ));
    }
    check_count("subjects", &r.subjects, limits::RBAC_SUBJECTS)?;
    for (i, s) in r.subjects.iter().enumerate() {
        check_no_blank(&format!("subjects[{i}].name"), &s.name)?;
        check_len(&format!("subjects[{i}].name"), &s.name, limits::DESCRIPTION)?;
    }
    for (i, project) in r.projects.iter().enumerate() {
        check_name(&format!("projects[{i}]"), project)?;
    }
    Ok(())
}

/// Checks one resource on its own: its name, its fields and their limits.
pub fn validate(resource: &Resource) -> Result {
    if resource.kind().is_virtual() {
        check_name("server", &resource.name)?;
    } else {
        check_name("name", &resource.name)?;
    }
    if let Some(project) = &resource.project {
        check_name("project", project)?;
    }
    match &resource.spec {
        Spec::Server(s) => check_server(s),
        Spec::Secret(s) => check_secret(s),
        Spec::Template(t) => check_template(t),
        Spec::Project(p) => check_project(p),
        Spec::Prompt(p) => check_prompt(p),
        Spec::PromptRequest(p) => check_prompt_request(p),
        Spec::RbacBinding(r) => check_rbac(r),
        Spec::ServerAttachment(_) | Spec::Instance(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dns_label_rules() {
        for good in ["a", "my-grafana", "x1", &"a".repeat(63)] {
            assert!(check_name("name", good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "a-", "My", "a_b", "a.b", &"a".repeat(64)] {
            let err = check_name("name", bad).expect_err(bad);
            assert_eq!(err.field(), Some("name"));
        }
    }

    #[test]
    fn links_split_into_project_server_and_uri() {
        let link = parse_link("monitoring/docmost:docmost://pages/abc").expect("valid");
        assert_eq!(link.project, "monitoring");
        assert_eq!(link.server, "docmost");
        assert_eq!(link.uri, "docmost://pages/abc");
        assert!(parse_link("monitoring:docmost").is_err());
        assert!(parse_link("monitoring/docmost:").is_err());
    }

    #[test]
    fn a_server_needs_something_to_run() {
        let spec = ServerSpec {
            replicas: 1,
            ..ServerSpec::default()
        };
        let err = check_server(&spec).expect_err("no image");
        assert_eq!(err.field(), Some("dockerImage"));
        let spec = ServerSpec {
            docker_image: Some("img".into()),
            transport: Some(Transport::Sse),
            replicas: 1,
            ..ServerSpec::default()
        };
        assert_eq!(
            check_server(&spec).expect_err("port").field(),
            Some("containerPort")
        );
    }
}
