//! `mcpctl login --mcpd-url URL`: check the daemon answers, then remember its address.

use crate::api::Api;
use crate::client::Client;
use crate::config::{Login, normalize_url};
use crate::error::CommandError;
use crate::output::print_line;

use super::Context;

pub fn login(context: &Context) -> Result<(), CommandError> {
    let url = context.mcpd_url_flag().ok_or_else(|| {
        CommandError::Usage(
            "login needs the address of mcpd: mcpctl login --mcpd-url URL".to_owned(),
        )
    })?;
    let url = normalize_url(url)?;
    Api::new(Client::new(&url)?).health()?;
    let path = context.home()?.save_login(&Login {
        mcpd_url: url.clone(),
    })?;
    print_line(&format!(
        "Logged in to mcpd at {url} (saved in {})",
        path.display()
    ))?;
    Ok(())
}
