//! `mcpctl status` and `mcpctl version`.

use resource_model::Kind;
use serde_json::Value;

use crate::error::CommandError;
use crate::output::describe::Description;
use crate::output::print;

use super::Context;

const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The mcpd in use: address, whether it answers, its version, database and resource counts.
pub fn status(context: &Context) -> Result<(), CommandError> {
    let api = context.api()?;
    let mut d = Description::new();
    d.field("mcpd", api.base_url());
    match api.status() {
        Ok(status) => {
            d.field("Reachable", "yes");
            describe_status(&mut d, &status);
            print(&d.render())?;
            Ok(())
        }
        Err(err) => {
            d.field("Reachable", "no");
            print(&d.render())?;
            Err(err.into())
        }
    }
}

fn describe_status(d: &mut Description, status: &Value) {
    d.field("Version", text(status.get("version")));
    d.value("Database", status.get("database").unwrap_or(&Value::Null));
    let counts = status.get("resources").and_then(Value::as_object);
    d.section("Resources", |d| {
        let Some(counts) = counts else { return };
        // Known kinds first, in dependency order, then anything newer mcpd counts.
        let known = Kind::ALL.map(Kind::plural);
        for plural in known {
            if let Some(count) = counts.get(plural) {
                d.field(plural, text(Some(count)));
            }
        }
        for (plural, count) in counts.iter().filter(|(k, _)| !known.contains(&k.as_str())) {
            d.field(plural, text(Some(count)));
        }
    });
}

fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "unknown".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The version of mcpctl, then of the mcpd in use (an error when it cannot be reached).
pub fn version(context: &Context) -> Result<(), CommandError> {
    print(&format!("mcpctl version: {CLIENT_VERSION}\n"))?;
    let api = context.api()?;
    let status = api.status()?;
    print(&format!(
        "mcpd version:   {} ({})\n",
        text(status.get("version")),
        api.base_url()
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_lists_counts_in_kind_order() {
        let mut d = Description::new();
        describe_status(
            &mut d,
            &json!({"version": "0.1.0", "database": "sqlite",
                    "resources": {"servers": 2, "secrets": 1, "widgets": 4}}),
        );
        assert_eq!(
            d.render(),
            "Version:   0.1.0\n\
             Database:  sqlite\n\
             Resources:\n  \
               secrets:  1\n  \
               servers:  2\n  \
               widgets:  4\n"
        );
    }
}
