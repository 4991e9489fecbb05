//! Fixtures that need answers from the client — sampling, elicitation, roots — on both wires.
//!
//! A fixture is written once, as a function from what the client answered so far
//! ([`Answers`]) to a [`Step`]: ask more, or done. [`drive`] runs it the way the request's
//! protocol revision wants:
//!
//! - **`2026-07-28`** (no server-to-client requests): the server answers with an
//!   `InputRequiredResult` carrying the questions and a `requestState` handle; the client
//!   retries with `inputResponses` and the handle (SEP-2322, multi-round).
//! - **Earlier revisions**: the server sends each question as a request to the client through
//!   the session (`sampling/createMessage`, `elicitation/create`, `roots/list`), waits for the
//!   answers and runs the next round itself, all within the one call.
//!
//! - **Inside a task** (Tasks extension): the task reports `input_required` with the questions,
//!   the client answers with `tasks/update` ([`drive_in_task`]).
//!
//! Either way only questions the client declared the capability for are asked; anything else
//! is a `-32021` MissingRequiredClientCapability error.
#![allow(deprecated)] // sampling and roots are deprecated by SEP-2577 but part of every revision

use rmcp::model::{
    ClientCapabilities, CreateMessageRequest, CreateMessageRequestParams, CreateMessageResult,
    ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationSchema, InputRequest,
    InputRequests, InputRequiredResult, InputResponses, ListRootsRequest, ListRootsResult,
    SamplingMessage, ServerRequest,
};
use rmcp::service::RequestContext;
use rmcp::task_manager::{TaskContext, TaskExit};
use rmcp::{ErrorData, RoleServer};
use serde_json::Value;

use crate::request_state::RequestStates;

/// Most rounds a fixture may take on the session-based wire before the call fails.
const MAX_ROUNDS: usize = 8;

/// What a fixture does next.
pub enum Step<T> {
    /// Ask the client these questions (keyed by the fixture's names), remembering `state`.
    Ask {
        requests: InputRequests,
        state: Option<Value>,
    },
    Done(T),
}

impl<T> Step<T> {
    pub fn ask(requests: impl IntoIterator<Item = (&'static str, InputRequest)>) -> Step<T> {
        Step::Ask {
            requests: requests
                .into_iter()
                .map(|(key, request)| (key.to_owned(), request))
                .collect(),
            state: None,
        }
    }

    pub fn with_state(self, state: Value) -> Step<T> {
        match self {
            Step::Ask { requests, .. } => Step::Ask {
                requests,
                state: Some(state),
            },
            done => done,
        }
    }
}

/// How a request ended: a complete result, or questions for the client (`2026-07-28`).
pub enum Outcome<T> {
    Done(T),
    InputRequired(InputRequiredResult),
}

impl<T> Outcome<T> {
    /// The response of the request: `CallToolResponse`, `GetPromptResponse`, ...
    pub fn into_response<R: From<T> + From<InputRequiredResult>>(self) -> R {
        match self {
            Outcome::Done(result) => result.into(),
            Outcome::InputRequired(result) => result.into(),
        }
    }
}

/// The retry fields of a request (`inputResponses`, `requestState`).
pub struct Resume {
    pub input_responses: Option<InputResponses>,
    pub request_state: Option<String>,
}

/// The client's answers so far, the state the fixture carried from the previous round, and
/// the capabilities the client declared.
pub struct Answers {
    responses: InputResponses,
    state: Option<Value>,
    capabilities: ClientCapabilities,
}

impl Answers {
    pub fn state(&self) -> Option<&Value> {
        self.state.as_ref()
    }

    pub fn capabilities(&self) -> &ClientCapabilities {
        &self.capabilities
    }

    /// The answer to the elicitation `key`; `Ok(None)` when there is none yet.
    pub fn elicitation(&self, key: &str) -> Result<Option<ElicitResult>, ErrorData> {
        self.parse(key, "an elicitation result")
    }

    /// The answer to the sampling request `key`.
    pub fn sampling(&self, key: &str) -> Result<Option<CreateMessageResult>, ErrorData> {
        self.parse(key, "a sampling result")
    }

    /// The answer to the roots request `key`.
    pub fn roots(&self, key: &str) -> Result<Option<ListRootsResult>, ErrorData> {
        self.parse(key, "a roots/list result")
    }

    fn parse<R: serde::de::DeserializeOwned>(
        &self,
        key: &str,
        what: &str,
    ) -> Result<Option<R>, ErrorData> {
        let Some(value) = self.responses.get(key) else {
            return Ok(None);
        };
        serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|error| {
                ErrorData::invalid_params(
                    format!("inputResponses.{key} is not {what}: {error}"),
                    None,
                )
            })
    }
}

/// Runs `fixture` to completion (session wire) or to its next question (`2026-07-28`).
pub async fn drive<T>(
    context: &RequestContext<RoleServer>,
    states: &RequestStates,
    resume: Resume,
    fixture: impl Fn(&Answers) -> Result<Step<T>, ErrorData>,
) -> Result<Outcome<T>, ErrorData> {
    let capabilities = context.client_capabilities().unwrap_or_default();
    if asks_in_results(context) {
        let state = match resume.request_state {
            Some(handle) => Some(states.get(&handle).ok_or_else(|| {
                ErrorData::invalid_params(
                    "requestState was not issued by this server (tampered with or expired)",
                    None,
                )
            })?),
            None => None,
        };
        let answers = Answers {
            responses: resume.input_responses.unwrap_or_default(),
            state,
            capabilities,
        };
        return match fixture(&answers)? {
            Step::Done(result) => Ok(Outcome::Done(result)),
            Step::Ask { requests, state } => {
                check_capabilities(&requests, &answers.capabilities)?;
                let handle = match state {
                    Some(state) => Some(
                        states
                            .put(state)
                            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?,
                    ),
                    None => None,
                };
                Ok(Outcome::InputRequired(InputRequiredResult::new(
                    Some(requests),
                    handle,
                )))
            }
        };
    }
    let mut answers = Answers {
        responses: InputResponses::new(),
        state: None,
        capabilities,
    };
    for _ in 0..MAX_ROUNDS {
        match fixture(&answers)? {
            Step::Done(result) => return Ok(Outcome::Done(result)),
            Step::Ask { requests, state } => {
                check_capabilities(&requests, &answers.capabilities)?;
                for (key, request) in requests {
                    let answer = ask_through_session(context, request).await?;
                    answers.responses.insert(key, answer);
                }
                answers.state = state;
            }
        }
    }
    Err(too_many_rounds())
}

fn too_many_rounds() -> ErrorData {
    ErrorData::internal_error(
        format!("the fixture asked the client more than {MAX_ROUNDS} rounds of questions"),
        None,
    )
}

/// Runs `fixture` inside a task: each round's questions are pending on the task together
/// (`tasks/get` shows them, `tasks/update` answers them, in any order and any subset).
pub async fn drive_in_task<T>(
    task: &TaskContext,
    capabilities: &ClientCapabilities,
    fixture: impl Fn(&Answers) -> Result<Step<T>, ErrorData>,
) -> Result<T, TaskExit> {
    let mut answers = Answers {
        responses: InputResponses::new(),
        state: None,
        capabilities: capabilities.clone(),
    };
    for _ in 0..MAX_ROUNDS {
        match fixture(&answers)? {
            Step::Done(result) => return Ok(result),
            Step::Ask { requests, state } => {
                check_capabilities(&requests, &answers.capabilities)?;
                let mut pending = tokio::task::JoinSet::new();
                for (key, request) in requests {
                    let task = task.clone();
                    pending.spawn(async move {
                        let answer = task.request_input(key.clone(), request).await?;
                        Ok::<_, TaskExit>((key, answer))
                    });
                }
                while let Some(joined) = pending.join_next().await {
                    let (key, answer) = joined.map_err(|error| {
                        TaskExit::Error(ErrorData::internal_error(
                            format!("waiting for an answer: {error}"),
                            None,
                        ))
                    })??;
                    answers.responses.insert(key, answer);
                }
                answers.state = state;
            }
        }
    }
    Err(TaskExit::Error(too_many_rounds()))
}

/// `2026-07-28` and later have no server-to-client requests: questions go in results.
pub fn asks_in_results(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|version| !version.has_initialize())
}

pub fn elicitation(message: &str, schema: Value) -> Result<InputRequest, ErrorData> {
    let requested_schema: ElicitationSchema = serde_json::from_value(schema).map_err(|error| {
        ErrorData::internal_error(format!("fixture elicitation schema: {error}"), None)
    })?;
    let params = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: message.to_owned(),
        requested_schema,
    };
    Ok(InputRequest::Elicitation(ElicitRequest::new(params)))
}

pub fn sampling(prompt: &str, max_tokens: u32) -> InputRequest {
    let params =
        CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], max_tokens);
    InputRequest::CreateMessage(CreateMessageRequest::new(params))
}

pub fn list_roots() -> InputRequest {
    InputRequest::ListRoots(ListRootsRequest::default())
}

fn check_capabilities(
    requests: &InputRequests,
    declared: &ClientCapabilities,
) -> Result<(), ErrorData> {
    for request in requests.values() {
        let missing = match request {
            InputRequest::CreateMessage(_) if declared.sampling.is_none() => {
                Some(ClientCapabilities::builder().enable_sampling().build())
            }
            InputRequest::Elicitation(_) if declared.elicitation.is_none() => {
                Some(ClientCapabilities::builder().enable_elicitation().build())
            }
            InputRequest::ListRoots(_) if declared.roots.is_none() => {
                Some(ClientCapabilities::builder().enable_roots().build())
            }
            _ => None,
        };
        if let Some(missing) = missing {
            return Err(ErrorData::missing_required_client_capability(missing));
        }
    }
    Ok(())
}

/// Sends one question to the client as a request on the session and returns its answer.
async fn ask_through_session(
    context: &RequestContext<RoleServer>,
    request: InputRequest,
) -> Result<Value, ErrorData> {
    let (method, request) = match request {
        InputRequest::CreateMessage(request) => ("sampling/createMessage", request.into()),
        InputRequest::Elicitation(request) => ("elicitation/create", request.into()),
        InputRequest::ListRoots(request) => ("roots/list", request.into()),
        other => {
            return Err(ErrorData::internal_error(
                format!("fixture asked an unknown kind of question: {other:?}"),
                None,
            ));
        }
    };
    let request: ServerRequest = request;
    let answer = context.peer.send_request(request).await.map_err(|error| {
        ErrorData::internal_error(
            format!("the client's {method} request failed: {error}"),
            None,
        )
    })?;
    serde_json::to_value(answer).map_err(|error| {
        ErrorData::internal_error(format!("the client's {method} answer: {error}"), None)
    })
}
