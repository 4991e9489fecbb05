//! The desired-state fields of each kind, exactly as users write them in YAML (camelCase).
//!
//! Every struct rejects unknown fields by name, and serialises to one canonical form: fields
//! with defaults are always written, optional fields only when set. Comparing canonical forms
//! is how an apply decides that a document is unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How an MCP server speaks to its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Transport {
    #[default]
    #[serde(rename = "STDIO")]
    Stdio,
    #[serde(rename = "SSE")]
    Sse,
    #[serde(rename = "STREAMABLE_HTTP")]
    StreamableHttp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Stdio => "STDIO",
            Transport::Sse => "SSE",
            Transport::StreamableHttp => "STREAMABLE_HTTP",
        }
    }

    /// Parses a transport case-insensitively, accepting `-` for `_` (`streamable-http`).
    pub fn parse(text: &str) -> Option<Transport> {
        match text.to_ascii_uppercase().replace('-', "_").as_str() {
            "STDIO" => Some(Transport::Stdio),
            "SSE" => Some(Transport::Sse),
            "STREAMABLE_HTTP" | "HTTP" => Some(Transport::StreamableHttp),
            _ => None,
        }
    }
}

/// One environment variable of a server: a literal value or a key of a secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvValueSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvValueSource {
    pub secret_key_ref: SecretKeyRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeyRef {
    pub name: String,
    pub key: String,
}

/// Imports every key of a secret as environment variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvFromSource {
    pub secret_ref: SecretRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    pub name: String,
}

/// How mcpd decides that an instance is healthy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheck {
    #[serde(default = "defaults::interval_seconds")]
    pub interval_seconds: u32,
    #[serde(default = "defaults::timeout_seconds")]
    pub timeout_seconds: u32,
    #[serde(default = "defaults::failure_threshold")]
    pub failure_threshold: u32,
    /// A tool to call as the probe (after initialize and ping), with its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<serde_json::Map<String, serde_json::Value>>,
}

mod defaults {
    pub fn interval_seconds() -> u32 {
        30
    }
    pub fn timeout_seconds() -> u32 {
        10
    }
    pub fn failure_threshold() -> u32 {
        3
    }
    pub fn replicas() -> u32 {
        1
    }
    pub fn proxy_model() -> String {
        "default".to_owned()
    }
    pub fn priority() -> u8 {
        5
    }
    pub fn required() -> bool {
        true
    }
}

/// An MCP server: a container image or a local command, and how to reach and check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<u16>,
    #[serde(default = "defaults::replicas")]
    pub replicas: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_from: Vec<EnvFromSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Memory and CPU caps of each instance (containers; defaults apply when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// Run containers with no network at all (`--network none`). STDIO servers only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub network_isolation: bool,
    /// Mount the container's root file system read-only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only_root_filesystem: bool,
    /// Whether client sessions share an instance's MCP session or each get their own.
    #[serde(default, skip_serializing_if = "SessionMode::is_shared")]
    pub session_mode: SessionMode,
    /// HTTP path of the MCP endpoint inside the instance (default `/mcp`, or `/sse` for SSE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_path: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Resource caps of one instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// Memory limit in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u32>,
    /// CPU limit in cores (0.5 = half a core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
}

/// How client sessions map onto an instance's MCP sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SessionMode {
    /// Every client session is multiplexed over one MCP session per instance.
    #[default]
    Shared,
    /// Each client session gets an MCP session of its own (a process of its own for STDIO).
    Dedicated,
}

impl SessionMode {
    pub fn is_shared(&self) -> bool {
        *self == SessionMode::Shared
    }
}

/// A variable a template's server needs, with what it is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateEnvVar {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "defaults::required")]
    pub required: bool,
    /// Used when the server sets no value of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// A reusable server blueprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub transport: Transport,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<TemplateEnvVar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
}

/// Credentials as key/value pairs. Sealed at rest, masked on output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretSpec {
    #[serde(default)]
    pub data: BTreeMap<String, String>,
}

/// A group of servers that one client connects to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "defaults::proxy_model")]
    pub proxy_model: String,
    #[serde(default)]
    pub servers: Vec<String>,
    /// When tool and prompt names carry their server's name (`server/tool`). Unset:
    /// [`PrefixMode::Conditional`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_mode: Option<PrefixMode>,
    /// Between server and tool name. Unset: `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// Longest exposed tool or prompt name, in characters. Unset: 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_name_length: Option<u32>,
    /// What a list does when one of the servers fails. Unset: [`FailMode::Open`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_mode: Option<FailMode>,
}

impl Default for ProjectSpec {
    fn default() -> Self {
        ProjectSpec {
            description: None,
            proxy_model: defaults::proxy_model(),
            servers: Vec::new(),
            prefix_mode: None,
            separator: None,
            max_name_length: None,
            fail_mode: None,
        }
    }
}

/// When a project's tool and prompt names are prefixed with their server's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PrefixMode {
    /// Always `server/tool`.
    Always,
    /// Never (a clash between servers still falls back to the prefix).
    Never,
    /// Only when the project has more than one server.
    #[default]
    Conditional,
}

/// What a project's merged list does when one of its servers cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Leave that server's items out; the rest keeps working.
    #[default]
    Open,
    /// Fail the whole request.
    Closed,
}

/// Curated text for the model, or a link to an MCP resource that supplies it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromptSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `project/server:resource-uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default = "defaults::priority")]
    pub priority: u8,
}

/// A prompt proposed (usually by a model during a session), waiting for approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromptRequestSpec {
    pub content: String,
    #[serde(default = "defaults::priority")]
    pub priority: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
}

/// A server listed in a project, as a resource of its own so that apply can add one link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerAttachmentSpec {
    pub server: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    View,
    Edit,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
}

/// Who may do what, on which projects (all projects when the list is empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RbacBindingSpec {
    pub role: Role,
    pub subjects: Vec<Subject>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
}

/// What a running copy of a server looks like. Observed by mcpd's runtime, never written by
/// users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceSpec {
    pub server: String,
    /// `Pending`, `Running`, `Unhealthy`, `CrashLoop` or `Failed`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub restarts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// Container id or process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the current container or process started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

/// The spec of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    Server(ServerSpec),
    Secret(SecretSpec),
    Template(TemplateSpec),
    Project(ProjectSpec),
    Prompt(PromptSpec),
    PromptRequest(PromptRequestSpec),
    ServerAttachment(ServerAttachmentSpec),
    RbacBinding(RbacBindingSpec),
    Instance(InstanceSpec),
}
