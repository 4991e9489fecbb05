//! The two wire formats: OpenAI chat completions and the Anthropic messages API. Request
//! bodies, success bodies and error bodies, nothing else.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::provider::CompletionRequest;

/// What a successful answer carries, whatever the format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub text: String,
    pub model: Option<String>,
    pub finish_reason: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

// ---- OpenAI chat completions ------------------------------------------------------------

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<Message<'a>>,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    stream: bool,
}

pub(crate) fn openai_body(model: &str, req: &CompletionRequest, temperature: Option<f64>) -> Value {
    let mut messages = Vec::new();
    if let Some(system) = &req.system {
        messages.push(Message {
            role: "system",
            content: system,
        });
    }
    messages.push(Message {
        role: "user",
        content: &req.prompt,
    });
    serde_json::to_value(ChatRequest {
        model,
        messages,
        max_tokens: req.max_tokens,
        temperature: req.temperature.or(temperature),
        stream: false,
    })
    .unwrap_or(Value::Null)
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    model: Option<String>,
    choices: Vec<ChatChoice>,
    #[serde(default)]
    usage: Option<ChatUsage>,
}

#[derive(Deserialize)]
struct ChatChoice {
    message: ChatMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChatMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct ChatUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

pub(crate) fn openai_answer(body: &[u8]) -> Result<Answer, String> {
    let response: ChatResponse = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let choice = response
        .choices
        .into_iter()
        .next()
        .ok_or("no choices in the answer")?;
    Ok(Answer {
        text: choice
            .message
            .content
            .ok_or("the first choice has no message content")?,
        model: response.model,
        finish_reason: choice.finish_reason,
        input_tokens: response.usage.as_ref().and_then(|u| u.prompt_tokens),
        output_tokens: response.usage.as_ref().and_then(|u| u.completion_tokens),
    })
}

// ---- Anthropic messages -----------------------------------------------------------------

#[derive(Serialize)]
struct MessagesRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
}

pub(crate) fn anthropic_body(
    model: &str,
    req: &CompletionRequest,
    temperature: Option<f64>,
) -> Value {
    serde_json::to_value(MessagesRequest {
        model,
        max_tokens: req.max_tokens,
        system: req.system.as_deref(),
        messages: vec![Message {
            role: "user",
            content: &req.prompt,
        }],
        temperature: req.temperature.or(temperature),
    })
    .unwrap_or(Value::Null)
}

#[derive(Deserialize)]
struct MessagesResponse {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    model: Option<String>,
    content: Vec<ContentBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<MessagesUsage>,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct MessagesUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

pub(crate) fn anthropic_answer(body: &[u8]) -> Result<Answer, String> {
    let response: MessagesResponse = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if response.kind != "message" {
        return Err(format!(
            "answer of type {:?}, not \"message\"",
            response.kind
        ));
    }
    let text: String = response
        .content
        .iter()
        .filter(|block| block.kind == "text")
        .filter_map(|block| block.text.as_deref())
        .collect();
    if text.is_empty() && !response.content.iter().any(|b| b.kind == "text") {
        return Err("the answer has no text content block".into());
    }
    Ok(Answer {
        text,
        model: response.model,
        finish_reason: response.stop_reason,
        input_tokens: response.usage.as_ref().and_then(|u| u.input_tokens),
        output_tokens: response.usage.as_ref().and_then(|u| u.output_tokens),
    })
}

/// The message of an error body in either format: `{"error": {"message", "type"}}` (OpenAI,
/// vLLM), `{"type": "error", "error": {"type", "message"}}` (Anthropic), `{"error": "..."}`
/// (Ollama, llama.cpp); else the start of the body as text.
pub(crate) fn error_message(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let from_json = parsed.as_ref().and_then(|v| {
        let error = v.get("error")?;
        if let Some(text) = error.as_str() {
            return Some(text.to_owned());
        }
        let message = error.get("message").and_then(Value::as_str)?;
        Some(match error.get("type").and_then(Value::as_str) {
            Some(kind) => format!("{kind}: {message}"),
            None => message.to_owned(),
        })
    });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    one_line(&text, 300)
}

/// `text` on one line, at most `max` characters.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max).collect();
    cut.push('…');
    cut
}
