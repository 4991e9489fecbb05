//! Tools that ask the client before they answer: sampling, elicitation and roots, written
//! once as [`Step`] functions that [`crate::input::drive`] runs on either wire.
//!
//! | tool | asks | answers |
//! |---|---|---|
//! | `test_sampling {prompt}` | `sampling/createMessage` with the prompt | `LLM response: TEXT` |
//! | `test_elicitation {message}` | `elicitation/create` for username and email | `User response: action=A, content=C` |
//! | `test_elicitation_sep1034_defaults` | a form whose five primitive fields have defaults | `Elicitation completed: ...` |
//! | `test_elicitation_sep1330_enums` | a form with the five enum shapes of SEP-1330 | `Elicitation completed: ...` |
//! | `test_streaming_elicitation` | a name (elicitation) | `Hello, NAME!` |
//! | `test_missing_capability` | sampling, so a client without it gets `-32021` | the sampled text |
//! | `test_input_required_result_elicitation` | `user_name` | `Hello, NAME!` |
//! | `test_input_required_result_sampling` | `capital_question` | the sampled text |
//! | `test_input_required_result_list_roots` | `client_roots` | the root URIs |
//! | `test_input_required_result_request_state` | `confirm`, with a `requestState` | `state-ok ...` |
//! | `test_input_required_result_multiple_inputs` | elicitation, sampling and roots at once | all three answers |
//! | `test_input_required_result_multi_round` | `step1` (name), then `step2` (colour) | both answers |
//! | `test_input_required_result_tampered_state` | `confirm`, with a `requestState` it verifies | `state verified` |
//! | `test_input_required_result_capabilities` | only what the client declared | what it asked |
#![allow(deprecated)] // sampling and roots are deprecated by SEP-2577 but part of every revision

use rmcp::ErrorData;
use rmcp::model::{
    CallToolResult, ContentBlock, CreateMessageResult, ElicitResult, JsonObject, ListRootsResult,
    SamplingMessageContentBlock, Tool,
};
use serde_json::{Value, json};

use super::{no_arguments, tool};
use crate::arguments;
use crate::input::{self, Answers, Step};

/// `maxTokens` of the sampling requests.
const MAX_TOKENS: u32 = 100;

pub enum Fixture {
    Sampling { prompt: String },
    Elicitation { message: String },
    ElicitationDefaults,
    ElicitationEnums,
    StreamingElicitation,
    MissingCapability,
    InputElicitation,
    InputSampling,
    InputRoots,
    InputRequestState,
    InputMultiple,
    InputMultiRound,
    InputTamperedState,
    InputCapabilities,
}

pub fn tools() -> Vec<Tool> {
    let one_string = |name: &str, description: &str| {
        json!({
            "type": "object",
            "properties": {name: {"type": "string", "description": description}},
            "required": [name],
        })
    };
    let mut tools = vec![
        tool(
            "test_sampling",
            "Asks the client's model to complete `prompt` (sampling/createMessage) and returns its answer.",
            one_string("prompt", "The prompt to send to the LLM"),
        ),
        tool(
            "test_elicitation",
            "Asks the user (elicitation/create) for a username and an email, showing `message`.",
            one_string("message", "The message to show the user"),
        ),
        tool(
            "test_elicitation_sep1034_defaults",
            "Asks the user for a form whose string, integer, number, enum and boolean fields have defaults (SEP-1034).",
            no_arguments(),
        ),
        tool(
            "test_elicitation_sep1330_enums",
            "Asks the user for a form with untitled, titled and legacy single-select and untitled and titled multi-select enums (SEP-1330).",
            no_arguments(),
        ),
        tool(
            "test_streaming_elicitation",
            "Asks the user for a name, then greets them.",
            no_arguments(),
        ),
        tool(
            "test_missing_capability",
            "Needs the client's sampling capability: a client that did not declare it gets -32021 MissingRequiredClientCapability.",
            no_arguments(),
        ),
    ];
    for (name, description) in [
        (
            "test_input_required_result_elicitation",
            "Asks for the user's name (user_name), then greets them.",
        ),
        (
            "test_input_required_result_sampling",
            "Asks the client's model for the capital of France (capital_question).",
        ),
        (
            "test_input_required_result_list_roots",
            "Asks for the client's roots (client_roots) and lists them.",
        ),
        (
            "test_input_required_result_request_state",
            "Asks for a confirmation with a requestState, and checks the state on the retry.",
        ),
        (
            "test_input_required_result_multiple_inputs",
            "Asks for a name, a sampled greeting and the roots at once.",
        ),
        (
            "test_input_required_result_multi_round",
            "Asks for a name, then for a colour, then answers (two rounds).",
        ),
        (
            "test_input_required_result_tampered_state",
            "Asks for a confirmation with a requestState, and refuses a retry whose state it did not issue.",
        ),
        (
            "test_input_required_result_capabilities",
            "Asks only for what the client declared: sampling, elicitation, roots.",
        ),
    ] {
        tools.push(tool(name, description, no_arguments()));
    }
    tools
}

/// The fixture behind tool `name`; `None` when `name` is not one of these tools.
pub fn fixture(name: &str, arguments: Option<&JsonObject>) -> Result<Option<Fixture>, ErrorData> {
    Ok(Some(match name {
        "test_sampling" => Fixture::Sampling {
            prompt: arguments::string(arguments, "prompt")?.to_owned(),
        },
        "test_elicitation" => Fixture::Elicitation {
            message: arguments::string(arguments, "message")?.to_owned(),
        },
        "test_elicitation_sep1034_defaults" => Fixture::ElicitationDefaults,
        "test_elicitation_sep1330_enums" => Fixture::ElicitationEnums,
        "test_streaming_elicitation" => Fixture::StreamingElicitation,
        "test_missing_capability" => Fixture::MissingCapability,
        "test_input_required_result_elicitation" => Fixture::InputElicitation,
        "test_input_required_result_sampling" => Fixture::InputSampling,
        "test_input_required_result_list_roots" => Fixture::InputRoots,
        "test_input_required_result_request_state" => Fixture::InputRequestState,
        "test_input_required_result_multiple_inputs" => Fixture::InputMultiple,
        "test_input_required_result_multi_round" => Fixture::InputMultiRound,
        "test_input_required_result_tampered_state" => Fixture::InputTamperedState,
        "test_input_required_result_capabilities" => Fixture::InputCapabilities,
        _ => return Ok(None),
    }))
}

impl Fixture {
    pub fn step(&self, answers: &Answers) -> Result<Step<CallToolResult>, ErrorData> {
        match self {
            Fixture::Sampling { prompt } => sample_once(answers, "sample", prompt, |text| {
                format!("LLM response: {text}")
            }),
            Fixture::Elicitation { message } => {
                let schema = json!({
                    "type": "object",
                    "properties": {
                        "username": {"type": "string", "description": "User's response"},
                        "email": {"type": "string", "description": "User's email address"},
                    },
                    "required": ["username", "email"],
                });
                elicit_once(answers, "user_info", message, schema, |answer| {
                    format!("User response: {}", describe(answer))
                })
            }
            Fixture::ElicitationDefaults => elicit_once(
                answers,
                "defaults",
                "Please review and update the form fields with defaults",
                defaults_schema(),
                |answer| format!("Elicitation completed: {}", describe(answer)),
            ),
            Fixture::ElicitationEnums => elicit_once(
                answers,
                "enums",
                "Please select options from the enum fields",
                enums_schema(),
                |answer| format!("Elicitation completed: {}", describe(answer)),
            ),
            Fixture::StreamingElicitation | Fixture::InputElicitation => elicit_once(
                answers,
                "user_name",
                "What is your name?",
                name_schema(),
                |answer| format!("Hello, {}!", field(answer, "name")),
            ),
            Fixture::MissingCapability => sample_once(answers, "sample", "Say hello.", |text| {
                format!("Sampled: {text}")
            }),
            Fixture::InputSampling => sample_once(
                answers,
                "capital_question",
                "What is the capital of France?",
                |text| format!("The model says: {text}"),
            ),
            Fixture::InputRoots => {
                let Some(roots) = answers.roots("client_roots")? else {
                    return Ok(Step::ask([("client_roots", input::list_roots())]));
                };
                Ok(done(format!("Client roots: {}", root_uris(&roots))))
            }
            Fixture::InputRequestState => confirm_with_state(answers, "request_state", "state-ok"),
            Fixture::InputTamperedState => {
                confirm_with_state(answers, "tampered_state", "state verified")
            }
            Fixture::InputMultiple => multiple(answers),
            Fixture::InputMultiRound => multi_round(answers),
            Fixture::InputCapabilities => capabilities(answers),
        }
    }
}

/// One sampling question; `finish` turns the model's text into the result text.
fn sample_once(
    answers: &Answers,
    key: &'static str,
    prompt: &str,
    finish: impl Fn(&str) -> String,
) -> Result<Step<CallToolResult>, ErrorData> {
    match answers.sampling(key)? {
        Some(answer) => Ok(done(finish(&sampled_text(&answer)))),
        None => Ok(Step::ask([(key, input::sampling(prompt, MAX_TOKENS))])),
    }
}

/// One elicitation; `finish` turns the answer into the result text.
fn elicit_once(
    answers: &Answers,
    key: &'static str,
    message: &str,
    schema: Value,
    finish: impl Fn(&ElicitResult) -> String,
) -> Result<Step<CallToolResult>, ErrorData> {
    match answers.elicitation(key)? {
        Some(answer) => Ok(done(finish(&answer))),
        None => Ok(Step::ask([(key, input::elicitation(message, schema)?)])),
    }
}

/// Asks `confirm` with a state naming `fixture`; finishes only when the retry brings the
/// answer and that state back.
fn confirm_with_state(
    answers: &Answers,
    fixture: &str,
    finished: &str,
) -> Result<Step<CallToolResult>, ErrorData> {
    let state = json!({"fixture": fixture});
    if let (Some(answer), Some(echoed)) = (answers.elicitation("confirm")?, answers.state())
        && *echoed == state
    {
        return Ok(done(format!(
            "{finished}: confirmation {}",
            describe(&answer)
        )));
    }
    let schema = json!({
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
    });
    Ok(Step::ask([("confirm", input::elicitation("Please confirm", schema)?)]).with_state(state))
}

fn multiple(answers: &Answers) -> Result<Step<CallToolResult>, ErrorData> {
    let state = json!({"fixture": "multiple_inputs"});
    let name = answers.elicitation("user_name")?;
    let greeting = answers.sampling("greeting")?;
    let roots = answers.roots("client_roots")?;
    if let (Some(name), Some(greeting), Some(roots), Some(echoed)) =
        (name, greeting, roots, answers.state())
        && *echoed == state
    {
        return Ok(done(format!(
            "{} — name {}, roots {}",
            sampled_text(&greeting),
            field(&name, "name"),
            root_uris(&roots)
        )));
    }
    Ok(Step::ask([
        (
            "user_name",
            input::elicitation("What is your name?", name_schema())?,
        ),
        ("greeting", input::sampling("Generate a greeting", 50)),
        ("client_roots", input::list_roots()),
    ])
    .with_state(state))
}

/// Round 1 asks `step1` (a name), round 2 `step2` (a colour); the state says which round.
fn multi_round(answers: &Answers) -> Result<Step<CallToolResult>, ErrorData> {
    let round = answers
        .state()
        .and_then(|state| state.get("round"))
        .and_then(Value::as_u64);
    match round {
        Some(1) => {
            if let Some(name) = answers.elicitation("step1")? {
                let name = field(&name, "name");
                let schema = json!({
                    "type": "object",
                    "properties": {"color": {"type": "string"}},
                    "required": ["color"],
                });
                let question = input::elicitation("Step 2: What is your favorite color?", schema)?;
                return Ok(
                    Step::ask([("step2", question)]).with_state(json!({"round": 2, "name": name}))
                );
            }
        }
        Some(2) => {
            if let Some(color) = answers.elicitation("step2")? {
                let name = answers
                    .state()
                    .and_then(|state| state.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("(unknown)");
                return Ok(done(format!(
                    "{name}'s favorite color is {}",
                    field(&color, "color")
                )));
            }
        }
        _ => {}
    }
    let question = input::elicitation("Step 1: What is your name?", name_schema())?;
    Ok(Step::ask([("step1", question)]).with_state(json!({"round": 1})))
}

/// Asks only what the client can answer, and finishes once it has answered all of it.
fn capabilities(answers: &Answers) -> Result<Step<CallToolResult>, ErrorData> {
    let declared = answers.capabilities();
    let mut questions = Vec::new();
    let mut got = Vec::new();
    if declared.sampling.is_some() {
        match answers.sampling("capability_sampling")? {
            Some(answer) => got.push(format!("sampling: {}", sampled_text(&answer))),
            None => questions.push((
                "capability_sampling",
                input::sampling("Reply with one word.", MAX_TOKENS),
            )),
        }
    }
    if declared.elicitation.is_some() {
        match answers.elicitation("capability_elicitation")? {
            Some(answer) => got.push(format!("elicitation: {}", describe(&answer))),
            None => questions.push((
                "capability_elicitation",
                input::elicitation("What is your name?", name_schema())?,
            )),
        }
    }
    if declared.roots.is_some() {
        match answers.roots("capability_roots")? {
            Some(roots) => got.push(format!("roots: {}", root_uris(&roots))),
            None => questions.push(("capability_roots", input::list_roots())),
        }
    }
    if !questions.is_empty() {
        return Ok(Step::ask(questions));
    }
    if got.is_empty() {
        return Ok(done(
            "The client declared none of sampling, elicitation and roots.".to_owned(),
        ));
    }
    Ok(done(got.join("; ")))
}

fn name_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    })
}

fn defaults_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active",
            },
            "verified": {"type": "boolean", "description": "Verification status", "default": true},
        },
    })
}

fn enums_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "description": "Choose one option",
                "enum": ["option1", "option2", "option3"],
            },
            "titledSingle": {
                "type": "string",
                "description": "Choose one titled option",
                "oneOf": [
                    {"const": "value1", "title": "First Option"},
                    {"const": "value2", "title": "Second Option"},
                    {"const": "value3", "title": "Third Option"},
                ],
            },
            "legacyEnum": {
                "type": "string",
                "description": "Choose one option (legacy titles)",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {
                "type": "array",
                "description": "Choose several options",
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
            },
            "titledMulti": {
                "type": "array",
                "description": "Choose several titled options",
                "items": {
                    "anyOf": [
                        {"const": "value1", "title": "First Choice"},
                        {"const": "value2", "title": "Second Choice"},
                        {"const": "value3", "title": "Third Choice"},
                    ],
                },
            },
        },
    })
}

fn done(text: String) -> Step<CallToolResult> {
    Step::Done(CallToolResult::success(vec![ContentBlock::text(text)]))
}

/// `action=ACTION, content=JSON`.
fn describe(answer: &ElicitResult) -> String {
    let action = serde_json::to_value(&answer.action)
        .ok()
        .and_then(|action| action.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{:?}", answer.action));
    let content = answer
        .content
        .as_ref()
        .map_or_else(|| "{}".to_owned(), Value::to_string);
    format!("action={action}, content={content}")
}

/// A string field of an accepted form, or `(none)`.
fn field<'a>(answer: &'a ElicitResult, name: &str) -> &'a str {
    answer
        .content
        .as_ref()
        .and_then(|content| content.get(name))
        .and_then(Value::as_str)
        .unwrap_or("(none)")
}

fn sampled_text(answer: &CreateMessageResult) -> String {
    answer
        .message
        .content
        .iter()
        .find_map(|block| match block {
            SamplingMessageContentBlock::Text(text) => Some(text.text.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "(no text)".to_owned())
}

fn root_uris(roots: &ListRootsResult) -> String {
    let uris: Vec<&str> = roots.roots.iter().map(|root| root.uri.as_str()).collect();
    if uris.is_empty() {
        "(none)".to_owned()
    } else {
        uris.join(", ")
    }
}
