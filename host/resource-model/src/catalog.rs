//! The built-in template catalog shipped with mcpd.

use std::sync::OnceLock;

use crate::document::parse_resources;
use crate::error::ModelError;
use crate::resource::Resource;
use crate::validate::validate;

const CATALOG: &str = include_str!("catalog/templates.yaml");

/// The built-in templates. A user template of the same name takes precedence over one of these.
pub fn builtin_templates() -> Result<&'static [Resource], ModelError> {
    static PARSED: OnceLock<Result<Vec<Resource>, ModelError>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            let templates = parse_resources(CATALOG, None)?;
            for t in &templates {
                validate(t).map_err(|e| e.within(&format!("built-in template {}", t.name)))?;
            }
            Ok(templates)
        })
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// One built-in template by name.
pub fn builtin_template(name: &str) -> Option<&'static Resource> {
    builtin_templates()
        .ok()
        .and_then(|all| all.iter().find(|t| t.name == name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Kind;

    #[test]
    fn the_catalog_parses_and_has_the_documented_templates() {
        let templates = builtin_templates().expect("catalog parses");
        assert!(templates.iter().all(|t| t.kind() == Kind::Template));
        for name in ["grafana", "home-assistant", "docmost", "time", "git"] {
            assert!(builtin_template(name).is_some(), "missing {name}");
        }
    }
}
