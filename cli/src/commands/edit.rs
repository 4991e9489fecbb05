//! `mcpctl edit KIND NAME`: the document in the user's editor, then saved with PUT. The
//! `resourceVersion` stays in the document, so a change made meanwhile gives a conflict
//! instead of being overwritten; a failed save keeps the user's text in a file.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use resource_model::Kind;
use resource_model::document::parse_values;
use serde_json::Value;
use tempfile::NamedTempFile;

use crate::api::Api;
use crate::args::EditArgs;
use crate::error::CommandError;
use crate::output::{document_name, label, notice, print_line, to_yaml};

use super::Context;

const HEADER: &str = "\
# Edit the resource below and save to apply it; an unchanged file changes nothing.
# Lines starting with '#' are ignored. Keep resourceVersion: if the resource changed
# since it was opened here, saving fails instead of overwriting that change.
";

pub fn edit(context: &Context, args: &EditArgs) -> Result<(), CommandError> {
    let api = context.api()?;
    let original = api.get(
        args.kind,
        &args.name,
        context.scope().revealing(args.reveal),
    )?;
    let shown = format!("{HEADER}{}", to_yaml(&original)?);
    let file = write_temp(&shown)?;
    run_editor(file.path())?;
    let edited = std::fs::read_to_string(file.path()).map_err(|e| {
        CommandError::Editor(format!("cannot read back {}: {e}", file.path().display()))
    })?;
    if edited == shown {
        notice("Edit cancelled, no changes made.");
        return Ok(());
    }
    match save(context, &api, args, &original, &edited) {
        Ok(Saved::Yes) => {
            print_line(&format!("{} edited", label(args.kind, &args.name)))?;
            Ok(())
        }
        Ok(Saved::NothingChanged) => {
            notice("Edit cancelled, no changes made.");
            Ok(())
        }
        Err(err) => Err(keep(file, err)),
    }
}

enum Saved {
    Yes,
    NothingChanged,
}

fn save(
    context: &Context,
    api: &Api,
    args: &EditArgs,
    original: &Value,
    edited: &str,
) -> Result<Saved, CommandError> {
    let Some(document) = read_edited(edited, args.kind, &args.name, original)? else {
        return Ok(Saved::NothingChanged);
    };
    api.replace(args.kind, &args.name, document, context.scope())?;
    Ok(Saved::Yes)
}

/// The edited document, or `None` when it is empty or means the same as the original.
fn read_edited(
    text: &str,
    kind: Kind,
    name: &str,
    original: &Value,
) -> Result<Option<Value>, CommandError> {
    let mut documents =
        parse_values(text).map_err(|e| CommandError::from(e).in_file("the edited file"))?;
    let document = match documents.len() {
        0 => return Ok(None),
        1 => documents.remove(0),
        n => {
            return Err(CommandError::Editor(format!(
                "the edited file holds {n} documents; edit one resource at a time"
            )));
        }
    };
    if !document.is_object() {
        return Err(CommandError::Editor(
            "the edited file must hold one resource: a mapping of fields".to_owned(),
        ));
    }
    if document == *original {
        return Ok(None);
    }
    if let Some(new_kind) = document.get("kind").and_then(Value::as_str)
        && Kind::parse(new_kind) != Some(kind)
    {
        return Err(CommandError::Editor(format!(
            "the kind cannot be changed by edit (it is {kind}, the file says {new_kind})"
        )));
    }
    let new_name = document_name(kind, &document).unwrap_or("nothing");
    if new_name != name {
        return Err(CommandError::Editor(format!(
            "the name cannot be changed by edit (it is {name}, the file says {new_name}); create a new {kind} instead"
        )));
    }
    Ok(Some(document))
}

fn write_temp(text: &str) -> Result<NamedTempFile, CommandError> {
    let fail =
        |e: std::io::Error| CommandError::Editor(format!("cannot write a temporary file: {e}"));
    let mut file = tempfile::Builder::new()
        .prefix("mcpctl-edit-")
        .suffix(".yaml")
        .tempfile()
        .map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    file.flush().map_err(fail)?;
    Ok(file)
}

/// The editor the user chose: `$VISUAL`, `$EDITOR`, else `vi`. It may carry arguments
/// (`code --wait`), so it runs through the shell with the file as `$1`.
fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned())
}

fn run_editor(path: &Path) -> Result<(), CommandError> {
    let editor = editor();
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("mcpctl-edit")
        .arg(path)
        .status()
        .map_err(|e| CommandError::Editor(format!("cannot start the editor {editor:?}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(CommandError::Editor(format!(
            "the editor {editor:?} failed ({status}); no changes made"
        )))
    }
}

/// Keeps the edited file past the end of the command, and says where it is.
fn keep(file: NamedTempFile, err: CommandError) -> CommandError {
    match file.into_temp_path().keep() {
        Ok(saved) => CommandError::EditKept {
            source: Box::new(err),
            saved,
        },
        Err(_) => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn original() -> Value {
        json!({"kind": "server", "name": "a", "command": "x", "replicas": 1, "resourceVersion": 2})
    }

    #[test]
    fn a_real_change_is_read_with_its_resource_version() {
        let text =
            format!("{HEADER}kind: server\nname: a\ncommand: y\nreplicas: 1\nresourceVersion: 2\n");
        let doc = read_edited(&text, Kind::Server, "a", &original())
            .expect("valid")
            .expect("changed");
        assert_eq!(doc["command"], "y");
        assert_eq!(doc["resourceVersion"], 2);
    }

    #[test]
    fn reformatting_or_emptying_changes_nothing() {
        let same = "{kind: server, name: a, command: x, replicas: 1, resourceVersion: 2}";
        assert_eq!(
            read_edited(same, Kind::Server, "a", &original()).expect("ok"),
            None
        );
        assert_eq!(
            read_edited(HEADER, Kind::Server, "a", &original()).expect("ok"),
            None
        );
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = read_edited("name: a\n  command: [\n", Kind::Server, "a", &original())
            .expect_err("syntax");
        let text = err.to_string();
        assert!(text.starts_with("the edited file: line "), "{text}");
        assert!(text.contains("column"), "{text}");
    }

    #[test]
    fn names_and_kinds_stay() {
        let renamed = "kind: server\nname: b\ncommand: x\n";
        let err = read_edited(renamed, Kind::Server, "a", &original()).expect_err("renamed");
        assert!(err.to_string().contains("name cannot be changed"), "{err}");
        let rekinded = "kind: secret\nname: a\n";
        let err = read_edited(rekinded, Kind::Server, "a", &original()).expect_err("kind");
        assert!(err.to_string().contains("kind cannot be changed"), "{err}");
    }
}
