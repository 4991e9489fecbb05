//! Tools of the Tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`). For a client
//! that declared the extension, a task-supporting tool answers `tools/call` with a
//! `CreateTaskResult` and runs in the background: the client polls `tasks/get`, answers
//! questions with `tasks/update` and stops it with `tasks/cancel`. rmcp's [`TaskManager`]
//! keeps the tasks. A client without the extension gets the optional-task tools run in the
//! call itself, and `-32021` from the ones that need a task.
//!
//! | tool | task | what it does |
//! |---|---|---|
//! | `greet {name}` | never | `Hello, NAME!` |
//! | `slow_compute {seconds, label}` | optional | sleeps, then `LABEL: done after N s`; a cancelled task settles `cancelled` |
//! | `failing_job` | required | after 1 s, a result with `isError: true` (status `completed`) |
//! | `protocol_error_job` | optional | a protocol error (status `failed`, inlined `error`) |
//! | `confirm_delete {filename}` | optional | asks `confirm` (elicitation), then reports the choice |
//! | `multi_input` | optional | asks two names at once, finishes when both are answered |
//! | `test_tool_with_task` | required | asks `user_name` in an input round first, then a task greets that name |

use std::time::Duration;

use rmcp::model::{
    CallToolResponse, CallToolResult, ClientCapabilities, ContentBlock, CreateTaskResult,
    JsonObject, Tool,
};
use rmcp::service::RequestContext;
use rmcp::task_manager::{TaskExit, TaskFuture, TaskManager, TaskOptions};
use rmcp::{ErrorData, RoleServer};
use serde_json::{Value, json};

use super::{no_arguments, tool};
use crate::arguments;
use crate::input::{self, Answers, Outcome, Resume, Step};
use crate::server::ConformanceServer;

/// Longest `slow_compute` sleep, in seconds.
const MAX_SECONDS: u64 = 120;
/// Most tasks running at once; a call beyond that is refused.
const MAX_RUNNING: usize = 64;
/// How long a task stays readable (rmcp keeps a finished one one more TTL).
const TTL_MS: u64 = 60_000;
const POLL_INTERVAL_MS: u64 = 100;
/// How long `failing_job` works before it fails.
const FAILING_AFTER: Duration = Duration::from_secs(1);

pub enum Job {
    SlowCompute {
        seconds: u64,
        label: String,
    },
    Failing,
    ProtocolError,
    ConfirmDelete {
        filename: String,
    },
    MultiInput,
    /// `test_tool_with_task` after its input round.
    Greeting {
        name: String,
    },
}

pub fn tools() -> Vec<Tool> {
    vec![
        tool(
            "greet",
            "Returns `Hello, NAME!` (never a task).",
            json!({
                "type": "object",
                "properties": {"name": {"type": "string", "description": "Who to greet"}},
                "required": ["name"],
            }),
        ),
        tool(
            "slow_compute",
            "Sleeps `seconds`, then reports `label`; a task for clients with the tasks extension.",
            json!({
                "type": "object",
                "properties": {
                    "seconds": {"type": "integer", "minimum": 0, "maximum": MAX_SECONDS},
                    "label": {"type": "string"},
                },
            }),
        ),
        tool(
            "failing_job",
            "A task (the tasks extension is required) whose tool run fails after a second.",
            no_arguments(),
        ),
        tool(
            "protocol_error_job",
            "Ends with a protocol error; as a task, with status failed.",
            no_arguments(),
        ),
        tool(
            "confirm_delete",
            "Asks the user to confirm deleting `filename`; as a task, through tasks/update.",
            json!({
                "type": "object",
                "properties": {"filename": {"type": "string"}},
                "required": ["filename"],
            }),
        ),
        tool(
            "multi_input",
            "Asks two names at once and finishes when both are answered.",
            no_arguments(),
        ),
        tool(
            "test_tool_with_task",
            "Asks for the user's name (an input round), then runs a task that greets them; the tasks extension is required.",
            no_arguments(),
        ),
    ]
}

/// A tasks tool with its arguments read.
pub enum TaskTool {
    Greet { name: String },
    GreetInTask,
    Job(Job),
}

/// The tasks tool `name`; `None` when `name` is not one of them.
pub fn parse(name: &str, arguments: Option<&JsonObject>) -> Result<Option<TaskTool>, ErrorData> {
    let job = match name {
        "greet" => {
            let name = arguments::string(arguments, "name")?.to_owned();
            return Ok(Some(TaskTool::Greet { name }));
        }
        "test_tool_with_task" => return Ok(Some(TaskTool::GreetInTask)),
        "slow_compute" => slow_compute_job(arguments)?,
        "failing_job" => Job::Failing,
        "protocol_error_job" => Job::ProtocolError,
        "confirm_delete" => Job::ConfirmDelete {
            filename: arguments::string(arguments, "filename")?.to_owned(),
        },
        "multi_input" => Job::MultiInput,
        _ => return Ok(None),
    };
    Ok(Some(TaskTool::Job(job)))
}

pub async fn call(
    server: &ConformanceServer,
    tool: TaskTool,
    resume: Resume,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    match tool {
        TaskTool::Greet { name } => Ok(text(format!("Hello, {name}!")).into()),
        TaskTool::GreetInTask => greet_in_task(server, resume, context).await,
        TaskTool::Job(job) if client_declared_tasks(context) => spawn(server, job, context),
        TaskTool::Job(Job::Failing) => Err(tasks_required()),
        TaskTool::Job(job) => run_in_call(server, job, resume, context).await,
    }
}

/// `test_tool_with_task`: the input round runs in the call (as an `InputRequiredResult` on
/// `2026-07-28`), the greeting in a task.
async fn greet_in_task(
    server: &ConformanceServer,
    resume: Resume,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    if !client_declared_tasks(context) {
        return Err(tasks_required());
    }
    let outcome = input::drive(context, server.request_states(), resume, ask_name).await?;
    match outcome {
        Outcome::InputRequired(result) => Ok(result.into()),
        Outcome::Done(name) => spawn(server, Job::Greeting { name }, context),
    }
}

fn ask_name(answers: &Answers) -> Result<Step<String>, ErrorData> {
    let Some(answer) = answers.elicitation("user_name")? else {
        let question = input::elicitation("What is your name?", name_schema())?;
        return Ok(Step::ask([("user_name", question)]));
    };
    Ok(Step::Done(string_field(answer.content.as_ref(), "name")))
}

fn slow_compute_job(arguments: Option<&JsonObject>) -> Result<Job, ErrorData> {
    let argument = |name: &str| arguments.and_then(|arguments| arguments.get(name));
    let seconds = match argument("seconds") {
        None => 0,
        Some(value) => value
            .as_u64()
            .filter(|seconds| *seconds <= MAX_SECONDS)
            .ok_or_else(|| {
                ErrorData::invalid_params(
                    format!("`seconds` must be an integer from 0 to {MAX_SECONDS}"),
                    None,
                )
            })?,
    };
    let label = match argument("label") {
        None => "slow_compute".to_owned(),
        Some(_) => arguments::string(arguments, "label")?.to_owned(),
    };
    Ok(Job::SlowCompute { seconds, label })
}

/// A client without the tasks extension: the job runs within the call.
async fn run_in_call(
    server: &ConformanceServer,
    job: Job,
    resume: Resume,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    let states = server.request_states();
    let outcome = match job {
        Job::SlowCompute { seconds, label } => {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            Outcome::Done(computed(&label, seconds))
        }
        Job::ProtocolError => return Err(protocol_error()),
        Job::ConfirmDelete { filename } => {
            input::drive(context, states, resume, |answers| {
                confirm(answers, &filename)
            })
            .await?
        }
        Job::MultiInput => input::drive(context, states, resume, two_names).await?,
        Job::Failing | Job::Greeting { .. } => return Err(tasks_required()),
    };
    Ok(outcome.into_response())
}

/// A client with the tasks extension: the job runs as a task.
fn spawn(
    server: &ConformanceServer,
    job: Job,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    let tasks: &TaskManager = server.tasks();
    if tasks.running_task_count() >= MAX_RUNNING {
        return Err(ErrorData::internal_error(
            format!("{MAX_RUNNING} tasks are running already; wait for some to finish"),
            None,
        ));
    }
    let capabilities = context.client_capabilities().unwrap_or_default();
    let options = TaskOptions::new()
        .with_ttl_ms(TTL_MS)
        .with_poll_interval_ms(POLL_INTERVAL_MS);
    let task = tasks.spawn(options, move |task| -> TaskFuture {
        Box::pin(async move {
            match job {
                Job::SlowCompute { seconds, label } => {
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(seconds)) => {
                            Ok(computed(&label, seconds))
                        }
                        () = task.cancelled() => Err(TaskExit::Cancelled),
                    }
                }
                Job::Failing => {
                    tokio::select! {
                        () = tokio::time::sleep(FAILING_AFTER) => Ok(CallToolResult::error(vec![
                            ContentBlock::text("failing_job failed, as it always does"),
                        ])),
                        () = task.cancelled() => Err(TaskExit::Cancelled),
                    }
                }
                Job::ProtocolError => Err(TaskExit::Error(protocol_error())),
                Job::ConfirmDelete { filename } => {
                    input::drive_in_task(&task, &capabilities, |answers| {
                        confirm(answers, &filename)
                    })
                    .await
                }
                Job::MultiInput => input::drive_in_task(&task, &capabilities, two_names).await,
                Job::Greeting { name } => Ok(text(format!("Hello, {name}! (from a task)"))),
            }
        })
    });
    Ok(CreateTaskResult::new(task).into())
}

fn confirm(answers: &Answers, filename: &str) -> Result<Step<CallToolResult>, ErrorData> {
    let Some(answer) = answers.elicitation("confirm")? else {
        let schema = json!({
            "type": "object",
            "properties": {"confirm": {"type": "boolean", "description": "Delete the file?"}},
            "required": ["confirm"],
        });
        let question = input::elicitation(&format!("Delete {filename}?"), schema)?;
        return Ok(Step::ask([("confirm", question)]));
    };
    let confirmed = answer
        .content
        .as_ref()
        .and_then(|content| content.get("confirm"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let verdict = if confirmed { "deleted" } else { "kept" };
    Ok(Step::Done(text(format!("{filename} {verdict}"))))
}

fn two_names(answers: &Answers) -> Result<Step<CallToolResult>, ErrorData> {
    let first = answers.elicitation("first_name")?;
    let second = answers.elicitation("second_name")?;
    if let (Some(first), Some(second)) = (first, second) {
        return Ok(Step::Done(text(format!(
            "names: {}, {}",
            string_field(first.content.as_ref(), "name"),
            string_field(second.content.as_ref(), "name")
        ))));
    }
    Ok(Step::ask([
        (
            "first_name",
            input::elicitation("First name, please", name_schema())?,
        ),
        (
            "second_name",
            input::elicitation("Second name, please", name_schema())?,
        ),
    ]))
}

fn client_declared_tasks(context: &RequestContext<RoleServer>) -> bool {
    context
        .client_capabilities()
        .is_some_and(|capabilities| capabilities.supports_tasks())
}

fn tasks_required() -> ErrorData {
    ErrorData::missing_required_client_capability(
        ClientCapabilities::builder().enable_tasks().build(),
    )
}

fn protocol_error() -> ErrorData {
    ErrorData::internal_error("protocol_error_job broke down, as it always does", None)
}

fn computed(label: &str, seconds: u64) -> CallToolResult {
    text(format!("{label}: done after {seconds} s"))
}

fn text(text: String) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

fn name_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    })
}

fn string_field(content: Option<&Value>, name: &str) -> String {
    content
        .and_then(|content| content.get(name))
        .and_then(Value::as_str)
        .unwrap_or("(none)")
        .to_owned()
}
