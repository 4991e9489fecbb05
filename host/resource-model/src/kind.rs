//! The resource kinds and the names users may call them by.

use std::fmt;

/// Every kind of resource mcpd knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Secret,
    Template,
    Server,
    Project,
    ServerAttachment,
    Prompt,
    PromptRequest,
    RbacBinding,
    Instance,
}

impl Kind {
    /// All kinds, in the order an apply must write them so that references resolve.
    pub const ALL: [Kind; 9] = [
        Kind::Secret,
        Kind::Template,
        Kind::Server,
        Kind::Project,
        Kind::ServerAttachment,
        Kind::Prompt,
        Kind::PromptRequest,
        Kind::RbacBinding,
        Kind::Instance,
    ];

    /// The singular name used in documents (`kind: server`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Template => "template",
            Kind::Server => "server",
            Kind::Project => "project",
            Kind::ServerAttachment => "serverattachment",
            Kind::Prompt => "prompt",
            Kind::PromptRequest => "promptrequest",
            Kind::RbacBinding => "rbac",
            Kind::Instance => "instance",
        }
    }

    /// The plural name: the REST path segment and the key of the grouped document form.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Secret => "secrets",
            Kind::Template => "templates",
            Kind::Server => "servers",
            Kind::Project => "projects",
            Kind::ServerAttachment => "serverattachments",
            Kind::Prompt => "prompts",
            Kind::PromptRequest => "promptrequests",
            Kind::RbacBinding => "rbac",
            Kind::Instance => "instances",
        }
    }

    /// Parses what a user types: singular, plural or a short alias, in any case.
    pub fn parse(text: &str) -> Option<Kind> {
        let lower = text.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "secret" | "secrets" | "sec" => Kind::Secret,
            "template" | "templates" | "tpl" => Kind::Template,
            "server" | "servers" | "srv" => Kind::Server,
            "project" | "projects" | "proj" => Kind::Project,
            "serverattachment" | "serverattachments" | "sa" => Kind::ServerAttachment,
            "prompt" | "prompts" => Kind::Prompt,
            "promptrequest" | "promptrequests" | "pr" => Kind::PromptRequest,
            "rbac" | "rbacbinding" | "rbacbindings" => Kind::RbacBinding,
            "instance" | "instances" | "inst" => Kind::Instance,
            _ => return None,
        };
        Some(kind)
    }

    /// Kinds whose names are unique within a project rather than globally.
    pub fn is_project_scoped(self) -> bool {
        matches!(self, Kind::Prompt | Kind::PromptRequest)
    }

    /// Kinds only mcpd itself writes (observed state).
    pub fn is_read_only(self) -> bool {
        matches!(self, Kind::Instance)
    }

    /// Kinds that have no row of their own (a server attachment is an entry in a project's
    /// server list).
    pub fn is_virtual(self) -> bool {
        matches!(self, Kind::ServerAttachment)
    }

    /// The names a user may type, for error messages.
    pub fn known_names() -> String {
        Kind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_from_its_singular_and_plural() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert_eq!(Kind::parse(kind.plural()), Some(kind));
            assert_eq!(Kind::parse(&kind.plural().to_uppercase()), Some(kind));
        }
        assert_eq!(Kind::parse("pods"), None);
    }
}
