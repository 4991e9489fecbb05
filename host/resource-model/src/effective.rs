//! A server as it will run: its own fields, with the gaps filled from its template.

use crate::spec::{EnvVar, HealthCheck, ServerSpec, TemplateSpec, Transport};

/// The fields of a server after its template is applied. Environment values that come from
/// secrets are still references here; the runtime resolves them.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveServer {
    pub transport: Transport,
    pub docker_image: Option<String>,
    pub command: Option<String>,
    pub args: Vec<String>,
    pub container_port: Option<u16>,
    /// Template defaults first, then the server's own variables (which win on a clash).
    pub env: Vec<EnvVar>,
    pub health_check: HealthCheck,
}

impl EffectiveServer {
    /// Merges `server` over `template`: every field the server sets wins; a server that sets
    /// its own image or command takes none of the template's image, command or arguments.
    pub fn resolve(server: &ServerSpec, template: Option<&TemplateSpec>) -> EffectiveServer {
        let own_program = server.docker_image.is_some() || server.command.is_some();
        let from_template = template.filter(|_| !own_program);
        let mut env: Vec<EnvVar> = template
            .map(|t| {
                t.env
                    .iter()
                    .filter_map(|v| {
                        v.default.as_ref().map(|d| EnvVar {
                            name: v.name.clone(),
                            value: Some(d.clone()),
                            value_from: None,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        for var in &server.env {
            env.retain(|e| e.name != var.name);
            env.push(var.clone());
        }
        EffectiveServer {
            transport: server
                .transport
                .or(template.map(|t| t.transport))
                .unwrap_or_default(),
            docker_image: server
                .docker_image
                .clone()
                .or_else(|| from_template.and_then(|t| t.docker_image.clone())),
            command: server
                .command
                .clone()
                .or_else(|| from_template.and_then(|t| t.command.clone())),
            args: if own_program || !server.args.is_empty() {
                server.args.clone()
            } else {
                from_template.map(|t| t.args.clone()).unwrap_or_default()
            },
            container_port: server
                .container_port
                .or(template.and_then(|t| t.container_port)),
            env,
            health_check: server
                .health_check
                .clone()
                .or_else(|| template.and_then(|t| t.health_check.clone()))
                .unwrap_or(HealthCheck {
                    interval_seconds: 30,
                    timeout_seconds: 10,
                    failure_threshold: 3,
                    tool: None,
                    arguments: None,
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::TemplateEnvVar;

    fn template() -> TemplateSpec {
        TemplateSpec {
            transport: Transport::Sse,
            docker_image: Some("img:1".into()),
            args: vec!["--serve".into()],
            container_port: Some(8086),
            env: vec![TemplateEnvVar {
                name: "TZ".into(),
                description: None,
                required: false,
                default: Some("UTC".into()),
            }],
            ..TemplateSpec::default()
        }
    }

    #[test]
    fn the_template_fills_only_what_the_server_leaves_out() {
        let server = ServerSpec {
            from_template: Some("t".into()),
            env: vec![EnvVar {
                name: "TZ".into(),
                value: Some("Europe/Prague".into()),
                value_from: None,
            }],
            replicas: 1,
            ..ServerSpec::default()
        };
        let e = EffectiveServer::resolve(&server, Some(&template()));
        assert_eq!(e.transport, Transport::Sse);
        assert_eq!(e.docker_image.as_deref(), Some("img:1"));
        assert_eq!(e.args, ["--serve"]);
        assert_eq!(e.container_port, Some(8086));
        assert_eq!(e.env.len(), 1);
        assert_eq!(e.env[0].value.as_deref(), Some("Europe/Prague"));
        assert_eq!(e.health_check.interval_seconds, 30);
    }

    #[test]
    fn a_server_with_its_own_program_keeps_it() {
        let server = ServerSpec {
            from_template: Some("t".into()),
            command: Some("python".into()),
            args: vec!["-m".into(), "x".into()],
            replicas: 1,
            ..ServerSpec::default()
        };
        let e = EffectiveServer::resolve(&server, Some(&template()));
        assert_eq!(e.docker_image, None);
        assert_eq!(e.command.as_deref(), Some("python"));
        assert_eq!(e.args, ["-m", "x"]);
        assert_eq!(
            e.env[0].value.as_deref(),
            Some("UTC"),
            "template defaults still apply"
        );
    }
}
