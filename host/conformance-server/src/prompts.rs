//! The prompts the suite gets.
//!
//! | prompt | arguments | messages |
//! |---|---|---|
//! | `test_simple_prompt` | — | one user text |
//! | `test_prompt_with_arguments` | `arg1`, `arg2` | a user text naming both values |
//! | `test_prompt_with_embedded_resource` | `resourceUri` | an embedded text resource at that URI, then a text |
//! | `test_prompt_with_image` | — | a PNG image, then a text |
//! | `test_input_required_result_prompt` | — | asks the client for context first (elicitation), then a text using it |
//! | `test_dynamic_prompt` | — | listed only while `test_trigger_prompt_change` has it on |

use rmcp::ErrorData;
use rmcp::model::{
    ContentBlock, GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage,
    ResourceContents, Role,
};
use serde_json::json;

use crate::arguments;
use crate::input::{self, Answers, Step};
use crate::media::RED_PIXEL_PNG;

pub const SIMPLE: &str = "test_simple_prompt";
pub const WITH_ARGUMENTS: &str = "test_prompt_with_arguments";
pub const WITH_EMBEDDED_RESOURCE: &str = "test_prompt_with_embedded_resource";
pub const WITH_IMAGE: &str = "test_prompt_with_image";
pub const INPUT_REQUIRED: &str = "test_input_required_result_prompt";
pub const DYNAMIC: &str = "test_dynamic_prompt";

/// Values `completion/complete` offers for either argument of `test_prompt_with_arguments`.
const ARGUMENT_SUGGESTIONS: [&str; 4] = ["test", "testValue1", "testValue2", "hello"];

pub fn list(with_dynamic: bool) -> Vec<Prompt> {
    let required = |name: &str, description: &str| {
        PromptArgument::new(name)
            .with_description(description)
            .with_required(true)
    };
    let mut prompts = vec![
        Prompt::new(SIMPLE, Some("A simple prompt without arguments."), None),
        Prompt::new(
            WITH_ARGUMENTS,
            Some("A prompt with two required arguments."),
            Some(vec![
                required("arg1", "First test argument"),
                required("arg2", "Second test argument"),
            ]),
        ),
        Prompt::new(
            WITH_EMBEDDED_RESOURCE,
            Some("A prompt that embeds the resource at resourceUri."),
            Some(vec![required(
                "resourceUri",
                "URI of the resource to embed",
            )]),
        ),
        Prompt::new(WITH_IMAGE, Some("A prompt with an image."), None),
        Prompt::new(
            INPUT_REQUIRED,
            Some("A prompt that first asks the client for context (elicitation)."),
            None,
        ),
    ];
    if with_dynamic {
        prompts.push(Prompt::new(
            DYNAMIC,
            Some("A prompt that test_trigger_prompt_change adds and removes."),
            None,
        ));
    }
    prompts
}

/// The prompts that need nothing from the client; `None` for an unknown name.
pub fn get(
    name: &str,
    arguments: Option<&JsonObject>,
    with_dynamic: bool,
) -> Result<Option<GetPromptResult>, ErrorData> {
    let user_text = |text: String| PromptMessage::new_text(Role::User, text);
    let messages = match name {
        SIMPLE => vec![user_text("This is a simple prompt for testing.".to_owned())],
        WITH_ARGUMENTS => {
            let arg1 = arguments::string(arguments, "arg1")?;
            let arg2 = arguments::string(arguments, "arg2")?;
            vec![user_text(format!(
                "Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"
            ))]
        }
        WITH_EMBEDDED_RESOURCE => {
            let uri = arguments::string(arguments, "resourceUri")?;
            let resource = ResourceContents::text("Embedded resource content for testing.", uri);
            vec![
                PromptMessage::new(Role::User, ContentBlock::resource(resource)),
                user_text("Please process the embedded resource above.".to_owned()),
            ]
        }
        WITH_IMAGE => vec![
            PromptMessage::new(Role::User, ContentBlock::image(RED_PIXEL_PNG, "image/png")),
            user_text("Please analyze the image above.".to_owned()),
        ],
        DYNAMIC if with_dynamic => vec![user_text(
            "This prompt exists while the dynamic prompt is on.".to_owned(),
        )],
        _ => return Ok(None),
    };
    Ok(Some(GetPromptResult::new(messages)))
}

/// `test_input_required_result_prompt`: asks for `user_context`, then uses the answer.
pub fn input_required(answers: &Answers) -> Result<Step<GetPromptResult>, ErrorData> {
    const KEY: &str = "user_context";
    let Some(answer) = answers.elicitation(KEY)? else {
        let schema = json!({
            "type": "object",
            "properties": {"context": {"type": "string"}},
            "required": ["context"],
        });
        let question = input::elicitation("What context should the prompt use?", schema)?;
        return Ok(Step::ask([(KEY, question)]));
    };
    let context = answer
        .content
        .as_ref()
        .and_then(|content| content.get("context"))
        .and_then(|context| context.as_str())
        .unwrap_or("(none)");
    let message = PromptMessage::new_text(
        Role::User,
        format!("Prompt built with the context you gave: {context}"),
    );
    Ok(Step::Done(GetPromptResult::new(vec![message])))
}

/// Suggestions for an argument of `test_prompt_with_arguments` that start with `prefix`.
pub fn complete(prompt: &str, argument: &str, prefix: &str) -> Vec<String> {
    if prompt != WITH_ARGUMENTS || !["arg1", "arg2"].contains(&argument) {
        return Vec::new();
    }
    ARGUMENT_SUGGESTIONS
        .iter()
        .filter(|value| value.starts_with(prefix))
        .map(|value| (*value).to_owned())
        .collect()
}
