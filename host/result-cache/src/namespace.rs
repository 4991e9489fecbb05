//! Namespace names: `<provider>--<model>--<proxymodel>`, one directory each, so that switching
//! provider or model starts from an empty cache.

use std::fmt;

use sha2::{Digest, Sha256};

/// Longest part kept as written; longer parts are cut and end in a hash of the whole part.
const MAX_PART: usize = 64;

/// The name of one namespace directory, made safe for any file system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamespaceId(String);

impl NamespaceId {
    /// `provider--model--proxymodel` with each part sanitized: characters other than ASCII
    /// letters, digits, `.`, `_` and `-` become `_` (`Qwen/Qwen3-32B` → `Qwen_Qwen3-32B`), runs
    /// of `-` shrink to one (so `--` only ever separates parts), a leading `.` becomes `_`, an
    /// empty part is `_`, and parts over 64 characters are cut and suffixed with a hash.
    pub fn new(provider: &str, model: &str, proxymodel: &str) -> NamespaceId {
        NamespaceId(format!(
            "{}--{}--{}",
            sanitize(provider),
            sanitize(model),
            sanitize(proxymodel)
        ))
    }

    /// A directory name given by a user (`mcpctl cache clear NAME`): accepted when it is
    /// already in sanitized form, so that it can never point outside the cache directory.
    pub fn parse(name: &str) -> Option<NamespaceId> {
        let valid = !name.is_empty()
            && !name.starts_with('.')
            && name.len() <= 3 * MAX_PART + 4
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        valid.then(|| NamespaceId(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NamespaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn sanitize(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in part.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            c
        } else {
            '_'
        };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    if out.starts_with('.') {
        out.replace_range(..1, "_");
    }
    if out.is_empty() {
        out.push('_');
    }
    if out.len() > MAX_PART {
        let digest = Sha256::digest(part.as_bytes());
        let suffix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        out.truncate(MAX_PART - 9);
        out.push('-');
        out.push_str(&suffix);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_sanitized() {
        assert_eq!(
            NamespaceId::new("vllm-local", "Qwen/Qwen3-32B", "subindex").as_str(),
            "vllm-local--Qwen_Qwen3-32B--subindex"
        );
        assert_eq!(
            NamespaceId::new("a--b", "../etc", "").as_str(),
            "a-b--_._etc--_"
        );
        let long = NamespaceId::new(&"x".repeat(200), "m", "p");
        assert_eq!(long.as_str().len(), 64 + 2 + 1 + 2 + 1);
        assert_ne!(long, NamespaceId::new(&"x".repeat(201), "m", "p"));
    }

    #[test]
    fn user_names_cannot_escape() {
        assert!(NamespaceId::parse("openai--gpt-4o--content-pipeline").is_some());
        for bad in ["..", "../x", "a/b", "", ".hidden"] {
            assert!(NamespaceId::parse(bad).is_none(), "{bad}");
        }
    }
}
