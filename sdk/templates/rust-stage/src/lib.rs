//! `{{name}}`: a native content-pipeline stage. It shortens lines longer than
//! `maxLineLength` characters (config, default 200) and reports how many it shortened.
//!
//! Use it in a ProxyModel (`$MCPCTL_HOME/proxymodels/NAME.yaml`):
//!
//! ```yaml
//! kind: ProxyModel
//! metadata: { name: short-lines }
//! spec:
//!   stages:
//!     - type: {{name}}
//!       config: { maxLineLength: 120 }
//! ```

use sdk::{PluginError, StageContext, StageResult};

sdk::export_plugin! {
    name: "{{name}}",
    extends: [],
    features: [sdk::features::STAGES],
    hooks: {},
    stages: {
        "{{name}}": run,
    },
}

/// The line length used when the config names none.
pub const DEFAULT_MAX_LINE_LENGTH: usize = 200;

/// Shortens each line over the limit to the limit, ending it with `…`.
pub fn run(content: &str, context: &StageContext) -> Result<StageResult, PluginError> {
    let max = match context.config.get("maxLineLength") {
        None => DEFAULT_MAX_LINE_LENGTH,
        Some(value) => value
            .as_u64()
            .filter(|n| *n > 0)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                PluginError::InvalidParams(
                    format!("{{name}}: config.maxLineLength must be a positive integer, not {value}")
                        .into(),
                )
            })?,
    };
    let mut shortened = 0u64;
    let lines: Vec<String> = content
        .lines()
        .map(|line| match line.char_indices().nth(max) {
            Some((cut, _)) => {
                shortened += 1;
                format!("{}…", &line[..cut])
            }
            None => line.to_owned(),
        })
        .collect();
    let mut result = StageResult::content(lines.join("\n"));
    result
        .metadata
        .insert("shortenedLines".to_owned(), shortened.into());
    Ok(result)
}
