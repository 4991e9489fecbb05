//! `mcpctl apply -f FILE...`: each file is sent as written and applied all or nothing.

use crate::api::ApplyResult;
use crate::args::ApplyArgs;
use crate::client::ClientError;
use crate::error::CommandError;
use crate::output::print_line;

use super::Context;
use super::files::{InputFile, read_input};

pub fn apply(context: &Context, args: &ApplyArgs) -> Result<(), CommandError> {
    // Every file is read before anything is applied, so a typo in a name changes nothing.
    let files = args
        .filenames
        .iter()
        .map(|path| read_input(path))
        .collect::<Result<Vec<InputFile>, _>>()?;
    let api = context.api()?;
    for file in files {
        let results = api
            .apply(file.text, context.scope(), args.dry_run)
            .map_err(|err| match err {
                ClientError::Api(_) => CommandError::from(err).in_file(&file.name),
                other => other.into(),
            })?;
        for result in &results {
            print_line(&result_line(result, args.dry_run))?;
        }
    }
    Ok(())
}

/// `server/my-grafana configured`, with ` (dry run)` when nothing was written.
fn result_line(result: &ApplyResult, dry_run: bool) -> String {
    let name = result
        .name
        .as_deref()
        .or(result.server.as_deref())
        .unwrap_or("<unnamed>");
    let suffix = if dry_run { " (dry run)" } else { "" };
    format!("{}/{name} {}{suffix}", result.kind, result.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_read_like_kubectl() {
        let result = ApplyResult {
            kind: "server".into(),
            name: Some("my-grafana".into()),
            project: None,
            server: None,
            action: "configured".into(),
        };
        assert_eq!(result_line(&result, false), "server/my-grafana configured");
        assert_eq!(
            result_line(&result, true),
            "server/my-grafana configured (dry run)"
        );
        let attachment = ApplyResult {
            kind: "serverattachment".into(),
            name: None,
            project: Some("p".into()),
            server: Some("a".into()),
            action: "created".into(),
        };
        assert_eq!(
            result_line(&attachment, false),
            "serverattachment/a created"
        );
    }
}
