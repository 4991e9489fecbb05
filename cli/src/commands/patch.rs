//! `mcpctl patch KIND NAME key=value...` or `-p '{"merge":"patch"}'`.

use crate::args::PatchArgs;
use crate::error::CommandError;
use crate::merge_patch;
use crate::output::{label, print_line};

use super::Context;

pub fn patch(context: &Context, args: &PatchArgs) -> Result<(), CommandError> {
    let patch = match &args.patch {
        Some(text) => merge_patch::from_text(text)?,
        None => merge_patch::from_assignments(&args.assignments)?,
    };
    context
        .api()?
        .patch(args.kind, &args.name, patch, context.scope())?;
    print_line(&format!("{} patched", label(args.kind, &args.name)))?;
    Ok(())
}
