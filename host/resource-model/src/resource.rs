//! A resource: its identity, its spec and the fields mcpd manages for it.

use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ModelError;
use crate::kind::Kind;
use crate::spec::{
    InstanceSpec, ProjectSpec, PromptRequestSpec, PromptSpec, RbacBindingSpec, SecretSpec,
    ServerAttachmentSpec, ServerSpec, Spec, TemplateSpec,
};

/// What a masked secret value looks like on output. Sent back unchanged (as an exported file
/// does), it means "keep the stored value".
pub const MASK: &str = "********";

/// Fields mcpd sets; ignored in documents except `resourceVersion`, which is a precondition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub resource_version: Option<i64>,
    pub created_at_ms: Option<i64>,
    pub updated_at_ms: Option<i64>,
}

/// One resource of any kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub name: String,
    /// The owning project, for project-scoped kinds and server attachments.
    pub project: Option<String>,
    pub spec: Spec,
    pub meta: Meta,
}

/// How a resource is addressed: kind, project scope (empty for global kinds) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub kind: Kind,
    pub project: String,
    pub name: String,
}

impl Key {
    pub fn new(kind: Kind, project: Option<&str>, name: &str) -> Key {
        Key {
            kind,
            project: project.unwrap_or_default().to_owned(),
            name: name.to_owned(),
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.project.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {} (project {})", self.kind, self.name, self.project)
        }
    }
}

impl Spec {
    pub fn kind(&self) -> Kind {
        match self {
            Spec::Server(_) => Kind::Server,
            Spec::Secret(_) => Kind::Secret,
            Spec::Template(_) => Kind::Template,
            Spec::Project(_) => Kind::Project,
            Spec::Prompt(_) => Kind::Prompt,
            Spec::PromptRequest(_) => Kind::PromptRequest,
            Spec::ServerAttachment(_) => Kind::ServerAttachment,
            Spec::RbacBinding(_) => Kind::RbacBinding,
            Spec::Instance(_) => Kind::Instance,
        }
    }

    /// Reads the spec fields of `kind` from a JSON object, naming any wrong or unknown field.
    pub fn from_value(kind: Kind, value: Value) -> Result<Spec, ModelError> {
        fn read<T: DeserializeOwned>(value: Value) -> Result<T, ModelError> {
            serde_path_to_error::deserialize(value).map_err(|err| {
                let path = err.path().to_string();
                let path = if path == "." { String::new() } else { path };
                ModelError::invalid(path, err.into_inner().to_string())
            })
        }
        Ok(match kind {
            Kind::Server => Spec::Server(read::<ServerSpec>(value)?),
            Kind::Secret => Spec::Secret(read::<SecretSpec>(value)?),
            Kind::Template => Spec::Template(read::<TemplateSpec>(value)?),
            Kind::Project => Spec::Project(read::<ProjectSpec>(value)?),
            Kind::Prompt => Spec::Prompt(read::<PromptSpec>(value)?),
            Kind::PromptRequest => Spec::PromptRequest(read::<PromptRequestSpec>(value)?),
            Kind::ServerAttachment => Spec::ServerAttachment(read::<ServerAttachmentSpec>(value)?),
            Kind::RbacBinding => Spec::RbacBinding(read::<RbacBindingSpec>(value)?),
            Kind::Instance => Spec::Instance(read::<InstanceSpec>(value)?),
        })
    }

    /// The canonical JSON object of the spec fields.
    pub fn to_value(&self) -> Value {
        fn write<T: Serialize>(spec: &T) -> Value {
            // Serialising these plain structs into a Value cannot fail: every key is a string.
            serde_json::to_value(spec).unwrap_or(Value::Object(Map::new()))
        }
        match self {
            Spec::Server(s) => write(s),
            Spec::Secret(s) => write(s),
            Spec::Template(s) => write(s),
            Spec::Project(s) => write(s),
            Spec::Prompt(s) => write(s),
            Spec::PromptRequest(s) => write(s),
            Spec::ServerAttachment(s) => write(s),
            Spec::RbacBinding(s) => write(s),
            Spec::Instance(s) => write(s),
        }
    }
}

impl Resource {
    pub fn new(name: impl Into<String>, spec: Spec) -> Resource {
        Resource {
            name: name.into(),
            project: None,
            spec,
            meta: Meta::default(),
        }
    }

    pub fn kind(&self) -> Kind {
        self.spec.kind()
    }

    pub fn key(&self) -> Key {
        Key::new(self.kind(), self.project.as_deref(), &self.name)
    }

    /// The same resource with secret values replaced by [`MASK`].
    pub fn masked(mut self) -> Resource {
        if let Spec::Secret(secret) = &mut self.spec {
            for value in secret.data.values_mut() {
                *value = MASK.to_owned();
            }
        }
        self
    }

    /// Reads a resource from one document object.
    ///
    /// `default_kind` is the kind implied by where the object stands (the `servers:` list of
    /// the grouped form); `default_project` fills `project` for project-scoped kinds.
    pub fn from_value(
        value: Value,
        default_kind: Option<Kind>,
        default_project: Option<&str>,
    ) -> Result<Resource, ModelError> {
        let Value::Object(mut fields) = value else {
            return Err(ModelError::invalid(
                "",
                "a resource must be a mapping of fields",
            ));
        };
        let kind = match fields.remove("kind") {
            None => default_kind.ok_or_else(|| {
                ModelError::invalid(
                    "kind",
                    format!("is missing; one of: {}", Kind::known_names()),
                )
            })?,
            Some(Value::String(text)) => {
                let kind = Kind::parse(&text).ok_or_else(|| {
                    ModelError::invalid(
                        "kind",
                        format!("unknown kind {text:?}; one of: {}", Kind::known_names()),
                    )
                })?;
                if let Some(expected) = default_kind.filter(|d| *d != kind) {
                    return Err(ModelError::invalid(
                        "kind",
                        format!(
                            "is {kind} but the document stands in the {} list",
                            expected.plural()
                        ),
                    ));
                }
                kind
            }
            Some(_) => return Err(ModelError::invalid("kind", "must be a string")),
        };
        let mut meta = Meta::default();
        match fields.remove("resourceVersion") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v > 0) => {
                meta.resource_version = n.as_i64();
            }
            Some(Value::String(s)) if s.parse::<i64>().is_ok_and(|v| v > 0) => {
                meta.resource_version = s.parse().ok();
            }
            Some(_) => {
                return Err(ModelError::invalid(
                    "resourceVersion",
                    "must be a positive integer",
                ));
            }
        }
        // Read-only fields that an exported document carries; their values are mcpd's.
        fields.remove("createdAt");
        fields.remove("updatedAt");

        let project = if kind.is_project_scoped() || kind.is_virtual() {
            match fields.remove("project") {
                Some(Value::String(p)) => Some(p),
                None | Some(Value::Null) => default_project.map(str::to_owned),
                Some(_) => return Err(ModelError::invalid("project", "must be a string")),
            }
            .ok_or_else(|| {
                ModelError::invalid(
                    "project",
                    format!("is missing: a {kind} belongs to a project (or pass --project)"),
                )
            })
            .map(Some)?
        } else {
            None
        };

        let name = if kind.is_virtual() {
            match fields.get("server") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err(ModelError::invalid("server", "is missing or not a string")),
            }
        } else {
            match fields.remove("name") {
                Some(Value::String(s)) => s,
                None => return Err(ModelError::invalid("name", "is missing")),
                Some(_) => return Err(ModelError::invalid("name", "must be a string")),
            }
        };

        let spec = Spec::from_value(kind, Value::Object(fields))?;
        Ok(Resource {
            name,
            project,
            spec,
            meta,
        })
    }

    /// The flat document form: `kind` (when asked), `name`, `project`, the spec fields, then
    /// the fields mcpd manages.
    pub fn to_value(&self, with_kind: bool) -> Value {
        let mut out = Map::new();
        if with_kind {
            out.insert("kind".into(), Value::String(self.kind().as_str().into()));
        }
        if !self.kind().is_virtual() {
            out.insert("name".into(), Value::String(self.name.clone()));
        }
        if let Some(project) = &self.project {
            out.insert("project".into(), Value::String(project.clone()));
        }
        if let Value::Object(spec) = self.spec.to_value() {
            out.extend(spec);
        }
        if let Some(v) = self.meta.resource_version {
            out.insert("resourceVersion".into(), Value::from(v));
        }
        if let Some(ms) = self.meta.created_at_ms {
            out.insert("createdAt".into(), Value::String(rfc3339(ms)));
        }
        if let Some(ms) = self.meta.updated_at_ms {
            out.insert("updatedAt".into(), Value::String(rfc3339(ms)));
        }
        Value::Object(out)
    }
}

/// Milliseconds since the epoch as an RFC 3339 UTC timestamp.
pub fn rfc3339(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or_default());
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Parses an RFC 3339 timestamp as written by [`rfc3339`] back into milliseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(text).ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_named() {
        let err = Resource::from_value(
            json!({"kind": "server", "name": "a", "dockerImage": "x", "replica": 2}),
            None,
            None,
        )
        .expect_err("unknown field");
        assert!(err.to_string().contains("unknown field `replica`"), "{err}");
    }

    #[test]
    fn wrong_types_name_the_nested_field() {
        let err = Resource::from_value(
            json!({"name": "a", "command": "x", "env": [{"name": "A", "value": 3}]}),
            Some(Kind::Server),
            None,
        )
        .expect_err("bad type");
        assert_eq!(err.field(), Some("env[0].value"), "{err}");
    }

    #[test]
    fn flat_documents_round_trip() {
        let doc = json!({"kind": "prompt", "name": "guide", "project": "mon", "content": "hi", "priority": 7, "resourceVersion": 3});
        let r = Resource::from_value(doc.clone(), None, None).expect("valid");
        assert_eq!(r.project.as_deref(), Some("mon"));
        assert_eq!(r.meta.resource_version, Some(3));
        assert_eq!(r.to_value(true), doc);
    }

    #[test]
    fn scoped_kinds_take_the_default_project() {
        let r = Resource::from_value(
            json!({"name": "g", "content": "x"}),
            Some(Kind::Prompt),
            Some("p"),
        )
        .expect("valid");
        assert_eq!(r.key(), Key::new(Kind::Prompt, Some("p"), "g"));
        let err = Resource::from_value(
            json!({"name": "g", "content": "x"}),
            Some(Kind::Prompt),
            None,
        )
        .expect_err("no project");
        assert_eq!(err.field(), Some("project"));
    }

    #[test]
    fn timestamps_survive_formatting() {
        let ms = 1_764_000_000_000;
        assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
    }
}
