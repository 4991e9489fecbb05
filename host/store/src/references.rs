//! Checks that run after a transaction's writes and before its commit: every reference the
//! written resources make resolves, and nothing deleted is still referred to.

use std::collections::BTreeSet;

use resource_model::spec::ServerSpec;
use resource_model::validate::{PromptLink, parse_link};
use resource_model::{Key, Kind, Resource, Spec};

use crate::error::StoreError;
use crate::rows::Rows;
use crate::tx::{Action, Outcome, Tx};

/// Which stored resources name `target`.
fn server_uses_secret(spec: &ServerSpec, secret: &str) -> bool {
    spec.env_from.iter().any(|f| f.secret_ref.name == secret)
        || spec
            .env
            .iter()
            .filter_map(|e| e.value_from.as_ref())
            .any(|f| f.secret_key_ref.name == secret)
}

/// The link of a linked prompt.
fn prompt_link(resource: &Resource) -> Option<PromptLink<'_>> {
    let Spec::Prompt(prompt) = &resource.spec else {
        return None;
    };
    parse_link(prompt.link.as_deref()?).ok()
}

fn names(resources: &[&Resource]) -> String {
    resources
        .iter()
        .map(|r| match &r.project {
            Some(p) => format!("{} {} (project {p})", r.kind(), r.name),
            None => format!("{} {}", r.kind(), r.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl<C: Rows> Tx<'_, C> {
    /// Checks the references of everything `outcomes` wrote or deleted.
    pub async fn check_references(&mut self, outcomes: &[Outcome]) -> Result<(), StoreError> {
        let mut servers_to_check = BTreeSet::new();
        let mut all_servers: Option<Vec<Resource>> = None;
        for outcome in outcomes {
            let r = &outcome.resource;
            match (outcome.action, &r.spec) {
                (Action::Unchanged, _) => {}
                (Action::Created | Action::Configured, Spec::Server(_)) => {
                    servers_to_check.insert(r.name.clone());
                }
                (Action::Created | Action::Configured, Spec::Project(p)) => {
                    for (i, server) in p.servers.iter().enumerate() {
                        if !self.exists(Kind::Server, None, server).await? {
                            return Err(StoreError::MissingReference(format!(
                                "project {}: server {server} (servers[{i}]) does not exist",
                                r.name
                            )));
                        }
                    }
                }
                (Action::Created | Action::Configured, Spec::ServerAttachment(a))
                    if !self.exists(Kind::Server, None, &a.server).await? =>
                {
                    return Err(StoreError::MissingReference(format!(
                        "server {} does not exist",
                        a.server
                    )));
                }
                (
                    Action::Created | Action::Configured,
                    Spec::Prompt(_) | Spec::PromptRequest(_),
                ) => {
                    self.check_prompt(r).await?;
                }
                (Action::Configured | Action::Deleted, Spec::Secret(_) | Spec::Template(_)) => {
                    let servers = self.servers(&mut all_servers).await?;
                    let dependents: Vec<&Resource> = servers
                        .iter()
                        .filter(|s| match (&s.spec, &r.spec) {
                            (Spec::Server(spec), Spec::Secret(_)) => {
                                server_uses_secret(spec, &r.name)
                            }
                            (Spec::Server(spec), Spec::Template(_)) => {
                                spec.from_template.as_deref() == Some(r.name.as_str())
                            }
                            _ => false,
                        })
                        .collect();
                    let falls_back = r.kind() == Kind::Template
                        && resource_model::catalog::builtin_template(&r.name).is_some();
                    if outcome.action == Action::Deleted && !dependents.is_empty() && !falls_back {
                        return Err(StoreError::Conflict(format!(
                            "{} {} is used by {}; change or delete those first",
                            r.kind(),
                            r.name,
                            names(&dependents)
                        )));
                    }
                    servers_to_check.extend(dependents.iter().map(|s| s.name.clone()));
                }
                (Action::Deleted, Spec::Server(_)) => {
                    let projects = self.read_all(Kind::Project, None).await?;
                    let using: Vec<&Resource> = projects
                        .iter()
                        .filter(
                            |p| matches!(&p.spec, Spec::Project(s) if s.servers.contains(&r.name)),
                        )
                        .collect();
                    if let Some(project) = using.first() {
                        return Err(StoreError::Conflict(format!(
                            "server {} is attached to {}; detach it first (mcpctl --project {} detach-server {})",
                            r.name,
                            names(&using),
                            project.name,
                            r.name
                        )));
                    }
                    self.refuse_links(r, None, Some(&r.name)).await?;
                }
                (Action::Deleted, Spec::Project(_)) => {
                    self.refuse_links(r, Some(&r.name), None).await?;
                }
                _ => {}
            }
        }
        for name in servers_to_check {
            if let Some(server) = self.read(&Key::new(Kind::Server, None, &name)).await? {
                self.check_server(&server).await?;
            }
        }
        Ok(())
    }

    async fn servers<'s>(
        &mut self,
        cache: &'s mut Option<Vec<Resource>>,
    ) -> Result<&'s Vec<Resource>, StoreError> {
        if cache.is_none() {
            *cache = Some(self.read_all(Kind::Server, None).await?);
        }
        Ok(cache.get_or_insert_with(Vec::new))
    }

    /// Refuses a deletion while prompts link to the deleted project or server.
    async fn refuse_links(
        &mut self,
        deleted: &Resource,
        project: Option<&str>,
        server: Option<&str>,
    ) -> Result<(), StoreError> {
        let prompts = self.read_all(Kind::Prompt, None).await?;
        let linking: Vec<&Resource> = prompts
            .iter()
            .filter(|p| match (project, server) {
                (Some(project), _) => prompt_link(p).is_some_and(|l| l.project == project),
                (None, Some(server)) => prompt_link(p).is_some_and(|l| l.server == server),
                (None, None) => false,
            })
            .collect();
        if !linking.is_empty() {
            return Err(StoreError::Conflict(format!(
                "{} {} is linked from {}; change or delete those first",
                deleted.kind(),
                deleted.name,
                names(&linking)
            )));
        }
        Ok(())
    }

    async fn check_prompt(&mut self, r: &Resource) -> Result<(), StoreError> {
        let project = r.project.as_deref().unwrap_or_default();
        if !self.exists(Kind::Project, None, project).await? {
            return Err(StoreError::MissingReference(format!(
                "{} {}: project {project} does not exist",
                r.kind(),
                r.name
            )));
        }
        if let Spec::Prompt(p) = &r.spec
            && let Some(link) = p.link.as_deref()
        {
            let link = parse_link(link)?;
            if !self.exists(Kind::Project, None, link.project).await? {
                return Err(StoreError::MissingReference(format!(
                    "prompt {}: linked project {} does not exist",
                    r.name, link.project
                )));
            }
            if !self.exists(Kind::Server, None, link.server).await? {
                return Err(StoreError::MissingReference(format!(
                    "prompt {}: linked server {} does not exist",
                    r.name, link.server
                )));
            }
        }
        Ok(())
    }

    /// A server's template and secrets exist, and the template's required variables are set.
    async fn check_server(&mut self, server: &Resource) -> Result<(), StoreError> {
        let Spec::Server(spec) = &server.spec else {
            return Ok(());
        };
        let name = &server.name;
        let mut provided: BTreeSet<String> = spec.env.iter().map(|e| e.name.clone()).collect();
        for (i, from) in spec.env_from.iter().enumerate() {
            let secret = &from.secret_ref.name;
            match self.read(&Key::new(Kind::Secret, None, secret)).await? {
                Some(Resource {
                    spec: Spec::Secret(s),
                    ..
                }) => provided.extend(s.data.keys().cloned()),
                _ => {
                    return Err(StoreError::MissingReference(format!(
                        "server {name}: secret {secret} (envFrom[{i}].secretRef.name) does not exist"
                    )));
                }
            }
        }
        for (i, var) in spec.env.iter().enumerate() {
            let Some(from) = &var.value_from else {
                continue;
            };
            let r = &from.secret_key_ref;
            match self.read(&Key::new(Kind::Secret, None, &r.name)).await? {
                Some(Resource {
                    spec: Spec::Secret(s),
                    ..
                }) if s.data.contains_key(&r.key) => {}
                Some(_) => {
                    return Err(StoreError::MissingReference(format!(
                        "server {name}: secret {} has no key {} (env[{i}].valueFrom.secretKeyRef)",
                        r.name, r.key
                    )));
                }
                None => {
                    return Err(StoreError::MissingReference(format!(
                        "server {name}: secret {} (env[{i}].valueFrom.secretKeyRef.name) does not exist",
                        r.name
                    )));
                }
            }
        }
        let Some(template_name) = &spec.from_template else {
            return Ok(());
        };
        let Some(template) = self.template(template_name).await? else {
            return Err(StoreError::MissingReference(format!(
                "server {name}: template {template_name} (fromTemplate) does not exist"
            )));
        };
        let Spec::Template(t) = &template.spec else {
            return Ok(());
        };
        for var in &t.env {
            if var.required && var.default.is_none() && !provided.contains(&var.name) {
                let what = var
                    .description
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                return Err(StoreError::MissingReference(format!(
                    "server {name}: template {template_name} needs {}{what}; set it in env or in a secret listed in envFrom",
                    var.name
                )));
            }
        }
        Ok(())
    }
}
