//! The commands, one module per command or group of commands, and what they share.

mod apply;
mod approve;
mod attach;
mod cache;
mod completion;
mod config_claude;
mod console;
mod create;
mod delete;
mod describe;
mod edit;
mod files;
mod get;
mod login;
mod logs;
mod mcp;
mod patch;
pub mod plugin;
mod proxymodels;
mod status;

use crate::api::{Api, Scope};
use crate::args::{Cli, Command, ConfigCommand, GlobalArgs};
use crate::client::Client;
use crate::config::{self, Home};
use crate::error::CommandError;

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<(), CommandError> {
    let context = Context { global: cli.global };
    match cli.command {
        Command::Login => login::login(&context),
        Command::Status => status::status(&context),
        Command::Version => status::version(&context),
        Command::Mcp => mcp::mcp(&context),
        Command::Config(ConfigCommand::Claude(args)) => {
            config_claude::config_claude(&context, &args)
        }
        Command::Console(args) => console::console(&context, &args),
        Command::Get(args) => get::get(&context, &args),
        Command::Describe(args) => describe::describe(&context, &args),
        Command::Create(command) => create::create(&context, command),
        Command::Edit(args) => edit::edit(&context, &args),
        Command::Patch(args) => patch::patch(&context, &args),
        Command::Delete(args) => delete::delete(&context, &args),
        Command::Apply(args) => apply::apply(&context, &args),
        Command::AttachServer(args) => attach::attach(&context, &args),
        Command::DetachServer(args) => attach::detach(&context, &args),
        Command::Approve(command) => approve::approve(&context, command),
        Command::Logs(args) => logs::logs(&context, &args),
        Command::Completion(args) => completion::completion(&args),
        Command::Cache(command) => cache::cache(&context, command),
        Command::Plugin(command) => plugin::plugin(&context, command),
    }
}

/// What every command may need: the global flags, and from them the mcpd to talk to.
#[derive(Debug)]
pub struct Context {
    global: GlobalArgs,
}

impl Context {
    /// `--project`, when given.
    pub fn project(&self) -> Option<&str> {
        self.global.project.as_deref().filter(|p| !p.is_empty())
    }

    /// `--project`, for commands that cannot do without it.
    pub fn require_project(&self, command: &str) -> Result<&str, CommandError> {
        self.project()
            .ok_or_else(|| CommandError::Usage(format!("{command} needs --project PROJECT")))
    }

    pub fn scope(&self) -> Scope<'_> {
        Scope::project(self.project())
    }

    pub fn home(&self) -> Result<Home, CommandError> {
        Ok(Home::from_env()?)
    }

    /// The `--mcpd-url` flag or `MCPCTL_MCPD_URL`, when given.
    pub fn mcpd_url_flag(&self) -> Option<&str> {
        self.global
            .mcpd_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
    }

    /// The mcpd address: flag, environment, saved login, then the default.
    pub fn mcpd_url(&self) -> Result<String, CommandError> {
        if let Some(url) = self.mcpd_url_flag() {
            return Ok(config::normalize_url(url)?);
        }
        let login = match Home::from_env() {
            Ok(home) => home.load_login()?,
            Err(_) => None,
        };
        Ok(config::choose_mcpd_url(None, login.as_ref())?)
    }

    pub fn api(&self) -> Result<Api, CommandError> {
        Ok(Api::new(Client::new(&self.mcpd_url()?)?))
    }
}
