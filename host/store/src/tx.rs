//! One write transaction: reads through a small cache, writes with version checks, and the
//! operations every write endpoint is made of.

use std::collections::HashMap;

use resource_model::catalog::builtin_template;
use resource_model::patch::merge_patch;
use resource_model::spec::{ProjectSpec, PromptSpec, ServerAttachmentSpec};
use resource_model::validate::validate;
use resource_model::{Key, Kind, MASK, ModelError, Resource, Spec};
use serde_json::Value;

use crate::cipher::SecretCipher;
use crate::codec::{from_row, to_row};
use crate::error::StoreError;
use crate::rows::Rows;

/// What a write did to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Configured,
    Unchanged,
    Deleted,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Deleted => "deleted",
        }
    }
}

/// One resource a write touched, as it is afterwards (as it was, for a deletion).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub resource: Resource,
    pub action: Action,
}

/// How a put treats an existing resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    /// It must not exist.
    Create,
    /// It must exist; a `resourceVersion` in the document must match.
    Replace,
    /// Create or update; `resourceVersion` in the document is ignored (declarative).
    Apply,
}

/// A write, as the API asks for it.
#[derive(Debug, Clone)]
pub enum WriteOp {
    Put {
        resource: Box<Resource>,
        mode: PutMode,
    },
    Patch {
        key: Key,
        patch: Value,
    },
    Delete {
        key: Key,
    },
    Approve {
        key: Key,
    },
}

pub(crate) struct Tx<'a, C> {
    pub conn: &'a mut C,
    pub cipher: &'a SecretCipher,
    pub now: i64,
    cache: HashMap<Key, Option<Resource>>,
}

impl<'a, C: Rows> Tx<'a, C> {
    pub fn new(conn: &'a mut C, cipher: &'a SecretCipher, now: i64) -> Self {
        Tx {
            conn,
            cipher,
            now,
            cache: HashMap::new(),
        }
    }

    /// The stored resource at `key`, if any.
    pub async fn read(&mut self, key: &Key) -> Result<Option<Resource>, StoreError> {
        if let Some(hit) = self.cache.get(key) {
            return Ok(hit.clone());
        }
        let row = self
            .conn
            .find(key.kind.as_str(), &key.project, &key.name)
            .await?;
        let resource = row.map(|r| from_row(self.cipher, r)).transpose()?;
        self.cache.insert(key.clone(), resource.clone());
        Ok(resource)
    }

    /// Every stored resource of `kind` (of one project scope when given).
    pub async fn read_all(
        &mut self,
        kind: Kind,
        project: Option<&str>,
    ) -> Result<Vec<Resource>, StoreError> {
        let rows = self.conn.list(kind.as_str(), project).await?;
        rows.into_iter().map(|r| from_row(self.cipher, r)).collect()
    }

    /// A template by name: a stored one, else a built-in one.
    pub async fn template(&mut self, name: &str) -> Result<Option<Resource>, StoreError> {
        let stored = self.read(&Key::new(Kind::Template, None, name)).await?;
        Ok(stored.or_else(|| builtin_template(name).cloned()))
    }

    pub async fn exists(
        &mut self,
        kind: Kind,
        project: Option<&str>,
        name: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.read(&Key::new(kind, project, name)).await?.is_some())
    }

    async fn write(
        &mut self,
        resource: Resource,
        before: Option<&Resource>,
    ) -> Result<Resource, StoreError> {
        let (version, created) = match before {
            Some(old) => (
                old.meta.resource_version.unwrap_or(0) + 1,
                old.meta.created_at_ms.unwrap_or(self.now),
            ),
            None => (1, self.now),
        };
        let row = to_row(self.cipher, &resource, version, created, self.now);
        let changed = match before {
            Some(old) => {
                self.conn
                    .update(&row, old.meta.resource_version.unwrap_or(0))
                    .await?
            }
            None => self.conn.insert(&row).await.map_err(|e| match e {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                ) => StoreError::Conflict(format!(
                    "{} was created at the same time by another request; retry",
                    resource.key()
                )),
                other => StoreError::Database(other),
            })?,
        };
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "{} was changed at the same time by another request; retry",
                resource.key()
            )));
        }
        let stored = from_row(self.cipher, row)?;
        self.cache.insert(stored.key(), Some(stored.clone()));
        Ok(stored)
    }

    /// Creates or updates one resource as `mode` says.
    pub async fn put(
        &mut self,
        mut incoming: Resource,
        mode: PutMode,
    ) -> Result<Outcome, StoreError> {
        let kind = incoming.kind();
        if kind.is_read_only() {
            return Err(StoreError::ReadOnly(format!(
                "{} resources are observed state written by mcpd; they cannot be created or changed",
                kind
            )));
        }
        if kind.is_virtual() {
            return self.attach(&incoming).await;
        }
        validate(&incoming)?;
        let key = incoming.key();
        let existing = self.read(&key).await?;
        let builtin = kind == Kind::Template && builtin_template(&key.name).is_some();
        match (&existing, mode) {
            (Some(_), PutMode::Create) => return Err(StoreError::AlreadyExists(key.to_string())),
            (None, PutMode::Replace) if !builtin => {
                return Err(StoreError::NotFound(key.to_string()));
            }
            _ => {}
        }
        if mode == PutMode::Replace
            && let (Some(wanted), Some(old)) = (incoming.meta.resource_version, &existing)
        {
            let current = old.meta.resource_version.unwrap_or(0);
            if wanted != current {
                return Err(StoreError::Conflict(format!(
                    "{key} was changed since you read it (resourceVersion is now {current}, yours is {wanted}); get it again and retry"
                )));
            }
        }
        if let Spec::Secret(secret) = &mut incoming.spec {
            let stored = match &existing {
                Some(Resource {
                    spec: Spec::Secret(s),
                    ..
                }) => Some(&s.data),
                _ => None,
            };
            for (k, value) in secret.data.iter_mut() {
                if value == MASK {
                    *value = stored.and_then(|d| d.get(k)).cloned().ok_or_else(|| {
                        ModelError::invalid(
                            format!("data.{k}"),
                            "is the mask placeholder but no value is stored for this key; give the real value",
                        )
                    })?;
                }
            }
        }
        if let Some(old) = &existing
            && old.spec == incoming.spec
        {
            return Ok(Outcome {
                resource: old.clone(),
                action: Action::Unchanged,
            });
        }
        let action = if existing.is_some() {
            Action::Configured
        } else {
            Action::Created
        };
        let resource = self.write(incoming, existing.as_ref()).await?;
        Ok(Outcome { resource, action })
    }

    /// Applies a JSON merge patch to the document of a stored resource.
    pub async fn patch(&mut self, key: &Key, patch: &Value) -> Result<Outcome, StoreError> {
        let existing = match self.read(key).await? {
            Some(r) => r,
            None if key.kind == Kind::Template => builtin_template(&key.name)
                .cloned()
                .ok_or_else(|| StoreError::NotFound(key.to_string()))?,
            None => return Err(StoreError::NotFound(key.to_string())),
        };
        let mut doc = existing.to_value(true);
        let mut patch = patch.clone();
        // A resourceVersion in the patch is a precondition, not a change.
        let wanted = patch
            .as_object_mut()
            .and_then(|p| p.remove("resourceVersion"));
        if let Some(obj) = doc.as_object_mut() {
            obj.remove("resourceVersion");
        }
        merge_patch(&mut doc, &patch);
        let mut patched = Resource::from_value(doc, Some(key.kind), None)?;
        if patched.key() != *key {
            return Err(StoreError::Invalid(ModelError::invalid(
                "name",
                "a patch cannot rename a resource or move it to another project",
            )));
        }
        patched.meta.resource_version = match wanted {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                ModelError::invalid("resourceVersion", "must be a positive integer")
            })?),
        };
        self.put(patched, PutMode::Replace).await
    }

    /// Removes one resource; deleting a project removes its prompts and prompt requests.
    pub async fn delete(&mut self, key: &Key) -> Result<Vec<Outcome>, StoreError> {
        if key.kind.is_read_only() {
            return Err(StoreError::ReadOnly(format!(
                "{} resources are removed by mcpd when their server goes",
                key.kind
            )));
        }
        if key.kind.is_virtual() {
            return self.detach(key).await.map(|o| vec![o]);
        }
        let Some(existing) = self.read(key).await? else {
            if key.kind == Kind::Template && builtin_template(&key.name).is_some() {
                return Err(StoreError::ReadOnly(format!(
                    "template {} is built in and cannot be deleted; create a template of that name to override it",
                    key.name
                )));
            }
            return Err(StoreError::NotFound(key.to_string()));
        };
        let mut outcomes = Vec::new();
        if key.kind == Kind::Project {
            for kind in [Kind::Prompt, Kind::PromptRequest] {
                for owned in self.read_all(kind, Some(&key.name)).await? {
                    outcomes.push(self.remove(owned).await?);
                }
            }
        }
        outcomes.push(self.remove(existing).await?);
        Ok(outcomes)
    }

    async fn remove(&mut self, resource: Resource) -> Result<Outcome, StoreError> {
        let key = resource.key();
        let removed = self
            .conn
            .remove(key.kind.as_str(), &key.project, &key.name)
            .await?;
        if removed != 1 {
            return Err(StoreError::Conflict(format!(
                "{key} was deleted at the same time by another request"
            )));
        }
        self.cache.insert(key, None);
        Ok(Outcome {
            resource,
            action: Action::Deleted,
        })
    }

    async fn project(&mut self, name: &str) -> Result<Resource, StoreError> {
        self.read(&Key::new(Kind::Project, None, name))
            .await?
            .ok_or_else(|| StoreError::MissingReference(format!("project {name} does not exist")))
    }

    fn attachment(project: &str, server: &str) -> Resource {
        Resource {
            name: server.to_owned(),
            project: Some(project.to_owned()),
            spec: Spec::ServerAttachment(ServerAttachmentSpec {
                server: server.to_owned(),
            }),
            meta: Default::default(),
        }
    }

    async fn with_project_servers(
        &mut self,
        project_name: &str,
        change: impl FnOnce(&mut Vec<String>) -> bool,
    ) -> Result<bool, StoreError> {
        let project = self.project(project_name).await?;
        let Spec::Project(spec) = &project.spec else {
            return Err(StoreError::Corrupt {
                what: format!("project {project_name}"),
                message: "not a project".into(),
            });
        };
        let mut updated: ProjectSpec = spec.clone();
        if !change(&mut updated.servers) {
            return Ok(false);
        }
        let mut next = project.clone();
        next.spec = Spec::Project(updated);
        validate(&next)?;
        self.write(next, Some(&project)).await?;
        Ok(true)
    }

    async fn attach(&mut self, attachment: &Resource) -> Result<Outcome, StoreError> {
        validate(attachment)?;
        let project = attachment.project.clone().unwrap_or_default();
        let server = attachment.name.clone();
        let added = self
            .with_project_servers(&project, |servers| {
                if servers.contains(&server) {
                    false
                } else {
                    servers.push(server.clone());
                    true
                }
            })
            .await?;
        Ok(Outcome {
            resource: Self::attachment(&project, &server),
            action: if added {
                Action::Created
            } else {
                Action::Unchanged
            },
        })
    }

    async fn detach(&mut self, key: &Key) -> Result<Outcome, StoreError> {
        let removed = self
            .with_project_servers(&key.project, |servers| {
                let before = servers.len();
                servers.retain(|s| *s != key.name);
                servers.len() != before
            })
            .await?;
        if !removed {
            return Err(StoreError::NotFound(format!(
                "server {} in project {}",
                key.name, key.project
            )));
        }
        Ok(Outcome {
            resource: Self::attachment(&key.project, &key.name),
            action: Action::Deleted,
        })
    }

    /// Turns a prompt request into a prompt of the same name and project.
    pub async fn approve(&mut self, key: &Key) -> Result<Vec<Outcome>, StoreError> {
        let request = self
            .read(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(key.to_string()))?;
        let Spec::PromptRequest(spec) = &request.spec else {
            return Err(StoreError::NotFound(key.to_string()));
        };
        let prompt = Resource {
            name: request.name.clone(),
            project: request.project.clone(),
            spec: Spec::Prompt(PromptSpec {
                content: Some(spec.content.clone()),
                link: None,
                priority: spec.priority,
            }),
            meta: Default::default(),
        };
        let created = self.put(prompt, PutMode::Create).await?;
        let removed = self.remove(request).await?;
        Ok(vec![created, removed])
    }

    /// Runs one operation.
    pub async fn run(&mut self, op: WriteOp) -> Result<Vec<Outcome>, StoreError> {
        match op {
            WriteOp::Put { resource, mode } => self.put(*resource, mode).await.map(|o| vec![o]),
            WriteOp::Patch { key, patch } => self.patch(&key, &patch).await.map(|o| vec![o]),
            WriteOp::Delete { key } => self.delete(&key).await,
            WriteOp::Approve { key } => self.approve(&key).await,
        }
    }
}
