//! The command line grammar: every command, flag and value parser of mcpctl.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use resource_model::Kind;
use resource_model::spec::{FailMode, PrefixMode, Transport};

use crate::flags::{KeyValue, NameDescription};

#[derive(Debug, Parser)]
#[command(
    name = "mcpctl",
    version,
    about = "kubectl for MCP servers: manage the servers, secrets, projects and prompts of mcpd",
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Address of mcpd [default: saved by 'mcpctl login', else http://127.0.0.1:3000]
    #[arg(
        long,
        global = true,
        env = "MCPCTL_MCPD_URL",
        value_name = "URL",
        help_heading = "Global options"
    )]
    pub mcpd_url: Option<String>,
    /// Scope the command to one project (like kubectl -n)
    #[arg(
        long,
        global = true,
        value_name = "PROJECT",
        help_heading = "Global options"
    )]
    pub project: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check that mcpd answers at --mcpd-url and save that address for later commands
    Login,
    /// Show the mcpd in use: address, reachability, version, database and resource counts
    Status,
    /// Show the versions of mcpctl and mcpd
    Version,
    /// Serve a project to an MCP client over STDIO (what .mcp.json launches); starts mcplocal
    /// when none runs
    Mcp,
    /// Write client configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Interactive console: see and call what a client sees of a project, or --inspect the
    /// traffic through mcplocal
    Console(ConsoleArgs),
    /// List resources, or show some by name
    Get(GetArgs),
    /// Show one resource in detail
    Describe(DescribeArgs),
    /// Create one resource from flags
    #[command(subcommand)]
    Create(CreateCommand),
    /// Edit one resource in $VISUAL or $EDITOR and save it
    Edit(EditArgs),
    /// Change fields of one resource in place
    Patch(PatchArgs),
    /// Delete resources by name, or those a file declares
    Delete(DeleteArgs),
    /// Create or update the resources that files declare
    Apply(ApplyArgs),
    /// Add a server to a project (--project)
    AttachServer(AttachArgs),
    /// Remove a server from a project (--project)
    DetachServer(AttachArgs),
    /// Approve a request
    #[command(subcommand)]
    Approve(ApproveCommand),
    /// Print the output of a server's instances (stderr for STDIO servers)
    Logs(LogsArgs),
    /// Print a shell completion script
    Completion(CompletionArgs),
    /// Inspect or clear the pipeline cache ($MCPCTL_HOME/cache)
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Make, install, list and remove third-party plugins and stages
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Write a new plugin or stage project from the SDK's template; it builds and passes its
    /// own tests as written
    New(PluginNewArgs),
    /// Validate a plugin library, a JS stage, a project folder or an archive, and install it
    /// in $MCPCTL_HOME/plugins or $MCPCTL_HOME/stages (mcplocal picks it up without a restart)
    Install(PluginInstallArgs),
    /// Write an archive (.tar.gz with a manifest and checksum) that 'plugin install' takes
    Pack(PluginPackArgs),
    /// List the installed third-party plugins and stages
    List {
        /// Output format (table, json, yaml or name)
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Remove an installed plugin or stage by name
    Remove {
        /// The plugin's or stage's name, as 'plugin list' shows it
        name: String,
    },
}

/// The language of a new project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PluginLang {
    Rust,
    Js,
}

/// What a new project makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PluginKind {
    /// A plugin with hooks (Rust only)
    Plugin,
    /// A content-pipeline stage
    Stage,
}

#[derive(Debug, Args)]
pub struct PluginNewArgs {
    /// The plugin's or stage's name (lowercase letters, digits and '-'); also the folder's
    pub name: String,
    /// The project's language
    #[arg(long, value_enum)]
    pub lang: PluginLang,
    /// What it makes: a plugin (the default for Rust) or a stage (the only kind for JS)
    #[arg(long, value_enum)]
    pub kind: Option<PluginKind>,
    /// Where to write the project (default: ./NAME); must not exist or be empty
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The SDK's source folder for the Rust dependency (default: $MCPCTL_SDK_PATH, or the SDK
    /// source this mcpctl was built from)
    #[arg(long, value_name = "PATH")]
    pub sdk: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PluginInstallArgs {
    /// A plugin library (lib*.so), a JS stage (.js, .mjs), a project folder from 'plugin new'
    /// (built first), or an archive from 'plugin pack' (.tar.gz)
    pub path: PathBuf,
    /// The SHA-256 (hex) the library or stage file must have
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
}

#[derive(Debug, Args)]
pub struct PluginPackArgs {
    /// What 'plugin install' would take: a library, a JS stage or a project folder
    pub path: PathBuf,
    /// The archive to write (default: NAME-VERSION.tar.gz here)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Entries, size, hit ratio and oldest entry of each namespace
    Stats {
        /// Output format (table, json or yaml)
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Remove cache entries: all, one namespace's, or those older than some days
    Clear {
        /// Only this namespace (as 'mcpctl cache stats' shows it)
        namespace: Option<String>,
        /// Only entries created more than DAYS days ago
        #[arg(long, value_name = "DAYS")]
        older_than: Option<u32>,
    },
}

/// What `get` lists: one kind, or everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    All,
    Kind(Kind),
    /// mcplocal's plugins (not an mcpd resource kind).
    ProxyModels,
}

/// What `describe` shows: a resource, or one of mcplocal's proxy models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescribeTarget {
    Kind(Kind),
    ProxyModel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Columns, kubectl style
    #[default]
    Table,
    /// Columns with more details
    Wide,
    /// YAML that `apply -f` takes back
    Yaml,
    /// JSON that `apply -f` takes back
    Json,
    /// kind/name lines
    Name,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Resource kind (servers, secrets, templates, projects, prompts, promptrequests, rbac,
    /// serverattachments, instances), `all`, or `proxymodels` (mcplocal's plugins)
    #[arg(value_parser = parse_target, value_name = "KIND")]
    pub target: Target,
    /// Names of the resources to show (all when none)
    pub names: Vec<String>,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Show secret values instead of ********
    #[arg(long)]
    pub reveal: bool,
    /// Only the instances of this server (get instances)
    #[arg(long, value_name = "SERVER")]
    pub server: Option<String>,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// Resource kind, or `proxymodel` (one of mcplocal's plugins)
    #[arg(value_parser = parse_describe_target, value_name = "KIND")]
    pub kind: DescribeTarget,
    /// Resource name
    pub name: String,
    /// Show secret values instead of ********
    #[arg(long)]
    pub reveal: bool,
}

#[derive(Debug, Subcommand)]
pub enum CreateCommand {
    /// Create a server from an image, a command or a template
    Server(CreateServerArgs),
    /// Create a secret from key/value pairs
    Secret(CreateSecretArgs),
    /// Create a project
    Project(CreateProjectArgs),
    /// Create a prompt in a project (--project)
    Prompt(CreatePromptArgs),
    /// Create a server template
    Template(CreateTemplateArgs),
}

/// How a server or template runs: the flags both share.
#[derive(Debug, Args)]
pub struct RuntimeArgs {
    /// Container image to run
    #[arg(long, value_name = "IMAGE")]
    pub docker_image: Option<String>,
    /// Local command to run
    #[arg(long)]
    pub command: Option<String>,
    /// Argument of the image or command (repeatable)
    #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// STDIO, SSE or STREAMABLE_HTTP (any case)
    #[arg(long, value_parser = parse_transport)]
    pub transport: Option<Transport>,
    /// Port the server listens on inside its container
    #[arg(long, value_name = "PORT")]
    pub container_port: Option<u16>,
}

#[derive(Debug, Args)]
pub struct CreateServerArgs {
    /// Name of the new server
    pub name: String,
    /// What it is for
    #[arg(long)]
    pub description: Option<String>,
    /// Template to take image, command, transport and variables from
    #[arg(long, value_name = "TEMPLATE")]
    pub from_template: Option<String>,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    /// Number of copies to run
    #[arg(long)]
    pub replicas: Option<u32>,
    /// Environment variable KEY=VALUE (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub env: Vec<KeyValue>,
    /// Import every key of this secret as environment variables (repeatable)
    #[arg(long, value_name = "SECRET")]
    pub env_from_secret: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CreateSecretArgs {
    /// Name of the new secret
    pub name: String,
    /// Key and value KEY=VALUE (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub data: Vec<KeyValue>,
    /// Read KEY=VALUE lines from a file (blank lines and # comments are skipped)
    #[arg(long, value_name = "FILE")]
    pub from_env_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Add the project (--project) to .mcp.json for Claude Code, keeping its other entries
    Claude(ConfigClaudeArgs),
}

#[derive(Debug, Args)]
pub struct ConfigClaudeArgs {
    /// The file to write
    #[arg(long, value_name = "FILE", default_value = None)]
    pub file: Option<PathBuf>,
    /// The entry's name under mcpServers [default: the project's name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// The project to connect to (or --project)
    #[arg(value_name = "PROJECT")]
    pub project_name: Option<String>,
    /// Show the live traffic through mcplocal instead: method, server, latency, sizes, errors
    #[arg(long)]
    pub inspect: bool,
    /// With --inspect: only this server's traffic
    #[arg(long, value_name = "SERVER", requires = "inspect")]
    pub server: Option<String>,
}

#[derive(Debug, Args)]
pub struct CreateProjectArgs {
    /// Name of the new project
    pub name: String,
    /// What it is for
    #[arg(long)]
    pub description: Option<String>,
    /// Server to include (repeatable)
    #[arg(long = "server", value_name = "SERVER")]
    pub servers: Vec<String>,
    /// How the project's proxy serves content to the model
    #[arg(long, value_name = "MODEL")]
    pub proxy_model: Option<String>,
    /// When tool names carry their server's name: always, never, or conditional (only
    /// with more than one server; the default)
    #[arg(long, value_name = "MODE", value_parser = parse_prefix_mode)]
    pub prefix_mode: Option<PrefixMode>,
    /// What a merged list does when a server fails: open (leave it out; the default) or
    /// closed (fail the request)
    #[arg(long, value_name = "MODE", value_parser = parse_fail_mode)]
    pub fail_mode: Option<FailMode>,
}

fn parse_prefix_mode(text: &str) -> Result<PrefixMode, String> {
    match text {
        "always" => Ok(PrefixMode::Always),
        "never" => Ok(PrefixMode::Never),
        "conditional" => Ok(PrefixMode::Conditional),
        _ => Err(format!(
            "unknown prefix mode {text:?}; use always, never or conditional"
        )),
    }
}

fn parse_fail_mode(text: &str) -> Result<FailMode, String> {
    match text {
        "open" => Ok(FailMode::Open),
        "closed" => Ok(FailMode::Closed),
        _ => Err(format!("unknown fail mode {text:?}; use open or closed")),
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["content", "content_file", "link"])))]
pub struct CreatePromptArgs {
    /// Name of the new prompt
    pub name: String,
    /// The prompt text
    #[arg(long)]
    pub content: Option<String>,
    /// Read the prompt text from a file
    #[arg(long, value_name = "FILE")]
    pub content_file: Option<PathBuf>,
    /// An MCP resource that supplies the text: project/server:resource-uri
    #[arg(long)]
    pub link: Option<String>,
    /// 1 (lowest) to 10 (highest) [default: 5]
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub priority: Option<u8>,
}

#[derive(Debug, Args)]
pub struct CreateTemplateArgs {
    /// Name of the new template
    pub name: String,
    /// What it is for
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    /// Variable the server needs, NAME or NAME=description (repeatable)
    #[arg(long, value_name = "NAME[=DESCRIPTION]")]
    pub env: Vec<NameDescription>,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Resource kind
    #[arg(value_parser = parse_kind, value_name = "KIND")]
    pub kind: Kind,
    /// Resource name
    pub name: String,
    /// Show secret values in the editor (masked values are kept as they are otherwise)
    #[arg(long)]
    pub reveal: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("changes").required(true).args(["assignments", "patch"])))]
pub struct PatchArgs {
    /// Resource kind
    #[arg(value_parser = parse_kind, value_name = "KIND")]
    pub kind: Kind,
    /// Resource name
    pub name: String,
    /// Fields to set: key=value, dotted keys for nested fields (healthCheck.intervalSeconds=10),
    /// values read as YAML (3, true, [a,b]); an empty value removes the field
    #[arg(value_name = "KEY=VALUE", conflicts_with = "patch")]
    pub assignments: Vec<String>,
    /// A JSON merge patch, e.g. '{"replicas":2}'
    #[arg(short, long, value_name = "JSON")]
    pub patch: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["kind", "filenames"])))]
pub struct DeleteArgs {
    /// Resource kind
    #[arg(value_parser = parse_kind, value_name = "KIND", conflicts_with = "filenames")]
    pub kind: Option<Kind>,
    /// Names of the resources to delete
    #[arg(requires = "kind")]
    pub names: Vec<String>,
    /// Delete the resources this file declares ('-' for standard input; repeatable)
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub filenames: Vec<String>,
    /// Treat resources that do not exist as deleted
    #[arg(long)]
    pub ignore_not_found: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// File to apply ('-' for standard input; repeatable)
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
    pub filenames: Vec<String>,
    /// Show what would change without changing anything
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The server to attach or detach
    pub server: String,
}

#[derive(Debug, Subcommand)]
pub enum ApproveCommand {
    /// Turn a prompt request into a prompt
    #[command(name = "promptrequest", aliases = ["promptrequests", "pr"])]
    PromptRequest {
        /// Name of the prompt request
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The server whose instances' output to show
    pub server: String,
    /// Keep printing new lines as they come, until interrupted
    #[arg(short, long)]
    pub follow: bool,
    /// How many of the last lines to show first
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub tail: u32,
    /// Only this instance (see 'mcpctl get instances --server SERVER')
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::parse(text).ok_or_else(|| {
        format!(
            "unknown resource kind {text:?}; one of: {}",
            Kind::ALL.map(Kind::plural).join(", ")
        )
    })
}

fn parse_target(text: &str) -> Result<Target, String> {
    if text.eq_ignore_ascii_case("all") {
        return Ok(Target::All);
    }
    if is_proxymodel(text) {
        return Ok(Target::ProxyModels);
    }
    parse_kind(text).map(Target::Kind)
}

/// `proxymodel` or `proxymodels`, any case.
fn is_proxymodel(text: &str) -> bool {
    text.eq_ignore_ascii_case("proxymodel") || text.eq_ignore_ascii_case("proxymodels")
}

fn parse_describe_target(text: &str) -> Result<DescribeTarget, String> {
    if is_proxymodel(text) {
        return Ok(DescribeTarget::ProxyModel);
    }
    parse_kind(text).map(DescribeTarget::Kind)
}

fn parse_transport(text: &str) -> Result<Transport, String> {
    Transport::parse(text)
        .ok_or_else(|| format!("unknown transport {text:?}; one of: STDIO, SSE, STREAMABLE_HTTP"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn kinds_accept_aliases_and_all() {
        assert_eq!(parse_target("ALL"), Ok(Target::All));
        assert_eq!(parse_target("srv"), Ok(Target::Kind(Kind::Server)));
        assert_eq!(parse_target("ProxyModels"), Ok(Target::ProxyModels));
        assert_eq!(
            parse_describe_target("proxymodel"),
            Ok(DescribeTarget::ProxyModel)
        );
        assert!(parse_describe_target("pods").is_err());
        let err = parse_kind("pods").expect_err("unknown");
        assert!(err.contains("servers"), "{err}");
    }

    #[test]
    fn transports_parse_in_any_case() {
        assert_eq!(parse_transport("sse"), Ok(Transport::Sse));
        assert_eq!(
            parse_transport("streamable_http"),
            Ok(Transport::StreamableHttp)
        );
        assert!(parse_transport("pigeon").is_err());
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli =
            Cli::try_parse_from(["mcpctl", "get", "servers", "--project", "mon", "-o", "yaml"])
                .expect("parses");
        assert_eq!(cli.global.project.as_deref(), Some("mon"));
        let Command::Get(get) = cli.command else {
            panic!("not get")
        };
        assert_eq!(get.output, OutputFormat::Yaml);
    }

    #[test]
    fn patch_takes_assignments_or_a_merge_patch() {
        assert!(Cli::try_parse_from(["mcpctl", "patch", "server", "a", "replicas=2"]).is_ok());
        assert!(Cli::try_parse_from(["mcpctl", "patch", "server", "a", "-p", "{}"]).is_ok());
        assert!(Cli::try_parse_from(["mcpctl", "patch", "server", "a"]).is_err());
    }

    #[test]
    fn delete_takes_names_or_files() {
        assert!(Cli::try_parse_from(["mcpctl", "delete", "server", "a", "b"]).is_ok());
        assert!(Cli::try_parse_from(["mcpctl", "delete", "-f", "x.yaml"]).is_ok());
        assert!(Cli::try_parse_from(["mcpctl", "delete"]).is_err());
    }

    #[test]
    fn logs_take_a_server_and_default_to_the_last_100_lines() {
        let cli = Cli::try_parse_from(["mcpctl", "logs", "clock"]).expect("parses");
        let Command::Logs(logs) = cli.command else {
            panic!("not logs")
        };
        assert_eq!(
            (logs.server.as_str(), logs.follow, logs.tail, logs.instance),
            ("clock", false, 100, None)
        );
        let cli = Cli::try_parse_from([
            "mcpctl",
            "logs",
            "-f",
            "clock",
            "--tail",
            "5",
            "--instance",
            "clock-x1",
        ])
        .expect("parses");
        let Command::Logs(logs) = cli.command else {
            panic!("not logs")
        };
        assert!(logs.follow);
        assert_eq!(logs.tail, 5);
        assert_eq!(logs.instance.as_deref(), Some("clock-x1"));
        assert!(Cli::try_parse_from(["mcpctl", "logs"]).is_err());
        assert!(Cli::try_parse_from(["mcpctl", "logs", "a", "--tail", "-1"]).is_err());
    }

    #[test]
    fn get_narrows_instances_to_a_server() {
        let cli = Cli::try_parse_from(["mcpctl", "get", "instances", "--server", "clock"])
            .expect("parses");
        let Command::Get(get) = cli.command else {
            panic!("not get")
        };
        assert_eq!(get.server.as_deref(), Some("clock"));
    }

    #[test]
    fn bad_key_values_name_the_flag() {
        let err = Cli::try_parse_from(["mcpctl", "create", "server", "a", "--env", "NOPE"])
            .expect_err("bad env");
        let text = err.to_string();
        assert!(text.contains("--env"), "{text}");
        assert!(text.contains("KEY=VALUE"), "{text}");
    }
}
