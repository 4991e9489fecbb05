//! `mcpctl delete KIND NAME...` and `mcpctl delete -f FILE`.

use resource_model::document::parse_resources;
use resource_model::{Kind, Resource};

use crate::api::{Api, Scope};
use crate::args::DeleteArgs;
use crate::error::CommandError;
use crate::output::{label, print_line};

use super::Context;
use super::files::read_input;

pub fn delete(context: &Context, args: &DeleteArgs) -> Result<(), CommandError> {
    let targets = if args.filenames.is_empty() {
        let kind = args.kind.ok_or_else(|| {
            CommandError::Usage("delete needs KIND NAME... or -f FILE".to_owned())
        })?;
        if args.names.is_empty() {
            return Err(CommandError::Usage(format!(
                "delete {} needs at least one name",
                kind.as_str()
            )));
        }
        let project = context.project().map(str::to_owned);
        args.names
            .iter()
            .map(|name| Target {
                kind,
                name: name.clone(),
                project: project.clone(),
            })
            .collect()
    } else {
        targets_of_files(&args.filenames, context.project())?
    };
    let api = context.api()?;
    let mut errors = Vec::new();
    for target in targets {
        match delete_one(&api, &target, args.ignore_not_found) {
            Ok(()) => {}
            Err(err @ CommandError::Output(_)) => return Err(err),
            Err(err) => errors.push(err),
        }
    }
    CommandError::combine(errors)
}

/// One resource to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    kind: Kind,
    name: String,
    project: Option<String>,
}

/// What the files declare, dependents first (projects before the servers they list, servers
/// before their secrets). Every file is read before anything is deleted.
fn targets_of_files(files: &[String], project: Option<&str>) -> Result<Vec<Target>, CommandError> {
    let mut resources: Vec<Resource> = Vec::new();
    for path in files {
        let file = read_input(path)?;
        let parsed = parse_resources(&file.text, project)
            .map_err(|e| CommandError::from(e).in_file(&file.name))?;
        resources.extend(parsed);
    }
    Ok(deletion_order(resources))
}

fn deletion_order(resources: Vec<Resource>) -> Vec<Target> {
    let mut targets: Vec<Target> = resources
        .into_iter()
        .map(|r| Target {
            kind: r.kind(),
            name: r.name,
            project: r.project,
        })
        .collect();
    let rank = |kind: Kind| Kind::ALL.iter().position(|k| *k == kind);
    targets.sort_by_key(|t| std::cmp::Reverse(rank(t.kind)));
    targets
}

fn delete_one(api: &Api, target: &Target, ignore_not_found: bool) -> Result<(), CommandError> {
    let scope = Scope::project(target.project.as_deref());
    match api.delete(target.kind, &target.name, scope) {
        Ok(_) => {
            print_line(&format!("{} deleted", label(target.kind, &target.name)))?;
            Ok(())
        }
        Err(err) if ignore_not_found && err.is_not_found() => Ok(()),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_deleted_dependents_first() {
        let text = "secrets:\n  - name: s\n    data: {}\nservers:\n  - name: a\n    command: x\nprojects:\n  - name: p\n    servers: [a]\n";
        let resources = parse_resources(text, None).expect("valid");
        let order: Vec<(Kind, String)> = deletion_order(resources)
            .into_iter()
            .map(|t| (t.kind, t.name))
            .collect();
        assert_eq!(
            order,
            [
                (Kind::Project, "p".to_owned()),
                (Kind::Server, "a".to_owned()),
                (Kind::Secret, "s".to_owned())
            ]
        );
    }
}
