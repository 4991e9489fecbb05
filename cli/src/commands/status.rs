//! `mcpctl status` and `mcpctl version`.

use resource_model::Kind;
use serde_json::Value;

use crate::error::CommandError;
use crate::local;
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
            describe_local(&mut d, local_status());
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

/// mcplocal's address and its LLM providers, if one runs (`None` when none answers).
fn local_status() -> Option<(String, Value)> {
    let base = local::base_url().ok()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let providers = runtime.block_on(local::llm_providers(&base))?;
    Some((base, providers))
}

fn describe_local(d: &mut Description, local: Option<(String, Value)>) {
    let Some((base, llm)) = local else {
        d.field("mcplocal", "not running");
        return;
    };
    d.field("mcplocal", base);
    if let Some(error) = llm.get("configError").and_then(Value::as_str) {
        d.field("LLM config", format!("not loaded: {error}"));
    }
    let providers = llm
        .get("providers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    d.section("LLM providers", |d| {
        if providers.is_empty() {
            d.text("none configured (summaries are extractive)");
        }
        for provider in &providers {
            let name = text(provider.get("name"));
            let reachable = match provider.get("reachable") {
                Some(Value::Bool(true)) => "reachable",
                Some(Value::Bool(false)) => "unreachable",
                _ => "not used yet",
            };
            let latency = provider
                .get("latencyP50Ms")
                .and_then(Value::as_f64)
                .map(|ms| format!(", p50 {ms:.0} ms"))
                .unwrap_or_default();
            let errors = text(provider.get("errors"));
            let requests = text(provider.get("requests"));
            let state = text(provider.get("state"));
            let model = text(provider.get("model"));
            let unusable = provider
                .get("unusable")
                .and_then(Value::as_str)
                .map(|why| format!(", unusable: {why}"))
                .unwrap_or_default();
            d.field(
                &name,
                format!(
                    "{model}: {reachable}, breaker {state}, {requests} requests, {errors} errors{latency}{unusable}"
                ),
            );
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
