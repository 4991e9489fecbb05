//! `mcpctl approve promptrequest NAME`: the request becomes a prompt.

use resource_model::Kind;

use crate::args::ApproveCommand;
use crate::error::CommandError;
use crate::output::{document_name, label, print_line};

use super::Context;

pub fn approve(context: &Context, command: ApproveCommand) -> Result<(), CommandError> {
    let ApproveCommand::PromptRequest { name } = command;
    let prompt = context
        .api()?
        .approve_prompt_request(&name, context.scope())?;
    let prompt_name = document_name(Kind::Prompt, &prompt).unwrap_or(&name);
    print_line(&format!(
        "{} created from {}",
        label(Kind::Prompt, prompt_name),
        label(Kind::PromptRequest, &name)
    ))?;
    Ok(())
}
