//! `mcpctl attach-server SERVER --project P` and `mcpctl detach-server SERVER --project P`.

use resource_model::spec::ServerAttachmentSpec;
use resource_model::{Kind, Resource, Spec};

use crate::api::Scope;
use crate::args::AttachArgs;
use crate::error::CommandError;
use crate::output::{label, print_line};

use super::Context;

pub fn attach(context: &Context, args: &AttachArgs) -> Result<(), CommandError> {
    let project = context.require_project("attach-server")?;
    let mut attachment = Resource::new(
        args.server.clone(),
        Spec::ServerAttachment(ServerAttachmentSpec {
            server: args.server.clone(),
        }),
    );
    attachment.project = Some(project.to_owned());
    context.api()?.create(
        Kind::ServerAttachment,
        attachment.to_value(true),
        Scope::project(Some(project)),
    )?;
    print_line(&format!(
        "{} attached to {}",
        label(Kind::Server, &args.server),
        label(Kind::Project, project)
    ))?;
    Ok(())
}

pub fn detach(context: &Context, args: &AttachArgs) -> Result<(), CommandError> {
    let project = context.require_project("detach-server")?;
    context.api()?.delete(
        Kind::ServerAttachment,
        &args.server,
        Scope::project(Some(project)),
    )?;
    print_line(&format!(
        "{} detached from {}",
        label(Kind::Server, &args.server),
        label(Kind::Project, project)
    ))?;
    Ok(())
}
